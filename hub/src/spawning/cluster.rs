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
    let scheduler = inner.scheduler.clone();
    cached_or_ask(&inner.cluster, inner.clock.now(), || async move {
        scheduler.cluster_summary().await.map_err(|e| e.to_string())
    })
    .await
    .map_err(ControlError::Unavailable)
}

/// The answer in `cache` if fresh at `now`, else `ask`'s, stored with `now`. The cache's
/// lock is held while asking: one query at a time.
async fn cached_or_ask<F, Fut>(
    cache: &tokio::sync::Mutex<Option<Cached>>,
    now: DateTime<Utc>,
    ask: F,
) -> Result<ClusterSummary, String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<ClusterSummary, String>>,
{
    let mut cached = cache.lock().await;
    if let Some(hit) = cached.as_ref().filter(|c| fresh(c.at, now)) {
        return hit.answer.clone();
    }
    let answer = ask().await;
    if let Err(error) = &answer {
        tracing::warn!(%error, "the cluster summary is unavailable");
    }
    *cached = Some(Cached {
        at: now,
        answer: answer.clone(),
    });
    answer
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

    #[tokio::test]
    async fn the_scheduler_is_asked_once_per_ttl_and_failures_are_cached_too() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let cache = tokio::sync::Mutex::new(None);
        let asked = AtomicU64::new(0);
        let ask = |fail: bool| {
            let n = asked.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if fail {
                    Err("qstat: cannot connect to server".to_string())
                } else {
                    Ok(ClusterSummary {
                        queued: n,
                        ..ClusterSummary::default()
                    })
                }
            }
        };
        let first = cached_or_ask(&cache, at, || ask(false)).await.unwrap();
        assert_eq!(first.queued, 1);
        for secs in [1, 10, 29] {
            let again = cached_or_ask(&cache, at + TimeDelta::seconds(secs), || ask(false))
                .await
                .unwrap();
            assert_eq!(again.queued, 1, "cached at +{secs} s");
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        let later = at + CLUSTER_TTL;
        let error = cached_or_ask(&cache, later, || ask(true))
            .await
            .unwrap_err();
        assert!(error.contains("cannot connect"));
        let still = cached_or_ask(&cache, later + TimeDelta::seconds(5), || ask(false)).await;
        assert!(still.is_err(), "the failure is cached as well");
        assert_eq!(asked.load(Ordering::SeqCst), 2);
    }
}
