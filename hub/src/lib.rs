//! The hub: logs users in, keeps users, servers and tokens in a database, renders the spawn
//! form, and starts each user's notebook server as a batch job through a
//! `drivers::Scheduler`, tracking it until the server reports its address and then routing
//! it through `hub-proxy`. Its REST API and OAuth provider are compatible with JupyterHub's.
//!
//! Layout:
//! - [`spawner`] — the pure core of the spawner: one persisted state machine per server
//!   ([`spawner::step()`]), the batched poll plan, the concurrent-spawn line and progress
//!   events. No I/O: the async shell, the database and the REST API drive it.
#![deny(missing_docs)]

pub mod spawner;
