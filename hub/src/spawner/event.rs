//! [`Event`]: everything that can happen to one server, as the shell reports it.

use drivers::{JobId, JobStatus, SchedulerError};
use serde::{Deserialize, Serialize};

/// Something that happened to one server. The shell feeds events to [`step`](fn@super::step)
/// one at a time, per server, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The user (or the API) asks for the server to start.
    StartRequested,
    /// The concurrent-spawn limit lets this waiting server submit now (see
    /// [`admit`](super::admit)).
    Admitted,
    /// The answer to the `submit` the spawner asked for.
    Submitted(Result<JobId, SubmitError>),
    /// The scheduler's answer about `job` from a batched poll (including `Unknown`).
    Polled {
        /// The job the answer is about: an answer about another job than the one tracked
        /// (a poll that crossed a restart of the spawn) is ignored.
        job: JobId,
        /// What the scheduler said.
        status: JobStatus,
    },
    /// The notebook server reported where it listens; the hub now waits for it to answer
    /// HTTP before routing it ([`Event::Reported`]).
    AddressReported {
        /// The host (from the report, or the job's exec host).
        host: String,
        /// The port the server bound.
        port: u16,
    },
    /// The notebook server answers at the address it reported (or, when the hub does not
    /// wait for that, reported it): route it.
    Reported {
        /// The host (from the report, or the job's exec host).
        host: String,
        /// The port the server bound.
        port: u16,
    },
    /// The user, an admin or the culler asks for the server to stop.
    StopRequested,
    /// The answer to a `cancel` the spawner asked for.
    Cancelled {
        /// The job that was to be deleted.
        job: JobId,
        /// Whether the scheduler accepted the delete.
        result: Result<(), CancelError>,
    },
    /// The shell read the tail of a failed job's output (or found nothing readable).
    OutputTail {
        /// The job whose output it is.
        job: JobId,
        /// The last lines; `None` if nothing could be read.
        tail: Option<String>,
    },
    /// The answer to [`Action::FindSubmitted`](super::Action::FindSubmitted): the jobs the
    /// interrupted submit may have made (already narrowed by the shell to those queued since
    /// it began and tracked by no other server), or the scheduler's error text.
    FoundSubmitted(Result<Vec<JobId>, String>),
    /// Time passed: timeouts and retries are checked against `now`.
    Tick,
    /// The hub (re)started with this state from its database: re-adopt.
    Restarted,
}

/// A failed submit, kept as the scheduler said it (PBS's own words reach the user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct SubmitError {
    /// The scheduler's error text, verbatim.
    pub message: String,
    /// Whether the same submit may succeed later (server busy, timeout).
    pub transient: bool,
}

impl From<&SchedulerError> for SubmitError {
    fn from(e: &SchedulerError) -> Self {
        SubmitError {
            message: e.to_string(),
            transient: e.is_transient(),
        }
    }
}

/// A failed cancel. The spawner sends it again after
/// [`SpawnerConfig::cancel_retry`](super::SpawnerConfig::cancel_retry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct CancelError {
    /// The scheduler's error text, verbatim.
    pub message: String,
}

impl From<&SchedulerError> for CancelError {
    fn from(e: &SchedulerError) -> Self {
        CancelError {
            message: e.to_string(),
        }
    }
}
