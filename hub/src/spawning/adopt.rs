//! Carrying out [`Action::FindSubmitted`](crate::spawner::Action::FindSubmitted): the
//! lookup of the job a submit cut short by a hub restart may have made (the decision is
//! the pure core's, [`crate::spawner::adopt`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use drivers::{FoundJob, JobId, UserName};

use super::core::Inner;
use crate::spawner::{adoption_candidates, Event, ServerKey};

impl Inner {
    /// Asks the scheduler for `key`'s jobs with the hub's job name, in a task, and feeds
    /// [`Event::FoundSubmitted`] with those the interrupted submit that began at `since`
    /// may have made.
    ///
    /// The scheduler calls run side by side; the answers are narrowed and applied one at a
    /// time, each after the adoptions before it, so that two servers whose submits were both
    /// cut short never adopt the same job: the second sees it tracked by the first.
    pub(super) fn find_submitted(self: &Arc<Self>, key: &ServerKey, since: DateTime<Utc>) {
        let inner = self.clone();
        let key = key.clone();
        tokio::spawn(async move {
            let found = inner.find_jobs(&key).await;
            {
                let _one_at_a_time = inner.adoptions.lock().await;
                let answer = found.map(|found| {
                    let tracked = inner.tracked_by_others(&key);
                    adoption_candidates(&found, since, &tracked)
                });
                match &answer {
                    Ok(jobs) => {
                        tracing::info!(server = %key, ?jobs, "jobs the interrupted submit may have made")
                    }
                    Err(e) => {
                        tracing::warn!(server = %key, error = %e, "could not look up the job of an interrupted submit")
                    }
                }
                let event = Event::FoundSubmitted(answer);
                if let Err(e) = inner.apply(&key, event, None).await {
                    tracing::warn!(server = %key, error = %e, "a lookup's answer was not applied");
                }
            }
            inner.admit().await;
        });
    }

    /// The owner's jobs with the hub's job name, or the error's text.
    async fn find_jobs(&self, key: &ServerKey) -> Result<Vec<FoundJob>, String> {
        // A user name no job can run as was refused before any submit (`Inner::submit`):
        // there is no job to find, and asking again would never change that.
        let Ok(owner) = UserName::new(key.user.as_str()) else {
            return Ok(Vec::new());
        };
        self.scheduler
            .find_jobs(&owner, &self.config.job_name)
            .await
            .map_err(|e| e.to_string())
    }

    /// Every job another server than `key` tracks or last ran: never a candidate for
    /// `key`'s adoption.
    fn tracked_by_others(&self, key: &ServerKey) -> BTreeSet<JobId> {
        self.snapshot()
            .into_iter()
            .filter(|(other, _)| other != key)
            .flat_map(|(_, entry)| {
                let current = entry.state.job().cloned();
                current.into_iter().chain(entry.last_job)
            })
            .collect()
    }
}
