//! `pbs-sim serve`: one simulated PBS Pro cluster behind a local socket, for the `qsub`,
//! `qstat`, `qdel` and `pbsnodes` shims.
//!
//! - [`server`] — the cluster: engine, background load, user jobs; pure of processes and
//!   sockets, it returns [`server::Action`]s for the shell to carry out.
//! - [`journal`] — every input, appended before it acts, replayed at start: the job table
//!   survives a restart of the daemon.
//! - [`clock`] — real time, optionally accelerated, anchored to the wall clock.
//! - [`background`] — virtual jobs from the seeded generator or an SWF trace.
//! - [`userjob`] — what the server keeps of a job submitted through `qsub`.

pub mod background;
pub mod clock;
pub mod faults;
pub mod journal;
pub mod protocol;
pub mod server;
pub mod userjob;

#[cfg(test)]
mod tests;
