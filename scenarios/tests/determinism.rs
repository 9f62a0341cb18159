//! Same file and seed, same report, byte for byte; another seed, another run.

use std::path::Path;

use assert_cmd::Command;

/// A scenario with faults, users who cancel and make mistakes, and background jobs: every
/// source of randomness the runner has.
const SCENARIO: &str = r#"
name = "determinism"
duration = "1h"
settle = "10m"

[background]
jobs = 3000
offered_load = 1.1
duration_scale = 0.5
warmup = "2h"

[users]
count = 120
arrival = { kind = "burst", over = "20m" }
sessions = 2
session_min = "5m"
session_max = "20m"
gap_min = "1m"
gap_max = "5m"
cancel_share = 0.2
invalid_share = 0.2
idle_share = 0.2

[[faults]]
kind = "qstat_truncated"
at = "10m"
for = "5m"
share = 0.3

[[faults]]
kind = "hub_crash"
at = "20m"

[[faults]]
kind = "job_death"
at = "25m"
for = "10m"
share = 0.3
"#;

fn run_to(dir: &Path, file: &Path, seed: u64) -> String {
    Command::cargo_bin("scenarios")
        .unwrap()
        .arg("run")
        .arg(file)
        .args(["--seed", &seed.to_string(), "--quiet", "--report"])
        .arg(dir)
        .assert()
        .success();
    std::fs::read_to_string(dir.join("determinism.json")).unwrap()
}

#[test]
fn the_same_file_and_seed_give_a_byte_identical_json_report() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("determinism.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let first = run_to(&a, &file, 7);
    let second = run_to(&b, &file, 7);
    assert!(first.len() > 1000, "a report: {first}");
    assert!(first == second, "two runs with seed 7 differ");
    let html_a = std::fs::read(a.join("determinism.html")).unwrap();
    let html_b = std::fs::read(b.join("determinism.html")).unwrap();
    assert!(html_a == html_b, "two HTML reports with seed 7 differ");

    let other = run_to(&c, &file, 8);
    assert_ne!(first, other, "seed 8 ran exactly as seed 7");
    let report: serde_json::Value = serde_json::from_str(&other).unwrap();
    assert_eq!(report["seed"], 8);
}
