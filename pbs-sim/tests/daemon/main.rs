//! `pbs-sim serve` and its shims end to end: a daemon on a socket in a temporary directory,
//! the shims installed beside it, jobs run as real processes.

mod as_users;
mod cluster;
mod errors;
mod faults;
mod jobs;
mod lifecycle;
mod listings;
