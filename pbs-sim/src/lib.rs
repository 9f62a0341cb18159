//! A simulated PBS Pro cluster.
//!
//! - [`engine`] — the pure, deterministic server + scheduler over a 2000-node Palmetto-like
//!   inventory: queues, limits, PBS's default policy and EASY backfill, comments, history.
//! - [`workload`] — workloads to feed it: a seeded synthetic generator and an SWF reader.
//! - [`inproc`] — the engine behind the `drivers::Scheduler` trait, on tokio time (real,
//!   paused or accelerated), so the hub can run against a 2000-node cluster in-process.
//! - [`simulate`] — the `pbs-sim simulate` run: a workload through the engine, with figures.
//! - [`shims`] — the client side of the `qsub`/`qstat`/`qdel`/`pbsnodes` shims: argument
//!   parsing as pure functions with PBS's exact error texts and exit codes.
//! - [`runner`] — runs started jobs as real local processes, as MoM does, through detached
//!   wrappers that outlive a restart of the daemon.
//! - [`format`](mod@format) — pure renderers printing qstat/pbsnodes output byte for byte as
//!   PBS Pro does.
//! - [`daemon`] — `pbs-sim serve`: one simulated cluster behind a local socket, its jobs run
//!   as real processes, its job table journaled so it survives a restart.
//! - [`client`] — the shims' side of the socket: find the daemon, send, print.
//! - [`socket_runner`] — the PBS driver's commands answered by a daemon over its socket,
//!   with no process started (the hub's `sim` scheduler).
#![deny(missing_docs)]

pub mod client;
pub mod daemon;
pub mod engine;
pub mod format;
pub mod inproc;
pub mod runner;
pub mod shims;
pub mod simulate;
pub mod socket_runner;
pub mod workload;
