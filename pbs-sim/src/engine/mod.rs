//! The simulated PBS Pro server and scheduler: pure and deterministic.
//!
//! No tokio, no wall clock, no unseeded randomness, no hash-order iteration: time is passed in
//! to every call, and everything observable comes out of ordered maps, so the same calls give
//! the same results and the same event log, always. Work happens only on events (submit, job
//! end, delete, hold, node change), never per tick.
//!
//! - [`config`] — policy, queues, limits, history.
//! - [`inventory`] / [`node`] — the nodes (default: a 2000-node Palmetto-like cluster).
//! - [`cluster`] — free resources and the index that places chunks on nodes.
//! - [`submit`] — defaults, resource checks, routing and limits at submission.
//! - `schedule` / [`reservation`] — the scheduling pass: PBS's default greedy policy, or
//!   strict ordering with EASY backfill and estimated start times.
//! - [`projection`] / [`running`] — the future as a top job's reservation sees it: running
//!   jobs by walltime end per node class, released onto a copy-free projection.
//! - [`wakeup`] — which blocked jobs a release could unblock, so a pass looks at those and
//!   the head of the queue rather than at every queued job.
//! - [`job`] / [`table`] / [`status`] — jobs, their comments, and what `qstat` would say.
//!
//! Cost: a pass after a release looks at the head of the queue and at the blocked jobs
//! whose smallest chunk fits a node that grew; a top job's reservation is recomputed only
//! when something it could use was released or taken. See `BENCHMARKS.md` for figures.

pub mod cluster;
pub mod config;
pub mod inventory;
pub mod job;
pub mod node;
pub mod projection;
pub mod res;
pub mod reservation;
pub mod running;
mod schedule;
pub mod status;
pub mod submit;
pub mod table;
pub mod wakeup;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use drivers::resources::{PbsError, Pbse};
use drivers::JobState;

use self::cluster::{Cluster, NodeIdx};
use self::config::EngineConfig;
use self::inventory::Inventory;
use self::job::{Comment, EndReason, Job, JobKey, SubmitRequest};
use self::res::SimTime;
use self::reservation::Reservation;
use self::running::RunningIndex;
use self::schedule::Pending;
use self::table::JobTable;
use self::wakeup::WakeIndex;

/// Order of queued jobs: queue priority (high first), queue creation order, submission order
/// (PBS's `by_queue` sort with no `job_sort_key`).
pub type SortKey = (i64, u32, JobKey);

/// Something the engine did, for determinism checks and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A job was accepted into an execution queue.
    Submitted {
        /// The job.
        key: JobKey,
    },
    /// A job started on these nodes (one entry per chunk).
    Started {
        /// The job.
        key: JobKey,
        /// Node of each chunk.
        nodes: Vec<NodeIdx>,
    },
    /// A job ended with this exit status.
    Ended {
        /// The job.
        key: JobKey,
        /// `Exit_status` (none for a job deleted before it ran).
        exit_status: Option<i32>,
    },
    /// A blocked top job was given an estimated start time.
    Estimated {
        /// The job.
        key: JobKey,
        /// `estimated.start_time`.
        start: SimTime,
    },
    /// A job was held or released.
    Hold {
        /// The job.
        key: JobKey,
        /// Held (true) or released (false).
        held: bool,
    },
    /// A running job was put back in the queue (its node failed).
    Requeued {
        /// The job.
        key: JobKey,
    },
    /// A job whose script runs outside the engine must be killed: it was deleted, ran out
    /// of walltime, or lost its node. It stays in `E` (or went back to the queue, for a
    /// requeue) and the process's end is reported with [`Engine::script_exited`].
    Kill {
        /// The job.
        key: JobKey,
        /// Why.
        reason: EndReason,
    },
    /// A node went down or came back.
    NodeState {
        /// The node.
        node: NodeIdx,
        /// Down (true) or up (false).
        down: bool,
    },
}

