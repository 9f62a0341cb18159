//! The whole suite, as CI runs it: every scenario of `scenarios/suite` must pass, and the
//! JUnit and HTML reports must be written.

use std::path::Path;

use assert_cmd::Command;

fn suite_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suite")
}

#[test]
fn every_scenario_of_the_suite_passes_and_reports_are_written() {
    // CI keeps the reports when it names a directory for them.
    let out = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("SCENARIOS_REPORT_DIR").map(std::path::PathBuf::from);
    let base = kept.unwrap_or_else(|| out.path().to_path_buf());
    let junit = base.join("junit.xml");
    let reports = base.join("reports");
    std::fs::create_dir_all(&base).unwrap();
    let assert = Command::cargo_bin("scenarios")
        .unwrap()
        .arg("run")
        .arg(suite_dir())
        .arg("--report")
        .arg(&reports)
        .arg("--junit")
        .arg(&junit)
        .arg("--quiet")
        .assert();
    let output = assert.get_output();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(output.status.success(), "the suite failed:\n{stdout}");

    let files: Vec<_> = std::fs::read_dir(suite_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    assert!(files.len() >= 12, "the suite has {} scenarios", files.len());
    assert_eq!(stdout.matches("PASS  ").count(), files.len(), "{stdout}");
    for file in &files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let json = std::fs::read_to_string(reports.join(format!("{stem}.json"))).unwrap();
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(report["passed"], true, "{stem}");
        let html = std::fs::read_to_string(reports.join(format!("{stem}.html"))).unwrap();
        assert!(html.contains("<svg"), "{stem}.html has no plot");
    }
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), files.len(), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
}
