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
//! - [`depend`] — `qsub -W depend=` conditions.
//! - [`attrs`] — a job's, node's, queue's or the server's status as PBS sends it.
//! - [`handle`] — the daemon's state and the tick that starts and kills job processes.
//! - [`commands`] — the server side of `qsub`, `qstat`, `qdel`, `pbsnodes` and the
//!   operator's control commands.
//! - [`protocol`] — what the shims and the daemon say over the socket.
//! - [`faults`] — faults injected on purpose (a failing `qstat`, a rejecting `qsub`).
//! - [`serve`] — the socket, the tick loop and a clean shutdown.

pub mod attrs;
pub mod background;
pub mod clock;
pub mod commands;
pub mod depend;
pub mod faults;
pub mod handle;
pub mod journal;
pub mod protocol;
pub mod serve;
pub mod server;
pub mod userjob;

#[cfg(test)]
mod tests;
