//! The production PBS Pro driver: `qsub`, `qstat` and `qdel` behind [`crate::Scheduler`].
//!
//! - [`command`] — running a command: fixed argv, allowlisted environment, stdin, timeout.
//! - [`script`] — the job script rendered from a typed [`crate::JobSpec`].
//! - [`config`] — programs, the run-as prefix, the environment allowlist, patience.
//! - [`answers`] — `qstat` answers into one status per tracked job; when a job is gone.

pub mod answers;
pub mod command;
pub mod config;
pub mod script;
