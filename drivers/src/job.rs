//! The job vocabulary: what is submitted ([`JobSpec`]) and what a scheduler says about a job
//! ([`JobId`], [`JobState`], [`JobStatus`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::resources::ResourceList;

/// Why a name given to a job, user or job id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: {reason}")]
pub struct InvalidName {
    /// Which kind of name ("job id", "job name", "user name").
    pub what: &'static str,
    /// The refused value.
    pub value: String,
    /// What rule it breaks.
    pub reason: &'static str,
}

/// A scheduler's job id, e.g. `7600424.pbs02` (PBS) or `123456` (Slurm).
///
/// Only characters that can never be read as shell syntax or an option are accepted, so an id
/// may be passed as an argument to `qstat`/`qdel` safely.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(String);

impl JobId {
    /// Checks and wraps a job id: 1–255 characters of `[A-Za-z0-9._\[\]-]`, not starting with `-`.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidName> {
        let id = id.into();
        let refuse = |reason| {
            Err(InvalidName {
                what: "job id",
                value: id.clone(),
                reason,
            })
        };
        if id.is_empty() || id.len() > 255 {
            return refuse("must be 1 to 255 characters");
        }
        if id.starts_with('-') {
            return refuse("must not start with '-'");
        }
        let allowed =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '[' | ']');
        if !id.chars().all(allowed) {
            return refuse("only letters, digits and . _ - [ ] are allowed");
        }
        Ok(JobId(id))
    }

    /// The id as the scheduler printed it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` and `other` name the same job: equal, or one PBS id with and without
    /// the server's domain (`123.pbs02` and `123.pbs02.cluster.edu`), since `qstat` may print
    /// a longer form than `qsub` did.
    pub fn same_job(&self, other: &JobId) -> bool {
        fn key(id: &str) -> (&str, &str) {
            let (seq, server) = id.split_once('.').unwrap_or((id, ""));
            (seq, server.split('.').next().unwrap_or(server))
        }
        key(self.as_str()) == key(other.as_str())
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for JobId {
    type Error = InvalidName;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        JobId::new(s)
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> String {
        id.0
    }
}

/// A job name as PBS accepts it for `qsub -N`: 1–230 characters of `[A-Za-z0-9._+-]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobName(String);

impl JobName {
    /// PBS's `PBS_MAXJOBNAME`.
    pub const MAX_LEN: usize = 230;

    /// Checks and wraps a job name.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidName> {
        let name = name.into();
        let refuse = |reason| {
            Err(InvalidName {
                what: "job name",
                value: name.clone(),
                reason,
            })
        };
        if name.is_empty() {
            return refuse("must not be empty");
        }
        if name.len() > Self::MAX_LEN {
            return refuse("Job name is too long");
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-');
        if !name.chars().all(allowed) {
            return refuse("only letters, digits and . _ + - are allowed");
        }
        Ok(JobName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for JobName {
    type Error = InvalidName;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        JobName::new(s)
    }
}

impl From<JobName> for String {
    fn from(n: JobName) -> String {
        n.0
    }
}

/// A POSIX user name the job runs as: 1–32 characters of `[a-z_][a-z0-9_.-]*`, optionally
/// ending in `$` (the portable set `useradd` accepts), so it can be passed to `sudo -u`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    /// Checks and wraps a user name.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidName> {
        let name = name.into();
        let refuse = |reason| {
            Err(InvalidName {
                what: "user name",
                value: name.clone(),
                reason,
            })
        };
        if name.is_empty() || name.len() > 32 {
            return refuse("must be 1 to 32 characters");
        }
        let body = name.strip_suffix('$').unwrap_or(&name);
        let mut chars = body.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
        let rest_ok = chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok {
            return refuse("only lowercase letters, digits and _ . - are allowed");
        }
        Ok(UserName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserName {
    type Error = InvalidName;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        UserName::new(s)
    }
}

impl From<UserName> for String {
    fn from(n: UserName) -> String {
        n.0
    }
}

/// Everything needed to submit one job. Typed: the driver renders it, so nothing here is
/// pasted into a shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The user the job runs as.
    pub owner: UserName,
    /// The job's name (`qsub -N`).
    pub name: JobName,
    /// The destination queue; `None` means the server's default queue.
    pub queue: Option<String>,
    /// `select`, `place`, walltime and other job-wide resources.
    pub resources: ResourceList,
    /// Environment variables for the job, passed by the driver in a way other users cannot read
    /// when they hold secrets.
    pub environment: BTreeMap<String, String>,
    /// The directory the job starts in.
    pub working_dir: PathBuf,
    /// The program and its arguments (argv, never a shell string).
    pub command: Vec<String>,
}

/// A PBS job state: every letter PBS uses, plus [`JobState::Unknown`] for "we could not find
/// out" (a failed or timed-out query), which is never to be read as "the job is gone".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum JobState {
    /// `Q`: queued, eligible to run.
    Queued,
    /// `H`: held (user, operator, system, or waiting on a dependency).
    Held,
    /// `W`: waiting for its execution time, or stage-in failed.
    Waiting,
    /// `T`: being moved to a new location.
    Transiting,
    /// `R`: running.
    Running,
    /// `E`: exiting after having run.
    Exiting,
    /// `F`: finished (ran, failed, or deleted); only seen with job history.
    Finished,
    /// `S`: suspended by the server.
    Suspended,
    /// `U`: suspended because the workstation became busy (cycle harvesting).
    UserSuspended,
    /// `X`: a subjob of an array that has finished or expired.
    Expired,
    /// `B`: an array job with at least one subjob started.
    Begun,
    /// `M`: moved to another server.
    Moved,
    /// The scheduler could not be asked, or gave no usable answer. Not a PBS state.
    Unknown,
}

impl JobState {
    /// Every state with a PBS letter, in the order the letters are listed above.
    pub const PBS_STATES: [JobState; 12] = [
        JobState::Queued,
        JobState::Held,
        JobState::Waiting,
        JobState::Transiting,
        JobState::Running,
        JobState::Exiting,
        JobState::Finished,
        JobState::Suspended,
        JobState::UserSuspended,
        JobState::Expired,
        JobState::Begun,
        JobState::Moved,
    ];

    /// The PBS letter, or `None` for [`JobState::Unknown`].
    pub fn letter(self) -> Option<char> {
        Some(match self {
            JobState::Queued => 'Q',
            JobState::Held => 'H',
            JobState::Waiting => 'W',
            JobState::Transiting => 'T',
            JobState::Running => 'R',
            JobState::Exiting => 'E',
            JobState::Finished => 'F',
            JobState::Suspended => 'S',
            JobState::UserSuspended => 'U',
            JobState::Expired => 'X',
            JobState::Begun => 'B',
            JobState::Moved => 'M',
            JobState::Unknown => return None,
        })
    }

    /// The state for a PBS letter; `None` for a letter PBS does not use.
    pub fn from_letter(letter: char) -> Option<JobState> {
        JobState::PBS_STATES
            .into_iter()
            .find(|s| s.letter() == Some(letter))
    }

    /// The job has ended and will not run again on this server (`F`, `X`, `M`).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Finished | JobState::Expired | JobState::Moved
        )
    }

    /// The job holds nodes now (`R`, `E`, `S`, `U`, `B`).
    pub fn holds_nodes(self) -> bool {
        matches!(
            self,
            JobState::Running
                | JobState::Exiting
                | JobState::Suspended
                | JobState::UserSuspended
                | JobState::Begun
        )
    }

    /// The job waits to start (`Q`, `H`, `W`, `T`).
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Held | JobState::Waiting | JobState::Transiting
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.letter() {
            Some(c) => write!(f, "{c}"),
            None => f.write_str("?"),
        }
    }
}

