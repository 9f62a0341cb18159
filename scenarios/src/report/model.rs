//! [`Report`]: what one scenario run found, as data. The JSON report is this, serialized;
//! the JUnit and HTML reports are rendered from it.
//!
//! Everything here is a function of the scenario file and the seed: no host time, no
//! paths but the one given, maps ordered (`BTreeMap`), floats rounded where they are
//! computed. Same file and seed, same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The outcome of one scenario run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The scenario's `name`.
    pub scenario: String,
    /// The scenario file as it was given on the command line.
    pub file: String,
    /// The scenario's `description`.
    pub description: String,
    /// The seed everything was drawn from.
    pub seed: u64,
    /// Every property held.
    pub passed: bool,
    /// The command that replays this run exactly.
    pub reproduce: String,
    /// Where the phases began and ended, in simulated seconds from the start.
    pub phases: Phases,
    /// Each property checked, in the scenario's order.
    pub properties: Vec<PropertyResult>,
    /// What happened, counted.
    pub counts: Counts,
    /// Spawn latencies and queue waits.
    pub latency: Latencies,
    /// The cluster and the hub sampled at a fixed simulated interval.
    pub series: Series,
    /// Spawn latency distribution, for the histogram.
    pub histogram: Histogram,
    /// Per-user timelines of the first users (at most [`Report::MAX_TIMELINES`]).
    pub users: Vec<UserTimeline>,
    /// Every fault injected, in order.
    pub faults: Vec<FaultSpan>,
}

impl Report {
    /// How many users' timelines a report keeps: enough to read, small enough to render.
    pub const MAX_TIMELINES: usize = 40;
}

/// The two phases: safety (faults on, invariants after every event), then liveness (faults
/// off, everything must settle within the bound).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phases {
    /// End of the safety phase (the scenario's `duration`).
    pub safety_end_s: u64,
    /// The liveness bound: the run's last second (`duration + settle`).
    pub liveness_end_s: u64,
    /// When everything had settled, if it did.
    pub settled_at_s: Option<u64>,
}

/// Whether a property holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyKind {
    /// Checked after every event of the run.
    Safety,
    /// Checked once faults stop: must become true within the settle bound and stay so.
    Liveness,
    /// A service-level objective over the run's figures.
    Slo,
}

/// One property and what the run found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyResult {
    /// Its name, e.g. `no_delete_on_unknown`.
    pub name: String,
    /// Safety, liveness or SLO.
    pub kind: PropertyKind,
    /// What it says, in one sentence.
    pub description: String,
    /// It held.
    pub passed: bool,
    /// How many times it was violated.
    pub violations: u64,
    /// The first violation, if any.
    pub first_violation: Option<Violation>,
    /// For an SLO: the measured value against its bound, e.g. `p95 41 s <= 120 s`.
    pub measured: Option<String>,
}

/// One violation of a property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Simulated seconds from the start.
    pub at_s: u64,
    /// What was wrong, naming the server and job.
    pub message: String,
}

/// What happened, counted. Failed spawns by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Users' clicks on "start" (every attempt, including refused ones).
    pub spawn_requests: u64,
    /// Requests refused by the form's validation (never reached the scheduler).
    pub invalid_requests: u64,
    /// Requests refused because the hub was down.
    pub requests_while_hub_down: u64,
    /// `qsub`s the hub sent.
    pub submits: u64,
    /// `qsub`s refused or failed.
    pub submit_errors: u64,
    /// `qdel`s the hub sent.
    pub cancels: u64,
    /// Batched `qstat`s the hub sent.
    pub polls: u64,
    /// Polls that got no answer (an outage) or a partial one.
    pub failed_polls: u64,
    /// Spawns that reached running.
    pub spawns_running: u64,
    /// Spawns that failed, by reason (the `FailReason`'s kind).
    pub spawns_failed: BTreeMap<String, u64>,
    /// Spawns the user cancelled before the server ran.
    pub spawns_cancelled: u64,
    /// Stops of running servers (user, culler), and servers ended by their job (walltime, node).
    pub servers_stopped: u64,
    /// Servers whose job ended under them (walltime, node failure, early death).
    pub servers_ended_by_job: u64,
    /// Of those, servers whose job was killed at its walltime.
    pub walltime_kills: u64,
    /// Background batch jobs submitted to the cluster.
    pub background_jobs: u64,
    /// Background jobs that ended.
    pub background_completed: u64,
    /// Hub crashes (SIGKILL) and restarts.
    pub hub_restarts: u64,
    /// Proxy restarts (its table lost).
    pub proxy_restarts: u64,
    /// Nodes failed by faults.
    pub node_failures: u64,
    /// Jobs deleted by someone other than the hub (`qdel` by an admin).
    pub outside_deletes: u64,
    /// Routes the hub added and deleted.
    pub routes_added: u64,
    /// See `routes_added`.
    pub routes_deleted: u64,
    /// Events of the runner's timeline it processed: polls and their answers, scheduler
    /// calls, users' actions, reports, faults, samples (a measure of the run's size; the
    /// engine's own events and the background submissions are not counted).
    pub events: u64,
}

