//! The simulated PBS server: the engine, the background load, the jobs users submitted and
//! the journal that makes it all survive a restart. Pure of processes and sockets: what must
//! happen outside (start a job's process, kill one) comes back as [`Action`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use drivers::resources::{PbsError, Pbse, ResourceList};
use drivers::JobState;

use super::background::{Background, BackgroundError};
use super::depend::{self, Standing};
use super::journal::{Entry, Header, Journal, JournalError};
use super::userjob::UserJob;
use crate::engine::config::{EngineConfig, Policy};
use crate::engine::inventory::{Inventory, InventoryError};
use crate::engine::job::{Behaviour, EndReason, JobKey, SubmitRequest};
use crate::engine::res::SimTime;
use crate::engine::{ConfigError, Engine, EngineEvent};

/// Something the daemon must do outside the server, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start the process of a user job the engine just started.
    Launch(JobKey),
    /// Kill the process of a user job (deleted, out of walltime, node lost).
    Kill(JobKey, EndReason),
    /// The job is over: its process is gone and its spool can go.
    Forget(JobKey),
}

/// Why the server could not be built or resumed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The journal could not be read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The stored inventory is not valid.
    #[error("inventory: {0}")]
    Inventory(#[from] InventoryError),
    /// The engine rejected the configuration.
    #[error("cluster configuration: {0}")]
    Config(#[from] ConfigError),
    /// The background workload could not be set up.
    #[error(transparent)]
    Background(#[from] BackgroundError),
    /// The journal's header names a policy this version does not know.
    #[error("journal names an unknown policy {0:?}")]
    Policy(String),
}

/// The server.
#[derive(Debug)]
pub struct Server {
    engine: Engine,
    header: Header,
    background: Option<Background>,
    user_jobs: BTreeMap<JobKey, UserJob>,
    /// User jobs whose process was launched and has not been reported gone.
    launched: BTreeSet<JobKey>,
    /// User jobs held until their dependency is decided.
    waiting: BTreeSet<JobKey>,
    /// While replaying: user jobs the engine started whose launch is not (yet) journaled.
    unlaunched: BTreeSet<JobKey>,
    journal: Journal,
    replaying: bool,
    actions: Vec<Action>,
}

impl Server {
    /// A new cluster described by `header`, journaled at `journal_path` (replacing any old
    /// journal there).
    pub fn create(header: Header, journal_path: &Path) -> Result<Server, ServerError> {
        let journal = Journal::create(journal_path, &header)?;
        Server::build(header, journal)
    }

    /// The cluster journaled at `journal_path`, rebuilt by replaying its inputs. The jobs
    /// whose processes were launched are listed by [`Server::launched`] for adoption.
    pub fn resume(journal_path: &Path) -> Result<Server, ServerError> {
        let (journal, header, entries) = Journal::open(journal_path)?;
        let mut server = Server::build(header, journal)?;
        server.replaying = true;
        for entry in entries {
            server.step(entry.time());
            server.apply(entry);
        }
        server.replaying = false;
        // Started in the engine but never launched (the daemon died in between): launch now.
        for key in std::mem::take(&mut server.unlaunched) {
            server.note_launch(key);
        }
        Ok(server)
    }

    fn build(header: Header, journal: Journal) -> Result<Server, ServerError> {
        let inventory = Inventory::from_toml_str(&header.inventory_toml)?;
        let policy = match header.policy.as_str() {
            "fifo" => Policy::Fifo,
            "easy" => Policy::EasyBackfill {
                depth: header.backfill_depth,
            },
            other => return Err(ServerError::Policy(other.to_string())),
        };
        let anchor = header.clock.origin_sim;
        let background = header
            .background
            .as_ref()
            .map(|spec| Background::new(spec, header.seed, &inventory, anchor))
            .transpose()?;
        let start = background
            .as_ref()
            .map_or(anchor, |b| b.start().min(anchor));
        let config = EngineConfig {
            server_name: header.server_name.clone(),
            policy,
            exit_delay: header.exit_delay,
            start_time: start,
            log_events: true,
            ..EngineConfig::palmetto()
        };
        let engine = Engine::new(config, &inventory)?;
        Ok(Server {
            engine,
            header,
            background,
            user_jobs: BTreeMap::new(),
            launched: BTreeSet::new(),
            waiting: BTreeSet::new(),
            unlaunched: BTreeSet::new(),
            journal,
            replaying: false,
            actions: Vec::new(),
        })
    }

    /// The journal header: what this cluster is.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The engine, to read from.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The `qsub` attributes of a user job.
    pub fn user_job(&self, key: JobKey) -> Option<&UserJob> {
        self.user_jobs.get(&key)
    }

    /// User jobs whose processes are running (or being killed).
    pub fn launched(&self) -> impl Iterator<Item = JobKey> + '_ {
        self.launched.iter().copied()
    }

    /// Background jobs submitted so far.
    pub fn background_submitted(&self) -> u64 {
        self.background.as_ref().map_or(0, Background::submitted)
    }

    /// Takes the actions due since the last call.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// Brings the cluster up to simulated time `now`: background arrivals and internal
    /// events (job ends, walltime kills) up to `now`, each at its own time.
    ///
    /// The engine is only ever advanced to times that a replay reproduces — arrival times,
    /// event times, journaled input times — never to the arbitrary moment a tick ran, so the
    /// journal rebuilds exactly this cluster.
    pub fn step(&mut self, now: SimTime) {
        if let Some(background) = &mut self.background {
            background.feed(&mut self.engine, now);
        }
        while let Some(t) = self.engine.next_event_time() {
            if t > now {
                break;
            }
            self.engine.advance_to(t);
        }
        self.drain_events();
    }

    /// The next simulated time at which something happens by itself.
    pub fn next_wakeup(&mut self) -> Option<SimTime> {
        let arrival = self.background.as_mut().and_then(Background::next_arrival);
        match (arrival, self.engine.next_event_time()) {
            (Some(a), Some(e)) => Some(a.min(e)),
            (a, e) => a.or(e),
        }
    }

    /// `qsub`: submits a user job at `now`.
    pub fn submit(&mut self, now: SimTime, job: UserJob) -> Result<JobKey, PbsError> {
        self.step(now);
        // Checked here too so a request the engine would reject is not journaled.
        let items: Vec<&str> = job.resources.iter().map(String::as_str).collect();
        ResourceList::parse(&items)?;
        if let Some(id) = job
            .depend
            .as_ref()
            .and_then(|d| depend::unknown_job(d, &self.engine))
        {
            return Err(PbsError::new(Pbse::UnkJobId, &format!(" {id}")));
        }
        let entry = Entry::Submit {
            t: now.max(self.engine.now()),
            job: Box::new(job),
        };
        self.record(&entry);
        self.apply_submit(entry)
    }

    /// `qdel` of `key` at `now`.
    pub fn delete(&mut self, now: SimTime, key: JobKey) -> Result<(), PbsError> {
        self.step(now);
        self.check_deletable(key)?;
        let t = now.max(self.engine.now());
        self.record(&Entry::Delete { t, key });
        let result = self.engine.delete(t, key);
        self.drain_events();
        result
    }

    /// The process of user job `key` ended at `now` with `status`.
    pub fn script_exited(&mut self, now: SimTime, key: JobKey, status: i32) {
        self.step(now);
        if !self.launched.contains(&key) {
            return;
        }
        let t = now.max(self.engine.now());
        self.record(&Entry::Exited { t, key, status });
        self.apply(Entry::Exited { t, key, status });
    }

    /// A node goes down or comes back at `now`. `false` if there is no such node.
    pub fn set_node_down(&mut self, now: SimTime, node: &str, down: bool) -> bool {
        self.node_change(now, node, |t, node| Entry::NodeDown { t, node, down })
    }

    /// A node is marked offline or cleared at `now`. `false` if there is no such node.
    pub fn set_node_offline(&mut self, now: SimTime, node: &str, offline: bool) -> bool {
        self.node_change(now, node, |t, node| Entry::NodeOffline { t, node, offline })
    }

    fn node_change(
        &mut self,
        now: SimTime,
        node: &str,
        entry: impl FnOnce(SimTime, String) -> Entry,
    ) -> bool {
        if self.node_index(node).is_none() {
            return false;
        }
        self.step(now);
        let entry = entry(now.max(self.engine.now()), node.to_string());
        self.record(&entry);
        self.apply(entry);
        true
    }

    fn node_index(&self, name: &str) -> Option<u32> {
        self.engine
            .cluster()
            .nodes
            .iter()
            .position(|n| n.def.name == name)
            .map(|i| i as u32)
    }

    /// A job PBS would refuse to delete: unknown, finished, or exiting.
    fn check_deletable(&self, key: JobKey) -> Result<(), PbsError> {
        match self.engine.job(key).map(|j| j.state) {
            None => Err(PbsError::new(Pbse::UnkJobId, "")),
            Some(JobState::Finished) => Err(PbsError::new(Pbse::HistJobId, "")),
            Some(JobState::Exiting) => Err(PbsError::new(Pbse::BadState, "")),
            Some(_) => Ok(()),
        }
    }

    fn record(&mut self, entry: &Entry) {
        if self.replaying {
            return;
        }
        if let Err(e) = self.journal.append(entry) {
            // The cluster carries on; only a restart would lose this input.
            eprintln!("pbs-sim: {e}");
        }
    }

    /// Applies one input (live, after journaling it; or replayed).
    fn apply(&mut self, entry: Entry) {
        match entry {
            Entry::Submit { .. } => {
                // A rejection was already reported to the client (or, replayed, was then).
                let _ = self.apply_submit(entry);
                return;
            }
            Entry::Delete { t, key } => {
                let _ = self.engine.delete(t, key);
            }
            Entry::Hold { t, key } => {
                let _ = self.engine.hold(t, key);
            }
            Entry::Release { t, key } => {
                let _ = self.engine.release(t, key);
            }
            Entry::Exited { t, key, status } => {
                self.engine.script_exited(t, key, status);
            }
            Entry::Launched { t, key } => {
                self.engine.advance_to(t);
                self.drain_events();
                if self.unlaunched.remove(&key) {
                    self.launched.insert(key);
                }
            }
            Entry::NodeDown { t, node, down } => {
                if let Some(i) = self.node_index(&node) {
                    self.engine.set_node_down(t, i, down);
                }
            }
            Entry::NodeOffline { t, node, offline } => {
                if let Some(i) = self.node_index(&node) {
                    self.engine.set_node_offline(t, i, offline);
                }
            }
        }
        self.drain_events();
    }

    fn apply_submit(&mut self, entry: Entry) -> Result<JobKey, PbsError> {
        let Entry::Submit { t, job } = entry else {
            unreachable!("apply_submit takes a submit entry")
        };
        let items: Vec<&str> = job.resources.iter().map(String::as_str).collect();
        let resources = ResourceList::parse(&items)?;
        let waits = job
            .depend
            .as_ref()
            .is_some_and(|d| depend::standing(d, &self.engine) != Standing::Met);
        let request = SubmitRequest {
            owner: job.owner.clone(),
            name: job.name.clone(),
            queue: job.queue.clone(),
            resources,
            behaviour: Behaviour {
                runtime: None,
                exit_status: 0,
                external: true,
            },
            // A job waiting on others is held by the system until they get there.
            hold: job.hold || waits,
            rerunnable: job.rerunnable,
        };
        // The key the engine will give, so the job's attributes are there when the engine
        // reports it started (it may start within `submit`).
        let result = self.engine.submit(t, request);
        if let Ok(key) = result {
            if waits && !job.hold {
                self.waiting.insert(key);
            }
            let mut job = *job;
            job.fix(key);
            self.user_jobs.insert(key, job);
        }
        self.drain_events();
        result
    }

    /// Turns the engine's events into actions on processes.
    fn drain_events(&mut self) {
        for event in self.engine.take_log() {
            match event {
                EngineEvent::Started { key, .. } if self.user_jobs.contains_key(&key) => {
                    if self.replaying {
                        self.unlaunched.insert(key);
                    } else {
                        self.note_launch(key);
                    }
                }
                EngineEvent::Kill { key, reason }
                    if !self.replaying && self.launched.contains(&key) =>
                {
                    self.actions.push(Action::Kill(key, reason));
                }
                EngineEvent::Requeued { key } => {
                    // Its node is lost: kill what is left of the process; the job's next
                    // run gets a new launch.
                    self.unlaunched.remove(&key);
                    if self.launched.remove(&key) && !self.replaying {
                        self.actions.push(Action::Kill(key, EndReason::NodeFailed));
                    }
                }
                EngineEvent::Ended { key, .. } => {
                    self.unlaunched.remove(&key);
                    if self.launched.remove(&key) && !self.replaying {
                        self.actions.push(Action::Forget(key));
                    }
                }
                _ => {}
            }
        }
        if !self.replaying {
            self.settle_dependencies();
        }
    }

    /// Releases the jobs whose dependencies now hold and deletes those whose never will;
    /// both are journaled, so a replay does the same at the same moment.
    fn settle_dependencies(&mut self) {
        // Jobs released or deleted by other means wait no more.
        let engine = &self.engine;
        self.waiting
            .retain(|&key| engine.job(key).map(|j| j.state) == Some(JobState::Held));
        while let Some(entry) = self.next_settlement() {
            self.record(&entry);
            // Applying drains the engine's events, which settles any job this frees.
            self.apply(entry);
        }
    }

    /// The first held dependent job whose dependency is decided, as the input that acts on it.
    fn next_settlement(&self) -> Option<Entry> {
        let t = self.engine.now();
        self.waiting.iter().find_map(|&key| {
            let dependency = self.user_jobs.get(&key)?.depend.as_ref()?;
            if self.engine.job(key).map(|j| j.state) != Some(JobState::Held) {
                return None;
            }
            match depend::standing(dependency, &self.engine) {
                Standing::Met => Some(Entry::Release { t, key }),
                Standing::Broken => Some(Entry::Delete { t, key }),
                Standing::Waiting => None,
            }
        })
    }

    /// Journals that the job's process is launched, then asks for the launch.
    fn note_launch(&mut self, key: JobKey) {
        let t = self.engine.now();
        self.record(&Entry::Launched { t, key });
        self.launched.insert(key);
        self.actions.push(Action::Launch(key));
    }
}
