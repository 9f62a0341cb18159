//! The driver's command lines and its reading of answers, with a scripted runner standing in
//! for PBS (the end-to-end tests against pbs-sim are in `pbs-sim/tests/pbs_driver.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::config::PbsConfig;
use super::driver::PbsDriver;
use crate::command::RunError;
use crate::job::{JobId, JobName, JobSpec, JobState, UserName};
use crate::resources::ResourceList;
use crate::scheduler::Scheduler;
use crate::scripted::{out, Scripted};
use crate::SchedulerError;

/// A `qstat -f -F json` answer (old generator) describing `jobs` as (id, state letter).
fn qstat_json(jobs: &[(&str, &str)]) -> String {
    let mut doc = String::from(
        "{\n    \"timestamp\":1700000000,\n    \"pbs_version\":\"2022.1.1\",\n    \"pbs_server\":\"pbs02\"",
    );
    if !jobs.is_empty() {
        doc.push_str(",\n    \"Jobs\":{");
        let bodies: Vec<String> = jobs
            .iter()
            .map(|(id, state)| {
                format!(
                    "\n        \"{id}\":{{\n            \"Job_Name\":\"nb\",\n            \"job_state\":\"{state}\",\n            \"queue\":\"c1_single\",\n            \"substate\":10\n        }}"
                )
            })
            .collect();
        doc.push_str(&bodies.join(","));
        doc.push_str("\n    }");
    }
    doc.push_str("\n}\n");
    doc
}

fn env() -> Vec<(String, String)> {
    vec![("PATH".to_string(), "/usr/bin:/bin".to_string())]
}

fn spec() -> JobSpec {
    JobSpec {
        owner: UserName::new("alice").unwrap(),
        name: JobName::new("nb").unwrap(),
        queue: None,
        resources: ResourceList::parse(&["select=1:ncpus=1", "walltime=01:00:00"]).unwrap(),
        environment: BTreeMap::from([(
            "JUPYTERHUB_API_TOKEN".to_string(),
            "t0ken-zz9".to_string(),
        )]),
        working_dir: PathBuf::from("/home/alice"),
        command: vec!["jupyterhub-singleuser".into()],
    }
}

fn ids(n: usize) -> Vec<JobId> {
    (1..=n)
        .map(|i| JobId::new(format!("{i}.pbs02")).unwrap())
        .collect()
}

