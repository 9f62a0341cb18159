//! The hub: logs users in, keeps users, servers and tokens in a database, renders the spawn
//! form, and starts each user's notebook server as a batch job through a
//! `drivers::Scheduler`, tracking it until the server reports its address and then routing
//! it through `hub-proxy`. Its REST API and OAuth provider are compatible with JupyterHub's.
//!
//! Built so far (the issue "The hub" is in progress):
//! - [`auth`] — the `Authenticator` trait: PAM (loaded at run time), shared password, users
//!   file with argon2 hashes.
//! - [`proxy_client`] — the proxy's route API as the hub uses it, and route reconciliation.
#![deny(missing_docs)]

pub mod auth;
pub mod proxy_client;