/// Counters for reports and the `simulate` command.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Jobs accepted.
    pub submitted: u64,
    /// Job starts (a requeued job counts again).
    pub started: u64,
    /// Jobs that ended after running.
    pub completed: u64,
    /// Jobs killed at their walltime.
    pub walltime_killed: u64,
    /// Jobs deleted (queued or running).
    pub deleted: u64,
    /// Seconds each start waited since its job was queued, in start order.
    pub waits: Vec<u64>,
    /// CPU-seconds held by jobs that have ended.
    pub cpu_seconds: u128,
    /// Full scheduling passes (after a release or a reordering).
    pub full_passes: u64,
    /// Jobs looked at by scheduling passes.
    pub considered: u64,
    /// Top-job reservations computed (rather than kept from an earlier pass).
    pub reservations_computed: u64,
}

/// Internal timed events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A job's script ends (or its walltime runs out). Stale if `run` is not its current run.
    End {
        key: JobKey,
        run: u32,
        walltime_kill: bool,
    },
    /// `node_fail_requeue` has passed since the node went down.
    NodeFailRequeue { node: NodeIdx },
    /// A job's exit processing (`E`) is over: it finishes and frees its nodes.
    Exited { key: JobKey, run: u32 },
}

/// Why the engine could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The inventory has no nodes.
    #[error("the inventory has no nodes")]
    NoNodes,
    /// A route queue names a queue that does not exist.
    #[error("queue {queue} routes to unknown queue {destination}")]
    UnknownDestination {
        /// The route queue.
        queue: String,
        /// The missing destination.
        destination: String,
    },
    /// The default queue does not exist.
    #[error("default queue {0} does not exist")]
    UnknownDefaultQueue(String),
}

/// One simulated PBS server with its scheduler and nodes.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    cluster: Cluster,
    now: SimTime,
    next_key: JobKey,
    jobs: JobTable,
    queued: BTreeMap<SortKey, ()>,
    running: RunningIndex,
    events: BinaryHeap<Reverse<(SimTime, u64, Event)>>,
    event_seq: u64,
    history: VecDeque<(SimTime, JobKey)>,
    queue_running: Vec<u32>,
    pending: Pending,
    reservations: Vec<Reservation>,
    /// The reservations of the pass before, while a full pass rebuilds them.
    previous: Vec<Reservation>,
    reserved_from: Vec<SimTime>,
    any_blocked: bool,
    /// Counts releases of resources (job ends, requeues) and node state changes.
    release_clock: u64,
    /// Per class, the release clock when something on it was last released.
    class_released: Vec<u64>,
    /// Per class, the release clock when a job last started on it with no reservation in
    /// place (a top job starting early, or a job ahead of the top jobs): such a start may
    /// take nodes that a remembered estimate counts on.
    class_taken: Vec<u64>,
    /// The release clock at the last node state change.
    nodes_changed: u64,
    /// The release clock when a top job's reservation last changed.
    reservations_changed: u64,
    /// A full pass is rebuilding the reservations: those of the last pass are gone and
    /// the new ones not yet known.
    settling: bool,
    /// Blocked jobs by what could wake them.
    wake: WakeIndex,
    /// Nodes whose free resources grew since the last full pass.
    changed_nodes: Vec<NodeIdx>,
    /// `nodes_changed` as of the last full pass.
    nodes_seen: u64,
    log: Vec<EngineEvent>,
    stats: Stats,
}

impl Engine {
    /// A server with `config` over the nodes of `inventory`, all free, at `config.start_time`.
    pub fn new(config: EngineConfig, inventory: &Inventory) -> Result<Engine, ConfigError> {
        if inventory.nodes.is_empty() {
            return Err(ConfigError::NoNodes);
        }
        for q in &config.queues {
            if let config::QueueKind::Route { destinations } = &q.kind {
                for d in destinations {
                    if !config.queues.iter().any(|x| &x.name == d) {
                        return Err(ConfigError::UnknownDestination {
                            queue: q.name.clone(),
                            destination: d.clone(),
                        });
                    }
                }
            }
        }
        if let Some(d) = &config.default_queue {
            if !config.queues.iter().any(|q| &q.name == d) {
                return Err(ConfigError::UnknownDefaultQueue(d.clone()));
            }
        }
        let cluster = Cluster::new(inventory);
        let nodes = cluster.nodes.len();
        let classes = cluster.classes.len();
        Ok(Engine {
            now: config.start_time,
            queue_running: vec![0; config.queues.len()],
            config,
            cluster,
            next_key: 1,
            jobs: JobTable::new(1),
            queued: BTreeMap::new(),
            running: RunningIndex::new(classes),
            events: BinaryHeap::new(),
            event_seq: 0,
            history: VecDeque::new(),
            pending: Pending::default(),
            reservations: Vec::new(),
            previous: Vec::new(),
            reserved_from: vec![SimTime::MAX; nodes],
            any_blocked: false,
            release_clock: 0,
            class_released: vec![0; classes],
            class_taken: vec![0; classes],
            nodes_changed: 0,
            reservations_changed: 0,
            settling: false,
            wake: WakeIndex::new(classes),
            changed_nodes: Vec::new(),
            nodes_seen: 0,
            log: Vec::new(),
            stats: Stats::default(),
        })
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The nodes and their state.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// A job, if the server still knows it (queued, running, or in history).
    pub fn job(&self, key: JobKey) -> Option<&Job> {
        self.jobs.get(&key)
    }

    /// Every job the server knows, in key order.
    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }

