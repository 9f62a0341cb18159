//! The production PBS Pro driver: `qsub`, `qstat` and `qdel` behind [`crate::Scheduler`].
//!
//! - [`command`] — running a command: fixed argv, allowlisted environment, stdin, timeout.
//! - [`script`] — the job script rendered from a typed [`crate::JobSpec`].

pub mod command;
pub mod script;
