//! [`ClusterSummary`]: how busy the cluster is, for the hub's admin page (queue length and
//! free nodes). Informative only: the hub never decides a job's fate from it.

/// The cluster at a glance: jobs by state at the server, and nodes by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSummary {
    /// Jobs waiting to run (PBS `Queued`).
    pub queued: u64,
    /// Jobs running (PBS `Running`, plus `Begun` array jobs).
    pub running: u64,
    /// Jobs held (PBS `Held`).
    pub held: u64,
    /// Jobs waiting for their start time or in transit (`Waiting`, `Transit`).
    pub waiting: u64,
    /// Every node the scheduler lists.
    pub nodes_total: u64,
    /// Nodes with nothing assigned (PBS state `free`).
    pub nodes_free: u64,
    /// Nodes that cannot run jobs: down, offline, unknown, stale, in maintenance.
    pub nodes_unavailable: u64,
}

/// Jobs by state, as a scheduler counts them (PBS's `state_count`; Slurm's pending reasons
/// read into the same four kinds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Waiting to run.
    pub queued: u64,
    /// Running (PBS also counts `Begun` array jobs; Slurm suspended and completing ones).
    pub running: u64,
    /// Held.
    pub held: u64,
    /// Waiting for a start time, in transit, or for booting nodes.
    pub waiting: u64,
}

/// Nodes by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCount {
    /// Every node listed (once, whatever partitions it is in).
    pub total: u64,
    /// Nodes with nothing assigned.
    pub free: u64,
    /// Nodes that cannot take a job: down, offline, drained, unknown, in maintenance.
    pub unavailable: u64,
}

impl ClusterSummary {
    /// The summary of `jobs` and `nodes`.
    pub fn from_counts(jobs: JobCounts, nodes: NodeCount) -> ClusterSummary {
        ClusterSummary {
            queued: jobs.queued,
            running: jobs.running,
            held: jobs.held,
            waiting: jobs.waiting,
            nodes_total: nodes.total,
            nodes_free: nodes.free,
            nodes_unavailable: nodes.unavailable,
        }
    }

    /// Nodes running jobs or otherwise busy: neither free nor unavailable.
    pub fn nodes_busy(&self) -> u64 {
        self.nodes_total
            .saturating_sub(self.nodes_free)
            .saturating_sub(self.nodes_unavailable)
    }
}
