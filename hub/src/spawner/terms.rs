//! [`SchedulerTerms`]: the words the pages and messages use for the scheduler's things, in
//! the scheduler's own vocabulary, so a Slurm user reads "Partition" and "Time limit"
//! where a PBS user reads "Queue" and "Walltime".

/// The scheduler's words for what the hub shows of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerTerms {
    /// The scheduler's name: `PBS`, `Slurm`.
    pub scheduler: &'static str,
    /// Where a job waits to run, as a label: `Queue`, `Partition`.
    pub queue: &'static str,
    /// The job's time limit, as a label: `Walltime`, `Time limit`.
    pub walltime: &'static str,
    /// The label of the time a job started waiting: `Queued since`, `Pending since`.
    pub waiting_since: &'static str,
    /// A waiting job, in a sentence after its name: `is waiting in the queue`, `is pending`.
    pub waiting: &'static str,
    /// What comes between [`waiting`](Self::waiting) and the queue's name: nothing for
    /// PBS (`… in the queue workq`), ` in partition` for Slurm.
    pub waiting_where: &'static str,
    /// The command that lists jobs: `qstat`, `squeue`.
    pub status_command: &'static str,
    /// The command that deletes a job: `qdel`, `scancel`.
    pub cancel_command: &'static str,
}

impl SchedulerTerms {
    /// PBS Pro's words (and the simulated PBS cluster's).
    pub const PBS: SchedulerTerms = SchedulerTerms {
        scheduler: "PBS",
        queue: "Queue",
        walltime: "Walltime",
        waiting_since: "Queued since",
        waiting: "is waiting in the queue",
        waiting_where: "",
        status_command: "qstat",
        cancel_command: "qdel",
    };

    /// Slurm's words.
    pub const SLURM: SchedulerTerms = SchedulerTerms {
        scheduler: "Slurm",
        queue: "Partition",
        walltime: "Time limit",
        waiting_since: "Pending since",
        waiting: "is pending",
        waiting_where: " in partition",
        status_command: "squeue",
        cancel_command: "scancel",
    };

    /// The time limit inside a sentence: `walltime`, `time limit`.
    pub fn walltime_in_text(&self) -> String {
        self.walltime.to_lowercase()
    }

    /// A waiting job's state after its name, with where it waits if known:
    /// `is waiting in the queue workq`, `is pending in partition batch`.
    pub fn waiting_in(&self, queue: Option<&str>) -> String {
        match queue {
            None => self.waiting.to_string(),
            Some(queue) => format!("{}{} {queue}", self.waiting, self.waiting_where),
        }
    }
}

impl Default for SchedulerTerms {
    fn default() -> Self {
        SchedulerTerms::PBS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheduler_says_where_a_job_waits_in_its_words() {
        let (pbs, slurm) = (SchedulerTerms::PBS, SchedulerTerms::SLURM);
        assert_eq!(
            pbs.waiting_in(Some("workq")),
            "is waiting in the queue workq"
        );
        assert_eq!(pbs.waiting_in(None), "is waiting in the queue");
        assert_eq!(
            slurm.waiting_in(Some("batch")),
            "is pending in partition batch"
        );
        assert_eq!(slurm.waiting_in(None), "is pending");
        assert_eq!(slurm.walltime_in_text(), "time limit");
    }
}