/// Latency figures, seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latencies {
    /// From a user's click to the server running (routed), over every spawn that got there.
    pub click_to_running: Summary,
    /// The same, over spawns whose job did not wait in the scheduler's queue (nodes free).
    pub click_to_running_free: Summary,
    /// Hub jobs' wait in the scheduler's queue.
    pub queue_wait: Summary,
    /// Background jobs' wait in the scheduler's queue.
    pub background_queue_wait: Summary,
}

/// A distribution in whole seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// How many samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 95th percentile.
    pub p95: u64,
    /// Largest.
    pub max: u64,
}

impl Summary {
    /// The summary of `samples` (nearest-rank percentiles); all zero when empty.
    pub fn of(samples: &[u64]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |q: f64| -> u64 {
            let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
            sorted[i - 1]
        };
        Summary {
            count: sorted.len() as u64,
            p50: rank(0.5),
            p95: rank(0.95),
            max: sorted[sorted.len() - 1],
        }
    }
}

/// Samples every `interval_s` simulated seconds from 0; every vector has one entry per sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Seconds between samples.
    pub interval_s: u64,
    /// Jobs waiting in the scheduler's queues (all users).
    pub queued_jobs: Vec<u32>,
    /// Jobs running.
    pub running_jobs: Vec<u32>,
    /// Share of the cluster's cores held by jobs, 0–1, rounded to 4 decimals.
    pub utilization: Vec<f64>,
    /// Hub servers waiting for a spawn slot.
    pub hub_waiting: Vec<u32>,
    /// Hub servers whose job is queued.
    pub hub_queued: Vec<u32>,
    /// Hub servers starting (submitting, job running, not yet reported).
    pub hub_starting: Vec<u32>,
    /// Hub servers running.
    pub hub_running: Vec<u32>,
    /// Routes in the proxy's table.
    pub routes: Vec<u32>,
}

/// Spawn latencies (click to running) in buckets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bucket upper bounds, seconds; the last bucket also takes everything above.
    pub upper_s: Vec<u64>,
    /// Spawns per bucket.
    pub counts: Vec<u64>,
}

/// One user's servers over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTimeline {
    /// The user name.
    pub user: String,
    /// Consecutive phases of their servers, in time order.
    pub spans: Vec<Span>,
}

/// A stretch of time a server spent in one phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Start, simulated seconds.
    pub from_s: u64,
    /// End, simulated seconds (the run's end for a phase still on).
    pub to_s: u64,
    /// `waiting`, `submitting`, `queued`, `starting`, `running`, `stopping`, `failed`,
    /// `stopped` (the spawner state's name).
    pub phase: String,
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpan {
    /// Its kind as the scenario file names it, e.g. `qstat_outage`.
    pub kind: String,
    /// Start, simulated seconds.
    pub from_s: u64,
    /// End, simulated seconds (equal to `from_s` for an instant fault).
    pub to_s: u64,
    /// What it hit, e.g. `node0421` or `12 jobs`.
    pub detail: String,
}
