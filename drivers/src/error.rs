//! [`SchedulerError`]: what went wrong talking to a scheduler, and whether trying again can help.

use std::time::Duration;

use crate::job::JobId;
use crate::resources::PbsError;

/// Whether a failure may go away by itself.
///
/// The hub retries transient failures with back-off and shows permanent ones to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The scheduler was slow, busy or unreachable: the same request may succeed later.
    Transient,
    /// The request itself is wrong (bad resources, unknown queue, unknown job): retrying the
    /// same request gives the same answer.
    Permanent,
}

/// A failed scheduler operation, with enough context to log and to decide what to do.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The scheduler rejected the request with one of PBS's own errors (text, errno and exit
    /// code as `qsub` prints them).
    #[error("{0}")]
    Rejected(#[from] PbsError),

    /// A scheduler command refused the request with a PBS error: PBS's own words (shown to
    /// the user as they are), and how the command said it.
    #[error("{error}")]
    Refused {
        /// The command, as run (argv joined by spaces).
        command: String,
        /// Its exit code.
        code: Option<i32>,
        /// Its standard error, verbatim.
        stderr: String,
        /// The PBS error it names.
        error: PbsError,
    },

    /// The scheduler refused the request in its own words (Slurm's `sbatch: error: …`),
    /// shown to the user as they are.
    #[error("{message}")]
    Declined {
        /// The command, as run (argv joined by spaces).
        command: String,
        /// Its exit code.
        code: Option<i32>,
        /// Its standard error, verbatim.
        stderr: String,
        /// The scheduler's reason, without the program's prefix.
        message: String,
        /// Whether the scheduler said to try again later (busy, timed out).
        transient: bool,
    },

    /// The job cannot be submitted as specified (found before asking the scheduler).
    #[error("the job cannot be submitted as specified: {0}")]
    Invalid(String),

    /// The job id is not known to the scheduler (and not in its history).
    #[error("Unknown Job Id {0}")]
    UnknownJob(JobId),

    /// A scheduler command did not answer in time and was killed.
    #[error("`{command}` did not finish within {timeout:?}")]
    Timeout {
        /// The command, as run (argv joined with spaces).
        command: String,
        /// The limit it exceeded.
        timeout: Duration,
    },

    /// The scheduler could not be reached or is not serving requests right now.
    #[error("scheduler unavailable: {reason}")]
    Unavailable {
        /// What the scheduler or the system said.
        reason: String,
    },

    /// A scheduler command failed in a way not recognised above.
    #[error("`{command}` failed with exit code {code:?}: {stderr}")]
    CommandFailed {
        /// The command, as run.
        command: String,
        /// Its exit code, if it exited rather than being killed by a signal.
        code: Option<i32>,
        /// What it printed on stderr (trimmed).
        stderr: String,
    },

    /// The scheduler answered, but not in a form we understand.
    #[error("could not understand the scheduler's answer to `{command}`: {reason}")]
    BadOutput {
        /// The command whose output did not parse.
        command: String,
        /// What was wrong with it.
        reason: String,
    },

    /// Starting a scheduler command failed (not found, not permitted, …).
    #[error("could not run `{command}`")]
    Io {
        /// The command that could not be started.
        command: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl SchedulerError {
    /// Whether the same request may succeed later.
    pub fn class(&self) -> ErrorClass {
        match self {
            SchedulerError::Rejected(e) if e.is_transient() => ErrorClass::Transient,
            SchedulerError::Rejected(_) => ErrorClass::Permanent,
            SchedulerError::Refused { error, .. } if error.is_transient() => ErrorClass::Transient,
            SchedulerError::Refused { .. } => ErrorClass::Permanent,
            SchedulerError::Declined { transient, .. } if *transient => ErrorClass::Transient,
            SchedulerError::Declined { .. } => ErrorClass::Permanent,
            SchedulerError::Invalid(_) => ErrorClass::Permanent,
            SchedulerError::UnknownJob(_) => ErrorClass::Permanent,
            SchedulerError::Timeout { .. } => ErrorClass::Transient,
            SchedulerError::Unavailable { .. } => ErrorClass::Transient,
            // An unrecognised failure or garbled output is most often a passing problem
            // (a restarting server, truncated output); treating it as permanent would make
            // the hub give up on a job that may be fine.
            SchedulerError::CommandFailed { .. } => ErrorClass::Transient,
            SchedulerError::BadOutput { .. } => ErrorClass::Transient,
            SchedulerError::Io { .. } => ErrorClass::Permanent,
        }
    }

    /// Shorthand for `self.class() == ErrorClass::Transient`.
    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Pbse;

    #[test]
    fn classification() {
        let timeout = SchedulerError::Timeout {
            command: "qstat -f".into(),
            timeout: Duration::from_secs(30),
        };
        assert!(timeout.is_transient());
        let rejected = SchedulerError::Rejected(PbsError::new(Pbse::UnkQue, ""));
        assert_eq!(rejected.class(), ErrorClass::Permanent);
        assert_eq!(rejected.to_string(), "Unknown queue");
        let unknown = SchedulerError::UnknownJob(JobId::new("7.pbs02").unwrap());
        assert_eq!(unknown.to_string(), "Unknown Job Id 7.pbs02");
        assert_eq!(unknown.class(), ErrorClass::Permanent);
    }
}
