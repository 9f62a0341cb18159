//! The runner: one scenario, one seed, in virtual time.
//!
//! Everything happens on one thread, in one order: the events of [`queue::Queue`] (the
//! hub's polls and answers, users' clicks, notebook reports, faults, samples), the
//! background jobs' submissions, and the PBS engine's own events (starts, ends, walltime
//! kills). The engine is `pbs_sim`'s, advanced to each moment; the hub is
//! `hub::spawner`'s core under a synchronous shell ([`shell`]). One seeded RNG
//! draws every choice, so the same scenario and seed give the same run, byte for byte.
//!
//! Layout:
//! - [`queue`] / [`event`] — the timeline and what can be on it.
//! - [`shell`] — the hub shell: step, persist, act; poll, admit, reconcile, crash.
//! - [`proxy`] — the route table.
//! - [`users`] — users' behaviour.
//! - [`notebook`] — the notebook servers inside the jobs.
//! - [`faults`] — fault injection.
//! - [`checks`] — safety, liveness and SLO properties.
//! - [`record`] — what the report plots.
//! - [`variant`] — the hub's spawner, or a deliberately broken one.
//! - [`walltime`] — walltime warnings, as the home page shows them.

pub mod checks;
pub mod event;
pub mod faults;
pub mod notebook;
pub mod proxy;
pub mod queue;
pub mod record;
pub mod shell;
pub mod users;
pub mod variant;
pub mod walltime;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use drivers::resources::Walltime;
use drivers::{JobId, JobName};
use hub::config::HumanDuration;
use hub::form::FormConfig;
use hub::spawner::{Event, SchedulerTerms, ServerKey, SpawnerConfig};
use pbs_sim::engine::config::{EngineConfig, Policy as EnginePolicy};
use pbs_sim::engine::inventory::Inventory;
use pbs_sim::engine::job::{Behaviour, EndReason, JobKey, SubmitRequest};
use pbs_sim::engine::res::SimTime;
use pbs_sim::engine::{Engine, EngineEvent};
use pbs_sim::workload::swf::{SwfMapping, SwfReader};
use pbs_sim::workload::synthetic::{Synthetic, SyntheticConfig};
use pbs_sim::workload::WorkloadJob;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::checks::Checks;
use self::event::Ev;
use self::faults::FaultState;
use self::proxy::ProxySim;
use self::queue::Queue;
use self::record::Recorder;
use self::shell::HubSim;
use self::users::{SpawnRecord, UserSim};
pub use self::variant::Variant;
use crate::report::model::{Counts, Latencies, Phases, Report, Summary};
use crate::spec::{Policy, Scenario, SpecError};

/// 2026-01-01T00:00:00Z: the hub starts here in every run, so runs repeat exactly.
const HUB_START: SimTime = 1_767_225_600;

/// How a run is asked for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The scenario file as given (for the report and the replay command).
    pub file: String,
    /// The directory relative paths in the scenario are read from.
    pub dir: PathBuf,
    /// The seed; `None` for the scenario's own.
    pub seed: Option<u64>,
    /// The spawner to drive.
    pub variant: Variant,
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scenario asks for something impossible (a choice the form refuses, …).
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The background trace could not be read.
    #[error("{file}: {message}")]
    Trace {
        /// The scenario file.
        file: String,
        /// What went wrong.
        message: String,
    },
}

