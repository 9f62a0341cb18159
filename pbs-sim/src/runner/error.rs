//! The errors of [`Runner`](super::Runner)'s calls.

use std::io;
use std::path::PathBuf;

/// What can go wrong in the runner's calls.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The job id cannot name a spool entry.
    #[error("job id {job_id:?} cannot name a spool entry")]
    InvalidJobId {
        /// The id.
        job_id: String,
    },
    /// The job is already running here.
    #[error("job {job_id} is already running")]
    AlreadyRunning {
        /// The id.
        job_id: String,
    },
    /// The runner does not know the job.
    #[error("unknown job {job_id}")]
    UnknownJob {
        /// The id.
        job_id: String,
    },
    /// The daemon is root and the owner has no account here (PBS would fail the job with
    /// `JOB_EXEC_FAILUID`).
    #[error("job {job_id}: owner {owner} has no account here")]
    UnknownOwner {
        /// The id.
        job_id: String,
        /// The owner.
        owner: String,
        /// The look-up error, if the look-up itself failed.
        #[source]
        source: Option<nix::Error>,
    },
    /// The job's spool entry could not be made.
    #[error("job {job_id}: writing {path}")]
    Spool {
        /// The id.
        job_id: String,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The wrapper could not be started.
    #[error("job {job_id}: starting {exe}")]
    Spawn {
        /// The id.
        job_id: String,
        /// The wrapper executable.
        exe: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}
