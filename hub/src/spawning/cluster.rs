//! The cluster summary for the admin page, cached: a big cluster's `pbsnodes -a` lists
//! thousands of nodes, so the scheduler is asked at most once per [`CLUSTER_TTL`] however
//! often admins reload the page, and a failure is cached too (a scheduler in trouble is not
//! asked again by every view).

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use drivers::ClusterSummary;

use super::core::Inner;
use crate::control::ControlError;

/// How long one answer is shown before the scheduler is asked again.
pub const CLUSTER_TTL: TimeDelta = TimeDelta::seconds(30);

/// One answer of the scheduler and when it was asked for.
#[derive(Debug, Clone)]
pub struct Cached {
    at: DateTime<Utc>,
    answer: Result<ClusterSummary, String>,
}

/// Whether an answer got at `at` is still fresh at `now` (a clock that went back counts as
/// stale, so a wrong clock cannot pin an old answer).
fn fresh(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= at && now.signed_duration_since(at) < CLUSTER_TTL
}

/// The cached summary, asking the scheduler if it is older than [`CLUSTER_TTL`]. Callers
/// arriving while a query runs wait for it rather than send their own.
pub(super) async fn summary(inner: &Arc<Inner>) -> Result<ClusterSummary, ControlError> {
    let mut cached = inner.cluster.lock().await;
    let now = inner.clock.now();
    let hit = cached.as_ref().filter(|c| fresh(c.at, now));
    let answer = match hit {
        Some(c) => c.answer.clone(),
        None => {
            let answer = inner
                .scheduler
                .cluster_summary()
                .await
                .map_err(|e| e.to_string());
            if let Err(error) = &answer {
                tracing::warn!(%error, "the cluster summary is unavailable");
            }
            *cached = Some(Cached {
                at: now,
                answer: answer.clone(),
            });
            answer
        }
    };
    answer.map_err(ControlError::Unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_answer_is_fresh_for_the_ttl_only() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        assert!(fresh(at, at));
        assert!(fresh(at, at + TimeDelta::seconds(29)));
        assert!(!fresh(at, at + CLUSTER_TTL));
        assert!(
            !fresh(at, at - TimeDelta::seconds(1)),
            "the clock went back"
        );
    }
}
