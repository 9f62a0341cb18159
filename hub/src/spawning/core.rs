//! The shell's core: the per-server map, applying one event to one server (step, persist,
//! act), carrying out actions, and the concurrent-spawn line.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use drivers::{JobId, Scheduler, UserName};
use serde_json::{Map, Value};
use tokio::sync::watch;

use super::job_env::{self, JobEnvInput};
use super::{Clock, SpawningConfig};
use crate::db::{self, Db, DbError, NewOAuthClient, NewToken, TokenOwner};
use crate::form;
use crate::proxy_client::{routespec, ProxyClient};
use crate::spawner::{
    self, admit, place_in_line, queue_positions, step, waiting_positions, Action, CancelError,
    Event, Position, ProgressEvent, Refusal, ServerKey, ServerState, SubmitError,
};

/// What the shell keeps about one server between events.
#[derive(Debug, Clone, Default)]
pub(super) struct Entry {
    /// The persisted spawner state.
    pub state: ServerState,
    /// The options of the current (or last) run: the form's effective values.
    pub options: BTreeMap<String, String>,
    /// When the current run was asked for, while it is active.
    pub started: Option<DateTime<Utc>>,
    /// When the current run's job was first seen running (kept while it runs): the walltime
    /// counts from there. Not persisted: after a restart the running state's own time is
    /// used instead.
    pub job_started: Option<DateTime<Utc>>,
    /// The job of the current or latest run, kept after it ends so its output can be read.
    pub last_job: Option<JobId>,
}

/// One server: its turn (events one at a time), its latest entry, its progress channel.
pub(super) struct Slot {
    /// Held for the whole of one event: step, persist, act.
    turn: tokio::sync::Mutex<()>,
    /// The entry as last persisted; read by views, admission and the poller. Never held
    /// across an `.await`.
    entry: Mutex<Entry>,
    /// The latest progress event; receivers follow it.
    pub progress: watch::Sender<ProgressEvent>,
}

impl Slot {
    fn new(entry: Entry) -> Slot {
        Slot {
            turn: tokio::sync::Mutex::new(()),
            entry: Mutex::new(entry),
            progress: watch::channel(not_started()).0,
        }
    }

    pub fn entry(&self) -> Entry {
        lock(&self.entry).clone()
    }
}

/// What applying an event led to.
#[derive(Debug, Clone)]
pub(super) struct Applied {
    /// The state after the event (unchanged if refused).
    pub state: ServerState,
    /// Why the event was refused, if it was.
    pub refusal: Option<Refusal>,
}

/// Everything the shell shares between the handle, the poller and the action tasks.
pub(super) struct Inner {
    pub db: Db,
    pub scheduler: Arc<dyn Scheduler>,
    pub proxy: ProxyClient,
    pub config: SpawningConfig,
    pub clock: Clock,
    servers: Mutex<BTreeMap<ServerKey, Arc<Slot>>>,
    /// The latest cluster summary and when it was asked for (see `super::cluster`). An
    /// async mutex: one query at a time, the others wait for its answer.
    pub cluster: tokio::sync::Mutex<Option<super::cluster::Cached>>,
    /// Asks reported servers whether they answer yet (`super::wait_up`).
    pub probe: reqwest::Client,
    /// One admission run at a time, so two runs never both hand out the same free slot.
    admission: tokio::sync::Mutex<()>,
    /// One lookup answer applied at a time, so two servers never adopt the same job
    /// (`super::adopt`).
    pub adoptions: tokio::sync::Mutex<()>,
    /// Told after every change: places in the lines moved for the servers still in them.
    /// The refresher resends their progress at most every [`LINES_REFRESH`], so a change
    /// costs O(servers) once per interval, not once per event (quadratic in a spawn storm).
    pub lines_moved: tokio::sync::Notify,
}

/// How often, at most, the places of every server in a line are resent after changes. The
/// server that changed gets its own progress at once; the others' "position N of M" may
/// lag this much.
pub(super) const LINES_REFRESH: std::time::Duration = std::time::Duration::from_millis(250);

/// A std mutex whose poisoning (a panic elsewhere) must not take the hub down with it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The progress event of a server that never started.
fn not_started() -> ProgressEvent {
    ProgressEvent {
        progress: None,
        message: "Server not started".to_string(),
        ready: false,
        failed: false,
        url: None,
    }
}

