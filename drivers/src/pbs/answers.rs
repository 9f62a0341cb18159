//! Turning `qstat` answers into one status per tracked job: a job PBS described gets what
//! PBS said; a query that failed makes its jobs `Unknown`; a job merely absent is `Unknown`
//! until enough consecutive answers lack it, and only then reported gone.

use std::collections::BTreeMap;

use crate::job::{JobId, JobState, JobStatus};

/// The part of a job id that names a job whatever domain suffix `qstat` prints:
/// `123.pbs02.cluster.edu` and `123.pbs02` are both `(123, pbs02)`.
pub fn id_key(id: &str) -> (String, String) {
    let (seq, server) = id.split_once('.').unwrap_or((id, ""));
    let short = server.split('.').next().unwrap_or(server);
    (seq.to_string(), short.to_string())
}

/// Whether a failed `qstat`'s stderr says only that some of the jobs asked about are
/// unknown or finished: its stdout then still describes all the others.
pub fn only_missing_jobs(stderr: &str) -> bool {
    stderr.lines().filter(|l| !l.trim().is_empty()).all(|line| {
        line.contains("Unknown Job Id")
            || line.contains("Job has finished")
            || line.contains("illegally formed job identifier")
    })
}

/// Counts, per job, the consecutive answers that lacked it.
#[derive(Debug, Default)]
pub struct Misses {
    counts: BTreeMap<JobId, u32>,
}

impl Misses {
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
                let count = self.counts.entry(id.clone()).or_insert(0);
                *count = count.saturating_add(1);
                if *count >= gone_after.max(1) {
                    gone(*count)
                } else {
                    JobStatus::unknown(format!(
                        "not in qstat's answer ({count} of {gone_after} answers before it \
                         counts as gone)"
                    ))
                }
            }
        }
    }

    /// Forgets a job (no longer tracked).
    pub fn forget(&mut self, id: &JobId) {
        self.counts.remove(id);
    }
}

/// A job PBS no longer knows, after `count` answers without it: ended, how unknown.
fn gone(count: u32) -> JobStatus {
    JobStatus {
        state: JobState::Finished,
        comment: Some(format!(
            "no longer known to PBS: absent from {count} consecutive qstat answers"
        )),
        query_error: None,
        ..JobStatus::unknown("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_whatever_domain_qstat_prints() {
        assert_eq!(id_key("123.pbs02.cluster.edu"), id_key("123.pbs02"));
        assert_ne!(id_key("123.pbs02"), id_key("124.pbs02"));
        assert_ne!(id_key("123.pbs02"), id_key("123.pbs03"));
        assert_eq!(id_key("77"), ("77".to_string(), String::new()));
    }

    #[test]
    fn partial_answers_are_told_from_failures() {
        assert!(only_missing_jobs("qstat: Unknown Job Id 5.pbs02\n"));
        assert!(only_missing_jobs(
            "qstat: Unknown Job Id 5.pbs02\nqstat: 6.pbs02 Job has finished, use -x or -H to obtain historical job information\n"
        ));
        assert!(!only_missing_jobs(
            "qstat: cannot connect to server pbs02 (errno=15010)\n"
        ));
        assert!(!only_missing_jobs(
            "qstat: Unknown Job Id 5.pbs02\nSegmentation fault\n"
        ));
    }

    #[test]
    fn a_job_is_gone_only_after_enough_answers_lack_it_and_a_failure_never_counts() {
        let id = JobId::new("9.pbs02").unwrap();
        let mut misses = Misses::default();
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
