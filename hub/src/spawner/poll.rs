//! The poller's plan ([`PollPlan`]: which jobs to ask about in one batched `status` call, and
//! whose answer each is) and the hub's own queue positions ([`queue_positions`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use drivers::{JobId, JobStatus, StatusMap};

use super::event::Event;
use super::state::{ServerKey, ServerState};

/// One poll: every tracked job, and the server each belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollPlan {
    owners: BTreeMap<JobId, ServerKey>,
}

impl PollPlan {
    /// The plan for these servers: every job a state tracks (queued, starting, running, or
    /// being stopped), each once.
    pub fn new<'a>(servers: impl IntoIterator<Item = (&'a ServerKey, &'a ServerState)>) -> Self {
        let owners = servers
            .into_iter()
            .filter_map(|(key, state)| state.job().map(|job| (job.clone(), key.clone())))
            .collect();
        PollPlan { owners }
    }

    /// The ids to pass to one `Scheduler::status` call, in order.
    pub fn ids(&self) -> Vec<JobId> {
        self.owners.keys().cloned().collect()
    }

    /// Whether there is nothing to poll.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// The events the answer gives, one per planned job, in job order. A job the answer
    /// lacks (which the `Scheduler` contract forbids, but a driver may get wrong) is
    /// `Unknown`, never gone.
    pub fn events(&self, answer: &StatusMap) -> Vec<(ServerKey, Event)> {
        self.owners
            .iter()
            .map(|(job, key)| {
                let status = answer.get(job).cloned().unwrap_or_else(|| {
                    JobStatus::unknown("the scheduler's answer did not mention this job")
                });
                let event = Event::Polled {
                    job: job.clone(),
                    status,
                };
                (key.clone(), event)
            })
            .collect()
    }
}

/// A place in a line: `position` (1 = next) of `of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// 1-based place.
    pub position: usize,
    /// How many are in the line.
    pub of: usize,
}

/// One queued job in its queue's line: when it entered, its id (for ties), its server.
type InLine = (DateTime<Utc>, JobId, ServerKey);

/// Each queued server's place among **the hub's own** queued jobs in the same scheduler
/// queue, ordered by when they entered it (the scheduler's `qtime`, or the submit time
/// before the first poll says), then by job id.
///
/// The hub does not see other users' batch jobs, so this is not the cluster-wide place;
/// the scheduler's comment and estimated start say more about the real wait.
pub fn queue_positions<'a>(
    servers: impl IntoIterator<Item = (&'a ServerKey, &'a ServerState)>,
) -> BTreeMap<ServerKey, Position> {
    // Per scheduler queue: (entered the queue, job, server), sorted below.
    let mut lines: BTreeMap<Option<String>, Vec<InLine>> = BTreeMap::new();
    for (key, state) in servers {
        if let ServerState::Queued {
            job, since, info, ..
        } = state
        {
            let entered = info.queued_at.unwrap_or(*since);
            lines
                .entry(info.queue.clone())
                .or_default()
                .push((entered, job.clone(), key.clone()));
        }
    }
    let mut positions = BTreeMap::new();
    for mut line in lines.into_values() {
        line.sort();
        let of = line.len();
        for (i, (_, _, key)) in line.into_iter().enumerate() {
            positions.insert(
                key,
                Position {
                    position: i + 1,
                    of,
                },
            );
        }
    }
    positions
}