#[tokio::test]
async fn status_of_many_jobs_is_one_qstat_with_every_id() {
    let runner = Scripted::new(|spec| {
        let jobs: Vec<(&str, &str)> = spec.argv[5..].iter().map(|id| (id.as_str(), "Q")).collect();
        out(0, &qstat_json(&jobs), "")
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner.clone(), env());
    let ids = ids(500);
    let map = driver.status(&ids).await;
    let calls = runner.calls();
    assert_eq!(calls.len(), 1, "one qstat for 500 jobs");
    assert_eq!(calls[0].argv[..5], ["qstat", "-f", "-F", "json", "-x"]);
    assert_eq!(calls[0].argv.len(), 5 + 500);
    assert_eq!(calls[0].env, env(), "exactly the allowlisted environment");
    assert!(ids.iter().all(|id| map[id].state == JobState::Queued));
}

#[tokio::test]
async fn a_failed_or_timed_out_qstat_makes_every_job_unknown() {
    let runner = Scripted::new(|spec| {
        if spec.argv.len() > 7 {
            Err(RunError::Timeout(spec.timeout))
        } else {
            out(
                162,
                "",
                "qstat: cannot connect to server pbs02 (errno=15010)\n",
            )
        }
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner, env());
    for n in [3, 2] {
        let ids = ids(n);
        let map = driver.status(&ids).await;
        for id in &ids {
            assert_eq!(map[id].state, JobState::Unknown);
            let why = map[id].query_error.clone().unwrap();
            assert!(
                why.contains("did not finish") || why.contains("cannot connect"),
                "{why}"
            );
        }
    }
}

#[tokio::test]
async fn a_partial_answer_describes_the_others() {
    let runner = Scripted::new(|_| {
        out(
            153,
            &qstat_json(&[("1.pbs02.cluster.edu", "R")]),
            "qstat: Unknown Job Id 2.pbs02\n",
        )
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner, env());
    let map = driver.status(&ids(2)).await;
    assert_eq!(
        map[&ids(1)[0]].state,
        JobState::Running,
        "matched across the domain suffix"
    );
    assert_eq!(
        map[&ids(2)[1]].state,
        JobState::Unknown,
        "missing once: not gone yet"
    );
}

#[tokio::test]
async fn submit_runs_qsub_as_the_owner_with_the_script_on_stdin_only() {
    let runner = Scripted::new(|_| out(0, "4711.pbs02\n", ""));
    let config = PbsConfig {
        run_as: ["sudo", "-n", "-u", "{user}", "--"]
            .map(String::from)
            .to_vec(),
        ..PbsConfig::default()
    };
    let driver = PbsDriver::with_runner(config, runner.clone(), env());
    let id = driver.submit(&spec()).await.unwrap();
    assert_eq!(id.as_str(), "4711.pbs02");
    let call = &runner.calls()[0];
    assert_eq!(call.argv, ["sudo", "-n", "-u", "alice", "--", "qsub"]);
    let script = String::from_utf8(call.stdin.clone().unwrap()).unwrap();
    assert!(script.contains("export JUPYTERHUB_API_TOKEN='t0ken-zz9'"));
    assert!(
        !call.argv.iter().any(|a| a.contains("t0ken")),
        "no secret on a command line"
    );
    assert!(
        !call.env.iter().any(|(_, v)| v.contains("t0ken")),
        "nor in qsub's environment"
    );

    // qdel runs as the owner too.
    driver.cancel(&id).await.unwrap();
    assert_eq!(
        runner.calls()[1].argv,
        ["sudo", "-n", "-u", "alice", "--", "qdel", "4711.pbs02"]
    );
}

#[tokio::test]
async fn qsub_errors_keep_pbs_words_the_command_and_the_code() {
    let runner = Scripted::new(|_| {
        out(
            188,
            "",
            "qsub: Job violates queue and/or server resource limits\n",
        )
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner, env());
    match driver.submit(&spec()).await.unwrap_err() {
        SchedulerError::Refused {
            command,
            code,
            stderr,
            error,
        } => {
            assert_eq!(command, "qsub");
            assert_eq!(code, Some(188));
            assert_eq!(
                stderr,
                "qsub: Job violates queue and/or server resource limits"
            );
            assert_eq!(
                error.to_string(),
                "Job violates queue and/or server resource limits"
            );
        }
        other => panic!("{other:?}"),
    }
    let garbage = Scripted::new(|_| out(0, "Segmentation fault\n", ""));
    let driver = PbsDriver::with_runner(PbsConfig::default(), garbage, env());
    assert!(matches!(
        driver.submit(&spec()).await,
        Err(SchedulerError::BadOutput { .. })
    ));
}

#[tokio::test]
async fn cancel_of_an_ended_job_is_done_and_other_failures_are_errors() {
    for stderr in [
        "qdel: Unknown Job Id 7.pbs02\n",
        "qdel: Job has finished 7.pbs02\n",
    ] {
        let runner = Scripted::new(move |_| out(153, "", stderr));
        let driver = PbsDriver::with_runner(PbsConfig::default(), runner.clone(), env());
        driver
            .cancel(&JobId::new("7.pbs02").unwrap())
            .await
            .unwrap();
        // Not submitted by this driver: run as the manager prefix (empty: the hub's user).
        assert_eq!(runner.calls()[0].argv, ["qdel", "7.pbs02"]);
    }
    let runner = Scripted::new(|_| out(159, "", "qdel: Unauthorized Request  7.pbs02\n"));
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner, env());
    let err = driver
        .cancel(&JobId::new("7.pbs02").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, SchedulerError::Refused { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_job_still_running_after_the_grace_period_is_force_deleted() {
    let runner = Scripted::new(|spec| {
        if spec.argv[0] == "qstat" {
            out(0, &qstat_json(&[("7.pbs02", "R")]), "")
        } else {
            out(0, "", "")
        }
    });
    let config = PbsConfig {
        force_after: Some(Duration::from_secs(60)),
        ..PbsConfig::default()
    };
    let driver = PbsDriver::with_runner(config, runner.clone(), env());
    driver
        .cancel(&JobId::new("7.pbs02").unwrap())
        .await
        .unwrap();
    assert_eq!(runner.calls().len(), 1);
    tokio::time::sleep(Duration::from_secs(61)).await;
    // Let the background task run its commands.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let argvs: Vec<Vec<String>> = runner.calls().into_iter().map(|c| c.argv).collect();
    assert_eq!(argvs.len(), 3, "{argvs:?}");
    assert_eq!(argvs[1][0], "qstat");
    assert_eq!(argvs[2], ["qdel", "-W", "force", "7.pbs02"]);
}

#[tokio::test]
async fn json_the_old_generator_broke_is_asked_again_as_text() {
    let runner = Scripted::new(|spec| {
        if spec.argv.iter().any(|a| a == "json") {
            // What the old generator prints for a `qsub -V` job with a bash function.
            out(0, "{\n    \"Jobs\":{\n        \"7.pbs02\":{\n            \"Variable_List\":{\"BASH_FUNC_x%%\":\"() {  echo \"hi\"\n}\"}\n", "")
        } else {
            out(
                0,
                "Job Id: 7.pbs02\n    Job_Name = nb\n    job_state = R\n    queue = c1_single\n\n",
                "",
            )
        }
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner.clone(), env());
    let id = JobId::new("7.pbs02").unwrap();
    let map = driver.status(std::slice::from_ref(&id)).await;
    assert_eq!(map[&id].state, JobState::Running, "{:?}", map[&id]);
    let argvs: Vec<Vec<String>> = runner.calls().into_iter().map(|c| c.argv).collect();
    assert_eq!(argvs[1], ["qstat", "-f", "-x", "7.pbs02"]);
}

#[tokio::test]
async fn the_cluster_summary_is_qstat_b_and_pbsnodes_a() {
    let runner = Scripted::new(|spec| match spec.argv[0].as_str() {
        "qstat" => out(
            0,
            "Server: pbs02\n    server_state = Active\n    state_count = Transit:0 Queued:17 \
             Held:8 Waiting:0 Running:7 Exiting:0 Begun:0 \n\n",
            "",
        ),
        _ => out(
            0,
            "n1\n     state = free\n\nn2\n     state = job-busy\n\nn3\n     state = down\n\n",
            "",
        ),
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner.clone(), env());
    let summary = driver.cluster_summary().await.unwrap();
    assert_eq!((summary.queued, summary.running, summary.held), (17, 7, 8));
    assert_eq!(
        (
            summary.nodes_total,
            summary.nodes_free,
            summary.nodes_unavailable
        ),
        (3, 1, 1)
    );
    assert_eq!(summary.nodes_busy(), 1);
    let argv: Vec<Vec<String>> = runner.calls().into_iter().map(|c| c.argv).collect();
    assert_eq!(argv, [vec!["qstat", "-B", "-f"], vec!["pbsnodes", "-a"]]);
}

#[tokio::test]
async fn a_failing_or_garbled_cluster_summary_is_a_typed_error() {
    let down = Scripted::new(|_| {
        out(
            162,
            "",
            "qstat: cannot connect to server pbs02 (errno=15010)\n",
        )
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), down, env());
    let error = driver.cluster_summary().await.unwrap_err();
    assert!(
        matches!(error, SchedulerError::Unavailable { .. }),
        "{error:?}"
    );
    let garbled = Scripted::new(|_| out(0, "Server: pbs02\n    state_count = lots\n", ""));
    let driver = PbsDriver::with_runner(PbsConfig::default(), garbled, env());
    let error = driver.cluster_summary().await.unwrap_err();
    assert!(
        matches!(error, SchedulerError::BadOutput { .. }),
        "{error:?}"
    );
    let no_nodes = Scripted::new(|spec| match spec.argv[0].as_str() {
        "qstat" => out(0, "Server: a\n    state_count = Queued:2\n", ""),
        _ => out(1, "", "pbsnodes: No nodes found\n"),
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), no_nodes, env());
    let summary = driver.cluster_summary().await.unwrap();
    assert_eq!((summary.queued, summary.nodes_total), (2, 0));
}

/// A `qstat -f -F json -x` answer with owners and names: (id, owner, name, state).
fn qstat_json_owned(jobs: &[(&str, &str, &str, &str)]) -> String {
    let bodies: Vec<String> = jobs
        .iter()
        .map(|(id, owner, name, state)| {
            format!(
                "\n        \"{id}\":{{\n            \"Job_Name\":\"{name}\",\n            \"Job_Owner\":\"{owner}\",\n            \"job_state\":\"{state}\",\n            \"qtime\":\"Thu Nov 26 15:00:00 2026\"\n        }}"
            )
        })
        .collect();
    format!(
        "{{\n    \"timestamp\":1700000000,\n    \"pbs_version\":\"2022.1.1\",\n    \"pbs_server\":\"pbs02\",\n    \"Jobs\":{{{}\n    }}\n}}\n",
        bodies.join(",")
    )
}

#[tokio::test]
async fn find_jobs_is_one_qstat_of_every_job_read_for_the_owner_and_name() {
    let answer = qstat_json_owned(&[
        ("11.pbs02", "alice@login1", "nb", "Q"),
        ("12.pbs02", "bob@login1", "nb", "R"),
        ("13.pbs02", "alice@login1", "batch", "R"),
        ("14.pbs02", "alice@login1", "nb", "F"),
    ]);
    let runner = Scripted::new(move |_| out(0, &answer, ""));
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner.clone(), env());
    let found = driver
        .find_jobs(
            &UserName::new("alice").unwrap(),
            &JobName::new("nb").unwrap(),
        )
        .await
        .unwrap();
    let ids: Vec<(&str, JobState)> = found.iter().map(|f| (f.id.as_str(), f.state)).collect();
    assert_eq!(
        ids,
        [
            ("11.pbs02", JobState::Queued),
            ("14.pbs02", JobState::Finished)
        ]
    );
    assert!(found.iter().all(|f| f.queued.is_some()), "{found:?}");
    let calls = runner.calls();
    assert_eq!(calls.len(), 1, "one scheduler call");
    assert_eq!(calls[0].argv, ["qstat", "-f", "-F", "json", "-x"]);
}

#[tokio::test]
async fn find_jobs_with_nothing_matching_is_an_empty_list() {
    let none = "{\n    \"timestamp\":1700000000,\n    \"pbs_version\":\"2022.1.1\",\n    \"pbs_server\":\"pbs02\"\n}\n";
    let runner = Scripted::new(move |_| out(0, none, ""));
    let driver = PbsDriver::with_runner(PbsConfig::default(), runner, env());
    let found = driver
        .find_jobs(
            &UserName::new("alice").unwrap(),
            &JobName::new("nb").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(found, []);
}

#[tokio::test]
async fn a_failed_or_garbled_find_jobs_is_an_error_never_an_empty_list() {
    let alice = UserName::new("alice").unwrap();
    let nb = JobName::new("nb").unwrap();
    let down = Scripted::new(|_| {
        out(
            2,
            "",
            "qstat: cannot connect to server pbs02 (errno=15010)\n",
        )
    });
    let driver = PbsDriver::with_runner(PbsConfig::default(), down, env());
    let err = driver.find_jobs(&alice, &nb).await.unwrap_err();
    assert!(matches!(err, SchedulerError::Unavailable { .. }), "{err:?}");
    assert!(err.is_transient());

    // Not JSON, and asked again as text, cut short: a clear error naming the command.
    let garbled = Scripted::new(|_| out(0, "Segmentation fault\n", ""));
    let driver = PbsDriver::with_runner(PbsConfig::default(), garbled.clone(), env());
    let err = driver.find_jobs(&alice, &nb).await.unwrap_err();
    match &err {
        SchedulerError::BadOutput { command, reason } => {
            assert_eq!(command, "qstat -f -x");
            assert!(reason.contains("cut short"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(garbled.calls().len(), 2, "JSON, then text");
}
