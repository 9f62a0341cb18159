//! The driver's command lines and its reading of answers, with a scripted runner standing in
//! for Slurm (the tests against a real Slurm are in `tests/tests/slurm_driver.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::config::SlurmConfig;
use super::driver::SlurmDriver;
use crate::command::{CommandSpec, RunError};
use crate::job::{JobId, JobName, JobSpec, JobState, UserName};
use crate::resources::ResourceList;
use crate::scheduler::Scheduler;
use crate::scripted::{out, Scripted};
use crate::SchedulerError;

const SUDO: [&str; 5] = ["sudo", "-n", "-u", "{user}", "--"];

fn config() -> SlurmConfig {
    SlurmConfig {
        run_as: SUDO.map(String::from).to_vec(),
        ..SlurmConfig::default()
    }
}

fn env() -> Vec<(String, String)> {
    vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("SLURM_CONF".into(), "/etc/slurm/slurm.conf".into()),
    ]
}

fn driver(runner: Arc<Scripted>) -> SlurmDriver {
    SlurmDriver::with_runner(config(), runner, env())
}

fn ids(list: &[&str]) -> Vec<JobId> {
    list.iter().map(|id| JobId::new(*id).unwrap()).collect()
}

fn program(spec: &CommandSpec) -> &str {
    let argv = &spec.argv;
    // After a run-as prefix, the program follows `--`.
    match argv.iter().position(|w| w == "--") {
        Some(at) => &argv[at + 1],
        None => &argv[0],
    }
}

fn line(id: &str, state: &str, user: &str, reason: &str) -> String {
    format!(
        "{id}|{state}|{user}|batch|1795685972|1795685973|N/A|1:00:00|node0001|node0001|{reason}\n"
    )
}

