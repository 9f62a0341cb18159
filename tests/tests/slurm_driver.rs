//! `drivers::slurm` against a real Slurm 22.05 (Debian's packages, a private cluster per
//! test from `.ci/slurm-cluster.sh`): submit, queue with a reason and an estimated start,
//! run, cancel in each state, the time limit, a job that ends by itself, an `scancel` from
//! outside, and a controller outage.
//!
//! Jobs run as the test's user (root in CI) with an empty run-as prefix.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use batchhub_tests::slurm::SlurmCluster;
use drivers::slurm::config::SlurmConfig;
use drivers::slurm::driver::SlurmDriver;
use drivers::{JobId, JobName, JobSpec, JobState, JobStatus, Scheduler, UserName};

/// A driver for `cluster`: its commands get exactly the cluster's `SLURM_CONF` and `PATH`.
fn driver(cluster: &SlurmCluster) -> SlurmDriver {
    let config = SlurmConfig {
        timeout: Duration::from_secs(40),
        ..SlurmConfig::default()
    };
    SlurmDriver::with_runner(
        config,
        std::sync::Arc::new(drivers::command::ProcessRunner),
        cluster.env(),
    )
}

fn current_user() -> UserName {
    let name = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .expect("the test's user has a name");
    UserName::new(name).expect("a valid user name")
}

/// A job of `ncpus` CPUs and `walltime` running `command` in `dir`.
fn job(dir: &Path, ncpus: u32, walltime: &str, command: &[&str]) -> JobSpec {
    let select = format!("select=1:ncpus={ncpus}:mem=100mb");
    let walltime = format!("walltime={walltime}");
    JobSpec {
        owner: current_user(),
        name: JobName::new("bh-slurm-test").unwrap(),
        queue: None,
        resources: drivers::resources::ResourceList::parse(&[&select, &walltime]).unwrap(),
        environment: BTreeMap::from([("BH_SECRET".to_string(), "s3cr3t value".to_string())]),
        working_dir: dir.to_path_buf(),
        command: command.iter().map(|w| w.to_string()).collect(),
    }
}

async fn status(driver: &SlurmDriver, id: &JobId) -> JobStatus {
    driver.status(std::slice::from_ref(id)).await[id].clone()
}

