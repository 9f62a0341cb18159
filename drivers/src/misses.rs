//! When a job absent from a status answer counts as gone: a job the scheduler described
//! gets what it said; a query that failed makes its jobs `Unknown` (and does not count); a
//! job merely absent is `Unknown` until enough consecutive answers lack it, and only then
//! reported finished. Shared by the PBS and Slurm drivers.

use std::collections::BTreeMap;

use crate::job::{JobId, JobState, JobStatus};

/// Counts, per job, the consecutive answers that lacked it.
#[derive(Debug)]
pub struct Misses {
    counts: BTreeMap<JobId, u32>,
    /// The scheduler's name, for messages ("PBS", "Slurm").
    scheduler: &'static str,
    /// The status command, for messages ("qstat", "squeue").
    query: &'static str,
}

impl Misses {
    /// Counts for a scheduler called `scheduler` whose status command is `query`.
    pub fn new(scheduler: &'static str, query: &'static str) -> Misses {
        Misses {
            counts: BTreeMap::new(),
            scheduler,
            query,
        }
    }

    /// The status of `id` given one query's outcome: `Ok(Some(status))` (PBS described it),
    /// `Ok(None)` (the answer lacked it) or `Err(reason)` (the query failed).
    pub fn judge(
        &mut self,
        id: &JobId,
        outcome: Result<Option<&JobStatus>, &str>,
        gone_after: u32,
    ) -> JobStatus {
        match outcome {
            Err(reason) => JobStatus::unknown(reason),
            Ok(Some(status)) => {
                self.counts.remove(id);
                status.clone()
            }
            Ok(None) => {
                let entry = self.counts.entry(id.clone()).or_insert(0);
                *entry = entry.saturating_add(1);
                let count = *entry;
                if count >= gone_after.max(1) {
                    self.gone(count)
                } else {
                    JobStatus::unknown(format!(
                        "not in {}'s answer ({count} of {gone_after} answers before it \
                         counts as gone)",
                        self.query
                    ))
                }
            }
        }
    }

    /// Forgets a job (no longer tracked).
    pub fn forget(&mut self, id: &JobId) {
        self.counts.remove(id);
    }

    /// A job the scheduler no longer knows, after `count` answers without it: ended, how
    /// unknown.
    fn gone(&self, count: u32) -> JobStatus {
        JobStatus {
            state: JobState::Finished,
            comment: Some(format!(
                "no longer known to {}: absent from {count} consecutive {} answers",
                self.scheduler, self.query
            )),
            query_error: None,
            ..JobStatus::unknown("")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_gone_only_after_enough_answers_lack_it_and_a_failure_never_counts() {
        let id = JobId::new("9.pbs02").unwrap();
        let mut misses = Misses::new("PBS", "qstat");
        let first = misses.judge(&id, Ok(None), 3);
        assert_eq!(first.state, JobState::Unknown);
        assert!(first.query_error.unwrap().contains("1 of 3"));
        // A failed query neither counts nor resets.
        assert_eq!(
            misses.judge(&id, Err("qstat timed out"), 3).state,
            JobState::Unknown
        );
        assert_eq!(misses.judge(&id, Ok(None), 3).state, JobState::Unknown);
        let third = misses.judge(&id, Ok(None), 3);
        assert_eq!(third.state, JobState::Finished);
        assert!(third.query_error.is_none());
        assert!(third.comment.unwrap().contains("absent from 3"));
        // Seen again (it was only a flaky answer): counting starts over.
        let running = JobStatus {
            state: JobState::Running,
            query_error: None,
            ..JobStatus::unknown("")
        };
        assert_eq!(
            misses.judge(&id, Ok(Some(&running)), 3).state,
            JobState::Running
        );
        assert_eq!(misses.judge(&id, Ok(None), 3).state, JobState::Unknown);
    }
}
