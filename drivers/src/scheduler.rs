//! The [`Scheduler`] trait: what the hub asks of a batch system.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::cluster::ClusterSummary;
use crate::error::SchedulerError;
use crate::job::{FoundJob, JobId, JobName, JobSpec, JobStatus, UserName};

/// The answer to one batched status query: one entry for **every** id asked about.
pub type StatusMap = BTreeMap<JobId, JobStatus>;

/// A batch scheduler as the hub sees it.
///
/// The futures are `Send`, so the trait is usable as `Arc<dyn Scheduler>` from any tokio task.
///
/// Rules every implementation keeps:
/// - `submit` renders the job from the typed [`JobSpec`]; no user-typed string reaches a shell.
/// - `status` is batched: one scheduler query for all the ids given, never one per job.
///   The map holds every id asked about. **A failed query makes a job
///   [`JobState::Unknown`](crate::JobState::Unknown), never "gone"**: a job is reported
///   finished only when the scheduler positively says so.
/// - `cancel` of a job that has already finished is not an error.
/// - `find_jobs` has no default: a scheduler that answered "no job" without looking would
///   make the hub forget a job it started.
#[async_trait]
pub trait Scheduler: Send + Sync {
    /// Submits one job and returns the id the scheduler gave it.
    async fn submit(&self, spec: &JobSpec) -> Result<JobId, SchedulerError>;

    /// The status of each of `ids`, in one query.
    async fn status(&self, ids: &[JobId]) -> StatusMap;

    /// Asks the scheduler to delete the job, whatever its state.
    async fn cancel(&self, id: &JobId) -> Result<(), SchedulerError>;

    /// The jobs of `owner` named `name` that the scheduler still knows (queued, running, or in
    /// its history), each with when it was queued. One scheduler call.
    ///
    /// A hub restarted while a submit was on its way asks this to find the job that submit
    /// may have made. A failed query is an error, never an empty list.
    async fn find_jobs(
        &self,
        owner: &UserName,
        name: &JobName,
    ) -> Result<Vec<FoundJob>, SchedulerError>;

    /// How busy the cluster is (queue length, free nodes), for the admin page. Two or three
    /// scheduler queries: callers cache the answer rather than ask per page view. The
    /// default says the scheduler cannot tell.
    async fn cluster_summary(&self) -> Result<ClusterSummary, SchedulerError> {
        Err(SchedulerError::Unavailable {
            reason: "this scheduler does not report a cluster summary".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::job::JobState;

    /// A scheduler that knows no job: enough to prove the trait is object-safe and `Send`.
    struct Empty;

    #[async_trait]
    impl Scheduler for Empty {
        async fn submit(&self, _spec: &JobSpec) -> Result<JobId, SchedulerError> {
            Err(SchedulerError::Unavailable {
                reason: "no cluster".into(),
            })
        }
        async fn status(&self, ids: &[JobId]) -> StatusMap {
            ids.iter()
                .map(|id| (id.clone(), JobStatus::unknown("no cluster")))
                .collect()
        }
        async fn cancel(&self, _id: &JobId) -> Result<(), SchedulerError> {
            Ok(())
        }
        async fn find_jobs(
            &self,
            _owner: &UserName,
            _name: &JobName,
        ) -> Result<Vec<FoundJob>, SchedulerError> {
            Err(SchedulerError::Unavailable {
                reason: "no cluster".into(),
            })
        }
    }

    fn assert_send<T: Send>(_: &T) {}

    #[tokio::test]
    async fn usable_as_arc_dyn_from_another_task() {
        let scheduler: Arc<dyn Scheduler> = Arc::new(Empty);
        let ids = vec![JobId::new("1.pbs02").unwrap()];
        let fut = {
            let scheduler = scheduler.clone();
            async move { scheduler.status(&ids).await }
        };
        assert_send(&fut);
        let map = tokio::spawn(fut).await.unwrap();
        let status = &map[&JobId::new("1.pbs02").unwrap()];
        assert_eq!(status.state, JobState::Unknown);
        assert_eq!(status.query_error.as_deref(), Some("no cluster"));
        let found = scheduler
            .find_jobs(
                &crate::UserName::new("alice").unwrap(),
                &crate::JobName::new("nb").unwrap(),
            )
            .await;
        assert!(found.is_err(), "a failed lookup is an error: {found:?}");
        let summary = scheduler.cluster_summary().await;
        assert!(
            matches!(summary, Err(SchedulerError::Unavailable { .. })),
            "the default cluster summary is unsupported: {summary:?}"
        );
    }
}
