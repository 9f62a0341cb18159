//! The production Slurm driver: `sbatch`, `squeue`, `scancel` behind [`crate::Scheduler`],
//! kept to the same rules as the PBS driver (fixed argv, allowlisted environment, the
//! script on stdin, a timeout per command, run as the job's owner; a failed query is
//! `Unknown`, a job is gone only after repeated confirmation) and sharing its code where
//! the logic is the same ([`crate::command`], [`crate::job_script`], [`crate::misses`]).
//!
//! - [`driver`] — [`driver::SlurmDriver`], the [`crate::Scheduler`] itself.
//! - [`request`] — a job's PBS-style resources in Slurm's terms, or why they cannot be.
//! - [`script`] — the `#SBATCH` script.
//! - [`state`] — Slurm's states and pending reasons in the hub's vocabulary.
//! - [`parse`] — reading `sbatch`, `squeue`, `scontrol`, `sacct`, `sinfo` and their errors.
//! - [`config`] — programs, the run-as prefix, the environment allowlist, patience, the
//!   site's resource mapping.

pub mod config;
pub mod driver;
pub mod parse;
pub mod request;
pub mod script;
pub mod state;

#[cfg(test)]
mod driver_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod proptests;
