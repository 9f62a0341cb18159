//! The hub: logs users in, keeps users, servers and tokens in a database, renders the spawn
//! form, and starts each user's notebook server as a batch job through a
//! `drivers::Scheduler`, tracking it until the server reports its address and then routing
//! it through `hub-proxy`. Its REST API and OAuth provider are compatible with JupyterHub's.
//!
//! What exists now (the rest of the issue "The hub" — database, login, spawner, REST API,
//! `hub demo` — comes later):
//! - [`config`] — the one TOML config file: [`config::HubConfig`], a commented default
//!   ([`config::generate_config`]) and a checker that reports every error with its place
//!   ([`config::check_config`]).
//! - [`form`] — the spawn form declared in config: described for rendering and validated
//!   server-side into the queue, `select` and walltime of a `drivers::JobSpec`.
#![deny(missing_docs)]

pub mod config;
pub mod form;
