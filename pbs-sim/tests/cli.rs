//! The `pbs-sim` command line, run as a user runs it.

use std::process::{Command, Output};

fn pbs_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pbs-sim"))
        .args(args)
        .output()
        .expect("pbs-sim runs")
}

/// Fails the test with the command's stderr unless it exited 0.
fn assert_succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The lines of a report that do not depend on the host (speed and memory do).
fn deterministic_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("speed") && !l.starts_with("peak memory"))
        .map(str::to_string)
        .collect()
}

#[test]
fn simulate_reports_waits_utilization_speed_and_seed() {
    let out = pbs_sim(&[
        "simulate",
        "--jobs",
        "3000",
        "--node-count",
        "100",
        "--seed",
        "7",
        "--progress",
        "0",
    ]);
    assert_succeeded(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    for field in [
        "workload",
        "cluster",
        "policy",
        "jobs",
        "wait",
        "utilization",
        "speed",
        "seed",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(field)),
            "no {field} line in:\n{text}"
        );
    }
    assert!(text.contains("3000 offered"), "{text}");
    assert!(text.contains("100 nodes"), "{text}");
    assert!(text.lines().any(|l| l == "seed          7"), "{text}");
}

#[test]
fn the_same_seed_gives_the_same_report_and_another_seed_another() {
    let run = |seed: &str, policy: &str| {
        deterministic_lines(&pbs_sim(&[
            "simulate",
            "--jobs",
            "2000",
            "--node-count",
            "60",
            "--seed",
            seed,
            "--policy",
            policy,
            "--progress",
            "0",
        ]))
    };
    for policy in ["fifo", "easy"] {
        assert_eq!(run("3", policy), run("3", policy));
        assert_ne!(run("3", policy), run("4", policy));
    }
}

#[test]
fn bad_arguments_get_clear_errors() {
    let out = pbs_sim(&["simulate", "--load=0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--load must be a positive number"));
    let out = pbs_sim(&["simulate", "--policy", "sjf"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'sjf'"));
    let out = pbs_sim(&["simulate", "--nodes", "/nonexistent/nodes.toml"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/nodes.toml"));
}

#[test]
fn inventory_prints_the_default_cluster_that_reads_back() {
    let out = pbs_sim(&["inventory"]);
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nodes.toml");
    std::fs::write(&path, &out.stdout).unwrap();
    let out = pbs_sim(&[
        "simulate",
        "--jobs",
        "500",
        "--nodes",
        path.to_str().unwrap(),
        "--progress",
        "0",
    ]);
    assert_succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2000 nodes, 28696 cpus"));
}

#[test]
fn an_swf_trace_replays() {
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/small.swf");
    let out = pbs_sim(&[
        "simulate",
        "--swf",
        trace,
        "--node-count",
        "50",
        "--progress",
        "0",
    ]);
    assert_succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("workload      swf"));
}