/// Polls until `accept` holds for the job's status, or panics after `limit`.
async fn until(
    driver: &SlurmDriver,
    id: &JobId,
    limit: Duration,
    what: &str,
    accept: impl Fn(&JobStatus) -> bool,
) -> JobStatus {
    let deadline = Instant::now() + limit;
    loop {
        let now = status(driver, id).await;
        if accept(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "job {id}: {what} not seen within {limit:?}; last status {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn squeue_state(cluster: &SlurmCluster, id: &JobId) -> String {
    let out = cluster.run(
        "squeue",
        &[
            "--noheader",
            "--states=all",
            "--jobs",
            id.as_str(),
            "--format=%T",
        ],
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]
async fn submit_queue_with_a_reason_and_estimate_run_and_cancel_in_each_state() {
    // Cancelled: pending, running, held, suspended, and an ended one again.
    // One node of two CPUs: a second two-CPU job must wait for the first.
    let cluster = SlurmCluster::start(1, 2);
    let driver = driver(&cluster);
    let dir = tempfile::tempdir().unwrap();

    let first = driver
        .submit(&job(dir.path(), 2, "00:10:00", &["/bin/sleep", "300"]))
        .await
        .expect("sbatch accepts the job");
    let running = until(&driver, &first, Duration::from_secs(30), "RUNNING", |s| {
        s.state == JobState::Running
    })
    .await;
    assert_eq!(running.exec_host.as_deref(), Some("node0001"));
    assert_eq!(running.queue.as_deref(), Some("batch"));
    assert!(running.times.started.is_some());

    let second = driver
        .submit(&job(dir.path(), 2, "00:10:00", &["/bin/sleep", "300"]))
        .await
        .unwrap();
    // Once the scheduler has looked at it: pending for a reason, with an expected start.
    let queued = until(
        &driver,
        &second,
        Duration::from_secs(30),
        "queued for Resources with an estimated start",
        |s| {
            let reason = s.comment.as_deref().unwrap_or_default();
            s.state == JobState::Queued
                && s.estimated_start.is_some()
                && (reason.starts_with("Resources") || reason.starts_with("Priority"))
        },
    )
    .await;
    // The backfill scheduler expects it to start when the first job's 10 minutes are up.
    let expected = queued.estimated_start.unwrap();
    let first_end = running.times.started.unwrap() + chrono::Duration::minutes(10);
    assert!(
        (expected - first_end).num_seconds().abs() <= 120,
        "estimated start {expected} far from the running job's end {first_end}"
    );

    // Cancel while queued, then while running: both end, nothing else touched.
    driver.cancel(&second).await.unwrap();
    let cancelled = until(&driver, &second, Duration::from_secs(30), "ended", |s| {
        s.state.is_final()
    })
    .await;
    assert!(
        cancelled
            .comment
            .as_deref()
            .unwrap()
            .starts_with("CANCELLED"),
        "{cancelled:?}"
    );
    assert_eq!(cancelled.times.started, None, "it never ran");
    assert_eq!(status(&driver, &first).await.state, JobState::Running);

    driver.cancel(&first).await.unwrap();
    let ended = until(&driver, &first, Duration::from_secs(30), "ended", |s| {
        s.state.is_final()
    })
    .await;
    assert!(
        ended.comment.as_deref().unwrap().starts_with("CANCELLED"),
        "{ended:?}"
    );
    assert_eq!(
        ended.exit_status,
        Some(256 + 15),
        "killed by SIGTERM: {ended:?}"
    );

    // A held job (pending, `scontrol hold`) is cancelled as well; a second cancel of an
    // ended job is not an error.
    let third = driver
        .submit(&job(dir.path(), 1, "00:10:00", &["/bin/sleep", "300"]))
        .await
        .unwrap();
    let out = cluster.run("scontrol", &["hold", third.as_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    until(&driver, &third, Duration::from_secs(30), "held", |s| {
        s.state == JobState::Held
    })
    .await;
    driver.cancel(&third).await.unwrap();
    until(&driver, &third, Duration::from_secs(30), "ended", |s| {
        s.state.is_final()
    })
    .await;
    driver
        .cancel(&third)
        .await
        .expect("cancelling an ended job is fine");
}

#[tokio::test]
#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]
async fn a_job_that_ends_by_itself_reports_its_exit_code_and_output() {
    let cluster = SlurmCluster::start(1, 2);
    let driver = driver(&cluster);
    let dir = tempfile::tempdir().unwrap();
    // The secret travels inside the script, and reaches the job as one word.
    let id = driver
        .submit(&job(
            dir.path(),
            1,
            "00:05:00",
            &["/bin/sh", "-c", "echo \"secret=$BH_SECRET\"; exit 3"],
        ))
        .await
        .unwrap();
    let ended = until(&driver, &id, Duration::from_secs(60), "ended", |s| {
        s.state.is_final()
    })
    .await;
    assert_eq!(ended.exit_status, Some(3), "{ended:?}");
    assert!(
        ended.comment.as_deref().unwrap().starts_with("FAILED"),
        "{ended:?}"
    );
    // Output where the hub looks for it, under PBS's name.
    let output = dir.path().join(format!("bh-slurm-test.o{id}"));
    let text = std::fs::read_to_string(&output).expect("the job's output file");
    assert_eq!(text, "secret=s3cr3t value\n");
    // Nothing of the secret on a command line Slurm keeps.
    let show = cluster.run("scontrol", &["show", "job", id.as_str()]);
    assert!(!String::from_utf8_lossy(&show.stdout).contains("s3cr3t"));
}

#[tokio::test]
#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]
async fn the_time_limit_ends_a_job_as_a_walltime_kill() {
    let cluster = SlurmCluster::start(1, 2);
    let driver = driver(&cluster);
    let dir = tempfile::tempdir().unwrap();
    // Slurm's smallest limit is a minute; it is enforced within about half a minute more.
    let id = driver
        .submit(&job(dir.path(), 1, "00:01:00", &["/bin/sleep", "600"]))
        .await
        .unwrap();
    let ended = until(&driver, &id, Duration::from_secs(240), "TIMEOUT", |s| {
        s.state.is_final()
    })
    .await;
    assert!(
        ended.comment.as_deref().unwrap().starts_with("TIMEOUT"),
        "{ended:?}"
    );
    assert_eq!(
        ended.exit_status,
        Some(-29),
        "PBS's walltime-exceeded code: {ended:?}"
    );
}

#[tokio::test]
#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]
async fn an_scancel_from_outside_is_noticed_at_the_next_poll() {
    let cluster = SlurmCluster::start(1, 2);
    let driver = driver(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let id = driver
        .submit(&job(dir.path(), 1, "00:10:00", &["/bin/sleep", "300"]))
        .await
        .unwrap();
    until(&driver, &id, Duration::from_secs(30), "RUNNING", |s| {
        s.state == JobState::Running
    })
    .await;
    let out = cluster.run("scancel", &[id.as_str()]);
    assert!(out.status.success());
    // Give the controller a moment to record it, then one poll must see it.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !squeue_state(&cluster, &id).starts_with("CANCELLED") {
        assert!(Instant::now() < deadline, "squeue never showed the cancel");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let next = status(&driver, &id).await;
    assert!(
        next.state.is_final(),
        "one poll after the scancel: {next:?}"
    );
    assert!(next.comment.as_deref().unwrap().starts_with("CANCELLED"));
}

#[tokio::test]
#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]
async fn a_controller_outage_is_unknown_then_everything_is_found_again() {
    let cluster = SlurmCluster::start(2, 2);
    let driver = driver(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let running = driver
        .submit(&job(dir.path(), 2, "00:10:00", &["/bin/sleep", "300"]))
        .await
        .unwrap();
    let other = driver
        .submit(&job(dir.path(), 2, "00:10:00", &["/bin/sleep", "300"]))
        .await
        .unwrap();
    let tracked = [running.clone(), other.clone()];
    for id in &tracked {
        until(&driver, id, Duration::from_secs(30), "RUNNING", |s| {
            s.state == JobState::Running
        })
        .await;
    }

    cluster.stop_ctld();
    // Several polls while it is down: every job Unknown, with the reason; none gone.
    for _ in 0..2 {
        let statuses = driver.status(&tracked).await;
        for id in &tracked {
            let s = &statuses[id];
            assert_eq!(s.state, JobState::Unknown, "{id}: {s:?}");
            let why = s.query_error.as_deref().unwrap_or_default();
            assert!(why.contains("Unable to contact slurm controller"), "{why}");
        }
    }
    // Submitting meanwhile is a transient error, not a refusal.
    let err = driver
        .submit(&job(dir.path(), 1, "00:10:00", &["/bin/sleep", "1"]))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");

    cluster.start_ctld();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let statuses = driver.status(&tracked).await;
        if tracked
            .iter()
            .all(|id| statuses[id].state == JobState::Running)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the jobs were not found running again: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for id in &tracked {
        assert_eq!(
            squeue_state(&cluster, id),
            "RUNNING",
            "{id} survived the outage"
        );
        driver.cancel(id).await.unwrap();
    }
}