#[tokio::test]
async fn one_squeue_for_every_tracked_job_with_times_in_seconds() {
    let runner = Scripted::new(|spec| match program(spec) {
        "squeue" => out(
            0,
            &(line("11", "RUNNING", "alice", "None") + &line("12", "PENDING", "bob", "Priority")),
            "",
        ),
        other => panic!("unexpected {other}"),
    });
    let statuses = driver(runner.clone()).status(&ids(&["11", "12"])).await;
    assert_eq!(
        statuses[&JobId::new("11").unwrap()].state,
        JobState::Running
    );
    assert_eq!(statuses[&JobId::new("12").unwrap()].state, JobState::Queued);
    let calls = runner.calls();
    assert_eq!(calls.len(), 1);
    let squeue = &calls[0];
    assert!(
        squeue.argv.contains(&"--jobs=11,12".to_string()),
        "{:?}",
        squeue.argv
    );
    assert!(squeue.argv.contains(&"--states=all".to_string()));
    let mut env = squeue.env.clone();
    env.sort();
    assert_eq!(
        env,
        [
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
            (
                "SLURM_CONF".to_string(),
                "/etc/slurm/slurm.conf".to_string()
            ),
            ("SLURM_TIME_FORMAT".to_string(), "%s".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_job_squeue_lacks_is_asked_of_scontrol_and_sacct_and_gone_only_after_three_answers() {
    let runner = Scripted::new(|spec| match program(spec) {
        // Asked about one unknown id, squeue fails.
        "squeue" => out(1, "", "slurm_load_jobs error: Invalid job id specified\n"),
        "scontrol" => out(1, "", "slurm_load_jobs error: Invalid job id specified\n"),
        "sacct" => out(1, "", "Slurm accounting storage is disabled\n"),
        other => panic!("unexpected {other}"),
    });
    let driver = driver(runner.clone());
    let id = JobId::new("40").unwrap();
    for round in 1..=2 {
        let status = &driver.status(std::slice::from_ref(&id)).await[&id];
        assert_eq!(status.state, JobState::Unknown, "round {round}");
        let why = status.query_error.as_deref().unwrap();
        assert!(why.contains(&format!("{round} of 3")), "{why}");
    }
    let third = &driver.status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(third.state, JobState::Finished);
    assert!(third
        .comment
        .as_deref()
        .unwrap()
        .contains("no longer known to Slurm"));
    let programs: Vec<String> = runner
        .calls()
        .iter()
        .map(|c| program(c).to_string())
        .collect();
    assert_eq!(programs, ["squeue", "scontrol", "sacct"].repeat(3));
}

#[tokio::test]
async fn scontrol_still_knowing_a_job_squeue_lacks_keeps_it() {
    let runner = Scripted::new(|spec| match program(spec) {
        "squeue" => out(0, "", ""),
        "scontrol" => out(
            0,
            "JobId=41 JobName=nb UserId=alice(1000) JobState=RUNNING Reason=None ExitCode=0:0 \
             SubmitTime=1795685972 StartTime=1795685973 EndTime=N/A Partition=batch \
             NodeList=node0002 BatchHost=node0002 Power= \n",
            "",
        ),
        other => panic!("unexpected {other}"),
    });
    let id = JobId::new("41").unwrap();
    let statuses = driver(runner).status(std::slice::from_ref(&id)).await;
    assert_eq!(statuses[&id].state, JobState::Running);
    assert_eq!(statuses[&id].exec_host.as_deref(), Some("node0002"));
}

#[tokio::test]
async fn an_unreachable_controller_makes_every_job_unknown_and_counts_no_miss() {
    let runner = Scripted::new(|spec| match program(spec) {
        "squeue" => out(
            1,
            "",
            "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n",
        ),
        other => panic!("unexpected {other}"),
    });
    let driver = driver(runner.clone());
    let tracked = ids(&["1", "2"]);
    for _ in 0..5 {
        let statuses = driver.status(&tracked).await;
        for id in &tracked {
            assert_eq!(statuses[id].state, JobState::Unknown);
            assert!(statuses[id]
                .query_error
                .as_deref()
                .unwrap()
                .contains("Unable to contact slurm controller"));
        }
    }
    assert_eq!(runner.calls().len(), 5, "one squeue per poll, nothing else");
    // A timed-out squeue is the same.
    let slow = Scripted::new(|_| Err(RunError::Timeout(std::time::Duration::from_secs(30))));
    let statuses = SlurmDriver::with_runner(config(), slow, env())
        .status(&tracked)
        .await;
    assert!(statuses.values().all(|s| s.state == JobState::Unknown));
}

#[tokio::test]
async fn an_ended_job_gets_its_exit_code_from_scontrol() {
    let runner = Scripted::new(|spec| match program(spec) {
        "squeue" => out(0, &line("6", "FAILED", "alice", "NonZeroExitCode"), ""),
        "scontrol" => out(
            0,
            "JobId=6 UserId=alice(1000) JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 \
             SubmitTime=1795685972 StartTime=1795685973 EndTime=1795685973 Partition=batch \
             NodeList=node0001 BatchHost=node0001 Power= \n",
            "",
        ),
        other => panic!("unexpected {other}"),
    });
    let id = JobId::new("6").unwrap();
    let status = &driver(runner).status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(status.state, JobState::Finished);
    assert_eq!(status.exit_status, Some(3));
}

fn spec() -> JobSpec {
    JobSpec {
        owner: UserName::new("alice").unwrap(),
        name: JobName::new("jupyterhub-singleuser").unwrap(),
        queue: Some("batch".into()),
        resources: ResourceList::parse(&["select=1:ncpus=2:mem=2gb", "walltime=01:00:00"]).unwrap(),
        environment: BTreeMap::from([("JUPYTERHUB_API_TOKEN".into(), "secret".into())]),
        working_dir: PathBuf::from("/home/alice"),
        command: vec!["hub-singleuser".into()],
    }
}

#[tokio::test]
async fn submit_runs_sbatch_as_the_owner_with_the_script_on_stdin_and_cancel_follows() {
    let runner = Scripted::new(|spec| match program(spec) {
        "sbatch" => out(0, "77\n", ""),
        "scancel" => out(0, "", ""),
        other => panic!("unexpected {other}"),
    });
    let driver = driver(runner.clone());
    let id = driver.submit(&spec()).await.unwrap();
    assert_eq!(id.as_str(), "77");
    driver.cancel(&id).await.unwrap();
    let calls = runner.calls();
    assert_eq!(
        calls[0].argv,
        ["sudo", "-n", "-u", "alice", "--", "sbatch", "--parsable"]
    );
    let script = String::from_utf8(calls[0].stdin.clone().unwrap()).unwrap();
    assert!(script.starts_with("#!/bin/bash\n#SBATCH --job-name=jupyterhub-singleuser\n"));
    assert!(script.contains("export JUPYTERHUB_API_TOKEN='secret'"));
    assert!(!calls[0].argv.iter().any(|w| w.contains("secret")));
    assert_eq!(
        calls[1].argv,
        ["sudo", "-n", "-u", "alice", "--", "scancel", "77"]
    );
}

#[tokio::test]
async fn a_restarted_hub_learns_owners_from_squeue_before_cancelling() {
    let runner = Scripted::new(|spec| match program(spec) {
        "squeue" => out(0, &line("90", "RUNNING", "carol", "None"), ""),
        "scancel" => out(0, "", ""),
        other => panic!("unexpected {other}"),
    });
    let driver = driver(runner.clone());
    let id = JobId::new("90").unwrap();
    driver.status(std::slice::from_ref(&id)).await;
    driver.cancel(&id).await.unwrap();
    assert_eq!(
        runner.calls()[1].argv,
        ["sudo", "-n", "-u", "carol", "--", "scancel", "90"]
    );
    // A job whose owner is not known yet is cancelled as the hub (manage_as, empty here).
    let unknown = JobId::new("91").unwrap();
    driver.cancel(&unknown).await.unwrap();
    assert_eq!(runner.calls()[2].argv, ["scancel", "91"]);
}

#[tokio::test]
async fn refusals_keep_slurms_words_and_say_whether_to_retry() {
    let runner = Scripted::new(|spec| {
        match program(spec) {
        "sbatch" => out(
            1,
            "",
            "sbatch: error: invalid partition specified: nosuch\nsbatch: error: Batch job submission failed: Invalid partition name specified\n",
        ),
        other => panic!("unexpected {other}"),
    }
    });
    let err = driver(runner).submit(&spec()).await.unwrap_err();
    assert!(matches!(err, SchedulerError::Declined { .. }), "{err:?}");
    assert!(!err.is_transient());
    assert!(
        err.to_string().contains("Invalid partition name specified"),
        "{err}"
    );

    let down = Scripted::new(|_| {
        out(
            1,
            "",
            "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n",
        )
    });
    let err = driver(down).submit(&spec()).await.unwrap_err();
    assert!(matches!(err, SchedulerError::Unavailable { .. }), "{err:?}");
    assert!(err.is_transient());

    let denied = Scripted::new(|_| {
        out(
            210,
            "",
            "scancel: error: Kill job error on job id 36: Access/permission denied\n",
        )
    });
    let err = driver(denied)
        .cancel(&JobId::new("36").unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Access/permission denied"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unmappable_request_is_refused_before_sbatch_runs() {
    let runner = Scripted::new(|_| panic!("nothing may run"));
    let mut job = spec();
    job.resources = ResourceList::parse(&["select=1:ncpus=1+1:ncpus=2"]).unwrap();
    let err = driver(runner.clone()).submit(&job).await.unwrap_err();
    assert!(matches!(err, SchedulerError::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("different shapes"), "{err}");
    assert!(runner.calls().is_empty());
}

#[tokio::test]
async fn the_cluster_summary_counts_nodes_once_and_jobs_by_state() {
    let runner = Scripted::new(|spec| match program(spec) {
        "sinfo" => out(
            0,
            "node0001|mixed\nnode0001|mixed\nnode0002|idle\nnode0003|down*\nnode0004|idle\n",
            "",
        ),
        "squeue" => out(
            0,
            "RUNNING|None\nPENDING|Resources\nPENDING|Priority\nPENDING|JobHeldUser\n",
            "",
        ),
        other => panic!("unexpected {other}"),
    });
    let summary = driver(runner).cluster_summary().await.unwrap();
    assert_eq!(
        (
            summary.nodes_total,
            summary.nodes_free,
            summary.nodes_unavailable
        ),
        (4, 2, 1)
    );
    assert_eq!((summary.running, summary.queued, summary.held), (1, 2, 1));
}

#[tokio::test]
async fn lookups_per_poll_are_bounded_and_the_rest_wait_without_counting() {
    let runner = Scripted::new(|spec| match program(spec) {
        "squeue" => out(0, "", ""),
        "scontrol" => out(1, "", "slurm_load_jobs error: Invalid job id specified\n"),
        "sacct" => out(1, "", "Slurm accounting storage is disabled\n"),
        other => panic!("unexpected {other}"),
    });
    let config = SlurmConfig {
        max_lookups_per_poll: 2,
        ..config()
    };
    let driver = SlurmDriver::with_runner(config, runner.clone(), env());
    let tracked = ids(&["1", "2", "3", "4", "5"]);
    let statuses = driver.status(&tracked).await;
    let looked_up = runner
        .calls()
        .iter()
        .filter(|c| program(c) == "scontrol")
        .count();
    assert_eq!(looked_up, 2);
    assert!(statuses.values().all(|s| s.state == JobState::Unknown));
    let waiting = &statuses[&JobId::new("5").unwrap()];
    assert!(waiting
        .query_error
        .as_deref()
        .unwrap()
        .contains("later poll"));
}

#[tokio::test]
async fn find_jobs_is_one_squeue_by_user_and_name_in_every_state() {
    let runner = Scripted::new(|_| {
        let mut text = line("41", "PENDING", "alice", "Priority");
        text.push_str(&line("42", "COMPLETED", "alice", "None"));
        // A wrapper that ignored --user: never another user's job.
        text.push_str(&line("43", "RUNNING", "bob", "None"));
        out(0, &text, "")
    });
    let driver = driver(runner.clone());
    let found = driver
        .find_jobs(
            &UserName::new("alice").unwrap(),
            &JobName::new("nb").unwrap(),
        )
        .await
        .unwrap();
    let got: Vec<(&str, JobState)> = found.iter().map(|f| (f.id.as_str(), f.state)).collect();
    assert_eq!(got, [("41", JobState::Queued), ("42", JobState::Finished)]);
    assert_eq!(
        found[0].queued.map(|t| t.timestamp()),
        Some(1795685972),
        "the submit time"
    );
    let calls = runner.calls();
    assert_eq!(calls.len(), 1, "one scheduler call");
    assert_eq!(
        calls[0].argv,
        [
            "squeue",
            "--noheader",
            "--states=all",
            "--user=alice",
            "--name=nb",
            "--format=%i|%T|%u|%P|%V|%S|%e|%l|%B|%N|%r",
        ]
    );
}

#[tokio::test]
async fn find_jobs_with_nothing_listed_is_empty_and_failures_are_errors() {
    let alice = UserName::new("alice").unwrap();
    let nb = JobName::new("nb").unwrap();
    let empty = Scripted::new(|_| out(0, "", ""));
    assert_eq!(driver(empty).find_jobs(&alice, &nb).await.unwrap(), []);

    let down = Scripted::new(|_| {
        out(
            1,
            "",
            "squeue: error: Unable to contact slurm controller (connect failure)\n",
        )
    });
    let err = driver(down).find_jobs(&alice, &nb).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");

    let garbled = Scripted::new(|_| out(0, "41|PENDING\n", ""));
    let err = driver(garbled).find_jobs(&alice, &nb).await.unwrap_err();
    match &err {
        SchedulerError::BadOutput { command, reason } => {
            assert!(command.starts_with("squeue"), "{command}");
            assert!(reason.contains("fields"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
