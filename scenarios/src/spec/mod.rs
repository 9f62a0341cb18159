//! A scenario file, as data: the cluster, the background load, the hub's settings, the
//! users and their behaviour, the faults, and the properties that must hold.
//!
//! Every table and field has a default except `name` and `duration`, so a scenario says only
//! what it is about. Unknown fields are errors (a typo must not silently test something
//! else), and every error names the line, the column and the field (see [`load`]).
//!
//! - [`load`](mod@load) — reading a file, with the errors people see.
//! - [`fault`] — the faults a scenario can inject.
//! - [`users`] — hub users: arrivals, form choices, sessions, cancels.

pub mod fault;
pub mod load;
pub mod users;

use std::path::PathBuf;

use hub::config::HumanDuration;
use serde::Deserialize;

pub use fault::{Fault, FaultKind};
pub use load::{load, load_str, SpecError};
pub use users::{Arrival, OptionsChoice, Users};

/// One scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name, shown in reports and JUnit.
    pub name: String,
    /// What the scenario is about and what it shows.
    #[serde(default)]
    pub description: String,
    /// The seed when `--seed` is not given.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The safety phase: faults on, invariants checked after every event.
    pub duration: HumanDuration,
    /// The liveness bound: after `duration`, faults stop and everything must settle within
    /// this long.
    #[serde(default = "default_settle")]
    pub settle: HumanDuration,
    /// How often the report samples the cluster and the hub.
    #[serde(default = "default_sample")]
    pub sample_every: HumanDuration,
    /// The cluster.
    #[serde(default)]
    pub cluster: Cluster,
    /// Batch jobs of other users.
    #[serde(default)]
    pub background: Background,
    /// The hub's settings.
    #[serde(default)]
    pub hub: Hub,
    /// The hub's users.
    #[serde(default)]
    pub users: Users,
    /// What goes wrong, and when.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// What must hold.
    #[serde(default)]
    pub properties: Properties,
}

fn default_seed() -> u64 {
    1
}

fn default_settle() -> HumanDuration {
    HumanDuration::from_secs(30 * 60)
}

fn default_sample() -> HumanDuration {
    HumanDuration::from_secs(60)
}

/// The simulated PBS Pro cluster: Palmetto's node mix and queues.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    /// How many nodes, in Palmetto's proportions.
    pub nodes: u32,
    /// The scheduler's policy.
    pub policy: Policy,
    /// `backfill_depth` for the `strict_backfill` policy.
    pub backfill_depth: u32,
    /// `node_fail_requeue`: how long after a node goes down its jobs are requeued.
    pub node_fail_requeue: HumanDuration,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            nodes: 2000,
            policy: Policy::StrictBackfill,
            backfill_depth: 1,
            node_fail_requeue: HumanDuration::from_secs(310),
        }
    }
}

/// The scheduling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// PBS's shipped default: every job that fits starts, in order; big jobs can starve.
    Default,
    /// `strict_ordering` with EASY backfill: the top jobs get reservations and estimated
    /// start times; others start only where they delay no reservation.
    StrictBackfill,
}

/// Other users' batch jobs: a synthetic Palmetto-like mix, or a Standard Workload Format
/// trace.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Background {
    /// How many synthetic jobs (0: none). Ignored with `swf`.
    pub jobs: u64,
    /// Offered load as a share of the cluster's cores (0.9 keeps it busy with a queue).
    pub offered_load: f64,
    /// How many distinct batch users.
    pub users: u32,
    /// The share of multi-node MPI jobs (the large jobs a policy must not starve).
    pub mpi_fraction: f64,
    /// The share of GPU jobs.
    pub gpu_fraction: f64,
    /// Every job's runtime and walltime times this (arrivals sped up to keep the offered
    /// load): below 1, more and shorter jobs, as on a cluster with many short ones.
    pub duration_scale: f64,
    /// How long the background load runs before the hub starts, so the cluster is already
    /// busy at time 0.
    pub warmup: HumanDuration,
    /// An SWF trace to replay instead, relative to the scenario file.
    pub swf: Option<PathBuf>,
    /// Cores per node of the machine the trace comes from (SWF counts processors).
    pub swf_cores_per_node: u32,
}

