//! `hub-singleuser`: what the batch job runs on the compute node.
//!
//! The hub cannot know the port of a server before the job runs, so the job tells it, the
//! way batchspawner's `batchspawner-singleuser` does: bind a free port, `POST` it (and this
//! node's host name) to `{JUPYTERHUB_API_URL}/batchspawner`, then start the notebook server
//! on that port.
//!
//! - [`env`] — the hub's environment variables, read once into [`HubEnv`].
//! - [`port`] — [`PortRange`] and binding a free port in it.
//! - [`report`] — the port report, retried while the hub is not ready for it.
//! - [`hub_client`] — the HTTP client both the report and the activity posts use.
//! - [`exec`] — the command line and environment of the site's `jupyterhub-singleuser`.
//! - [`builtin`] — a small test server used when no Jupyter is installed: it answers the
//!   hub's readiness check and sends activity, and nothing more.
//!
//! The binary (`src/bin/hub-singleuser.rs`) reads the process environment and arguments and
//! wires these together; nothing here reads the environment itself.

pub mod builtin;
pub mod env;
pub mod exec;
pub mod hub_client;
pub mod port;
pub mod report;

pub use env::{EnvError, HubEnv};
pub use port::PortRange;
