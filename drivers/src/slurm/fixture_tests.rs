//! The parsers against what a real Slurm 22.05.8 printed (`fixtures/`, captured by
//! `fixtures/capture.sh`; which job is which is in `fixtures/jobs.txt`).

use std::collections::BTreeMap;

use super::parse::{self, SlurmJob};
use crate::job::JobState;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/", $name))
    };
}

fn by_id(jobs: Vec<SlurmJob>) -> BTreeMap<String, SlurmJob> {
    jobs.into_iter().map(|j| (j.id.clone(), j)).collect()
}

#[test]
fn squeue_with_every_state_at_once() {
    let jobs = by_id(parse::squeue(fixture!("squeue-many-states.stdout")).unwrap());
    assert_eq!(jobs.len(), 20);
    let state = |id: &str| jobs[id].status.state;
    assert_eq!(state("5"), JobState::Finished); // COMPLETED
    assert_eq!(state("6"), JobState::Finished); // FAILED
    assert_eq!(state("12"), JobState::Exiting); // COMPLETING
    assert_eq!(state("10"), JobState::Running);
    assert_eq!(state("9"), JobState::Suspended);
    assert_eq!(state("29"), JobState::Held); // JobHeldAdmin
    assert_eq!(state("30"), JobState::Held); // JobHeldUser
    assert_eq!(state("31"), JobState::Waiting); // BeginTime
    assert_eq!(state("32"), JobState::Held); // Dependency
    assert_eq!(state("4"), JobState::Queued); // PartitionTimeLimit

    let resources = &jobs["13"].status;
    assert_eq!(resources.state, JobState::Queued);
    assert_eq!(resources.estimated_start.unwrap().timestamp(), 1795685978);
    assert_eq!(
        resources.comment.as_deref(),
        Some("Resources: waiting for the nodes it asks for to become free")
    );
    assert!(jobs["4"]
        .status
        .comment
        .as_deref()
        .unwrap()
        .contains("more time than its partition allows"));

    let running = &jobs["10"].status;
    assert_eq!(running.exec_host.as_deref(), Some("node0002"));
    assert_eq!(running.times.started.unwrap().timestamp(), 1795685973);
    assert_eq!(jobs["10"].user.as_deref(), Some("root"));

    // Cancelled while pending: it never started.
    let cancelled = &jobs["34"].status;
    assert_eq!(cancelled.state, JobState::Finished);
    assert_eq!(cancelled.times.started, None);
    assert!(cancelled
        .comment
        .as_deref()
        .unwrap()
        .starts_with("CANCELLED: "));
}

#[test]
fn squeue_after_a_node_went_down() {
    let jobs = by_id(parse::squeue(fixture!("squeue-node-down.stdout")).unwrap());
    assert_eq!(jobs["39"].status.state, JobState::Finished);
    assert!(jobs["39"]
        .status
        .comment
        .as_deref()
        .unwrap()
        .starts_with("NODE_FAIL: "));
    // Requeued: pending again after the requeue delay.
    assert_eq!(jobs["38"].status.state, JobState::Waiting);
    assert_eq!(jobs["37"].status.state, JobState::Running);
}

#[test]
fn squeue_unknown_ids_and_an_unreachable_controller() {
    assert!(parse::squeue(fixture!("squeue-all-unknown.stdout"))
        .unwrap()
        .is_empty());
    assert_eq!(fixture!("squeue-all-unknown.rc").trim(), "0");
    assert_eq!(
        parse::squeue(fixture!("squeue-one-unknown.stdout"))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(fixture!("squeue-one-unknown-single.rc").trim(), "1");
    assert!(parse::invalid_job_id(fixture!(
        "squeue-one-unknown-single.stderr"
    )));
    for stderr in [
        fixture!("squeue-ctld-down.stderr"),
        fixture!("sbatch-ctld-down.stderr"),
        fixture!("scancel-ctld-down.stderr"),
        fixture!("scontrol-show-job-ctld-down.stderr"),
        fixture!("sinfo-ctld-down.stderr"),
    ] {
        assert!(parse::controller_unreachable(stderr), "{stderr}");
        assert!(!parse::invalid_job_id(stderr));
    }
}

#[test]
fn scontrol_exit_codes_in_pbs_conventions() {
    let cases = [
        (fixture!("scontrol-show-job-done.stdout"), Some(0)),
        (fixture!("scontrol-show-job-failed.stdout"), Some(3)),
        (
            fixture!("scontrol-show-job-cancel-run.stdout"),
            Some(256 + 15),
        ),
        (fixture!("scontrol-show-job-cancel-pend.stdout"), Some(0)),
        (fixture!("scontrol-show-job-timeout.stdout"), Some(-29)),
        (
            fixture!("scontrol-show-job-node-fail.stdout"),
            Some(256 + 15),
        ),
        (fixture!("scontrol-show-job-running.stdout"), None),
    ];
    for (text, expected) in cases {
        let job = parse::scontrol_job(text).unwrap().unwrap();
        assert_eq!(job.status.exit_status, expected, "{text}");
        assert_eq!(job.user.as_deref(), Some("root"));
    }
    let pending = parse::scontrol_job(fixture!("scontrol-show-job-pending-resources.stdout"))
        .unwrap()
        .unwrap();
    assert_eq!(pending.status.state, JobState::Queued);
    assert!(pending.status.estimated_start.is_some());
    let held = parse::scontrol_job(fixture!("scontrol-show-job-held-user.stdout"))
        .unwrap()
        .unwrap();
    assert_eq!(held.status.state, JobState::Held);
    assert_eq!(held.status.estimated_start, None);
    assert!(parse::invalid_job_id(fixture!(
        "scontrol-show-job-unknown.stderr"
    )));
    assert_eq!(
        parse::scontrol_job(fixture!("scontrol-show-job-unknown.stdout")).unwrap(),
        None
    );
}

#[test]
fn sbatch_answers_and_refusals() {
    assert_eq!(
        parse::sbatch_job_id(fixture!("sbatch-ok.stdout"))
            .unwrap()
            .as_str(),
        "1"
    );
    assert_eq!(
        parse::error_message(fixture!("sbatch-unknown-partition.stderr")),
        "invalid partition specified: nosuch; Batch job submission failed: Invalid partition name specified"
    );
    assert!(
        parse::error_message(fixture!("sbatch-too-much-memory.stderr"))
            .starts_with("Memory specification can not be satisfied")
    );
    assert_eq!(
        parse::error_message(fixture!("sbatch-gres-gpu.stderr")),
        "Invalid generic resource (gres) specification"
    );
    for stderr in [
        fixture!("sbatch-unknown-partition.stderr"),
        fixture!("sbatch-too-much-memory.stderr"),
        fixture!("sbatch-bad-time.stderr"),
    ] {
        assert!(!parse::controller_unreachable(stderr), "{stderr}");
    }
}

#[test]
fn scancel_and_sacct() {
    for case in ["completed", "unknown", "pending", "running"] {
        let rc = match case {
            "completed" => fixture!("scancel-completed.rc"),
            "unknown" => fixture!("scancel-unknown.rc"),
            "pending" => fixture!("scancel-pending.rc"),
            _ => fixture!("scancel-running.rc"),
        };
        assert_eq!(rc.trim(), "0", "{case}");
    }
    assert_eq!(
        parse::error_message(fixture!("scancel-other-users-job.stderr")),
        "Kill job error on job id 36: Access/permission denied"
    );
    assert_eq!(fixture!("sacct-accounting-disabled.rc").trim(), "1");
    assert!(parse::sacct(fixture!("sacct-accounting-disabled.stdout"))
        .unwrap()
        .is_empty());
}
