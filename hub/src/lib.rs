//! The hub: logs users in, keeps users, servers and tokens in a database, renders the spawn
//! form, and starts each user's notebook server as a batch job through a
//! `drivers::Scheduler`, tracking it until the server reports its address and then routing
//! it through `hub-proxy`. Its REST API and OAuth provider are compatible with JupyterHub's.
//!
//! Layout:
//! - [`config`] — the TOML config: `generate_config`, `check_config` (every error with its
//!   place), `load`.
//! - [`control`] — the boundary between the front (REST API, pages) and the spawner:
//!   [`control::ServerControl`].
//! - [`demo`] — `hub demo`: the config of a one-machine demo (proxy, hub, simulated
//!   2000-node cluster, SQLite, shared-password login).
//! - [`deploy`] — what a production install needs written for it: `hub sudoers`.
//! - [`doctor`] — `hub doctor`: checks a deployment from its config (secrets, database,
//!   scheduler commands, proxy token, PAM, TLS) and says OK/WARN/FAIL with the fix.
//! - [`form`] — the spawn form declared in config, validated into a typed request.
//! - [`db`] — users, servers with their persisted spawner state, hashed tokens, OAuth
//!   clients and codes, sessions; SQLite (WAL) or PostgreSQL through sqlx.
//! - [`spawner`] — the pure core of the spawner: one persisted state machine per server
//!   ([`spawner::step()`]), the batched poll plan, the concurrent-spawn line and progress
//!   events. No I/O: the async shell, the database and the REST API drive it.
//! - [`api`] — the REST API (JupyterHub's subset: users, servers, progress, tokens,
//!   batchspawner's port report, metrics) as an axum router over [`control::ServerControl`],
//!   and the OAuth2 token endpoint the real `jupyterhub-singleuser` exchanges its code at.
//! - [`auth`] — the `Authenticator` trait: PAM (loaded at run time), shared password, users
//!   file with argon2 hashes.
//! - [`web`] — the browser's pages: login (rate limited, XSRF-checked), home with server
//!   cards, spawn form, pending page with live progress, admin page, error pages, and the
//!   OAuth2 authorize step (a user's own server: no confirmation; another's: 403).
//! - [`session_cookie`] — the signed session and XSRF cookies, shared by [`web`] and [`api`].
//! - [`proxy_client`] — the proxy's route API as the hub uses it, and route reconciliation.
//! - [`spawning`] — the spawner's async shell: drives [`spawner`] against the database, the
//!   scheduler and the proxy, and implements [`control::ServerControl`]. A reported server
//!   is routed only once it answers HTTP (JupyterHub's `wait_up`).
//! - [`serve`] — `hub serve`: the config turned into a running hub (secrets, database,
//!   scheduler, proxy child, spawner, HTTP, periodic upkeep) and its clean stop.
//! - [`singleuser`] — `hub-singleuser`, run by the batch job: bind a port, report it to the
//!   hub, then exec `jupyterhub-singleuser` (or serve a built-in test server).
//!
//! Binaries: `hub` (`serve`, `demo`, `doctor`, `sudoers`, `generate-config`,
//! `check-config`, `hash-password`)
//! and `hub-singleuser`.
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod config;
pub mod control;
pub mod db;
pub mod demo;
pub mod deploy;
pub mod doctor;
pub mod form;
pub mod proxy_client;
pub mod serve;
pub mod session_cookie;
pub mod singleuser;
pub mod spawner;
pub mod spawning;
pub mod web;
