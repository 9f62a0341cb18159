//! Slurm's job states and pending reasons in the hub's vocabulary ([`JobState`], a comment
//! a user can read, an exit status in PBS's conventions).
//!
//! Every state Slurm 22.05–24.x prints (`squeue %T`, `scontrol`'s `JobState=`, `sacct`'s
//! `State`) is mapped; an unrecognised name is `None`, which the driver reports as
//! `Unknown` — never as a job that ended.

use crate::job::JobState;

/// The hub's state for a Slurm state name and, for a pending job, its reason.
pub fn job_state(name: &str, reason: &str) -> Option<JobState> {
    // `sacct` writes "CANCELLED by 1000"; a trailing `+` marks a state with extra flags.
    let name = name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches('+');
    Some(match name {
        "PENDING" => pending_state(reason),
        // Nodes are being booted or powered up for it: allocated, not started.
        "CONFIGURING" | "POWER_UP_NODE" => JobState::Waiting,
        "RUNNING" | "RESIZING" | "SIGNALING" | "UPDATE_DB" => JobState::Running,
        "COMPLETING" | "STAGE_OUT" => JobState::Exiting,
        "SUSPENDED" | "STOPPED" => JobState::Suspended,
        "REQUEUED" | "REQUEUE_FED" => JobState::Queued,
        "REQUEUE_HOLD" | "RESV_DEL_HOLD" | "SPECIAL_EXIT" => JobState::Held,
        // Moved to another cluster of a federation.
        "REVOKED" => JobState::Moved,
        name if final_meaning(name).is_some() => JobState::Finished,
        _ => return None,
    })
}

/// A pending job's state from its reason: held, waiting for a time, or queued.
fn pending_state(reason: &str) -> JobState {
    match reason_word(reason) {
        "JobHeldUser"
        | "JobHeldAdmin"
        | "Dependency"
        | "DependencyNeverSatisfied"
        | "launch failed requeued held" => JobState::Held,
        "BeginTime" => JobState::Waiting,
        _ => JobState::Queued,
    }
}

/// What an ended job's state says happened; `None` for a state that is not an end.
pub fn final_meaning(name: &str) -> Option<&'static str> {
    Some(match name {
        "COMPLETED" => "the job ended by itself with exit code 0",
        "CANCELLED" => "the job was cancelled (scancel)",
        "FAILED" => "the job ended with a non-zero exit code or could not start",
        "TIMEOUT" => "the job reached its time limit",
        "NODE_FAIL" => "a node of the job failed",
        "PREEMPTED" => "the job was preempted by another job",
        "BOOT_FAIL" => "a node of the job failed to boot",
        "DEADLINE" => "the job reached its deadline",
        "OUT_OF_MEMORY" => "the job ran out of memory",
        "LAUNCH_FAILED" => "the job could not be launched",
        "RECONFIG_FAIL" => "a node of the job failed to reconfigure",
        _ => return None,
    })
}

/// The first word of a reason (`ReqNodeNotAvail, UnavailableNodes:node[01-02]` →
/// `ReqNodeNotAvail`); the whole text when it is a phrase Slurm prints as such.
fn reason_word(reason: &str) -> &str {
    let reason = reason.trim();
    if reason.contains(' ') && !reason.contains(',') {
        return reason;
    }
    reason.split([',', ' ']).next().unwrap_or(reason)
}

/// A pending job's comment: Slurm's reason and what it means.
pub fn pending_comment(reason: &str) -> String {
    let reason = reason.trim();
    let meaning = match reason_word(reason) {
        "None" | "" => return "waiting for the scheduler's next pass".to_string(),
        "Resources" => "waiting for the nodes it asks for to become free",
        "Priority" => "jobs of higher priority are ahead of it",
        "Dependency" => "waiting for a job it depends on",
        "DependencyNeverSatisfied" => "a job it depends on ended in a way that never lets it run",
        "BeginTime" => "waiting for its start time",
        "JobHeldUser" => "held by its owner",
        "JobHeldAdmin" => "held by an administrator",
        "ReqNodeNotAvail" => "a node it needs is down, drained or reserved",
        "BadConstraints" => "no node has the features it asks for",
        "PartitionDown" | "PartitionInactive" => "its partition is not accepting jobs to run",
        "PartitionNodeLimit" => "it asks for more nodes than its partition allows",
        "PartitionTimeLimit" => "it asks for more time than its partition allows",
        "PartitionConfig" => "it asks for more than any node of its partition has",
        "Reservation" => "waiting for its reservation to start",
        "NodeDown" => "a node it needs is down",
        "Licenses" => "waiting for a license",
        "launch failed requeued held" => "its launch failed; held for an administrator",
        word if word.starts_with("QOS") || word.starts_with("Assoc") => {
            "a limit on your jobs or your account is reached"
        }
        _ => return reason.to_string(),
    };
    format!("{reason}: {meaning}")
}

