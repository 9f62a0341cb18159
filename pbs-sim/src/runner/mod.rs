//! The job runner: runs a started job's script as a real local process, the way a PBS MoM
//! does, for the `pbs-sim serve` daemon.
//!
//! A job must survive a restart of the daemon (a PBS server restart does not kill running
//! jobs), so the daemon does not hold jobs as children it waits on. For each job it starts
//! the daemon's own binary again as a detached **wrapper** (`pbs-sim job-wrapper <spool>
//! <job id>`), which runs the job and records its process group and exit status in the
//! job's **spool** entry. The daemon side, [`Runner`], only reads and signals.
//!
//! - [`launch`] — [`JobLaunch`], what the server hands MoM.
//! - [`env`](mod@env) — pure decisions: whose identity a job takes, its environment, its
//!   `Exit_status`.
//! - [`kill`] — the SIGTERM → `kill_delay` → SIGKILL sequence as a pure state machine.
//! - [`spool`] — the spool layout shared by daemon and wrapper, and atomic writes.
//! - [`procfs`] — what `/proc` says about a process (is this pid still our wrapper?).
//! - [`daemon`] — [`Runner`]: launch, kill, poll, adopt after a restart, forget.
//! - [`error`] — [`RunnerError`].
//! - [`wrapper`] — the wrapper's `main`.

pub mod daemon;
pub mod env;
pub mod error;
pub mod kill;
pub mod launch;
pub mod procfs;
pub mod spool;
pub mod wrapper;

#[cfg(test)]
mod tests;

pub use daemon::{Adopted, KillReason, Runner, RunnerConfig};
pub use error::RunnerError;
pub use launch::{JobLaunch, JobScript, Join};
pub use wrapper::wrapper_main;

/// The hidden `pbs-sim` subcommand that runs [`wrapper_main`].
pub const WRAPPER_SUBCOMMAND: &str = "job-wrapper";