/// The row the database stores for `state`.
fn record(entry: &Entry, state: &ServerState) -> db::ServerState {
    db::ServerState {
        state: serde_json::to_value(state).unwrap_or(Value::Null),
        user_options: serde_json::to_value(&entry.options).unwrap_or(Value::Null),
        job_id: state.job().cloned(),
        host: None,
        port: None,
        url: match state {
            ServerState::Running { url, .. } => Some(url.clone()),
            _ => None,
        },
        started: entry.started,
    }
}

impl Inner {
    pub fn new(
        db: Db,
        scheduler: Arc<dyn Scheduler>,
        proxy: ProxyClient,
        config: SpawningConfig,
        clock: Clock,
    ) -> Inner {
        Inner {
            db,
            scheduler,
            proxy,
            config,
            clock,
            servers: Mutex::new(BTreeMap::new()),
            cluster: tokio::sync::Mutex::new(None),
            probe: super::wait_up::probe_client(),
            admission: tokio::sync::Mutex::new(()),
            adoptions: tokio::sync::Mutex::new(()),
            lines_moved: tokio::sync::Notify::new(),
        }
    }

    /// Runs `f` over every server's current state, under the map's lock and without copying
    /// any: for decisions that need every state (admission, a place in a line). `f` must
    /// be quick; events applied meanwhile wait for it.
    /// Every user's servers' states (see `ServerControl::states_by_user`).
    pub fn states_by_user(&self) -> HashMap<String, Vec<ServerState>> {
        self.with_states(|states| {
            let mut by_user: HashMap<String, Vec<ServerState>> = HashMap::new();
            for (key, state) in states {
                by_user
                    .entry(key.user.to_string())
                    .or_default()
                    .push((*state).clone());
            }
            by_user
        })
    }

