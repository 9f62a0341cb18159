//! Jobs submitted through the shims really run: R, then E, then F with `-x`, their output
//! where PBS puts it, their exit status; walltime and `qdel` kill them.

use crate::cluster::Cluster;

const HELLO: &str = "#!/bin/bash
#PBS -N hello
#PBS -l select=1:ncpus=2:mem=1gb
#PBS -l walltime=00:05:00
echo \"out from $PBS_JOBID in queue $PBS_QUEUE\"
echo \"$PBS_JOBNAME $NCPUS $OMP_NUM_THREADS $PBS_ENVIRONMENT $GREETING $PWD\"
test -f \"$PBS_NODEFILE\" && test -d \"$TMPDIR\" && echo \"node $(cat $PBS_NODEFILE)\"
echo \"err line\" >&2
sleep 1
exit 3
";

#[test]
fn a_submitted_job_runs_writes_its_output_and_finishes_with_its_exit_status() {
    let cluster = Cluster::start(&[]);
    let id = cluster.submit("hello.sh", HELLO, &["-v", "GREETING=hi"]);
    let mut seen = Vec::new();
    let running = cluster.wait_for(&id, "R", &mut seen);
    assert_eq!(running["Job_Name"], "hello");
    assert_eq!(running["Resource_List"]["ncpus"], 2);
    assert!(running["exec_host"].as_str().unwrap().starts_with("node"));
    let (code, table, _) = cluster.run("qstat", &[&id]);
    assert_eq!(code, 0);
    assert!(table.lines().nth(2).unwrap().contains(" R "), "{table}");

    let done = cluster.wait_for(&id, "F", &mut seen);
    assert!(seen.contains(&"R".to_string()), "states seen {seen:?}");
    assert_eq!(done["Exit_status"], 3);
    assert_eq!(done["substate"], 93, "a non-zero exit is 'failed'");
    assert!(
        done["comment"].as_str().unwrap().ends_with("and failed"),
        "{done}"
    );

    let seq = id.split('.').next().unwrap();
    let out = std::fs::read_to_string(cluster.path(&format!("hello.o{seq}"))).unwrap();
    let home = std::env::var("HOME").unwrap_or_default();
    let node = running["exec_host"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        out,
        format!("out from {id} in queue c1_single\nhello 2 2 PBS_BATCH hi {home}\nnode {node}\n"),
        "PBS's environment, the job started in its owner's home directory"
    );
    let err = std::fs::read_to_string(cluster.path(&format!("hello.e{seq}"))).unwrap();
    assert_eq!(err, "err line\n");

    // Without -x a finished job is PBS's "has finished" error, exit 35.
    let (code, out, err) = cluster.run("qstat", &[&id]);
    assert_eq!(code, 35);
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!(
            "qstat: {id} Job has finished, use -x or -H to obtain historical job information\n"
        )
    );
    let (code, out, _) = cluster.run("qstat", &["-x", &id]);
    assert_eq!(code, 0);
    assert!(out.lines().nth(2).unwrap().contains(" F "), "{out}");
}

#[test]
fn join_and_paths_follow_qsub_options_and_a_success_is_finished() {
    let cluster = Cluster::start(&[]);
    let logs = cluster.path("logs");
    std::fs::create_dir(&logs).unwrap();
    let id = cluster.submit(
        "joined.sh",
        "#PBS -j oe\necho to-out; echo to-err >&2\n",
        &["-o", "logs/", "-N", "joined"],
    );
    let done = cluster.wait_for(&id, "F", &mut Vec::new());
    assert_eq!(done["Exit_status"], 0);
    assert_eq!(done["substate"], 92);
    assert!(done["comment"].as_str().unwrap().ends_with("and finished"));
    let seq = id.split('.').next().unwrap();
    let out = std::fs::read_to_string(logs.join(format!("joined.o{seq}"))).unwrap();
    assert_eq!(out, "to-out\nto-err\n");
    assert!(!cluster.path(&format!("joined.e{seq}")).exists());
}

#[test]
fn a_job_past_its_walltime_is_killed_with_pbs_status_and_message() {
    let cluster = Cluster::start(&[]);
    let id = cluster.submit(
        "long.sh",
        "sleep 60\n",
        &["-l", "walltime=00:00:02", "-N", "long"],
    );
    let done = cluster.wait_for(&id, "F", &mut Vec::new());
    assert_eq!(done["Exit_status"], -29, "JOB_EXEC_KILL_WALLTIME");
    assert!(
        done["comment"]
            .as_str()
            .unwrap()
            .ends_with("and exceeded resource walltime"),
        "{done}"
    );
    let seq = id.split('.').next().unwrap();
    let err = std::fs::read_to_string(cluster.path(&format!("long.e{seq}"))).unwrap();
    assert!(
        err.starts_with("=>> PBS: job killed: walltime ") && err.contains("exceeded limit 2"),
        "{err:?}"
    );
}

