//! The production PBS Pro driver: `qsub`, `qstat` and `qdel` behind [`crate::Scheduler`].
//!
//! - [`driver`] — [`driver::PbsDriver`], the [`crate::Scheduler`] itself.
//! - [`script`] — the job script rendered from a typed [`crate::JobSpec`]; how secrets
//!   travel.
//! - [`config`] — programs, the run-as prefix, the environment allowlist, patience.
//! - [`answers`] — `qstat` answers into one status per tracked job; when a job is gone.
//! - [`found`] — the jobs of one owner and name in a `qstat` answer (`find_jobs`).
//! - [`parse`] — reading `qstat` (both JSON generators, `-f` text), `qsub` and errors.

pub mod answers;
pub mod config;
pub mod driver;
pub mod found;
pub mod parse;
pub mod script;

#[cfg(test)]
mod driver_tests;
