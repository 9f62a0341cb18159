//! The faults a scenario injects: each at a time after the start, some for a while.

use hub::config::HumanDuration;
use serde::Deserialize;

/// One fault (a `[[faults]]` table): its `kind`, when it begins (`at`), and its own fields.
pub type Fault = FaultKind;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// `qstat` fails for a while (the server does not answer): every poll is `Unknown`.
    QstatOutage {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How long.
        #[serde(rename = "for")]
        lasts: HumanDuration,
    },
    /// `qstat` answers slowly: each poll's answer arrives this late (and is that old).
    QstatSlow {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How long the fault lasts.
        #[serde(rename = "for")]
        lasts: HumanDuration,
        /// How late each answer is.
        delay: HumanDuration,
    },
    /// `qstat`'s output is cut short: a share of the jobs is missing from each answer.
    QstatTruncated {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How long.
        #[serde(rename = "for")]
        lasts: HumanDuration,
        /// The share of jobs missing, 0–1.
        share: f64,
    },
    /// `qsub` refuses a share of submissions.
    QsubReject {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How long.
        #[serde(rename = "for")]
        lasts: HumanDuration,
        /// The share refused, 0–1.
        share: f64,
        /// Whether the refusal is transient (server busy) or final (a limit).
        #[serde(default)]
        transient: bool,
    },
    /// Nodes go down; the notebooks' nodes first when `under_notebooks`.
    NodeFailure {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How many nodes.
        count: u32,
        /// How long they stay down; for ever if absent.
        #[serde(rename = "for")]
        lasts: Option<HumanDuration>,
        /// Pick nodes running hub jobs first.
        #[serde(default)]
        under_notebooks: bool,
    },
    /// Notebook jobs that start during the fault die early (exit status 1), before or
    /// after their server reported.
    JobDeath {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How long.
        #[serde(rename = "for")]
        lasts: HumanDuration,
        /// The share of starting jobs that die, 0–1.
        share: f64,
    },
    /// The hub is killed (SIGKILL: nothing in flight is finished) and started again.
    HubCrash {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How long it stays down.
        #[serde(default = "default_restart")]
        restart_after: HumanDuration,
    },
    /// The proxy restarts and loses its routes (no persistence); the hub must notice and
    /// put them back.
    ProxyRestart {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How long it is down.
        #[serde(default = "default_restart")]
        down_for: HumanDuration,
    },
    /// An administrator deletes some notebook jobs with `qdel`, outside the hub.
    OutsideQdel {
        /// When it begins, from the start of the run.
        at: HumanDuration,
        /// How many jobs.
        count: u32,
    },
}

fn default_restart() -> HumanDuration {
    HumanDuration::from_secs(20)
}

impl FaultKind {
    /// When it begins, from the start of the run.
    pub fn at(&self) -> HumanDuration {
        match self {
            FaultKind::QstatOutage { at, .. }
            | FaultKind::QstatSlow { at, .. }
            | FaultKind::QstatTruncated { at, .. }
            | FaultKind::QsubReject { at, .. }
            | FaultKind::NodeFailure { at, .. }
            | FaultKind::JobDeath { at, .. }
            | FaultKind::HubCrash { at, .. }
            | FaultKind::ProxyRestart { at, .. }
            | FaultKind::OutsideQdel { at, .. } => *at,
        }
    }

    /// The name a scenario file uses for it.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::QstatOutage { .. } => "qstat_outage",
            FaultKind::QstatSlow { .. } => "qstat_slow",
            FaultKind::QstatTruncated { .. } => "qstat_truncated",
            FaultKind::QsubReject { .. } => "qsub_reject",
            FaultKind::NodeFailure { .. } => "node_failure",
            FaultKind::JobDeath { .. } => "job_death",
            FaultKind::HubCrash { .. } => "hub_crash",
            FaultKind::ProxyRestart { .. } => "proxy_restart",
            FaultKind::OutsideQdel { .. } => "outside_qdel",
        }
    }
}
