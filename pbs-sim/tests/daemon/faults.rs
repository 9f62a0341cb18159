//! Faults injected through `pbs-sim fault`: what clients of a misbehaving PBS server see.

use std::time::{Duration, Instant};

use crate::cluster::Cluster;

#[test]
fn qstat_fails_then_recovers() {
    let cluster = Cluster::start(&[]);
    cluster.fault(&["qstat-fail", "--count", "2"]);
    for _ in 0..2 {
        let (code, _, err) = cluster.run("qstat", &[]);
        assert_eq!(code, 162);
        assert_eq!(err, "qstat: cannot connect to server pbs02 (errno=15010)\n");
    }
    let (code, _, _) = cluster.run("qstat", &[]);
    assert_eq!(code, 0);
}

#[test]
fn status_counts_every_command_run_failed_ones_included() {
    let cluster = Cluster::start(&[]);
    let before = cluster.status();
    assert!(
        before.contains("commands:    qsub 0, qstat 0, qdel 0, pbsnodes 0\n"),
        "{before}"
    );
    let id = cluster.submit("a.sh", "sleep 60\n", &["-h"]);
    cluster.fault(&["qstat-fail", "--count", "1"]);
    assert_eq!(cluster.run("qstat", &[]).0, 162);
    assert_eq!(cluster.run("qstat", &[&id]).0, 0);
    assert_eq!(cluster.run("qdel", &[&id]).0, 0);
    assert_eq!(cluster.run("pbsnodes", &["-a"]).0, 0);
    let after = cluster.status();
    assert!(
        after.contains("commands:    qsub 1, qstat 2, qdel 1, pbsnodes 1\n"),
        "{after}"
    );
}

#[test]
fn slow_and_truncated_qstat() {
    let cluster = Cluster::start(&[]);
    cluster.submit("a.sh", "true\n", &["-h"]);
    cluster.fault(&["qstat-slow", "--count", "1", "--millis", "700"]);
    let started = Instant::now();
    let (code, _, _) = cluster.run("qstat", &[]);
    assert_eq!(code, 0);
    assert!(started.elapsed() >= Duration::from_millis(700));

    let (_, whole, _) = cluster.run("qstat", &["-f", "-F", "json"]);
    cluster.fault(&["qstat-truncate"]);
    let (code, cut, _) = cluster.run("qstat", &["-f", "-F", "json"]);
    assert_eq!(code, 0);
    assert!(serde_json::from_str::<serde_json::Value>(&cut).is_err());
    assert!(cut.len() < whole.len() && whole.starts_with(&cut[..20]));
}

#[test]
fn qsub_is_rejected_as_by_a_hook() {
    let cluster = Cluster::start(&[]);
    std::fs::write(cluster.path("a.sh"), "true\n").unwrap();
    cluster.fault(&["qsub-reject", "--message", "Project quota exceeded"]);
    let (code, out, err) = cluster.run("qsub", &["a.sh"]);
    assert_eq!((code, out.as_str()), (32, ""));
    assert_eq!(err, "qsub: Project quota exceeded\n");
    let (code, _, _) = cluster.run("qsub", &["a.sh"]);
    assert_eq!(code, 0);
}

#[test]
fn a_job_dies_with_the_status_asked() {
    let cluster = Cluster::start(&[]);
    let id = cluster.submit("a.sh", "sleep 60\n", &[]);
    cluster.wait_for(&id, "R", &mut Vec::new());
    cluster.fault(&["job-die", &id, "--exit-status", "137"]);
    let done = cluster.wait_for(&id, "F", &mut Vec::new());
    assert_eq!(done["Exit_status"], 137);
}
