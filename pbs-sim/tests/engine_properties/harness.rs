//! Drives an engine through a [`Scenario`] and checks the invariants after every call.
//!
//! Besides reading the engine's own tables, the harness keeps an independent model of the
//! cluster rebuilt from the event log (which jobs are queued, which run where, holding what
//! the generated request says): every start is checked against that model at the moment it
//! happened, so a wrong placement cannot hide behind equally wrong bookkeeping.

use std::collections::{BTreeMap, BTreeSet};

use drivers::resources::Pbse;
use drivers::JobState;
use pbs_sim::engine::cluster::NodeIdx;
use pbs_sim::engine::config::{EngineConfig, Policy};
use pbs_sim::engine::job::{Comment, EndReason, JobKey};
use pbs_sim::engine::res::{Res, SimTime};
use pbs_sim::engine::submit::NO_WALLTIME;
use pbs_sim::engine::{Engine, EngineEvent};

use super::model::{Arr, JobSpec, Op, Pick, Scenario, Step};

/// A broken invariant, in words.
pub type Broken = String;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Policy-specific properties to check besides the general invariants.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    /// Once a job heads the queue with an estimated start, it starts by then (EASY backfill
    /// without node failures, which may delay anything).
    pub head_by_estimate: bool,
}

/// Everything a run produced that must repeat exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub log: Vec<EngineEvent>,
    pub table: Vec<JobRow>,
}

/// A job as the final table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub key: JobKey,
    pub state: JobState,
    pub substate: u32,
    pub started: Option<SimTime>,
    pub finished: Option<SimTime>,
    pub exit_status: Option<i32>,
    pub nodes: Option<Vec<NodeIdx>>,
    pub run_count: u32,
    pub comment: Option<String>,
}

/// One engine being driven through one scenario.
pub struct Run<'a> {
    scenario: &'a Scenario,
    extra: Extra,
    engine: Engine,
    now: SimTime,
    specs: BTreeMap<JobKey, JobSpec>,
    submitted: Vec<JobKey>,
    down: Vec<bool>,
    offline: Vec<bool>,
    /// Rebuilt from the log: jobs waiting to be scheduled.
    queued: BTreeSet<JobKey>,
    /// Rebuilt from the log: running jobs and the node of each chunk.
    running: BTreeMap<JobKey, Vec<NodeIdx>>,
    /// The earliest estimated start seen for each job while it headed the queue.
    head_estimates: BTreeMap<JobKey, SimTime>,
    log: Vec<EngineEvent>,
}

