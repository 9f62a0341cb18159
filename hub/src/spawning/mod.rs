//! The spawner's async shell: drives the pure state machine of [`crate::spawner`] against
//! the database, the batch scheduler and the proxy, and implements
//! [`ServerControl`](crate::control::ServerControl) for the front.
//!
//! Every event for one server goes through that server's async mutex, one at a time and in
//! order: step, persist (`Transition::commit_async` writing the database), then act. Slow
//! actions (`submit`, `cancel`) run in their own tasks and feed their answer back as an
//! event; route changes run under the server's lock so that an add and a later delete
//! reach the proxy in that order.
//!
//! Layout:
//! - [`Spawning`] (this file) — the handle: construction ([`Spawning::resume`]), shutdown.
//! - `core` — the per-server map, applying events, carrying out actions, admission.
//! - `adopt` — looking up the job of a submit cut short by a restart.
//! - `cluster` — the admin page's cluster summary, cached for 30 s.
//! - `control` — [`ServerControl`](crate::control::ServerControl) for [`Spawning`].
//! - `poller` — one batched `status` call per poll interval, and the clock's ticks; the
//!   lines' refresher (places in line resent after changes, at most every 250 ms).
//! - `resume` — a restarted hub re-adopts its jobs and reconciles the proxy's routes.
//! - [`job_env`] — the job's `JUPYTERHUB_*` environment.
//! - [`output_tail`] — the end of a failed job's output, read only if its user owns it.

mod adopt;
mod cluster;
mod control;
mod core;
pub mod job_env;
pub mod output_tail;
mod poller;
mod resume;
mod wait_up;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use drivers::{JobName, Scheduler};
use tokio::task::JoinHandle;

use crate::db::Db;
use crate::form::FormConfig;
use crate::proxy_client::ProxyClient;
use crate::spawner::{SchedulerTerms, SpawnerConfig};

use self::core::Inner;

/// The hub's clock for the state machine: wall-clock time at construction, advanced by
/// tokio's clock. Under a paused tokio runtime (tests) it advances only when tokio's does,
/// so timeouts are deterministic; nothing here reads the system clock on its own.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    at: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl Clock {
    /// A clock that reads `at` now. Must be called inside a tokio runtime.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock {
            at,
            origin: tokio::time::Instant::now(),
        }
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = TimeDelta::from_std(self.origin.elapsed()).unwrap_or(TimeDelta::MAX);
        self.at
            .checked_add_signed(elapsed)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// What the shell needs besides its collaborators; the binary builds it from `HubConfig`.
#[derive(Debug, Clone)]
pub struct SpawningConfig {
    /// The state machine's tunables.
    pub spawner: SpawnerConfig,
    /// The spawn form the options are validated against.
    pub form: FormConfig,
    /// The scheduler's words, for the messages about jobs.
    pub terms: SchedulerTerms,
    /// How often the poller asks the scheduler about every job (`spawner.poll_interval`).
    pub poll_interval: Duration,
    /// The hub's public base URL (`hub.base_url`, `/…/`): routes and prefixes live under it.
    pub base_url: String,
    /// The hub API URL as compute nodes reach it (`…/hub/api`), for the job's environment.
    pub api_url: String,
    /// The job's name (`spawner.job_name`).
    pub job_name: JobName,
    /// The notebook server's argv inside the job (`spawner.cmd`; `hub-singleuser` wraps
    /// `jupyterhub-singleuser` and reports the port).
    pub cmd: Vec<String>,
    /// The directory jobs start in; `None`: the user's home from the passwd database.
    pub working_dir: Option<PathBuf>,
    /// Whether users may have named servers (`hub.allow_named_servers`).
    pub allow_named_servers: bool,
    /// How many named servers one user may have; `0`: no limit, as JupyterHub.
    pub named_server_limit_per_user: u32,
    /// Extra variables for every job (the `env_keep` values, read by the binary: library
    /// code reads no environment).
    pub extra_env: BTreeMap<String, String>,
    /// Route a reported server only once it answers HTTP (`GET {url}{prefix}api` below 500,
    /// within the start timeout), as JupyterHub's `wait_up`: the real
    /// `jupyterhub-singleuser` listens seconds after its port is reported. `false` routes
    /// at the report (tests whose servers are addresses only).
    pub wait_until_answering: bool,
}

/// The hub's own proxy route, to keep at reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRoute {
    /// Its spec, usually the base URL (`/`).
    pub spec: String,
    /// Where the hub listens, e.g. `http://127.0.0.1:8081`.
    pub target: String,
}

/// The async spawner shell. Create it with [`Spawning::resume`]; use it through
/// [`ServerControl`](crate::control::ServerControl). Dropping it stops its poller.
pub struct Spawning {
    inner: Arc<Inner>,
    poller: JoinHandle<()>,
    lines: JoinHandle<()>,
    hub_route: Option<HubRoute>,
}

impl Spawning {
    /// Loads every server from `db`, re-adopts their jobs (`Event::Restarted`: nothing is
    /// resubmitted, nothing the user still wants is deleted), reconciles the proxy's routes
    /// with the running servers (and `hub_route`), and starts the poller. A proxy that
    /// cannot be reached is logged, not fatal: the `Restarted` events re-add routes as the
    /// proxy comes back within the client's retry window.
    pub async fn resume(
        db: Db,
        scheduler: Arc<dyn Scheduler>,
        proxy: ProxyClient,
        config: SpawningConfig,
        clock: Clock,
        hub_route: Option<HubRoute>,
    ) -> Result<Spawning, crate::db::DbError> {
        let poll_interval = config.poll_interval;
        let inner = Arc::new(Inner::new(db, scheduler, proxy, config, clock));
        resume::resume(&inner, hub_route.as_ref()).await?;
        let poller = tokio::spawn(poller::run(Arc::downgrade(&inner), poll_interval));
        let lines = tokio::spawn(poller::refresh_lines(inner.clone()));
        Ok(Spawning {
            inner,
            poller,
            lines,
            hub_route,
        })
    }

    /// Makes the proxy's table match the running servers again (and the hub's own route):
    /// adds the missing routes, deletes those of servers that no longer run. The hub does
    /// this at start and periodically, so a proxy that restarted without its routes, or
    /// missed a change while it was down, catches up.
    pub async fn reconcile_routes(&self) {
        resume::reconcile_routes(&self.inner, self.hub_route.as_ref()).await;
    }

    /// Runs one poll now (the poller does this every interval): one `status` call, then a
    /// tick for every server, then admission. For tests and an admin "refresh".
    pub async fn poll_once(&self) {
        poller::poll_once(&self.inner).await;
    }

    /// Stops the poller and waits for it. Tasks already carrying out an action finish on
    /// their own; their answers are persisted as usual.
    pub async fn shutdown(mut self) {
        self.poller.abort();
        self.lines.abort();
        // An aborted task's join error is the expected outcome here.
        let _ = (&mut self.poller).await;
        let _ = (&mut self.lines).await;
    }
}

impl std::fmt::Debug for Spawning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spawning")
            .field("servers", &self.inner.snapshot().len())
            .finish_non_exhaustive()
    }
}

impl Drop for Spawning {
    fn drop(&mut self) {
        self.poller.abort();
        self.lines.abort();
    }
}