    fn with_states<R>(&self, f: impl FnOnce(&[(&ServerKey, &ServerState)]) -> R) -> R {
        let servers = lock(&self.servers);
        let entries: Vec<(&ServerKey, MutexGuard<'_, Entry>)> = servers
            .iter()
            .map(|(key, slot)| (key, lock(&slot.entry)))
            .collect();
        let states: Vec<(&ServerKey, &ServerState)> = entries
            .iter()
            .map(|(key, entry)| (*key, &entry.state))
            .collect();
        f(&states)
    }

    /// `key`'s place in its line (waiting for a spawn slot, or queued), if it is in one.
    pub fn place(&self, key: &ServerKey, state: &ServerState) -> Option<Position> {
        if !matches!(
            state,
            ServerState::Waiting { .. } | ServerState::Queued { .. }
        ) {
            return None;
        }
        self.with_states(|states| place_in_line(key, state, states.iter().copied()))
    }

    /// The server's public path: `/user/alice/` under the base URL.
    pub fn prefix(&self, key: &ServerKey) -> String {
        routespec::user_server(&self.config.base_url, &key.user, &key.name)
    }

    pub fn slot(&self, key: &ServerKey) -> Option<Arc<Slot>> {
        lock(&self.servers).get(key).cloned()
    }

    /// The server's slot, created (stopped, never run) if it has none.
    pub fn slot_or_insert(&self, key: &ServerKey) -> Arc<Slot> {
        lock(&self.servers)
            .entry(key.clone())
            .or_insert_with(|| Arc::new(Slot::new(Entry::default())))
            .clone()
    }

    /// Adds a server loaded from the database (at resume).
    pub fn insert(&self, key: ServerKey, entry: Entry) {
        lock(&self.servers).insert(key, Arc::new(Slot::new(entry)));
    }

    /// Drops a slot that was created for a start and never persisted.
    pub fn forget_if_never_ran(&self, key: &ServerKey) {
        let mut servers = lock(&self.servers);
        let never_ran = servers
            .get(key)
            .is_some_and(|slot| lock(&slot.entry).state == ServerState::new());
        if never_ran {
            servers.remove(key);
        }
    }

    /// Every server's entry, by key.
    pub fn snapshot(&self) -> BTreeMap<ServerKey, Entry> {
        lock(&self.servers)
            .iter()
            .map(|(key, slot)| (key.clone(), slot.entry()))
            .collect()
    }

    /// The user's servers, by name.
    pub fn user_slots(&self, user: &str) -> Vec<(ServerKey, Arc<Slot>)> {
        lock(&self.servers)
            .iter()
            .filter(|(key, _)| key.user == user)
            .map(|(key, slot)| (key.clone(), slot.clone()))
            .collect()
    }

    /// Applies one event to one server: step, persist, act. `options` replaces the stored
    /// options when a start is taken up. `None` if the server has no slot.
    pub async fn apply(
        self: &Arc<Self>,
        key: &ServerKey,
        event: Event,
        options: Option<BTreeMap<String, String>>,
    ) -> Result<Option<Applied>, DbError> {
        let Some(slot) = self.slot(key) else {
            return Ok(None);
        };
        let _turn = slot.turn.lock().await;
        let before = slot.entry();
        let now = self.clock.now();
        let transition = step(&before.state, &event, &self.config.spawner, now);
        let refusal = transition.refusal();
        if refusal.is_some() || (!transition.changed() && transition.planned_actions().is_empty()) {
            return Ok(Some(Applied {
                state: before.state,
                refusal,
            }));
        }

        let mut entry = before.clone();
        if event == Event::StartRequested {
            entry.options = options.unwrap_or_default();
            entry.started = Some(now);
        }
        if !transition.state().is_active() {
            entry.started = None;
        }
        match transition.state() {
            ServerState::Starting { since, .. } => entry.job_started = Some(*since),
            ServerState::Running { .. } => {}
            _ => entry.job_started = None,
        }
        if let Some(job) = transition.state().job() {
            entry.last_job = Some(job.clone());
        } else if event == Event::StartRequested {
            entry.last_job = None;
        }
        // A change of phase is what an operator follows a server by; the rest is detail.
        if before.state.name() != transition.state().name() {
            tracing::info!(server = %key, from = before.state.name(), to = transition.state().name(), ?event, "server state changed");
        } else {
            tracing::debug!(server = %key, from = before.state.name(), to = transition.state().name(), ?event, "transition");
        }
        let db = self.db.clone();
        let row_entry = entry.clone();
        let (state, actions) = transition
            .commit_async(|state| async move {
                db.put_server_state(&key.user, &key.name, &record(&row_entry, &state), now)
                    .await
                    .map(|_| ())
            })
            .await
            .inspect_err(
                |e| tracing::error!(server = %key, error = %e, "could not persist a transition"),
            )?;
        entry.state = state.clone();
        *lock(&slot.entry) = entry.clone();
        self.send_progress(key, &slot, &entry.state);
        self.lines_moved.notify_one();
        self.carry_out(key, &entry, actions).await;
        if before.state.is_active() && !state.is_active() {
            self.revoke_credentials(key).await;
        }
        Ok(Some(Applied {
            state,
            refusal: None,
        }))
    }

    /// Applies an event that answers an action, then lets waiting servers in: the path of
    /// every task's answer. Errors are logged; the poller's next round goes on from the
    /// persisted state.
    pub async fn feed(self: &Arc<Self>, key: &ServerKey, event: Event) {
        if let Err(e) = self.apply(key, event, None).await {
            tracing::warn!(server = %key, error = %e, "an event was not applied");
        }
        self.admit().await;
    }

    /// Sends `Admitted` to every waiting server the concurrent-spawn limit lets in.
    pub async fn admit(self: &Arc<Self>) {
        let _one_at_a_time = self.admission.lock().await;
        let admitted =
            self.with_states(|states| admit(states.iter().copied(), &self.config.spawner));
        // Each admitted server is its own state machine behind its own lock: their
        // transitions run together, so that their writes share database commits.
        let applied = futures_util::future::join_all(
            admitted
                .iter()
                .map(|key| self.apply(key, Event::Admitted, None)),
        )
        .await;
        for (key, result) in admitted.iter().zip(applied) {
            if let Err(e) = result {
                tracing::warn!(server = %key, error = %e, "admission not persisted");
            }
        }
    }

    /// Sends `key`'s progress event for `state` (with its place in line) if it changed.
    fn send_progress(&self, key: &ServerKey, slot: &Slot, state: &ServerState) {
        let place = self.place(key, state);
        let now = self.clock.now();
        let Some(event) =
            spawner::progress(state, place, &self.prefix(key), now, &self.config.terms)
        else {
            return;
        };
        slot.progress.send_if_modified(|current| {
            let changed = *current != event;
            *current = event;
            changed
        });
    }

    /// Recomputes every server's progress event (places in lines move for everyone when one
    /// server moves) and sends those that changed.
    pub fn refresh_progress(&self) {
        let snapshot = self.snapshot();
        let states = || snapshot.iter().map(|(key, entry)| (key, &entry.state));
        let waiting = waiting_positions(states());
        let queued = queue_positions(states());
        let now = self.clock.now();
        for (key, entry) in &snapshot {
            let place = waiting.get(key).or_else(|| queued.get(key)).copied();
            let prefix = self.prefix(key);
            let terms = &self.config.terms;
            let Some(event) = spawner::progress(&entry.state, place, &prefix, now, terms) else {
                continue;
            };
            if let Some(slot) = self.slot(key) {
                slot.progress.send_if_modified(|current| {
                    let changed = *current != event;
                    *current = event.clone();
                    changed
                });
            }
        }
    }

    /// Carries out a persisted transition's actions: routes now, in order; scheduler calls
    /// in tasks that feed their answer back.
    async fn carry_out(self: &Arc<Self>, key: &ServerKey, entry: &Entry, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Submit => {
                    let inner = self.clone();
                    let submit_key = key.clone();
                    let options = entry.options.clone();
                    self.answer_later(key, async move {
                        Event::Submitted(inner.submit(&submit_key, &options).await)
                    });
                }
                Action::FindSubmitted { since } => self.find_submitted(key, since),
                Action::Cancel(job) => {
                    let scheduler = self.scheduler.clone();
                    self.answer_later(key, async move {
                        let result = scheduler.cancel(&job).await.map_err(|e| {
                            tracing::warn!(%job, error = %e, "cancel failed");
                            CancelError::from(&e)
                        });
                        Event::Cancelled { job, result }
                    });
                }
                Action::AddRoute { url } => self.add_route(key, &url).await,
                Action::DeleteRoute => {
                    let spec = self.prefix(key);
                    if let Err(e) = self.proxy.delete_route(&spec).await {
                        tracing::warn!(route = %spec, error = %e, "could not delete a route");
                    }
                }
                Action::ReadOutputTail(job) => {
                    let inner = self.clone();
                    let user = key.user.clone();
                    self.answer_later(key, async move {
                        let tail = inner.output_tail(&user, &job).await;
                        Event::OutputTail { job, tail }
                    });
                }
            }
        }
    }

    /// Runs `answer` in its own task and feeds the event it gives to the server. A plain
    /// function, so that the task's future is not part of `apply`'s own future type.
    fn answer_later(
        self: &Arc<Self>,
        key: &ServerKey,
        answer: impl Future<Output = Event> + Send + 'static,
    ) {
        let inner = self.clone();
        let key = key.clone();
        tokio::spawn(async move {
            let event = answer.await;
            inner.feed(&key, event).await;
        });
    }

    /// Routes the server's prefix to `url` with JupyterHub's route data.
    pub async fn add_route(&self, key: &ServerKey, url: &str) {
        let spec = self.prefix(key);
        if let Err(e) = self.proxy.add_route(&spec, url, &route_data(key)).await {
            tracing::warn!(route = %spec, error = %e, "could not add a route");
        }
    }

    /// Builds the job for `key` from its stored options and submits it.
    async fn submit(
        &self,
        key: &ServerKey,
        options: &BTreeMap<String, String>,
    ) -> Result<JobId, SubmitError> {
        let refused = |message: String| SubmitError {
            message,
            transient: false,
        };
        let unavailable = |e: DbError| SubmitError {
            message: e.to_string(),
            transient: true,
        };
        let owner = UserName::new(key.user.as_str()).map_err(|e| refused(e.to_string()))?;
        let request = form::validate(&self.config.form, options, &owner).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            refused(format!(
                "the stored options no longer fit the form: {}",
                list.join("; ")
            ))
        })?;
        let working_dir = self.working_dir(&key.user).await.map_err(refused)?;

        let now = self.clock.now();
        let prefix = self.prefix(key);
        let token = NewToken {
            owner: TokenOwner::User(key.user.clone()),
            scopes: job_env::server_token_scopes(&key.user, &key.name),
            note: server_token_note(&prefix),
            expires_at: None,
            oauth_client: None,
        };
        // singleuser logs users in through the hub's OAuth with its token as the secret.
        let client_id = job_env::client_id(&key.user, &key.name);
        let redirect_uri = job_env::oauth_callback(&self.config.base_url, &key.user, &key.name);
        let description = format!("Server at {prefix}");
        let client = NewOAuthClient {
            client_id: &client_id,
            redirect_uri: &redirect_uri,
            description: &description,
        };
        let (_, token) = self
            .db
            .create_server_credentials(&token, &client, now)
            .await
            .map_err(unavailable)?;
        let environment = job_env::job_environment(&JobEnvInput {
            base_url: &self.config.base_url,
            api_url: &self.config.api_url,
            user: &key.user,
            server: &key.name,
            token: &token,
            extra: &self.config.extra_env,
        });
        let spec = request.job_spec(
            owner,
            self.config.job_name.clone(),
            environment,
            working_dir,
            self.config.cmd.clone(),
        );
        tracing::info!(server = %key, "submitting");
        let result = self.scheduler.submit(&spec).await;
        match &result {
            Ok(job) => tracing::info!(server = %key, %job, "submitted"),
            Err(e) => tracing::warn!(server = %key, error = %e, "submit failed"),
        }
        result.map_err(|e| SubmitError::from(&e))
    }

    /// A server that no longer runs loses its credentials, as in JupyterHub: its own API
    /// token and its OAuth client (with every token issued through it). A new start makes
    /// new ones. Failures are logged: the next stop of that server tries again.
    async fn revoke_credentials(&self, key: &ServerKey) {
        let note = server_token_note(&self.prefix(key));
        if let Err(e) = self.db.revoke_user_tokens_noted(&key.user, &note).await {
            tracing::warn!(server = %key, error = %e, "could not revoke the server's token");
        }
        let client = job_env::client_id(&key.user, &key.name);
        if let Err(e) = self.db.delete_oauth_client(&client).await {
            tracing::warn!(server = %key, error = %e, "could not delete the server's OAuth client");
        }
    }

    /// The end of `job`'s output file, if the user owns it (see [`super::output_tail`]).
    pub async fn output_tail(&self, user: &str, job: &JobId) -> Option<String> {
        let dir = self.working_dir(user).await.ok()?;
        let path = super::output_tail::output_path(&dir, self.config.job_name.as_str(), job);
        let name = user.to_string();
        tokio::task::spawn_blocking(move || {
            let owner = nix::unistd::User::from_name(&name)
                .ok()
                .flatten()
                .map(|u| u.uid.as_raw());
            super::output_tail::read_tail(&path, owner)
        })
        .await
        .ok()
        .flatten()
    }

    /// The configured working directory, or the user's home from the passwd database
    /// (looked up off the runtime: NSS may ask LDAP).
    async fn working_dir(&self, user: &str) -> Result<PathBuf, String> {
        if let Some(dir) = &self.config.working_dir {
            return Ok(dir.clone());
        }
        let name = user.to_string();
        let found = tokio::task::spawn_blocking(move || nix::unistd::User::from_name(&name))
            .await
            .map_err(|e| format!("looking up {user}'s home directory failed: {e}"))?;
        match found {
            Ok(Some(entry)) => Ok(entry.dir),
            Ok(None) => Err(format!("{user} has no entry in the passwd database")),
            Err(e) => Err(format!("looking up {user}'s home directory failed: {e}")),
        }
    }
}

/// The note on a server's own API token (the token's owner is the user).
fn server_token_note(prefix: &str) -> String {
    format!("Server at {prefix}")
}

/// The data JupyterHub puts on a user server's route.
pub(super) fn route_data(key: &ServerKey) -> Map<String, Value> {
    routespec::user_server_data(&key.user, &key.name)
}