#[test]
fn qdel_is_silent_and_a_running_job_gets_sigterm_then_sigkill() {
    let cluster = Cluster::start(&[]);
    let polite = cluster.submit("polite.sh", "sleep 60\n", &["-N", "polite"]);
    let stubborn = cluster.submit(
        "stubborn.sh",
        "trap 'echo got TERM' TERM\nwhile true; do sleep 0.1; done\n",
        &["-N", "stubborn"],
    );
    cluster.wait_for(&polite, "R", &mut Vec::new());
    cluster.wait_for(&stubborn, "R", &mut Vec::new());
    for id in [&polite, &stubborn] {
        let (code, out, err) = cluster.run("qdel", &[id]);
        assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""), "qdel {id}");
    }
    let polite_done = cluster.wait_for(&polite, "F", &mut Vec::new());
    assert_eq!(polite_done["Exit_status"], 271, "256 + SIGTERM");
    assert_eq!(polite_done["substate"], 91);
    let comment = polite_done["comment"].as_str().unwrap();
    assert!(comment.contains("and terminated by"), "{comment}");
    let stubborn_done = cluster.wait_for(&stubborn, "F", &mut Vec::new());
    assert_eq!(
        stubborn_done["Exit_status"], 265,
        "256 + SIGKILL after kill_delay"
    );
    let seq = stubborn.split('.').next().unwrap();
    let out = std::fs::read_to_string(cluster.path(&format!("stubborn.o{seq}"))).unwrap();
    assert!(
        out.contains("got TERM"),
        "the job saw SIGTERM first: {out:?}"
    );
}

#[test]
fn a_queued_job_deleted_ends_without_running() {
    let cluster = Cluster::start(&[]);
    let id = cluster.submit("held.sh", "echo never\n", &["-h", "-N", "held"]);
    let held = cluster.job(&id);
    assert_eq!(held["job_state"], "H");
    assert_eq!(held["Hold_Types"], "u");
    let (code, _, err) = cluster.run("qdel", &[&id]);
    assert_eq!(code, 0, "{err}");
    let done = cluster.wait_for(&id, "F", &mut Vec::new());
    assert!(done.get("Exit_status").is_none(), "{done}");
    let seq = id.split('.').next().unwrap();
    assert!(!cluster.path(&format!("held.o{seq}")).exists());
}

#[test]
fn dependent_jobs_wait_run_or_are_deleted_as_their_dependency_decides() {
    let cluster = Cluster::start(&[]);
    let first = cluster.submit("first.sh", "sleep 1\n", &[]);
    let failing = cluster.submit("failing.sh", "sleep 1\nexit 2\n", &[]);
    let after_ok = cluster.submit(
        "next.sh",
        "echo ran\n",
        &["-W", &format!("depend=afterok:{first}"), "-N", "next"],
    );
    let never = cluster.submit(
        "never.sh",
        "echo ran\n",
        &["-W", &format!("depend=afterok:{failing}"), "-N", "never"],
    );
    let waiting = cluster.job(&after_ok);
    assert_eq!(waiting["job_state"], "H");
    assert_eq!(waiting["Hold_Types"], "s");
    assert_eq!(waiting["substate"], 22);
    assert_eq!(waiting["depend"], format!("afterok:{first}"));

    let done = cluster.wait_for(&after_ok, "F", &mut Vec::new());
    assert_eq!(done["Exit_status"], 0);
    let seq = after_ok.split('.').next().unwrap();
    assert_eq!(
        std::fs::read_to_string(cluster.path(&format!("next.o{seq}"))).unwrap(),
        "ran\n"
    );
    let deleted = cluster.wait_for(&never, "F", &mut Vec::new());
    assert!(
        deleted.get("Exit_status").is_none(),
        "it never ran: {deleted}"
    );

    let (code, _, err) = cluster.run("qsub", &["-W", "depend=afterok:99999", "next.sh"]);
    assert_eq!((code, err.as_str()), (153, "qsub: Unknown Job Id 99999\n"));
}

#[test]
fn qdel_refuses_exiting_and_finished_jobs_with_pbs_texts() {
    let cluster = Cluster::start(&["--exit-delay", "3"]);
    let id = cluster.submit("quick.sh", "true\n", &[]);
    cluster.wait_for(&id, "E", &mut Vec::new());
    let (code, _, err) = cluster.run("qdel", &[&id]);
    assert_eq!(code, 168);
    assert_eq!(
        err,
        format!("qdel: Request invalid for state of job {id}\n")
    );
    let (code, _, err) = cluster.run("qdel", &["-W", "force", &id]);
    assert_eq!(
        (code, err.as_str()),
        (0, ""),
        "-W force is allowed on an exiting job"
    );
    cluster.wait_for(&id, "F", &mut Vec::new());
    let (code, _, err) = cluster.run("qdel", &[&id]);
    assert_eq!(code, 35);
    assert_eq!(err, format!("qdel: Job has finished {id}\n"));
    let (code, _, err) = cluster.run("qdel", &["-x", &id]);
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn two_clusters_on_one_machine_give_their_same_numbered_jobs_separate_tmpdirs() {
    // Both clusters number their first job `1.pbs-sim`: on a shared `/var/tmp` one job's
    // wrapper would find (or remove) the other's `pbs.1.pbs-sim`.
    let script = "echo \"$TMPDIR\"\ntest -d \"$TMPDIR\" && touch \"$TMPDIR/mine\" && sleep 1\n";
    let clusters = [Cluster::start(&[]), Cluster::start(&[])];
    let ids: Vec<String> = clusters
        .iter()
        .map(|c| c.submit("tmp.sh", script, &[]))
        .collect();
    assert_eq!(ids[0], ids[1], "the same job id in both clusters");
    for (cluster, id) in clusters.iter().zip(&ids) {
        let done = cluster.wait_for(id, "F", &mut Vec::new());
        assert_eq!(done["Exit_status"], 0, "{done}");
        let seq = id.split('.').next().unwrap();
        let out = std::fs::read_to_string(cluster.path(&format!("tmp.sh.o{seq}"))).unwrap();
        let expected = cluster.path("state/tmp").join(format!("pbs.{id}"));
        assert_eq!(out.trim(), expected.display().to_string());
    }
}