    /// Jobs waiting in execution queues, in the order the scheduler considers them.
    pub fn queued_in_order(&self) -> impl Iterator<Item = JobKey> + '_ {
        self.queued.keys().map(|k| k.2)
    }

    /// The time of the next internal event (a job end, a requeue), if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.events.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Takes the events logged since the last call (empty unless `log_events` is on).
    pub fn take_log(&mut self) -> Vec<EngineEvent> {
        std::mem::take(&mut self.log)
    }

    /// Processes every internal event up to `t`, scheduling after each instant, and sets the
    /// clock to `t`. Time never goes backwards: an earlier `t` only runs pending work.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some(&Reverse((when, _, _))) = self.events.peek() {
            if when > t {
                break;
            }
            self.now = self.now.max(when);
            while let Some(&Reverse((w, _, event))) = self.events.peek() {
                if w != when {
                    break;
                }
                self.events.pop();
                self.apply(event);
            }
            self.purge_history();
            self.schedule();
        }
        self.now = self.now.max(t);
        self.purge_history();
        self.schedule();
    }

    /// Submits a job at `now`, as `qsub` would: defaults, checks, routing; then a scheduling
    /// pass (so the job may already be running when this returns).
    pub fn submit(&mut self, now: SimTime, req: SubmitRequest) -> Result<JobKey, PbsError> {
        self.advance_to(now);
        let resources = submit::with_select(req.resources)?;
        self.config.resource_defs.check(&resources)?;
        let queue = submit::route(&self.config, req.queue.as_deref(), &resources)?;
        let default_wall = self.config.queues[queue].default_walltime.or_else(|| {
            req.queue
                .as_deref()
                .or(self.config.default_queue.as_deref())
                .and_then(|q| self.config.queues.iter().find(|x| x.name == q))
                .and_then(|q| q.default_walltime)
        });
        let mut resources = resources;
        if resources.walltime.is_none() {
            resources.walltime = default_wall;
        }
        let (need, never) = submit::compile(&self.cluster, &resources, resources.walltime);
        let eligible = (self.cluster.classes.len() <= 64).then(|| {
            reservation::eligible_classes(&self.cluster, &need)
                .into_iter()
                .fold(0u64, |mask, c| mask | (1 << c))
        });
        let key = self.next_key;
        self.next_key += 1;
        let state = if req.hold {
            JobState::Held
        } else {
            JobState::Queued
        };
        let job = Job {
            key,
            owner: req.owner,
            name: req.name,
            queue,
            request: resources,
            need,
            behaviour: req.behaviour,
            rerunnable: req.rerunnable,
            state,
            substate: if req.hold { 20 } else { 10 },
            never_runs: never.is_some(),
            created: self.now,
            queued_at: self.now,
            started: None,
            finished: None,
            alloc: None,
            comment: never.unwrap_or(Comment::None),
            estimate: None,
            estimate_stamp: 0,
            eligible,
            blocked_stamp: None,
            blocked_by_claims: false,
            indexed: false,
            deficit: 0,
            exit_status: None,
            run_count: 0,
        };
        self.jobs.insert(key, job);
        self.stats.submitted += 1;
        self.log(EngineEvent::Submitted { key });
        if !req.hold {
            self.enqueue(key);
        }
        self.schedule();
        Ok(key)
    }

    /// Deletes a job at `now` (`qdel`): a waiting job is removed, a running one is killed.
    pub fn delete(&mut self, now: SimTime, key: JobKey) -> Result<(), PbsError> {
        self.advance_to(now);
        let Some(job) = self.jobs.get(&key) else {
            return Err(PbsError::new(Pbse::UnkJobId, ""));
        };
        match job.state {
            JobState::Finished => Err(PbsError::new(Pbse::HistJobId, "")),
            // PBS refuses `qdel` of a job in E without `-W force`.
            JobState::Exiting => Err(PbsError::new(Pbse::BadState, "")),
            JobState::Running => {
                self.end_run(key, 271, EndReason::Deleted);
                self.stats.deleted += 1;
                self.schedule();
                Ok(())
            }
            _ => {
                let had_estimate = job.estimate.is_some();
                let sk = self.sort_key(key);
                self.unindex(key);
                self.queued.remove(&sk);
                let job = self.jobs.get_mut(&key).expect("checked above");
                job.state = JobState::Finished;
                job.substate = 91;
                job.finished = Some(self.now);
                job.estimate = None;
                self.stats.deleted += 1;
                self.log(EngineEvent::Ended {
                    key,
                    exit_status: None,
                });
                self.keep_in_history(key);
                if had_estimate {
                    self.pending.full = true;
                }
                self.schedule();
                Ok(())
            }
        }
    }

    /// Puts a user hold on a waiting job (`qhold`).
    pub fn hold(&mut self, now: SimTime, key: JobKey) -> Result<(), PbsError> {
        self.advance_to(now);
        let sk = self.sort_key(key);
        let job = self
            .jobs
            .get_mut(&key)
            .ok_or_else(|| PbsError::new(Pbse::UnkJobId, ""))?;
        match job.state {
            JobState::Queued => {
                job.state = JobState::Held;
                job.substate = 20;
                if job.estimate.take().is_some() {
                    self.pending.full = true;
                }
                self.queued.remove(&sk);
                self.unindex(key);
                self.log(EngineEvent::Hold { key, held: true });
                self.schedule();
                Ok(())
            }
            JobState::Held => Ok(()),
            JobState::Finished => Err(PbsError::new(Pbse::HistJobId, "")),
            _ => Err(PbsError::new(Pbse::BadState, "")),
        }
    }

    /// Releases a user hold (`qrls`).
    pub fn release(&mut self, now: SimTime, key: JobKey) -> Result<(), PbsError> {
        self.advance_to(now);
        let job = self
            .jobs
            .get_mut(&key)
            .ok_or_else(|| PbsError::new(Pbse::UnkJobId, ""))?;
        match job.state {
            JobState::Held => {
                job.state = JobState::Queued;
                job.substate = 10;
                self.log(EngineEvent::Hold { key, held: false });
                self.enqueue(key);
                self.schedule();
                Ok(())
            }
            JobState::Finished => Err(PbsError::new(Pbse::HistJobId, "")),
            _ => Ok(()),
        }
    }

    /// Marks a node down (its MoM stopped answering) or up again. Jobs on a node that stays
    /// down for `node_fail_requeue` seconds are requeued (or fail, if not rerunnable).
    pub fn set_node_down(&mut self, now: SimTime, node: NodeIdx, down: bool) {
        self.advance_to(now);
        if self.cluster.nodes[node as usize].down == down {
            return;
        }
        self.cluster.update(node, |n| n.down = down);
        if down {
            let at = self.now.saturating_add(self.config.node_fail_requeue);
            self.push_event(at, Event::NodeFailRequeue { node });
        }
        self.log(EngineEvent::NodeState { node, down });
        self.note_node_change();
        self.pending.full = true;
        self.schedule();
    }

    /// Takes a node out of service or returns it (`pbsnodes -o` / `-r`); running jobs stay.
    pub fn set_node_offline(&mut self, now: SimTime, node: NodeIdx, offline: bool) {
        self.advance_to(now);
        self.cluster.update(node, |n| n.offline = offline);
        self.note_node_change();
        self.pending.full = true;
        self.schedule();
    }

    pub(crate) fn sort_key(&self, key: JobKey) -> SortKey {
        let queue = self.jobs.get(&key).map_or(0, |j| j.queue);
        let priority = self.config.queues.get(queue).map_or(0, |q| q.priority);
        (-i64::from(priority), queue as u32, key)
    }

    /// Takes a job that leaves the queue (it starts, is held or deleted) out of the wake-up
    /// index, and forgets that it was blocked: back in the queue, it is tried afresh.
    pub(crate) fn unindex(&mut self, key: JobKey) {
        let sk = self.sort_key(key);
        let Some(job) = self.jobs.get_mut(&key) else {
            return;
        };
        job.blocked_stamp = None;
        job.deficit = 0;
        if job.indexed {
            job.indexed = false;
            let least = job.least_chunk();
            self.wake.remove(sk, job.eligible, least);
        }
    }

    fn enqueue(&mut self, key: JobKey) {
        let sk = self.sort_key(key);
        self.queued.insert(sk, ());
        self.pending.arrived.push(sk);
    }

    fn push_event(&mut self, at: SimTime, event: Event) {
        self.event_seq += 1;
        self.events.push(Reverse((at, self.event_seq, event)));
    }

    fn log(&mut self, event: EngineEvent) {
        if self.config.log_events {
            self.log.push(event);
        }
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::End {
                key,
                run,
                walltime_kill,
            } => {
                let current = self
                    .jobs
                    .get(&key)
                    .is_some_and(|j| j.state == JobState::Running && j.run_count == run);
                if !current {
                    return;
                }
                if walltime_kill {
                    self.stats.walltime_killed += 1;
                    let exit = self.config.walltime_exit_status;
                    self.end_run(key, exit, EndReason::Walltime);
                } else {
                    let exit = self.jobs[&key].behaviour.exit_status;
                    self.end_run(key, exit, EndReason::Exited);
                }
            }
            Event::NodeFailRequeue { node } => {
                if !self.cluster.nodes[node as usize].down {
                    return;
                }
                let victims = self.cluster.nodes[node as usize].jobs.clone();
                for key in victims {
                    // A job already exiting finishes on its own.
                    if self.jobs[&key].state != JobState::Running {
                        continue;
                    }
                    if self.jobs[&key].rerunnable {
                        self.requeue(key);
                    } else {
                        self.end_run(key, -20, EndReason::NodeFailed);
                    }
                }
            }
            Event::Exited { key, run } => {
                let job = self.jobs.get(&key);
                if let Some(job) =
                    job.filter(|j| j.state == JobState::Exiting && j.run_count == run)
                {
                    let exit = job.exit_status.unwrap_or(0);
                    let reason = match &job.comment {
                        Comment::Ran { end: Some(r), .. } => r.clone(),
                        _ => EndReason::Exited,
                    };
                    self.finish(key, exit, reason);
                }
            }
        }
    }

    /// The script of a running job ended (or was killed): the job exits (`E`) for
    /// `exit_delay` seconds, keeping its nodes, then finishes.
    fn end_run(&mut self, key: JobKey, exit_status: i32, reason: EndReason) {
        let delay = self.config.exit_delay;
        // A real process must die first, however short the exit: its end is reported by
        // `script_exited`.
        let kill = self.jobs[&key].behaviour.external && reason != EndReason::Exited;
        if delay == 0 && !kill {
            self.finish(key, exit_status, reason);
            return;
        }
        let now = self.now;
        let job = self.jobs.get_mut(&key).expect("running job exists");
        job.state = JobState::Exiting;
        job.substate = 50;
        job.exit_status = Some(exit_status);
        job.finished = Some(now);
        job.comment = Comment::Ran {
            at: job.started.unwrap_or(now),
            end: Some(reason.clone()),
        };
        let run = job.run_count;
        if kill {
            self.log(EngineEvent::Kill { key, reason });
            return;
        }
        self.push_event(now.saturating_add(delay), Event::Exited { key, run });
    }

    /// The process of a job whose script runs outside the engine ended at `now` with
    /// `exit_status` (the script's code, or 256 + signal). A running job exits (`E`, then
    /// `F` after `exit_delay`); a job already killed finishes, keeping the status PBS gives
    /// its kill (a walltime kill's) or taking the process's (a deletion's). Anything else —
    /// an unknown job, one not running, an engine-run job — is ignored: the report is stale.
    pub fn script_exited(&mut self, now: SimTime, key: JobKey, exit_status: i32) {
        self.advance_to(now);
        let Some(job) = self.jobs.get_mut(&key) else {
            return;
        };
        if !job.behaviour.external {
            return;
        }
        match job.state {
            JobState::Running => self.end_run(key, exit_status, EndReason::Exited),
            JobState::Exiting => {
                let reason = match &job.comment {
                    Comment::Ran { end: Some(r), .. } => r.clone(),
                    _ => EndReason::Exited,
                };
                if reason == EndReason::Deleted {
                    job.exit_status = Some(exit_status);
                }
                let run = job.run_count;
                let at = now.saturating_add(self.config.exit_delay);
                self.push_event(at, Event::Exited { key, run });
            }
            _ => return,
        }
        self.schedule();
    }

    /// Ends a running job: frees its nodes, records how it ended.
    fn finish(&mut self, key: JobKey, exit_status: i32, reason: EndReason) {
        let now = self.now;
        let job = self.jobs.get_mut(&key).expect("running job exists");
        let alloc = job.alloc.clone().unwrap_or_default();
        let started = job.started.unwrap_or(now);
        let end = started.saturating_add(job.need.walltime + self.config.exit_delay);
        self.running.remove(&self.cluster, &alloc, end, key);
        self.cluster.release(key, &alloc);
        self.queue_running[job.queue] -= 1;
        let ended = job
            .finished
            .filter(|_| job.state == JobState::Exiting)
            .unwrap_or(now);
        job.state = JobState::Finished;
        job.substate = match reason {
            EndReason::Deleted => 91,
            _ if exit_status == 0 => 92,
            _ => 93,
        };
        job.finished = Some(ended);
        job.exit_status = Some(exit_status);
        job.comment = Comment::Ran {
            at: started,
            end: Some(reason),
        };
        self.stats.completed += 1;
        self.stats.cpu_seconds += u128::from(ended - started) * u128::from(job.need.total.ncpus);
        self.log(EngineEvent::Ended {
            key,
            exit_status: Some(exit_status),
        });
        self.keep_in_history(key);
        self.note_release(&alloc);
        self.pending.full = true;
    }

    /// Puts a running job back in its queue (node failure on a rerunnable job).
    fn requeue(&mut self, key: JobKey) {
        let now = self.now;
        let job = self.jobs.get_mut(&key).expect("running job exists");
        let alloc = job.alloc.take().unwrap_or_default();
        let started = job.started.unwrap_or(now);
        let end = started.saturating_add(job.need.walltime + self.config.exit_delay);
        self.running.remove(&self.cluster, &alloc, end, key);
        self.cluster.release(key, &alloc);
        self.queue_running[job.queue] -= 1;
        job.state = JobState::Queued;
        job.substate = 10;
        job.queued_at = now;
        job.exit_status = Some(-20);
        job.comment = Comment::Ran {
            at: started,
            end: Some(EndReason::NodeFailed),
        };
        let external = job.behaviour.external;
        self.log(EngineEvent::Requeued { key });
        if external {
            self.log(EngineEvent::Kill {
                key,
                reason: EndReason::NodeFailed,
            });
        }
        self.enqueue(key);
        self.note_release(&alloc);
        self.pending.full = true;
    }

    /// Notes that resources came free on the nodes of `alloc`.
    fn note_release(&mut self, alloc: &cluster::Allocation) {
        self.release_clock += 1;
        for slot in alloc {
            self.changed_nodes.push(slot.node);
            let class = self.cluster.nodes[slot.node as usize].class;
            self.class_released[class as usize] = self.release_clock;
        }
    }

    /// Notes that a node changed state: every estimate must be recomputed.
    fn note_node_change(&mut self) {
        self.release_clock += 1;
        self.nodes_changed = self.release_clock;
    }

    fn keep_in_history(&mut self, key: JobKey) {
        if self.config.history {
            self.history.push_back((self.now, key));
        } else {
            self.jobs.remove(&key);
        }
    }

    fn purge_history(&mut self) {
        while let Some(&(at, key)) = self.history.front() {
            if at.saturating_add(self.config.history_duration) > self.now {
                break;
            }
            self.history.pop_front();
            self.jobs.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests;
