//! The real-Slurm peer itself: a job runs, survives a slurmctld outage, and is cancelled.

use std::time::{Duration, Instant};

use batchhub_tests::slurm::SlurmCluster;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `squeue` of one job as `ID|STATE`, finished jobs included ("" if Slurm does not know it).
fn job_state(cluster: &SlurmCluster, id: &str) -> String {
    let out = cluster.run(
        "squeue",
        &["--noheader", "--states=all", "--jobs", id, "--format=%i|%T"],
    );
    assert!(
        out.status.success(),
        "squeue failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

fn wait_for_state(cluster: &SlurmCluster, id: &str, state: &str) {
    let want = format!("{id}|{state}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = job_state(cluster, id);
        if seen == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} is not {state} after 30 s: squeue says {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]
fn a_job_survives_a_slurmctld_outage() {
    let cluster = SlurmCluster::start(2, 2);
    let sinfo = cluster.run("sinfo", &["--noheader", "--partition=batch", "-o", "%D|%T"]);
    assert_eq!(stdout(&sinfo), "2|idle", "two idle nodes");

    let out = cluster.run(
        "sbatch",
        &["--parsable", "--wrap=sleep 30", "-o", "/dev/null"],
    );
    assert!(
        out.status.success(),
        "sbatch failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = stdout(&out);
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "sbatch --parsable printed {id:?}"
    );
    wait_for_state(&cluster, &id, "RUNNING");

    cluster.stop_ctld();
    let down = cluster.run("squeue", &["--noheader", "--jobs", &id]);
    assert!(
        !down.status.success(),
        "squeue succeeded with slurmctld stopped: {}",
        stdout(&down)
    );

    cluster.start_ctld();
    assert_eq!(
        job_state(&cluster, &id),
        format!("{id}|RUNNING"),
        "the job is still there"
    );

    let cancel = cluster.run("scancel", &[&id]);
    assert!(
        cancel.status.success(),
        "scancel failed: {}",
        String::from_utf8_lossy(&cancel.stderr)
    );
    wait_for_state(&cluster, &id, "CANCELLED");
}
