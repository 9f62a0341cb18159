//! The boundary between the hub's front (REST API, web pages) and its spawner: what the
//! front may ask about servers and tell them. The spawner's async shell implements
//! [`ServerControl`]; the front holds an `Arc<dyn ServerControl>` and tests it with a fake.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::form::FieldError;
use crate::spawner::progress::ProgressEvent;
use crate::spawner::state::{ServerKey, ServerState};

/// A server as the front shows it (JupyterHub's server model is built from this).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerView {
    /// Which server.
    pub key: ServerKey,
    /// Its spawner state, as persisted.
    pub state: ServerState,
    /// The public URL path of a ready server (`/user/alice/`), once it is ready.
    pub url: Option<String>,
    /// The latest progress event (queue position, comment, estimated start, …).
    pub progress: Option<ProgressEvent>,
    /// When it was started, if it is active.
    pub started: Option<DateTime<Utc>>,
    /// The last activity seen (proxy traffic or the server's own reports).
    pub last_activity: Option<DateTime<Utc>>,
    /// The user options it was started with (the spawn form's submitted values).
    pub user_options: BTreeMap<String, String>,
}

impl ServerView {
    /// JupyterHub's `pending`: `"spawn"` while starting, `"stop"` while stopping.
    pub fn pending(&self) -> Option<&'static str> {
        match &self.state {
            ServerState::Waiting { .. }
            | ServerState::Submitting { .. }
            | ServerState::Queued { .. }
            | ServerState::Starting { .. } => Some("spawn"),
            ServerState::Stopping { .. } => Some("stop"),
            _ => None,
        }
    }

    /// JupyterHub's `ready`.
    pub fn ready(&self) -> bool {
        matches!(self.state, ServerState::Running { .. })
    }
}

/// What a start request led to (JupyterHub answers 201 or 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// The server is already up (201).
    Ready,
    /// It is on its way: follow its progress (202).
    Pending,
}

/// What a stop request led to (JupyterHub answers 204 or 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It is stopped (204).
    Done,
    /// It is stopping (202).
    Pending,
}

/// Why a request about a server was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    /// The user has no such server (404).
    #[error("{user} has no server named {server:?}")]
    NoSuchServer {
        /// The user.
        user: String,
        /// The server's name.
        server: String,
    },
    /// It is already running or starting (400, as JupyterHub).
    #[error("{0}'s server is already running or starting")]
    AlreadyActive(String),
    /// Named servers are off, or the user is at their limit (400).
    #[error("{0}")]
    NamedServerLimit(String),
    /// The spawn form's values are not acceptable (400): each error names its field.
    #[error("invalid options: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidOptions(Vec<FieldError>),
    /// A server's address report came when none was expected (409: the reporter retries).
    #[error("{0}: not expecting an address report now")]
    NotExpectingReport(String),
    /// The hub could not do it now (database or scheduler unavailable: 503).
    #[error("{0}")]
    Unavailable(String),
}

/// The spawner as the front sees it.
#[async_trait]
pub trait ServerControl: Send + Sync {
    /// Starts `user`'s server `server` (`""`: the default one) with the spawn form's
    /// `options`, validated before anything is submitted.
    async fn start(
        &self,
        user: &str,
        server: &str,
        options: BTreeMap<String, String>,
    ) -> Result<Started, ControlError>;

    /// Stops it, whatever its state.
    async fn stop(&self, user: &str, server: &str) -> Result<Stopped, ControlError>;

    /// One server.
    async fn server(&self, user: &str, server: &str) -> Option<ServerView>;

    /// All of a user's servers.
    async fn servers(&self, user: &str) -> Vec<ServerView>;

    /// The server's own report of where it listens (hub-singleuser, or batchspawner's
    /// `POST /hub/api/batchspawner`), authenticated by the caller with the server's token.
    async fn report(
        &self,
        user: &str,
        server: &str,
        host: &str,
        port: u16,
    ) -> Result<(), ControlError>;

    /// Progress events of a server as they happen (JupyterHub's SSE progress stream);
    /// `None` for a server that does not exist.
    fn progress(&self, user: &str, server: &str) -> Option<watch::Receiver<ProgressEvent>>;
}
