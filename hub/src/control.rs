//! The boundary between the hub's front (REST API, web pages) and its spawner: what the
//! front may ask about servers and tell them. The spawner's async shell implements
//! [`ServerControl`]; the front holds an `Arc<dyn ServerControl>` and tests it with a fake.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use drivers::resources::Walltime;
use drivers::{ClusterSummary, JobId};
use tokio::sync::watch;

use crate::form::FieldError;
use crate::spawner::progress::ProgressEvent;
use crate::spawner::state::{ServerKey, ServerState};
use crate::spawner::Position;

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
    /// Its place in the hub's line while waiting for a spawn slot or queued.
    pub place: Option<Position>,
    /// The walltime its job asked for, when the options name one.
    pub walltime: Option<Walltime>,
    /// When its job was first seen running (the walltime counts from there), if known.
    pub job_started: Option<DateTime<Utc>>,
    /// The job of the current or latest run, kept after it ends (its output is still worth
    /// reading); `None` after a restart of the hub for a server that had stopped.
    pub last_job: Option<JobId>,
}

/// JupyterHub's `pending` of a server in `state`: `"spawn"` while starting, `"stop"` while
/// stopping.
pub fn pending_of(state: &ServerState) -> Option<&'static str> {
    match state {
        ServerState::Adopting {
            stop_requested: true,
            ..
        } => Some("stop"),
        ServerState::Waiting { .. }
        | ServerState::Submitting { .. }
        | ServerState::Adopting { .. }
        | ServerState::Queued { .. }
        | ServerState::Starting { .. } => Some("spawn"),
        ServerState::Stopping { .. } => Some("stop"),
        _ => None,
    }
}

/// JupyterHub's `ready`: the server in `state` answers and is routed.
pub fn is_ready(state: &ServerState) -> bool {
    matches!(state, ServerState::Running { .. })
}

impl ServerView {
    /// JupyterHub's `pending`: `"spawn"` while starting, `"stop"` while stopping.
    pub fn pending(&self) -> Option<&'static str> {
        pending_of(&self.state)
    }

    /// JupyterHub's `ready`.
    pub fn ready(&self) -> bool {
        is_ready(&self.state)
    }

    /// A server that never ran: what a page shows for a default server without a record.
    pub fn never_started(key: ServerKey) -> ServerView {
        ServerView {
            key,
            state: ServerState::new(),
            url: None,
            progress: None,
            started: None,
            last_activity: None,
            user_options: BTreeMap::new(),
            place: None,
            walltime: None,
            job_started: None,
            last_job: None,
        }
    }

    /// The job the state tracks, else the latest one (a failed or ended run's).
    pub fn job(&self) -> Option<&JobId> {
        match &self.state {
            ServerState::Failed { job: Some(job), .. } => Some(job),
            state => state.job().or(self.last_job.as_ref()),
        }
    }

    /// The queue a queued job waits in.
    pub fn queue(&self) -> Option<&str> {
        match &self.state {
            ServerState::Queued { info, .. } => info.queue.as_deref(),
            _ => None,
        }
    }

    /// What the scheduler last said about the job: why it waits, or how it ended.
    pub fn comment(&self) -> Option<&str> {
        match &self.state {
            ServerState::Queued { info, .. } => info.comment.as_deref(),
            ServerState::Failed {
                reason: crate::spawner::FailReason::JobEndedBeforeReady { comment },
                ..
            } => comment.as_deref(),
            ServerState::Stopped {
                last: Some(ended), ..
            } => match &ended.cause {
                crate::spawner::state::EndCause::JobEnded { comment, .. } => comment.as_deref(),
                crate::spawner::state::EndCause::Requested => None,
            },
            _ => None,
        }
    }

    /// When the scheduler expects a queued job to start.
    pub fn estimated_start(&self) -> Option<DateTime<Utc>> {
        match &self.state {
            ServerState::Queued { info, .. } => info.estimated_start,
            _ => None,
        }
    }

    /// The node the job runs on: the first host of `exec_host` while starting, the host of
    /// the server's address once running.
    pub fn exec_host(&self) -> Option<String> {
        match &self.state {
            ServerState::Starting {
                exec_host: Some(hosts),
                ..
            } => {
                // `node0088/1*2+node0094/1*2`: the first chunk's host runs the server.
                let first = hosts.split('+').next().unwrap_or(hosts);
                let host = first.split('/').next().unwrap_or(first);
                (!host.is_empty()).then(|| host.to_string())
            }
            ServerState::Running { url, .. } => host_of(url),
            _ => None,
        }
    }

    /// How much of the walltime is left at `now` while running: the walltime minus the time
    /// since the job started (or, if the hub did not see the start, since the server
    /// reported). `None` when not running or no walltime is known; never negative.
    pub fn time_left(&self, now: DateTime<Utc>) -> Option<std::time::Duration> {
        let ServerState::Running { since, .. } = &self.state else {
            return None;
        };
        let walltime = self.walltime?.as_duration();
        let start = self.job_started.unwrap_or(*since);
        let elapsed = now
            .signed_duration_since(start)
            .to_std()
            .unwrap_or_default();
        Some(walltime.saturating_sub(elapsed))
    }
}