impl<'a> Run<'a> {
    pub fn new(scenario: &'a Scenario, extra: Extra) -> Run<'a> {
        let mut config = EngineConfig::single_queue(scenario.policy);
        config.exit_delay = scenario.exit_delay;
        config.log_events = true;
        // Keep every job in the table for the whole run: the checks read finished jobs.
        config.history_duration = u64::MAX;
        let engine = Engine::new(config, &scenario.inventory()).expect("a valid configuration");
        let now = engine.now();
        let nodes = scenario.nodes.len();
        Run {
            scenario,
            extra,
            engine,
            now,
            specs: BTreeMap::new(),
            submitted: Vec::new(),
            down: vec![false; nodes],
            offline: vec![false; nodes],
            queued: BTreeSet::new(),
            running: BTreeMap::new(),
            head_estimates: BTreeMap::new(),
            log: Vec::new(),
        }
    }

    /// Runs every step, checking after each call; on failure, says which step broke what.
    pub fn safety(&mut self) -> Result<(), Broken> {
        for (i, step) in self.scenario.steps.iter().enumerate() {
            self.step(step)
                .map_err(|e| format!("safety, step {i} ({step:?}) at t={}: {e}", self.now))?;
        }
        Ok(())
    }

    /// Stops faults (every node up and online, every hold released), then follows the
    /// engine's events until there are none: every job that can ever run must have finished.
    pub fn liveness(&mut self) -> Result<(), Broken> {
        let ctx = |now: SimTime| move |e: Broken| format!("liveness at t={now}: {e}");
        for n in 0..self.scenario.nodes.len() {
            if self.down[n] {
                self.engine.set_node_down(self.now, n as NodeIdx, false);
                self.down[n] = false;
                self.after_call().map_err(ctx(self.now))?;
            }
            if self.offline[n] {
                self.engine.set_node_offline(self.now, n as NodeIdx, false);
                self.offline[n] = false;
                self.after_call().map_err(ctx(self.now))?;
            }
        }
        for key in self.submitted.clone() {
            if self.state(key) == Some(JobState::Held) {
                self.engine
                    .release(self.now, key)
                    .map_err(|e| format!("liveness: qrls {key}: {e}"))?;
                self.after_call().map_err(ctx(self.now))?;
            }
        }
        // Each event ends a job or requeues one; a few per job is already generous.
        let bound = 20 * (self.submitted.len() + self.scenario.nodes.len()) + 100;
        let mut events = 0;
        while let Some(t) = self.engine.next_event_time() {
            events += 1;
            ensure!(
                events <= bound,
                "liveness: still events after {bound} advances (next at {t})"
            );
            ensure!(
                t >= self.now,
                "liveness: next event at {t} is before now {}",
                self.now
            );
            self.now = t;
            self.engine.advance_to(t);
            self.after_call().map_err(ctx(self.now))?;
        }
        for job in self.engine.jobs() {
            if job.never_runs {
                ensure!(
                    job.state == JobState::Queued
                        || (job.state == JobState::Finished && job.started.is_none()),
                    "liveness: job {} can never run but is {:?}",
                    job.key,
                    job.state
                );
            } else {
                ensure!(
                    job.state == JobState::Finished,
                    "liveness: no events left, but job {} ({}) is {:?}: {}",
                    job.key,
                    self.specs[&job.key].resources(),
                    job.state,
                    self.engine.comment_text(job).unwrap_or_default()
                );
            }
        }
        for (n, node) in self.engine.cluster().nodes.iter().enumerate() {
            ensure!(
                node.free == node.cap && node.jobs.is_empty(),
                "liveness: node {n} still holds {:?} with {:?} free of {:?}",
                node.jobs,
                node.free,
                node.cap
            );
        }
        Ok(())
    }

    /// The log and the final job table.
    pub fn outcome(mut self) -> Outcome {
        self.log.extend(self.engine.take_log());
        let table = self
            .engine
            .jobs()
            .map(|j| JobRow {
                key: j.key,
                state: j.state,
                substate: j.substate,
                started: j.started,
                finished: j.finished,
                exit_status: j.exit_status,
                nodes: j.alloc.as_ref().map(|a| a.iter().map(|s| s.node).collect()),
                run_count: j.run_count,
                comment: self.engine.comment_text(j),
            })
            .collect();
        Outcome {
            log: self.log,
            table,
        }
    }

    fn state(&self, key: JobKey) -> Option<JobState> {
        self.engine.job(key).map(|j| j.state)
    }

    /// Advances to now on its own first, so that anything the operation's own scheduling
    /// pass starts is seen with the node states the operation left.
    fn settle(&mut self) -> Result<(), Broken> {
        self.engine.advance_to(self.now);
        self.after_call()
    }

    fn step(&mut self, step: &Step) -> Result<(), Broken> {
        self.now += step.gap;
        let now = self.now;
        match &step.op {
            Op::Submit(spec) => {
                let name = format!("j{}", self.submitted.len());
                let key = self
                    .engine
                    .submit(now, spec.request(&name))
                    .map_err(|e| format!("qsub -l {} rejected: {e}", spec.resources()))?;
                ensure!(!self.specs.contains_key(&key), "key {key} given twice");
                self.specs.insert(key, spec.clone());
                self.submitted.push(key);
            }
            Op::Delete(i) => {
                self.settle()?;
                let Some(&key) = pick(&self.submitted, i) else {
                    return Ok(());
                };
                let before = self.state(key);
                let result = self.engine.delete(now, key);
                match before {
                    Some(JobState::Finished) => ensure!(
                        result.as_ref().is_err_and(|e| e.code() == Pbse::HistJobId),
                        "qdel {key} of a finished job gave {result:?}"
                    ),
                    Some(JobState::Exiting) => ensure!(
                        result.as_ref().is_err_and(|e| e.code() == Pbse::BadState),
                        "qdel {key} of an exiting job gave {result:?}"
                    ),
                    Some(JobState::Running) if self.scenario.exit_delay > 0 => {
                        ensure!(result.is_ok(), "qdel {key} ({before:?}) gave {result:?}");
                        ensure!(
                            self.state(key) == Some(JobState::Exiting),
                            "qdel {key} of a running job left it {:?}",
                            self.state(key)
                        );
                    }
                    _ => {
                        ensure!(result.is_ok(), "qdel {key} ({before:?}) gave {result:?}");
                        ensure!(
                            self.state(key) == Some(JobState::Finished),
                            "qdel {key} left it {:?}",
                            self.state(key)
                        );
                    }
                }
            }
            Op::Hold(i) => {
                self.settle()?;
                let Some(&key) = pick(&self.submitted, i) else {
                    return Ok(());
                };
                let before = self.state(key);
                let result = self.engine.hold(now, key);
                let code = result.as_ref().err().map(|e| e.code());
                match before {
                    Some(JobState::Queued | JobState::Held) => {
                        ensure!(result.is_ok(), "qhold {key} ({before:?}) gave {result:?}");
                        ensure!(
                            self.state(key) == Some(JobState::Held),
                            "qhold {key} left it {:?}",
                            self.state(key)
                        );
                    }
                    Some(JobState::Running | JobState::Exiting) => ensure!(
                        code == Some(Pbse::BadState),
                        "qhold {key} ({before:?}) gave {result:?}"
                    ),
                    Some(JobState::Finished) => ensure!(
                        code == Some(Pbse::HistJobId),
                        "qhold {key} (F) gave {result:?}"
                    ),
                    other => return Err(format!("job {key} is {other:?}")),
                }
            }
            Op::Release(i) => {
                self.settle()?;
                let held: Vec<JobKey> = self
                    .submitted
                    .iter()
                    .copied()
                    .filter(|&k| self.state(k) == Some(JobState::Held))
                    .collect();
                let Some(&key) = pick(&held, i) else {
                    return Ok(());
                };
                let result = self.engine.release(now, key);
                ensure!(result.is_ok(), "qrls {key} gave {result:?}");
                ensure!(
                    matches!(self.state(key), Some(JobState::Queued | JobState::Running)),
                    "qrls {key} left it {:?}",
                    self.state(key)
                );
            }
            Op::NodeDown(i, down) => {
                self.settle()?;
                let n = usize::from(*i) % self.scenario.nodes.len();
                self.engine.set_node_down(now, n as NodeIdx, *down);
                self.down[n] = *down;
            }
            Op::Offline(i, offline) => {
                self.settle()?;
                let n = usize::from(*i) % self.scenario.nodes.len();
                self.engine.set_node_offline(now, n as NodeIdx, *offline);
                self.offline[n] = *offline;
            }
            Op::Wait => self.engine.advance_to(now),
        }
        self.after_call()
    }

    /// Replays the log of the last call against the model, then checks the engine's state.
    fn after_call(&mut self) -> Result<(), Broken> {
        ensure!(
            self.engine.now() == self.now,
            "engine clock {} but now is {}",
            self.engine.now(),
            self.now
        );
        for event in self.engine.take_log() {
            self.replay(&event)?;
            self.log.push(event);
        }
        self.check_nodes()?;
        self.check_queue()?;
        self.check_walltimes()?;
        self.check_policy()
    }

    fn replay(&mut self, event: &EngineEvent) -> Result<(), Broken> {
        match event {
            EngineEvent::Submitted { key } => {
                let spec = self
                    .specs
                    .get(key)
                    .ok_or_else(|| format!("unknown job {key} submitted"))?;
                if !spec.hold {
                    self.queued.insert(*key);
                }
            }
            EngineEvent::Started { key, nodes } => {
                self.check_start(*key, nodes)?;
                ensure!(
                    self.queued.remove(key),
                    "job {key} started but was not queued"
                );
                self.running.insert(*key, nodes.clone());
            }
            EngineEvent::Ended { key, .. } => {
                let was_running = self.running.remove(key).is_some();
                let was_queued = self.queued.remove(key);
                ensure!(
                    was_running || was_queued || self.state(*key) == Some(JobState::Finished),
                    "job {key} ended but was neither running nor queued"
                );
            }
            EngineEvent::Requeued { key } => {
                ensure!(
                    self.running.remove(key).is_some(),
                    "job {key} requeued but was not running"
                );
                self.overtake(*key);
                self.queued.insert(*key);
            }
            EngineEvent::Hold { key, held } => {
                if *held {
                    ensure!(self.queued.remove(key), "job {key} held but was not queued");
                } else {
                    self.overtake(*key);
                    self.queued.insert(*key);
                }
            }
            EngineEvent::NodeState { node, down } => {
                ensure!(
                    self.down[*node as usize] == *down,
                    "node {node} logged down={down} unasked"
                );
            }
            EngineEvent::Estimated { key, .. } => {
                ensure!(
                    self.queued.contains(key),
                    "job {key} estimated but not queued"
                );
            }
            EngineEvent::Kill { key, .. } => {
                // Only jobs with an external process are killed by the daemon; the
                // harness runs none.
                return Err(format!("job {key} logged a kill but runs no process"));
            }
        }
        Ok(())
    }

    /// `key` joins the queue ahead of the waiting jobs behind it: none of them is bound
    /// by the estimate it had as the head any more.
    fn overtake(&mut self, key: JobKey) {
        let queued = &self.queued;
        self.head_estimates
            .retain(|&k, _| k < key || !queued.contains(&k));
    }

    /// Property 2: a job starts only where every chunk fits, as its place asks, on nodes
    /// up and in service, without overfilling them or sharing an exclusive node.
    fn check_start(&self, key: JobKey, nodes: &[NodeIdx]) -> Result<(), Broken> {
        let spec = self
            .specs
            .get(&key)
            .ok_or_else(|| format!("unknown job {key} started"))?;
        let job = self
            .engine
            .job(key)
            .ok_or_else(|| format!("job {key} started but is unknown"))?;
        ensure!(!job.never_runs, "job {key} can never run, yet started");
        let slots: Vec<(NodeIdx, Res)> = slots_of(spec, nodes).ok_or_else(|| {
            format!(
                "job {key} ({}) started on {nodes:?}: wrong chunk count",
                spec.resources()
            )
        })?;
        for (c, &(n, _)) in slots.iter().enumerate() {
            let node = &self.scenario.nodes[n as usize];
            let chunk = chunk_at(spec, c);
            ensure!(
                chunk.fits_on(node),
                "job {key} ({}) chunk {c} started on node {n}, which does not fit it: {node}",
                spec.resources()
            );
            ensure!(!self.down[n as usize], "job {key} started on down node {n}");
            ensure!(
                !self.offline[n as usize],
                "job {key} started on offline node {n}"
            );
        }
        let distinct: BTreeSet<NodeIdx> = nodes.iter().copied().collect();
        match spec.arrangement {
            Arr::Scatter => ensure!(
                distinct.len() == nodes.len(),
                "scatter job {key} shares nodes: {nodes:?}"
            ),
            Arr::Pack => ensure!(distinct.len() == 1, "pack job {key} spans nodes: {nodes:?}"),
            Arr::Default | Arr::Free => {}
        }
        let mut load: BTreeMap<NodeIdx, Res> = BTreeMap::new();
        for (other, other_nodes) in &self.running {
            let other_spec = &self.specs[other];
            let Some(other_slots) = slots_of(other_spec, other_nodes) else {
                continue;
            };
            for (n, r) in other_slots {
                if distinct.contains(&n) {
                    ensure!(
                        !spec.excl && !other_spec.excl,
                        "job {key} (excl={}) started on node {n} beside job {other} (excl={})",
                        spec.excl,
                        other_spec.excl
                    );
                }
                *load.entry(n).or_default() += r;
            }
        }
        for (n, r) in slots {
            *load.entry(n).or_default() += r;
        }
        for n in distinct {
            let cap = self.scenario.nodes[n as usize].cap();
            ensure!(
                cap.covers(&load[&n]),
                "job {key} overfills node {n}: {:?} of {cap:?}",
                load[&n]
            );
        }
        if self.scenario.policy == (Policy::EasyBackfill { depth: 0 }) {
            // Strict ordering: nothing starts while a job ahead of it that could ever run waits.
            if let Some(&ahead) = self
                .queued
                .iter()
                .find(|&&q| q < key && self.engine.job(q).is_some_and(|j| !j.never_runs))
            {
                return Err(format!(
                    "strict order: job {key} started while job {ahead} ahead of it waits"
                ));
            }
        }
        Ok(())
    }

    /// Property 1: per node, what running jobs hold is within capacity and is exactly what
    /// is not free; the node's job list and exclusive holder agree; the free total adds up.
    fn check_nodes(&self) -> Result<(), Broken> {
        let cluster = self.engine.cluster();
        let n_nodes = cluster.nodes.len();
        let mut used = vec![Res::default(); n_nodes];
        let mut holders: Vec<BTreeSet<JobKey>> = vec![BTreeSet::new(); n_nodes];
        let mut excl_on: Vec<Option<JobKey>> = vec![None; n_nodes];
        let mut running = BTreeSet::new();
        // An exiting job still holds its nodes.
        let holds = |j: &&pbs_sim::engine::job::Job| {
            matches!(j.state, JobState::Running | JobState::Exiting)
        };
        for job in self.engine.jobs().filter(holds) {
            running.insert(job.key);
            let spec = &self.specs[&job.key];
            let alloc = job
                .alloc
                .as_ref()
                .ok_or_else(|| format!("running job {} has no allocation", job.key))?;
            let nodes: Vec<NodeIdx> = alloc.iter().map(|s| s.node).collect();
            ensure!(
                self.running.get(&job.key) == Some(&nodes),
                "running job {} is on {nodes:?}, the log says {:?}",
                job.key,
                self.running.get(&job.key)
            );
            let expected = slots_of(spec, &nodes)
                .ok_or_else(|| format!("job {} has a wrong chunk count", job.key))?;
            for (slot, (n, res)) in alloc.iter().zip(expected) {
                ensure!(
                    slot.res == res,
                    "job {} holds {:?} on node {n}, asked {res:?}",
                    job.key,
                    slot.res
                );
                used[n as usize] += slot.res;
                holders[n as usize].insert(job.key);
                if job.need.excl {
                    excl_on[n as usize] = Some(job.key);
                }
            }
        }
        ensure!(
            running.iter().eq(self.running.keys()),
            "running jobs {running:?}, the log says {:?}",
            self.running.keys().collect::<Vec<_>>()
        );
        let mut free_total = Res::default();
        for (n, node) in cluster.nodes.iter().enumerate() {
            let cap = self.scenario.nodes[n].cap();
            ensure!(
                node.cap == cap,
                "node {n} has capacity {:?}, defined {cap:?}",
                node.cap
            );
            ensure!(
                cap.covers(&used[n]),
                "node {n} oversubscribed: {:?} used of {cap:?}",
                used[n]
            );
            ensure!(
                node.free + used[n] == cap,
                "node {n}: free {:?} + used {:?} != capacity {cap:?}",
                node.free,
                used[n]
            );
            let listed: BTreeSet<JobKey> = node.jobs.iter().copied().collect();
            ensure!(
                listed == holders[n] && listed.len() == node.jobs.len(),
                "node {n} lists jobs {:?}, running there: {:?}",
                node.jobs,
                holders[n]
            );
            if let Some(k) = excl_on[n] {
                ensure!(
                    holders[n].len() == 1,
                    "exclusive job {k} shares node {n} with {:?}",
                    holders[n]
                );
            }
            ensure!(
                node.excl_job == excl_on[n],
                "node {n} excl_job {:?}, expected {:?}",
                node.excl_job,
                excl_on[n]
            );
            ensure!(
                node.down == self.down[n] && node.offline == self.offline[n],
                "node {n} state differs from what was asked"
            );
            if node.usable() {
                free_total += node.free;
            }
        }
        ensure!(
            cluster.free_total == free_total,
            "free total {:?}, usable nodes have {free_total:?}",
            cluster.free_total
        );
        Ok(())
    }

    /// The queue holds exactly the jobs in state Q, as the log says.
    fn check_queue(&self) -> Result<(), Broken> {
        let in_queue: BTreeSet<JobKey> = self.engine.queued_in_order().collect();
        let in_state_q: BTreeSet<JobKey> = self
            .engine
            .jobs()
            .filter(|j| j.state == JobState::Queued)
            .map(|j| j.key)
            .collect();
        ensure!(
            in_queue == in_state_q,
            "queue {in_queue:?}, jobs in state Q {in_state_q:?}"
        );
        ensure!(
            in_queue == self.queued,
            "queue {in_queue:?}, the log says {:?}",
            self.queued
        );
        let order: Vec<JobKey> = self.engine.queued_in_order().collect();
        ensure!(
            order.windows(2).all(|w| w[0] < w[1]),
            "one queue, yet not in submission order: {order:?}"
        );
        Ok(())
    }

    /// Property 3: walltime is never exceeded, and a job ends exactly when its script does
    /// or its walltime runs out, whichever is first.
    fn check_walltimes(&self) -> Result<(), Broken> {
        let now = self.now;
        for job in self.engine.jobs() {
            let spec = &self.specs[&job.key];
            let wall = spec.walltime.unwrap_or(NO_WALLTIME);
            ensure!(
                job.need.walltime == wall,
                "job {} has walltime {}, asked {wall}",
                job.key,
                job.need.walltime
            );
            match job.state {
                JobState::Running => {
                    let started = job
                        .started
                        .ok_or_else(|| format!("running job {} has no start", job.key))?;
                    ensure!(
                        now - started <= wall,
                        "job {} has run {}s of walltime {wall}s",
                        job.key,
                        now - started
                    );
                }
                JobState::Exiting => {
                    let (Some(started), Some(ended)) = (job.started, job.finished) else {
                        return Err(format!("exiting job {} has no start or end", job.key));
                    };
                    ensure!(
                        ended - started <= wall && now - ended < self.scenario.exit_delay,
                        "job {} ran {}s of walltime {wall}s and has exited for {}s of {}s",
                        job.key,
                        ended - started,
                        now - ended,
                        self.scenario.exit_delay
                    );
                }
                JobState::Finished => {
                    let Comment::Ran {
                        at,
                        end: Some(reason),
                    } = &job.comment
                    else {
                        continue;
                    };
                    if *reason == EndReason::NodeFailed && spec.rerunnable {
                        continue; // requeued when its node failed, then deleted while it waited
                    }
                    let finished = job
                        .finished
                        .ok_or_else(|| format!("finished job {} has no end", job.key))?;
                    ensure!(
                        job.started == Some(*at),
                        "job {} started {:?}, comment says {at}",
                        job.key,
                        job.started
                    );
                    let ran = finished - at;
                    ensure!(
                        ran <= wall,
                        "job {} ran {ran}s of walltime {wall}s",
                        job.key
                    );
                    match reason {
                        EndReason::Exited => ensure!(
                            spec.runtime == Some(ran) && ran <= wall && job.exit_status == Some(spec.exit_status),
                            "job {} exited after {ran}s with {:?}; script runs {:?}, walltime {wall}",
                            job.key,
                            job.exit_status,
                            spec.runtime
                        ),
                        EndReason::Walltime => ensure!(
                            ran == wall && spec.runtime.is_none_or(|r| r > wall) && job.exit_status == Some(-29),
                            "job {} killed after {ran}s with {:?}; script runs {:?}, walltime {wall}",
                            job.key,
                            job.exit_status,
                            spec.runtime
                        ),
                        EndReason::Deleted => ensure!(job.exit_status == Some(271), "deleted job {} exit {:?}", job.key, job.exit_status),
                        EndReason::NodeFailed => ensure!(job.exit_status == Some(-20), "job {} failed with its node, exit {:?}", job.key, job.exit_status),
                    }
                }
                JobState::Queued | JobState::Held => {
                    ensure!(
                        job.finished.is_none(),
                        "waiting job {} has an end time",
                        job.key
                    );
                }
                other => return Err(format!("job {} is {other:?}", job.key)),
            }
        }
        Ok(())
    }

    /// Estimates only where the policy calendars; under EASY, the head starts by its estimate.
    fn check_policy(&mut self) -> Result<(), Broken> {
        let estimated: Vec<JobKey> = self
            .engine
            .jobs()
            .filter(|j| j.estimate.is_some())
            .map(|j| j.key)
            .collect();
        for &k in &estimated {
            ensure!(
                self.state(k) == Some(JobState::Queued),
                "job {k} has an estimate but is {:?}",
                self.state(k)
            );
        }
        match self.scenario.policy {
            Policy::Fifo => ensure!(estimated.is_empty(), "FIFO calendared {estimated:?}"),
            Policy::EasyBackfill { depth } => ensure!(
                estimated.len() <= depth as usize,
                "depth {depth} but estimates for {estimated:?}"
            ),
        }
        if self.scenario.policy == Policy::Fifo {
            self.check_fifo_greedy()?;
        }
        if !self.extra.head_by_estimate {
            return Ok(());
        }
        let head = self
            .engine
            .queued_in_order()
            .find(|&k| self.engine.job(k).is_some_and(|j| !j.never_runs));
        if let Some(head) = head {
            let job = self.engine.job(head).expect("queued job is known");
            let Some((start, _)) = &job.estimate else {
                return Err(format!(
                    "job {head} heads the queue but has no estimate: {:?}",
                    self.engine.comment_text(job)
                ));
            };
            let best = self.head_estimates.entry(head).or_insert(*start);
            *best = (*best).min(*start);
        }
        // A job overtaken (by a released or requeued job ahead of it) or held is bound by
        // its estimate no longer; it makes a new one when it heads the queue again.
        let engine = &self.engine;
        self.head_estimates.retain(|&k, _| {
            Some(k) == head
                || engine
                    .job(k)
                    .is_some_and(|j| !matches!(j.state, JobState::Queued | JobState::Held))
        });
        for (&key, &estimate) in &self.head_estimates {
            let job = self.engine.job(key).expect("kept in history");
            match (job.state, job.started) {
                (JobState::Queued, _) => ensure!(
                    self.now < estimate,
                    "job {key} headed the queue with estimated start {estimate}, still waits at {}",
                    self.now
                ),
                (_, Some(started)) => ensure!(
                    started <= estimate,
                    "job {key} headed the queue with estimated start {estimate}, started at {started}"
                ),
                _ => {} // deleted while it waited
            }
        }
        Ok(())
    }

    /// Under PBS's default policy a waiting job that fits somewhere now is started now. Only
    /// checked for one-chunk jobs, where first fit cannot miss a placement that exists.
    fn check_fifo_greedy(&self) -> Result<(), Broken> {
        let cluster = self.engine.cluster();
        for key in self.engine.queued_in_order() {
            let job = self.engine.job(key).expect("queued job is known");
            let spec = &self.specs[&key];
            if job.never_runs || spec.chunks.len() != 1 || spec.chunks[0].count != 1 {
                continue;
            }
            let chunk = &spec.chunks[0];
            let fits = cluster.nodes.iter().enumerate().find(|(n, node)| {
                node.usable()
                    && (!spec.excl || node.jobs.is_empty())
                    && node.free.covers(&chunk.res())
                    && chunk.fits_on(&self.scenario.nodes[*n])
            });
            if let Some((n, _)) = fits {
                return Err(format!(
                    "FIFO: job {key} ({}) fits on node {n} now but waits",
                    spec.resources()
                ));
            }
        }
        Ok(())
    }
}

fn pick<'k>(keys: &'k [JobKey], p: &Pick) -> Option<&'k JobKey> {
    if keys.is_empty() {
        None
    } else {
        Some(&keys[usize::from(*p) % keys.len()])
    }
}

/// The chunk that slot `c` of the job's allocation holds (chunks in order, `count` each).
fn chunk_at(spec: &JobSpec, mut c: usize) -> &super::model::ChunkSpec {
    for chunk in &spec.chunks {
        if c < chunk.count as usize {
            return chunk;
        }
        c -= chunk.count as usize;
    }
    panic!("slot {c} beyond the job's chunks")
}

/// Pairs each node of a start with what its chunk holds; `None` if the counts differ.
fn slots_of(spec: &JobSpec, nodes: &[NodeIdx]) -> Option<Vec<(NodeIdx, Res)>> {
    let total: usize = spec.chunks.iter().map(|c| c.count as usize).sum();
    if nodes.len() != total {
        return None;
    }
    Some(
        nodes
            .iter()
            .enumerate()
            .map(|(c, &n)| (n, chunk_at(spec, c).res()))
            .collect(),
    )
}
