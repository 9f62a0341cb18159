//! The server's configuration: policy, queues and their limits, job history.

use drivers::resources::{ResourceDefs, Walltime};
use serde::{Deserialize, Serialize};

use super::res::SimTime;

/// How the scheduler picks jobs to start (reference `pbs-pro.md` §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Policy {
    /// PBS's shipped default (`strict_ordering: false`): every job that fits now is started,
    /// in priority then submit order; nothing is calendared, so big jobs can starve.
    Fifo,
    /// `strict_ordering: true` with `backfill_depth` top jobs calendared: the first
    /// `depth` jobs that cannot run get a reservation (and `estimated.start_time`); later jobs
    /// start only where they cannot delay a reservation. Depth 0 is strict ordering alone.
    EasyBackfill {
        /// `backfill_depth`.
        depth: u32,
    },
}

impl Policy {
    /// EASY backfill with PBS's default depth of 1.
    pub const EASY: Policy = Policy::EasyBackfill { depth: 1 };
}

/// Upper or lower bounds on a job's whole request (`resources_max.*` / `resources_min.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Total `ncpus`.
    pub ncpus: Option<u64>,
    /// Total `mem`, in kb.
    pub mem_kb: Option<u64>,
    /// Total `ngpus`.
    pub ngpus: Option<u64>,
    /// Number of chunks (`nodect`).
    pub nodect: Option<u64>,
    /// `walltime`.
    pub walltime: Option<Walltime>,
}

/// What a queue does with the jobs it receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueKind {
    /// Jobs wait here to run.
    Execution,
    /// Jobs are passed on to the first destination whose limits accept them.
    Route {
        /// Destination queue names, tried in order.
        destinations: Vec<String>,
    },
}

/// One queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDef {
    /// The queue's name.
    pub name: String,
    /// Execution or routing.
    pub kind: QueueKind,
    /// `Priority`: with `by_queue`, jobs of higher-priority queues are considered first.
    pub priority: i32,
    /// `enabled`: accepts new jobs.
    pub enabled: bool,
    /// `started`: its jobs may be scheduled.
    pub started: bool,
    /// `resources_max.*`.
    pub max: Limits,
    /// `resources_min.*`.
    pub min: Limits,
    /// `resources_default.walltime`, applied when a job gives none.
    pub default_walltime: Option<Walltime>,
    /// `max_run`: jobs of this queue running at once.
    pub max_run: Option<u32>,
}

impl QueueDef {
    /// An enabled, started execution queue without limits.
    pub fn execution(name: &str, priority: i32) -> Self {
        QueueDef {
            name: name.to_string(),
            kind: QueueKind::Execution,
            priority,
            enabled: true,
            started: true,
            max: Limits::default(),
            min: Limits::default(),
            default_walltime: None,
            max_run: None,
        }
    }
}

/// Everything the engine needs besides its nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// `PBS_SERVER`: the suffix of job ids (`7600424.pbs02`).
    pub server_name: String,
    /// The scheduling policy.
    pub policy: Policy,
    /// The queues, in creation order.
    pub queues: Vec<QueueDef>,
    /// The server's `default_queue`.
    pub default_queue: Option<String>,
    /// Resource names the server knows.
    pub resource_defs: ResourceDefs,
    /// `job_history_enable`: finished jobs stay visible (state F) for `history_duration`.
    pub history: bool,
    /// `job_history_duration` in seconds (PBS default: two weeks).
    pub history_duration: u64,
    /// `node_fail_requeue`: seconds after a node goes down before its jobs are requeued.
    pub node_fail_requeue: u64,
    /// Seconds a job spends exiting (`E`: obit, stage-out, MoM cleanup) between the end of
    /// its script and `F`; it keeps its nodes meanwhile. 0 goes straight to `F`.
    pub exit_delay: u64,
    /// Exit status of a job killed for exceeding its walltime: -29 on OpenPBS ≥ 22.05,
    /// 271 (SIGTERM) on older servers (reference §7).
    pub walltime_exit_status: i32,
    /// The wall-clock time the engine starts at.
    pub start_time: SimTime,
    /// Record every event (for determinism checks and scenario reports); off for speed runs.
    pub log_events: bool,
}

impl EngineConfig {
    /// A Palmetto-like server `pbs02`: a routing default queue `workq` sending jobs by size
    /// and kind to `gpu`, `bigmem`, `c1_single` and `c2_multi` (reference §2.5), EASY backfill,
    /// job history on (the hub needs to see how jobs ended).
    pub fn palmetto() -> Self {
        let hours = Walltime::from_hours;
        let gpu = QueueDef {
            min: Limits {
                ngpus: Some(1),
                ..Limits::default()
            },
            max: Limits {
                walltime: Some(hours(72)),
                ..Limits::default()
            },
            default_walltime: Some(hours(1)),
            ..QueueDef::execution("gpu", 110)
        };
        let bigmem = QueueDef {
            min: Limits {
                mem_kb: Some(400 * 1024 * 1024),
                ..Limits::default()
            },
            max: Limits {
                walltime: Some(hours(72)),
                ngpus: Some(0),
                ..Limits::default()
            },
            default_walltime: Some(hours(1)),
            ..QueueDef::execution("bigmem", 105)
        };
        let single = QueueDef {
            max: Limits {
                nodect: Some(1),
                ngpus: Some(0),
                walltime: Some(hours(168)),
                ..Limits::default()
            },
            default_walltime: Some(hours(1)),
            ..QueueDef::execution("c1_single", 100)
        };
        let multi = QueueDef {
            min: Limits {
                nodect: Some(2),
                ..Limits::default()
            },
            max: Limits {
                ngpus: Some(0),
                walltime: Some(hours(72)),
                ..Limits::default()
            },
            default_walltime: Some(hours(1)),
            ..QueueDef::execution("c2_multi", 100)
        };
        let workq = QueueDef {
            kind: QueueKind::Route {
                destinations: vec![
                    "gpu".into(),
                    "bigmem".into(),
                    "c1_single".into(),
                    "c2_multi".into(),
                ],
            },
            default_walltime: Some(hours(1)),
            ..QueueDef::execution("workq", 0)
        };
        EngineConfig {
            server_name: "pbs02".into(),
            policy: Policy::EASY,
            queues: vec![workq, gpu, bigmem, single, multi],
            default_queue: Some("workq".into()),
            resource_defs: ResourceDefs::palmetto(),
            history: true,
            history_duration: 14 * 24 * 3600,
            node_fail_requeue: 310,
            exit_delay: 0,
            walltime_exit_status: -29,
            start_time: 1_767_225_600, // 2026-01-01T00:00:00Z: fixed, so runs repeat exactly
            log_events: false,
        }
    }

    /// One execution queue `workq` without limits, the default: the simplest server, for
    /// workload replays and property tests.
    pub fn single_queue(policy: Policy) -> Self {
        EngineConfig {
            policy,
            queues: vec![QueueDef::execution("workq", 0)],
            ..EngineConfig::palmetto()
        }
    }
}
