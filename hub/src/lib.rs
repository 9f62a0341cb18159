//! The hub: logs users in, keeps users, servers and tokens in a database, renders the spawn
//! form, and starts each user's notebook server as a batch job through a
//! `drivers::Scheduler`, tracking it until the server reports its address and then routing
//! it through `hub-proxy`. Its REST API and OAuth provider are compatible with JupyterHub's.
//!
//! Layout (the rest of the hub is built by the issue "The hub"):
//! - [`db`] — the database (SQLite by default, PostgreSQL by URL): users, servers with the
//!   spawner's persisted state, hashed API tokens, OAuth clients and codes, login sessions.

#![deny(missing_docs)]

pub mod db;
