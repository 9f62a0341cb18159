//! The hub's side of the proxy's route API (configurable-http-proxy's, which `hub-proxy`
//! speaks): add, delete and list routes, retried as JupyterHub retries them, and the plan
//! that reconciles the proxy's table with what the hub knows.
//!
//! - [`client`] — [`ProxyClient`]: the HTTP calls, the token, retries with backoff.
//! - [`ca_file`] — `proxy.api_ca_file`: the CAs trusted for an `https://` API.
//! - [`routespec`] — JupyterHub's route specs (`/user/alice/`) to and from API paths.
//! - [`reconcile`] — what to add and delete so that the proxy routes what the hub knows.

pub mod ca_file;
pub mod client;
pub mod reconcile;
pub mod routespec;

pub use ca_file::{api_http_client, read_ca_file, CaFileError};
pub use client::{ProxyClient, ProxyError, Route};
pub use reconcile::{plan, Plan, Wanted};
