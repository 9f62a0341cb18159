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
}

impl SchedulerTerms {
    /// PBS Pro's words (and the simulated PBS cluster's).
    pub const PBS: SchedulerTerms = SchedulerTerms {
        scheduler: "PBS",
        queue: "Queue",
        walltime: "Walltime",
        waiting_since: "Queued since",
    };

    /// Slurm's words.
    pub const SLURM: SchedulerTerms = SchedulerTerms {
        scheduler: "Slurm",
        queue: "Partition",
        walltime: "Time limit",
        waiting_since: "Pending since",
    };

    /// The time limit inside a sentence: `walltime`, `time limit`.
    pub fn walltime_in_text(&self) -> String {
        self.walltime.to_lowercase()
    }
}

impl Default for SchedulerTerms {
    fn default() -> Self {
        SchedulerTerms::PBS
    }
}