/// An ended job's exit status in PBS's conventions, from Slurm's `ExitCode=N:S` and state:
/// the exit code, `256 + signal` when a signal ended it, and `-29` (PBS's "walltime
/// exceeded") for `TIMEOUT`, so the hub explains it the same way on both schedulers.
pub fn exit_status(state: &str, exit_code: Option<(i32, i32)>) -> Option<i32> {
    if state.starts_with("TIMEOUT") {
        return Some(-29);
    }
    let (code, signal) = exit_code?;
    Some(if signal > 0 { 256 + signal } else { code })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state name in Slurm's `job_state_string` (22.05) and the flag states squeue
    /// prints in their place.
    const ALL: [&str; 28] = [
        "PENDING",
        "RUNNING",
        "SUSPENDED",
        "COMPLETED",
        "CANCELLED",
        "FAILED",
        "TIMEOUT",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "OUT_OF_MEMORY",
        "LAUNCH_FAILED",
        "UPDATE_DB",
        "REQUEUED",
        "REQUEUE_HOLD",
        "SPECIAL_EXIT",
        "RESIZING",
        "CONFIGURING",
        "COMPLETING",
        "STOPPED",
        "RECONFIG_FAIL",
        "POWER_UP_NODE",
        "REVOKED",
        "REQUEUE_FED",
        "RESV_DEL_HOLD",
        "SIGNALING",
        "STAGE_OUT",
    ];

    #[test]
    fn every_slurm_state_is_mapped() {
        for name in ALL {
            assert!(job_state(name, "None").is_some(), "{name} unmapped");
        }
        assert_eq!(job_state("BOGUS", "None"), None);
        assert_eq!(job_state("", "None"), None);
    }

    #[test]
    fn states_mean_what_the_hub_expects() {
        assert_eq!(job_state("PENDING", "Resources"), Some(JobState::Queued));
        assert_eq!(job_state("PENDING", "JobHeldUser"), Some(JobState::Held));
        assert_eq!(job_state("PENDING", "BeginTime"), Some(JobState::Waiting));
        assert_eq!(job_state("RUNNING", "None"), Some(JobState::Running));
        assert_eq!(job_state("COMPLETING", "None"), Some(JobState::Exiting));
        assert_eq!(job_state("CANCELLED by 1000", ""), Some(JobState::Finished));
        assert_eq!(job_state("TIMEOUT", "TimeLimit"), Some(JobState::Finished));
        for name in ALL {
            let state = job_state(name, "None").unwrap();
            assert_eq!(
                state.is_final(),
                final_meaning(name).is_some() || name == "REVOKED",
                "{name}"
            );
        }
    }

    #[test]
    fn reasons_are_explained_and_unknown_ones_kept() {
        assert_eq!(
            pending_comment("Resources"),
            "Resources: waiting for the nodes it asks for to become free"
        );
        assert_eq!(
            pending_comment("ReqNodeNotAvail, UnavailableNodes:node[0001-0002]"),
            "ReqNodeNotAvail, UnavailableNodes:node[0001-0002]: a node it needs is down, drained or reserved"
        );
        assert!(pending_comment("QOSMaxJobsPerUserLimit").contains("limit"));
        assert_eq!(pending_comment("SomethingNew"), "SomethingNew");
        assert_eq!(
            pending_comment("None"),
            "waiting for the scheduler's next pass"
        );
    }

    #[test]
    fn exit_statuses_follow_pbs_conventions() {
        assert_eq!(exit_status("COMPLETED", Some((0, 0))), Some(0));
        assert_eq!(exit_status("FAILED", Some((3, 0))), Some(3));
        assert_eq!(exit_status("CANCELLED", Some((0, 15))), Some(271));
        assert_eq!(exit_status("TIMEOUT", Some((0, 15))), Some(-29));
        assert_eq!(exit_status("FAILED", None), None);
    }
}