impl Default for Background {
    fn default() -> Self {
        Background {
            jobs: 0,
            offered_load: 0.9,
            users: 200,
            mpi_fraction: 0.15,
            gpu_fraction: 0.10,
            duration_scale: 1.0,
            warmup: HumanDuration::from_secs(0),
            swf: None,
            swf_cores_per_node: 24,
        }
    }
}

/// The hub's settings (the names of the hub's config where there is one) and how long its
/// conversations with the scheduler and the notebook servers take.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hub {
    /// `spawner.poll_interval`.
    pub poll_interval: HumanDuration,
    /// `spawner.concurrent_spawn_limit`; 0: no limit.
    pub concurrent_spawn_limit: usize,
    /// `spawner.start_timeout`.
    pub start_timeout: HumanDuration,
    /// `spawner.queue_timeout`; none by default.
    pub queue_timeout: Option<HumanDuration>,
    /// `spawner.cancel_retry`.
    pub cancel_retry: HumanDuration,
    /// How often the hub reconciles the proxy's routes (the hub's upkeep: 5 minutes, and at
    /// once when it sees the proxy come back).
    pub reconcile_every: HumanDuration,
    /// How often the hub checks that the proxy answers (`proxy.check_interval`).
    pub proxy_check_every: HumanDuration,
    /// How long one `qsub`, `qstat` or `qdel` takes, at least.
    pub command_min: HumanDuration,
    /// ... and at most (drawn uniformly for each call).
    pub command_max: HumanDuration,
    /// How long a notebook server takes from its job starting to reporting its address,
    /// at least.
    pub startup_min: HumanDuration,
    /// ... and at most.
    pub startup_max: HumanDuration,
    /// How long the wrapper waits before retrying a report the hub did not take.
    pub report_retry: HumanDuration,
    /// The idle culler's timeout: servers whose user left are stopped this long after they
    /// became idle. None: no culler (idle servers run to their walltime).
    pub cull_idle: Option<HumanDuration>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            poll_interval: HumanDuration::from_secs(30),
            concurrent_spawn_limit: 100,
            start_timeout: HumanDuration::from_secs(300),
            queue_timeout: None,
            cancel_retry: HumanDuration::from_secs(30),
            reconcile_every: HumanDuration::from_secs(300),
            proxy_check_every: HumanDuration::from_secs(5),
            command_min: HumanDuration::parse("100ms").unwrap_or(HumanDuration::from_secs(0)),
            command_max: HumanDuration::parse("800ms").unwrap_or(HumanDuration::from_secs(1)),
            startup_min: HumanDuration::from_secs(5),
            startup_max: HumanDuration::from_secs(40),
            report_retry: HumanDuration::from_secs(10),
            cull_idle: Some(HumanDuration::from_secs(3600)),
        }
    }
}

/// The properties checked. Every invariant is on by default; a scenario lists only SLOs
/// and, if it must, the invariants it turns off (with a reason in its description).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Properties {
    /// Invariants not to check.
    pub skip: Vec<String>,
    /// How long a transient mismatch may last during faults before it is a violation: a
    /// live job the hub does not track, a route without a running server or a running
    /// server without its route.
    pub grace: HumanDuration,
    /// 95th percentile of click-to-running over spawns whose job did not queue.
    pub spawn_p95_free: Option<HumanDuration>,
    /// 95th percentile of click-to-running over every spawn that got there.
    pub spawn_p95: Option<HumanDuration>,
    /// The share of valid spawn requests (not cancelled by their user) whose server ran.
    pub min_running_share: Option<f64>,
    /// The largest share of cores the cluster may leave idle on average while jobs queue
    /// (a scheduling-policy figure): `1 - utilization` during the run.
    pub max_idle_share: Option<f64>,
}

impl Default for Properties {
    fn default() -> Self {
        Properties {
            skip: Vec::new(),
            grace: HumanDuration::from_secs(600),
            spawn_p95_free: None,
            spawn_p95: None,
            min_running_share: None,
            max_idle_share: None,
        }
    }
}