/// The host of `http://node0088:50065/…` (`node0088`); an IPv6 literal keeps its brackets.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    (!host.is_empty()).then(|| host.to_string())
}

/// The longest server name accepted.
pub const MAX_SERVER_NAME: usize = 64;

/// Whether `name` may name a server: 1 to [`MAX_SERVER_NAME`] ASCII letters, digits, `-`,
/// `_` or `.`, starting with a letter or digit. The name becomes a URL path segment
/// (`/user/alice/{name}/`), an OAuth client id and a job environment value, so nothing that
/// needs escaping in any of them is allowed.
pub fn check_server_name(name: &str) -> Result<(), String> {
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.len() > MAX_SERVER_NAME {
        Err(format!(
            "a server name has at most {MAX_SERVER_NAME} characters"
        ))
    } else if !first_ok || !chars_ok {
        Err(format!(
            "{name:?} is not a valid server name: use letters, digits, '-', '_' and '.', \
             starting with a letter or a digit"
        ))
    } else {
        Ok(())
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
    /// Named servers are off, the user is at their limit, or the name is not acceptable
    /// ([`check_server_name`]) (400).
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

    /// Every user's servers' states, in one pass over the hub's table: no database read and
    /// no view built, so that filtering thousands of users by state (`GET /users?state=`,
    /// which the idle culler asks) costs little.
    fn states_by_user(&self) -> HashMap<String, Vec<ServerState>>;

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

    /// The last lines of the output file of the server's current or latest job, read only
    /// if its user owns it; `None` when there is no job or nothing readable. The caller
    /// checks who may see it.
    async fn output_tail(&self, _user: &str, _server: &str) -> Option<String> {
        None
    }

    /// How busy the cluster is, cached by the implementation so that page views do not
    /// each query the scheduler. The default: not known.
    async fn cluster_summary(&self) -> Result<ClusterSummary, ControlError> {
        Err(ControlError::Unavailable(
            "the spawner does not report the cluster's state".to_string(),
        ))
    }

    /// Whether users may have named servers (the home page offers to create one).
    fn allows_named_servers(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spawner::state::QueueInfo;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    fn view(state: ServerState) -> ServerView {
        ServerView {
            state,
            ..ServerView::never_started(ServerKey::new("alice", ""))
        }
    }

    #[test]
    fn server_names_are_plain_path_segments() {
        for good in ["gpu", "a", "run-2.x_y", &"a".repeat(MAX_SERVER_NAME)] {
            assert_eq!(check_server_name(good), Ok(()), "{good:?}");
        }
        for bad in [
            "",
            "-x",
            ".x",
            "a/b",
            "a b",
            "é",
            "<script>",
            "a%2f",
            &"a".repeat(65),
        ] {
            assert!(check_server_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_exec_host_comes_from_the_state_or_the_servers_address() {
        let job = JobId::new("7.pbs").unwrap();
        let starting = view(ServerState::Starting {
            job: job.clone(),
            since: at(10, 0),
            exec_host: Some("node0088/1*2+node0094/1*2".into()),
            query_error: None,
            reported: None,
        });
        assert_eq!(starting.exec_host().as_deref(), Some("node0088"));
        let running = view(ServerState::Running {
            job,
            url: "http://node0093.cluster:50065".into(),
            since: at(10, 0),
            query_error: None,
        });
        assert_eq!(running.exec_host().as_deref(), Some("node0093.cluster"));
        assert_eq!(host_of("http://[::1]:8888/").as_deref(), Some("[::1]"));
        assert_eq!(view(ServerState::new()).exec_host(), None);
    }

    #[test]
    fn time_left_is_the_walltime_minus_the_time_since_the_job_started() {
        let mut running = view(ServerState::Running {
            job: JobId::new("7.pbs").unwrap(),
            url: "http://n:1".into(),
            since: at(10, 5),
            query_error: None,
        });
        assert_eq!(running.time_left(at(10, 30)), None, "no walltime known");
        running.walltime = Some(Walltime::from_hours(1));
        let secs = |d: Option<std::time::Duration>| d.map(|d| d.as_secs());
        assert_eq!(secs(running.time_left(at(10, 35))), Some(30 * 60));
        running.job_started = Some(at(10, 0));
        assert_eq!(secs(running.time_left(at(10, 35))), Some(25 * 60));
        assert_eq!(
            secs(running.time_left(at(12, 0))),
            Some(0),
            "never negative"
        );
        let queued = ServerView {
            walltime: Some(Walltime::from_hours(1)),
            ..view(ServerState::Queued {
                job: JobId::new("8.pbs").unwrap(),
                since: at(10, 0),
                info: QueueInfo::default(),
                query_error: None,
            })
        };
        assert_eq!(queued.time_left(at(10, 1)), None);
    }
}