/// The times PBS records for a job (`ctime`, `qtime`, `etime`, `stime`, `obittime`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTimes {
    /// `ctime`: when the job was created (submitted).
    pub created: Option<DateTime<Utc>>,
    /// `qtime`: when it entered its current queue.
    pub queued: Option<DateTime<Utc>>,
    /// `etime`: when it became eligible to run.
    pub eligible: Option<DateTime<Utc>>,
    /// `stime`: when it started running.
    pub started: Option<DateTime<Utc>>,
    /// `obittime`: when it finished.
    pub finished: Option<DateTime<Utc>>,
}

/// What the scheduler says about one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    /// The state letter (or `Unknown`).
    pub state: JobState,
    /// PBS's substate number (e.g. 42 running, 92 finished), when known.
    pub substate: Option<u32>,
    /// The queue the job is in.
    pub queue: Option<String>,
    /// `exec_host`, e.g. `node0088/1*2+node0094/1*2`.
    pub exec_host: Option<String>,
    /// `exec_vnode`, e.g. `(node0088:ncpus=2:mem=1048576kb)`.
    pub exec_vnode: Option<String>,
    /// The scheduler's `comment`: why a job is not running, or how it ended.
    pub comment: Option<String>,
    /// `estimated.start_time` for a queued job the scheduler has calendared.
    pub estimated_start: Option<DateTime<Utc>>,
    /// `Exit_status` once the job has ended (PBS conventions: 256+signal, negative for
    /// internal failures such as -29 walltime exceeded).
    pub exit_status: Option<i32>,
    /// When the job was created, queued, started, finished.
    pub times: JobTimes,
    /// Why the state is [`JobState::Unknown`]: the error of the failed query.
    pub query_error: Option<String>,
}

