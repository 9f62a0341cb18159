//! Workloads to feed the engine: a seeded synthetic generator and a reader for the Standard
//! Workload Format (SWF) of the Parallel Workloads Archive.
//!
//! Both stream [`WorkloadJob`]s in submit order, one at a time, so a million-job workload
//! never sits in memory:
//! - [`synthetic`] — [`synthetic::Synthetic`], Palmetto-like jobs drawn from one seeded RNG
//!   for a given inventory, every request satisfiable there, arrivals sized to an offered
//!   load.
//! - [`swf`] — [`swf::SwfReader`], jobs of a real trace mapped onto PBS requests by an
//!   [`swf::SwfMapping`].

pub mod swf;
pub mod synthetic;

use drivers::resources::ResourceList;

/// One job of a workload: when it arrives, what it asks for, and how it behaves once started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadJob {
    /// Seconds after the start of the workload at which the job is submitted.
    pub submit_offset: u64,
    /// The submitting user.
    pub owner: String,
    /// The destination queue; `None` for the server's default.
    pub queue: Option<String>,
    /// What the job asks for (always with a walltime).
    pub resources: ResourceList,
    /// How long the job runs once started, in seconds, if nothing stops it first (a runtime
    /// longer than the walltime gets the job killed at its walltime).
    pub runtime: u64,
    /// The exit status the job's script ends with when it runs to completion.
    pub exit_status: i32,
}
