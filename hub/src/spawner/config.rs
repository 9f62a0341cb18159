//! [`SpawnerConfig`]: the spawner's tunables, each with the reason for its default.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The spawner's tunables. Passed to every [`step`](fn@super::step); the core reads nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpawnerConfig {
    /// How long a job may run without its notebook server reporting its address before the
    /// job is deleted and the spawn fails. Counted from the poll that first saw the job
    /// running, never from the submit: queue wait is not start-up.
    /// Default 300 s, batchspawner's value: a server whose Python environment sits on a
    /// slow shared file system can take minutes to import.
    pub start_timeout: Duration,
    /// How long a job may wait in the queue before it is deleted. `None` (the default):
    /// waiting is normal on a busy cluster, and killing a queued job only sends the user to
    /// the back of the queue (batchspawner #88).
    pub queue_timeout: Option<Duration>,
    /// How long after a `cancel` that neither succeeded nor was confirmed by a poll the
    /// cancel is sent again. Default 30 s: long enough not to hammer a busy server, short
    /// enough that a stop the user asked for really happens.
    pub cancel_retry: Duration,
    /// How many spawns may be submitting or starting at once; excess requests wait in
    /// line and see their position (not a 429). `None`: no limit. Default 100, JupyterHub's
    /// `concurrent_spawn_limit`. Jobs waiting in the scheduler's queue do not count: they
    /// cost the hub one entry in a batched poll, and counting them would let one long
    /// queue block every other user.
    pub concurrent_spawn_limit: Option<usize>,
}

impl Default for SpawnerConfig {
    fn default() -> Self {
        SpawnerConfig {
            start_timeout: Duration::from_secs(300),
            queue_timeout: None,
            cancel_retry: Duration::from_secs(30),
            concurrent_spawn_limit: Some(100),
        }
    }
}