/// A job [`Scheduler::find_jobs`](crate::Scheduler::find_jobs) found: what the hub needs to
/// decide whether an interrupted submit made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundJob {
    /// The job's id.
    pub id: JobId,
    /// Its state (a job in the scheduler's history is `Finished`).
    pub state: JobState,
    /// When it was queued, when the scheduler said: a job queued before the submit began
    /// cannot be the submit's.
    pub queued: Option<DateTime<Utc>>,
}

impl JobStatus {
    /// A status that only says the scheduler could not be asked, and why.
    pub fn unknown(reason: impl Into<String>) -> Self {
        JobStatus {
            state: JobState::Unknown,
            substate: None,
            queue: None,
            exec_host: None,
            exec_vnode: None,
            comment: None,
            estimated_start: None,
            exit_status: None,
            times: JobTimes::default(),
            query_error: Some(reason.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pbs_letter_round_trips() {
        let letters: String = JobState::PBS_STATES
            .iter()
            .map(|s| s.letter().unwrap())
            .collect();
        assert_eq!(letters, "QHWTREFSUXBM");
        for state in JobState::PBS_STATES {
            assert_eq!(JobState::from_letter(state.letter().unwrap()), Some(state));
        }
        assert_eq!(JobState::from_letter('Z'), None);
        assert_eq!(JobState::Unknown.letter(), None);
    }

    #[test]
    fn unknown_is_neither_final_nor_waiting_nor_running() {
        let s = JobState::Unknown;
        assert!(!s.is_final() && !s.is_waiting() && !s.holds_nodes());
    }

    #[test]
    fn a_pbs_id_names_the_same_job_with_or_without_its_domain() {
        let id = |s: &str| JobId::new(s).unwrap();
        assert!(id("123.pbs02").same_job(&id("123.pbs02.cluster.edu")));
        assert!(id("123.pbs02.cluster.edu").same_job(&id("123.pbs02")));
        assert!(id("77").same_job(&id("77")));
        assert!(!id("123.pbs02").same_job(&id("124.pbs02")));
        assert!(!id("123.pbs02").same_job(&id("123.pbs03")));
        assert!(!id("123").same_job(&id("1234")));
    }

    #[test]
    fn job_ids_that_could_be_read_as_shell_or_options_are_refused() {
        assert!(JobId::new("7600424.pbs02").is_ok());
        assert!(JobId::new("1234[].pbs02").is_ok());
        for bad in ["", "-f", "1;rm -rf /", "1 2", "1.pbs02\n", "$(id)"] {
            assert!(JobId::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn job_names_follow_qsub() {
        assert!(JobName::new("jupyterhub-singleuser").is_ok());
        assert!(JobName::new("a+b.c_d-1").is_ok());
        assert!(JobName::new("a b").is_err());
        assert!(JobName::new("x".repeat(231)).is_err());
        assert!(JobName::new("x".repeat(230)).is_ok());
    }

    #[test]
    fn user_names_are_portable_posix_names() {
        for good in ["alice", "_svc", "bob.smith", "u-1", "machine$"] {
            assert!(UserName::new(good).is_ok(), "{good:?} refused");
        }
        for bad in ["", "Alice", "-u", "a b", "a;b", "x".repeat(33).as_str()] {
            assert!(UserName::new(bad).is_err(), "{bad:?} accepted");
        }
    }
}
