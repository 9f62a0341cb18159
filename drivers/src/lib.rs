//! The contract between the hub and a batch scheduler, and the vocabulary both sides share.
//!
//! The hub sees a cluster only as an `Arc<dyn Scheduler>`: it submits a typed [`JobSpec`],
//! asks for the [`JobStatus`] of all the jobs it tracks in one batched call, and cancels.
//! Implementations are the production drivers (PBS Pro and Slurm command lines) and the in-process simulated cluster in the `pbs-sim` crate.
//!
//! Layout:
//! - [`scheduler`] — the [`Scheduler`] trait and the rules every implementation keeps.
//! - [`job`] — [`JobSpec`], [`JobId`], [`JobStatus`], [`JobState`] (every PBS state letter),
//!   [`FoundJob`] (a job found by owner and name).
//! - [`cluster`] — [`ClusterSummary`]: queue length and free nodes, for the admin page.
//! - [`command`] — running a scheduler command: fixed argv, allowlisted environment,
//!   script on stdin, timeout that kills its process group.
//! - [`job_script`] — the site's job body template and the quoting both drivers' scripts
//!   use.
//! - [`misses`] — when a job absent from status answers counts as gone.
//! - [`error`] — [`SchedulerError`], classified transient or permanent.
//! - [`resources`] — the PBS resource grammar (`select`, `place`, walltime, sizes) with the
//!   error texts and codes PBS gives for bad requests; shared by the PBS driver and the
//!   simulator so that both read a request the same way.
//! - [`pbs`] — the production PBS Pro driver (`qsub`, `qstat`, `qdel`).
//! - [`slurm`] — the production Slurm driver (`sbatch`, `squeue`, `scancel`).
#![deny(missing_docs)]

pub mod cluster;
pub mod command;
pub mod error;
pub mod job;
pub mod job_script;
pub mod misses;
pub mod pbs;
pub mod resources;
pub mod scheduler;
#[cfg(test)]
mod scripted;
pub mod slurm;

pub use cluster::{ClusterSummary, JobCounts, NodeCount};
pub use error::{ErrorClass, SchedulerError};
pub use job::{FoundJob, JobId, JobName, JobSpec, JobState, JobStatus, JobTimes, UserName};
pub use scheduler::{Scheduler, StatusMap};
