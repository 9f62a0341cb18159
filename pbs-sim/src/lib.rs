//! A simulated PBS Pro cluster.
//!
//! - [`engine`] — the pure, deterministic server + scheduler over a 2000-node Palmetto-like
//!   inventory: queues, limits, PBS's default policy and EASY backfill, comments, history.
//! - [`workload`] — workloads to feed it: a seeded synthetic generator and an SWF reader.
//! - [`inproc`] — the engine behind the `drivers::Scheduler` trait, on tokio time (real,
//!   paused or accelerated), so the hub can run against a 2000-node cluster in-process.
//! - [`simulate`] — the `pbs-sim simulate` run: a workload through the engine, with figures.
//! - [`format`](mod@format) — pure renderers printing qstat/pbsnodes output byte for byte as PBS Pro does.
#![deny(missing_docs)]

pub mod engine;
pub mod format;
pub mod inproc;
pub mod simulate;
pub mod workload;
