//! Background load from a Standard Workload Format trace, read relative to the scenario.

use assert_cmd::Command;
use predicates::str::contains;

const SCENARIO: &str = r#"
name = "swf"
duration = "1h"
settle = "10m"

[background]
swf = "trace.swf"
swf_cores_per_node = 8

[users]
count = 5
"#;

/// Six 4-core jobs of ten minutes, one a minute; a header comment first.
fn trace() -> String {
    let mut text = String::from("; a tiny trace\n");
    for i in 0..6 {
        let submit = i * 60;
        text.push_str(&format!(
            "{} {submit} 0 600 4 -1 -1 4 3600 -1 1 {} 1 1 1 1 -1 -1\n",
            i + 1,
            i + 1
        ));
    }
    text
}

#[test]
fn a_trace_beside_the_scenario_is_the_background_load() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("trace.swf"), trace()).unwrap();
    std::fs::write(tmp.path().join("swf.toml"), SCENARIO).unwrap();
    let reports = tmp.path().join("out");
    Command::cargo_bin("scenarios")
        .unwrap()
        .arg("run")
        .arg(tmp.path().join("swf.toml"))
        .args(["--quiet", "--report"])
        .arg(&reports)
        .assert()
        .success();
    let json = std::fs::read_to_string(reports.join("swf.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["counts"]["background_jobs"], 6, "{json}");
    assert_eq!(report["counts"]["background_completed"], 6, "{json}");
    assert_eq!(report["counts"]["spawns_running"], 5, "{json}");
}

#[test]
fn a_missing_trace_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("swf.toml"), SCENARIO).unwrap();
    Command::cargo_bin("scenarios")
        .unwrap()
        .arg("run")
        .arg(tmp.path().join("swf.toml"))
        .assert()
        .code(2)
        .stderr(contains("trace.swf"));
}

#[test]
fn a_malformed_trace_line_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = format!("{}7 four 0 600 4\n", trace());
    std::fs::write(tmp.path().join("trace.swf"), broken).unwrap();
    std::fs::write(tmp.path().join("swf.toml"), SCENARIO).unwrap();
    Command::cargo_bin("scenarios")
        .unwrap()
        .arg("run")
        .arg(tmp.path().join("swf.toml"))
        .assert()
        .code(2)
        .stderr(contains("trace.swf: line 8: expected 18 fields"));
}