/// Runs `scenario`; `progress(done_s, total_s)` is told as simulated time passes.
pub fn run(
    scenario: &Scenario,
    options: &RunOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, RunError> {
    let mut world = World::new(scenario, options)?;
    world.run(progress)?;
    Ok(world.report(options))
}

/// Background jobs, streamed in submit order.
type BackgroundJobs = Box<dyn Iterator<Item = Result<WorkloadJob, String>>>;

/// The whole simulated world of one run.
pub struct World<'s> {
    s: &'s Scenario,
    seed: u64,
    variant: Variant,
    rng: ChaCha8Rng,
    /// Milliseconds since the hub started.
    now: u64,
    queue: Queue,
    engine: Engine,
    background: std::iter::Peekable<BackgroundJobs>,
    /// Engine time at which the background workload's offsets start.
    background_start: SimTime,
    hub: HubSim,
    proxy: ProxySim,
    users: Vec<UserSim>,
    /// Users act (the safety phase); they go home when faults stop.
    users_active: bool,
    faults: FaultState,
    /// Every job a hub submit created, and its server.
    jobs: BTreeMap<JobKey, ServerKey>,
    /// Their ids.
    job_keys: BTreeMap<JobId, JobKey>,
    /// Hub jobs PBS still has (not finished).
    live_hub_jobs: BTreeSet<JobKey>,
    /// Running jobs and the cores each holds.
    running: BTreeMap<JobKey, u64>,
    used_ncpus: u64,
    total_ncpus: u64,
    spawns: BTreeMap<ServerKey, SpawnRecord>,
    checks: Checks,
    rec: Recorder,
    counts: Counts,
    terms: SchedulerTerms,
    /// Running servers whose card has shown the walltime warning.
    warned: BTreeSet<ServerKey>,
    /// The background trace, as errors name it.
    trace_name: String,
}

impl std::fmt::Debug for World<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("scenario", &self.s.name)
            .field("now_ms", &self.now)
            .finish_non_exhaustive()
    }
}

/// A duration in milliseconds.
pub fn ms(d: HumanDuration) -> u64 {
    d.get().as_millis() as u64
}

