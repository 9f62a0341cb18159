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

impl ClusterSummary {
    /// Nodes running jobs or otherwise busy: neither free nor unavailable.
    pub fn nodes_busy(&self) -> u64 {
        self.nodes_total
            .saturating_sub(self.nodes_free)
            .saturating_sub(self.nodes_unavailable)
    }
}
