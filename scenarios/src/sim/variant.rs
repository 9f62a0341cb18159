//! Which spawner the runner drives: the hub's own, or a deliberately broken one that
//! proves the invariants catch a real bug.

use chrono::{DateTime, Utc};
use drivers::JobState;
use hub::spawner::{step, Event, ServerState, SpawnerConfig, Transition};

/// The spawner's step function the runner uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variant {
    /// The hub's `hub::spawner::step`.
    #[default]
    Real,
    /// A test-only broken spawner that takes a failed `qstat` (`Unknown`) for "the job is
    /// gone" and stops the server, deleting its job — batchspawner's classic bug. The
    /// `no_delete_on_unknown` invariant must catch it.
    DeletesOnUnknown,
}

impl Variant {
    /// One step of the server's state machine.
    pub fn step(
        self,
        state: &ServerState,
        event: &Event,
        config: &SpawnerConfig,
        now: DateTime<Utc>,
    ) -> Transition {
        match (self, event) {
            (Variant::DeletesOnUnknown, Event::Polled { job, status })
                if status.state == JobState::Unknown && state.job() == Some(job) =>
            {
                step(state, &Event::StopRequested, config, now)
            }
            _ => step(state, event, config, now),
        }
    }
}