impl<'s> World<'s> {
    fn new(s: &'s Scenario, options: &RunOptions) -> Result<World<'s>, RunError> {
        let seed = options.seed.unwrap_or(s.seed);
        let warmup = ms(s.background.warmup) / 1000;
        let mut config = EngineConfig::palmetto();
        config.policy = match s.cluster.policy {
            Policy::Default => EnginePolicy::Fifo,
            Policy::StrictBackfill => EnginePolicy::EasyBackfill {
                depth: s.cluster.backfill_depth,
            },
        };
        config.node_fail_requeue = ms(s.cluster.node_fail_requeue) / 1000;
        config.log_events = true;
        config.start_time = HUB_START - warmup;
        let inventory = Inventory::palmetto_with_nodes(s.cluster.nodes);
        let spec_error = |field: &str, message: String| SpecError {
            file: options.file.clone(),
            line: None,
            field: Some(field.to_string()),
            message,
        };
        let engine =
            Engine::new(config, &inventory).map_err(|e| spec_error("cluster", e.to_string()))?;
        let background = background_jobs(s, options, seed, &inventory)?;

        let spawner = SpawnerConfig {
            start_timeout: s.hub.start_timeout.get(),
            queue_timeout: s.hub.queue_timeout.map(HumanDuration::get),
            cancel_retry: s.hub.cancel_retry.get(),
            concurrent_spawn_limit: match s.hub.concurrent_spawn_limit {
                0 => None,
                n => Some(n),
            },
        };
        let terms = SchedulerTerms::PBS;
        let form = FormConfig::built_in(&terms);
        users::check_choices(s, &form).map_err(|(field, message)| spec_error(&field, message))?;
        let job_name =
            JobName::new("jupyterhub-singleuser").map_err(|e| spec_error("hub", e.to_string()))?;
        let total_ncpus = inventory.total_ncpus();
        let mut world = World {
            s,
            seed,
            variant: options.variant,
            rng: ChaCha8Rng::seed_from_u64(seed),
            now: 0,
            queue: Queue::default(),
            engine,
            background: background.peekable(),
            background_start: HUB_START - warmup,
            hub: HubSim::new(spawner, form, job_name),
            proxy: ProxySim::default(),
            users: Vec::new(),
            users_active: true,
            faults: FaultState::new(s.faults.clone()),
            jobs: BTreeMap::new(),
            job_keys: BTreeMap::new(),
            live_hub_jobs: BTreeSet::new(),
            running: BTreeMap::new(),
            used_ncpus: 0,
            total_ncpus,
            spawns: BTreeMap::new(),
            checks: Checks::new(ms(s.properties.grace), s.properties.skip.clone()),
            rec: Recorder::default(),
            counts: Counts::default(),
            terms,
            warned: BTreeSet::new(),
            trace_name: match &s.background.swf {
                Some(path) => options.dir.join(path).display().to_string(),
                None => options.file.clone(),
            },
        };
        world.rec.series.interval_s = ms(s.sample_every) / 1000;
        let followed = (0..(s.users.count as usize).min(Report::MAX_TIMELINES))
            .map(|i| format!("nbuser{:04}", i + 1));
        world.rec.follow(followed);
        Ok(world)
    }

    /// The engine's time now.
    fn engine_now(&self) -> SimTime {
        HUB_START + self.now / 1000
    }

    /// The hub's clock now.
    fn hub_now(&self) -> DateTime<Utc> {
        let millis = (HUB_START * 1000 + self.now) as i64;
        DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }

    /// A time drawn uniformly between `min` and `max`, ms.
    fn draw(&mut self, min: HumanDuration, max: HumanDuration) -> u64 {
        self.rng.gen_range(ms(min)..=ms(max))
    }

    /// The background load before the hub starts, then the run to its end.
    fn run(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<(), RunError> {
        self.warm_up()?;
        let end = ms(self.s.duration) + ms(self.s.settle);
        self.schedule_start(end);
        loop {
            let next_queue = self.queue.next_time();
            let next_engine = self
                .engine
                .next_event_time()
                .map(|t| t.saturating_sub(HUB_START) * 1000);
            let next_background = self.next_background_ms();
            let Some(t) = [next_queue, next_engine, next_background]
                .into_iter()
                .flatten()
                .min()
            else {
                break;
            };
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.submit_background_due()?;
            let engine_now = self.engine_now();
            self.engine.advance_to(engine_now);
            self.engine_log();
            if next_queue == Some(t) {
                if let Some((_, ev)) = self.queue.pop() {
                    if matches!(ev, Ev::Sample) {
                        progress(self.now / 1000, end / 1000);
                    }
                    self.handle(ev);
                    self.counts.events += 1;
                    self.check_windows();
                }
            }
        }
        self.now = end;
        let engine_now = self.engine_now();
        self.engine.advance_to(engine_now);
        self.engine_log();
        self.finish_liveness();
        self.slos();
        progress(end / 1000, end / 1000);
        Ok(())
    }

    /// Submits the background jobs due before the hub starts, running the engine through
    /// them, so the cluster is as busy at time 0 as the load makes it.
    fn warm_up(&mut self) -> Result<(), RunError> {
        while let Some(Ok(job)) = self.background.peek() {
            let at = self.background_start + job.submit_offset;
            if at >= HUB_START {
                break;
            }
            self.engine.advance_to(at);
            self.submit_next_background(at)?;
            self.engine_log();
        }
        self.engine.advance_to(HUB_START);
        self.engine_log();
        // What happened before the hub started is not the run's.
        self.rec.background_waits.clear();
        self.counts.background_completed = 0;
        self.counts.background_jobs = 0;
        Ok(())
    }

    /// The run's recurring events and its users and faults.
    fn schedule_start(&mut self, end: u64) {
        let poll = ms(self.s.hub.poll_interval);
        let mut t = poll;
        while t <= end {
            self.queue.push(t, Ev::PollTick);
            t += poll;
        }
        let every = ms(self.s.hub.reconcile_every);
        let mut t = every;
        while t <= end {
            self.queue.push(t, Ev::ReconcileTick);
            t += every;
        }
        let every = ms(self.s.hub.proxy_check_every);
        let mut t = every;
        while t <= end {
            self.queue.push(t, Ev::ProxyCheck);
            t += every;
        }
        let every = ms(self.s.sample_every);
        let mut t = 0;
        while t <= end {
            self.queue.push(t, Ev::Sample);
            t += every;
        }
        self.queue.push(ms(self.s.duration), Ev::SafetyEnds);
        self.create_users();
        self.schedule_faults();
    }

    fn next_background_ms(&mut self) -> Option<u64> {
        let start = self.background_start;
        match self.background.peek()? {
            Ok(job) => Some((start + job.submit_offset).saturating_sub(HUB_START) * 1000),
            // An error is due at once, to be reported.
            Err(_) => Some(self.now),
        }
    }

    fn submit_background_due(&mut self) -> Result<(), RunError> {
        while let Some(t) = self.next_background_ms() {
            if t > self.now {
                break;
            }
            let now = self.engine_now();
            self.submit_next_background(now)?;
        }
        Ok(())
    }

    fn submit_next_background(&mut self, now: SimTime) -> Result<(), RunError> {
        match self.background.next() {
            Some(Ok(job)) => {
                let scale = self.s.background.duration_scale;
                let scaled = |secs: u64| ((secs as f64 * scale).round() as u64).max(1);
                let mut resources = job.resources;
                if let Some(w) = resources.walltime {
                    let secs = scaled(w.as_duration().as_secs()).max(60);
                    resources.walltime = Some(Walltime::from_secs(secs));
                }
                let request = SubmitRequest {
                    owner: job.owner,
                    name: "batch".to_string(),
                    queue: job.queue,
                    resources,
                    behaviour: Behaviour {
                        runtime: Some(scaled(job.runtime)),
                        exit_status: job.exit_status,
                        external: false,
                    },
                    hold: false,
                    rerunnable: true,
                };
                // A job PBS refuses (a limit) is refused as `qsub` would; not counted.
                if self.engine.submit(now, request).is_ok() {
                    self.counts.background_jobs += 1;
                }
                Ok(())
            }
            Some(Err(message)) => Err(RunError::Trace {
                file: self.trace_name.clone(),
                message,
            }),
            None => Ok(()),
        }
    }

    /// What the engine did since last asked: starts, ends, kills.
    fn engine_log(&mut self) {
        for event in self.engine.take_log() {
            match event {
                EngineEvent::Started { key, nodes } => self.job_started(key, &nodes),
                EngineEvent::Ended { key, .. } => {
                    if let Some(n) = self.running.remove(&key) {
                        self.used_ncpus -= n;
                    }
                    if self.live_hub_jobs.remove(&key) {
                        continue;
                    }
                    if !self.jobs.contains_key(&key) {
                        self.counts.background_completed += 1;
                    }
                }
                EngineEvent::Requeued { key } => {
                    if let Some(n) = self.running.remove(&key) {
                        self.used_ncpus -= n;
                    }
                }
                // A node that failed took the process with it; the job is requeued, and
                // its next run is a new process.
                EngineEvent::Kill {
                    reason: EndReason::NodeFailed,
                    ..
                } => {}
                EngineEvent::Kill { key, .. } => {
                    if let Some(run) = self.engine.job(key).map(|j| j.run_count) {
                        if self.jobs.contains_key(&key) {
                            // The notebook process exits on SIGTERM a moment later.
                            let ev = Ev::ScriptExit {
                                key,
                                run,
                                status: 256 + 15,
                            };
                            self.queue.push(self.now + 1_000, ev);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn job_started(&mut self, key: JobKey, nodes: &[u32]) {
        let Some(job) = self.engine.job(key) else {
            return;
        };
        let ncpus: u64 = job
            .alloc
            .as_ref()
            .map(|a| a.iter().map(|s| u64::from(s.res.ncpus)).sum())
            .unwrap_or(0);
        let started = job.started.unwrap_or(job.queued_at);
        let wait = started.saturating_sub(job.queued_at);
        let run = job.run_count;
        if let Some(old) = self.running.insert(key, ncpus) {
            self.used_ncpus -= old;
        }
        self.used_ncpus += ncpus;
        if self.jobs.contains_key(&key) {
            self.rec.hub_waits.push(wait);
            let started_ms = started.saturating_sub(HUB_START) * 1000;
            self.notebook_started(key, run, started_ms);
        } else if started >= HUB_START {
            self.rec.background_waits.push(wait);
        }
        self.check_nodes(nodes);
    }

    /// Handles one event of the timeline.
    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::PollTick => self.poll(),
            Ev::PollAnswer {
                epoch,
                plan,
                answer,
            } => {
                if self.heard(epoch) {
                    self.poll_answered(plan, answer);
                }
            }
            Ev::ReconcileTick => self.reconcile(),
            Ev::ProxyCheck => self.check_proxy(),
            Ev::QsubArrives {
                epoch,
                key,
                request,
                invalid,
            } => self.qsub_arrives(epoch, key, *request, invalid),
            Ev::QsubAnswer { epoch, key, result } => {
                if self.heard(epoch) {
                    if result.is_err() {
                        self.counts.submit_errors += 1;
                    }
                    self.apply(&key, Event::Submitted(result), None);
                    self.admit();
                }
            }
            Ev::QdelArrives { epoch, key, job } => self.qdel_arrives(epoch, key, job),
            Ev::QdelAnswer {
                epoch,
                key,
                job,
                result,
            } => {
                if self.heard(epoch) {
                    let result = result.map_err(|message| hub::spawner::CancelError { message });
                    self.apply(&key, Event::Cancelled { job, result }, None);
                    self.admit();
                }
            }
            Ev::FindAnswer {
                epoch,
                key,
                since,
                found,
            } => {
                if self.heard(epoch) {
                    self.found_submitted(&key, since, found);
                }
            }
            Ev::OutputTail { epoch, key, job } => {
                if self.heard(epoch) {
                    self.apply(&key, Event::OutputTail { job, tail: None }, None);
                }
            }
            Ev::Report { key, run, attempt } => self.notebook_reports(key, run, attempt),
            Ev::Answering {
                epoch,
                server,
                host,
                port,
            } => self.notebook_answers(epoch, server, host, port),
            Ev::ScriptExit { key, run, status } => self.notebook_exits(key, run, status),
            Ev::UserClick { user } => self.user_click(user),
            Ev::UserStop { user, session } => self.user_stop(user, session, false),
            Ev::CullStop { user, session } => self.user_stop(user, session, true),
            Ev::UserCancel { user, session } => self.user_cancel(user, session),
            Ev::FaultBegins { index } => self.fault_begins(index),
            Ev::FaultEnds { index } => self.fault_ends(index),
            Ev::Sample => self.sample(),
            Ev::SafetyEnds => {
                self.users_active = false;
                self.end_fault_windows();
                self.check_settled();
            }
        }
    }

    /// Whether an answer to the hub of `epoch` is heard (that hub still runs).
    fn heard(&self, epoch: u64) -> bool {
        self.hub.up && epoch == self.hub.epoch
    }

    /// A `qsub` reaches PBS: the job is created (or refused) whether or not its sender
    /// still lives to hear the answer.
    fn qsub_arrives(&mut self, epoch: u64, key: ServerKey, request: SubmitRequest, invalid: bool) {
        if invalid {
            self.checks.invalid_input_submitted(self.now, &key);
        }
        let result = match self.faults.qsub_reject() {
            Some((share, transient)) if self.rng.gen_bool(share) => Err(if transient {
                hub::spawner::SubmitError {
                    message: "qsub: cannot connect to server pbs02 (errno=111)".into(),
                    transient: true,
                }
            } else {
                hub::spawner::SubmitError {
                    message: "qsub: Maximum number of jobs already in queue".into(),
                    transient: false,
                }
            }),
            _ => {
                let now = self.engine_now();
                match self.engine.submit(now, request) {
                    Ok(job) => {
                        let id = self.engine.job_id(job);
                        self.jobs.insert(job, key.clone());
                        self.job_keys.insert(id.clone(), job);
                        self.live_hub_jobs.insert(job);
                        Ok(id)
                    }
                    Err(e) => Err(hub::spawner::SubmitError {
                        message: format!("qsub: {e}"),
                        transient: false,
                    }),
                }
            }
        };
        let at = self.now + self.command_ms();
        self.queue.push(at, Ev::QsubAnswer { epoch, key, result });
    }

    /// A `qdel` reaches PBS.
    fn qdel_arrives(&mut self, epoch: u64, key: ServerKey, job: JobId) {
        let now = self.engine_now();
        let result = match self.job_keys.get(&job).copied() {
            None => Err(format!("qdel: Unknown Job Id {job}")),
            Some(k) => match self.engine.delete(now, k) {
                Ok(()) => Ok(()),
                Err(e) if e.code() == drivers::resources::Pbse::HistJobId => Ok(()),
                Err(e) => Err(format!("qdel: {e}")),
            },
        };
        let at = self.now + self.command_ms();
        self.queue.push(
            at,
            Ev::QdelAnswer {
                epoch,
                key,
                job,
                result,
            },
        );
    }

    /// One sample of the cluster and the hub for the report.
    fn sample(&mut self) {
        let queued = self.engine.queued_in_order().count() as u32;
        let utilization = if self.total_ncpus == 0 {
            0.0
        } else {
            self.used_ncpus as f64 / self.total_ncpus as f64
        };
        let (mut waiting, mut queued_hub, mut starting, mut running) = (0, 0, 0, 0);
        for entry in self.hub.servers.values() {
            match entry.state.name() {
                "waiting" => waiting += 1,
                "queued" => queued_hub += 1,
                "running" => running += 1,
                "stopped" | "failed" | "stopping" => {}
                _ => starting += 1,
            }
        }
        let series = &mut self.rec.series;
        series.queued_jobs.push(queued);
        series.running_jobs.push(self.running.len() as u32);
        series.utilization.push(Recorder::round4(utilization));
        series.hub_waiting.push(waiting);
        series.hub_queued.push(queued_hub);
        series.hub_starting.push(starting);
        series.hub_running.push(running);
        series.routes.push(self.proxy.routes.len() as u32);
        self.rec.utilization_sum += utilization;
        self.look_at_time_left();
        if !self.users_active {
            self.check_settled();
        }
    }

    /// The scenario's SLOs, measured.
    fn slos(&mut self) {
        let p = self.s.properties.clone();
        if let Some(bound) = p.spawn_p95_free {
            let s = Summary::of(&self.rec.latencies_free);
            let bound_s = ms(bound) / 1000;
            self.checks.slo(
                "spawn_p95_free",
                format!("95% of spawns on free nodes run within {bound}"),
                s.count > 0 && s.p95 <= bound_s,
                format!("p95 {} s <= {bound_s} s over {} spawns", s.p95, s.count),
            );
        }
        if let Some(bound) = p.spawn_p95 {
            let s = Summary::of(&self.rec.latencies);
            let bound_s = ms(bound) / 1000;
            self.checks.slo(
                "spawn_p95",
                format!("95% of spawns run within {bound}"),
                s.count > 0 && s.p95 <= bound_s,
                format!("p95 {} s <= {bound_s} s over {} spawns", s.p95, s.count),
            );
        }
        if let Some(min) = p.min_running_share {
            let asked = self
                .counts
                .spawn_requests
                .saturating_sub(self.counts.invalid_requests)
                .saturating_sub(self.counts.requests_while_hub_down)
                .saturating_sub(self.counts.spawns_cancelled);
            let share = if asked == 0 {
                0.0
            } else {
                self.counts.spawns_running as f64 / asked as f64
            };
            self.checks.slo(
                "min_running_share",
                format!("at least {min} of the valid, uncancelled requests get a running server"),
                share >= min,
                format!(
                    "{:.4} >= {min} ({} of {asked})",
                    share, self.counts.spawns_running
                ),
            );
        }
        if let Some(max) = p.max_idle_share {
            let samples = self.rec.series.utilization.len().max(1) as f64;
            let idle = 1.0 - self.rec.utilization_sum / samples;
            self.checks.slo(
                "max_idle_share",
                format!("the cluster leaves at most {max} of its cores idle on average"),
                idle <= max,
                format!("{idle:.4} <= {max}"),
            );
        }
    }

    /// The report of the run.
    fn report(&self, options: &RunOptions) -> Report {
        let end_s = (ms(self.s.duration) + ms(self.s.settle)) / 1000;
        let properties = self.checks.results();
        let passed = properties.iter().all(|p| p.passed);
        let mut reproduce = format!("scenarios run {} --seed {}", options.file, self.seed);
        if self.variant == Variant::DeletesOnUnknown {
            reproduce.push_str(" --variant deletes-on-unknown");
        }
        let mut report = Report {
            scenario: self.s.name.clone(),
            file: options.file.clone(),
            description: self.s.description.trim().to_string(),
            seed: self.seed,
            passed,
            reproduce,
            phases: Phases {
                safety_end_s: ms(self.s.duration) / 1000,
                liveness_end_s: end_s,
                settled_at_s: self.checks.settled_since.map(|t| t / 1000),
            },
            properties,
            counts: self.counts.clone(),
            latency: Latencies {
                click_to_running: Summary::of(&self.rec.latencies),
                click_to_running_free: Summary::of(&self.rec.latencies_free),
                queue_wait: Summary::of(&self.rec.hub_waits),
                background_queue_wait: Summary::of(&self.rec.background_waits),
            },
            series: Default::default(),
            histogram: Default::default(),
            users: Vec::new(),
            faults: Vec::new(),
        };
        self.rec.fill(&mut report, end_s);
        report
    }
}

/// The scenario's background jobs: a synthetic mix or an SWF trace.
fn background_jobs(
    s: &Scenario,
    options: &RunOptions,
    seed: u64,
    inventory: &Inventory,
) -> Result<BackgroundJobs, RunError> {
    if let Some(path) = &s.background.swf {
        let path = options.dir.join(path);
        let file = std::fs::File::open(&path).map_err(|e| RunError::Trace {
            file: path.display().to_string(),
            message: format!("cannot open the background trace: {e}"),
        })?;
        let reader = SwfReader::new(
            BufReader::new(file),
            SwfMapping::new(s.background.swf_cores_per_node),
        );
        return Ok(Box::new(reader.map(|r| r.map_err(|e| e.to_string()))));
    }
    if s.background.jobs == 0 {
        return Ok(Box::new(std::iter::empty()));
    }
    let config = SyntheticConfig {
        jobs: s.background.jobs,
        // Its own stream from the run's seed, so the hub's draws do not shift it.
        seed: seed ^ 0x5DEE_CE66_D1CE_B00C,
        // Scaled jobs use `duration_scale` of the core-seconds the generator plans for:
        // it is asked for proportionally more arrivals.
        offered_load: s.background.offered_load / s.background.duration_scale,
        users: s.background.users,
        mpi_fraction: s.background.mpi_fraction,
        gpu_fraction: s.background.gpu_fraction,
        ..SyntheticConfig::default()
    };
    let generator = Synthetic::new(config, inventory).map_err(|e| {
        RunError::Spec(SpecError {
            file: options.file.clone(),
            line: None,
            field: Some("background".into()),
            message: e.to_string(),
        })
    })?;
    Ok(Box::new(generator.map(Ok)))
}
