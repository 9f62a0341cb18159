//! The runner catches a real bug: a spawner that takes a failed `qstat` for "the job is
//! gone" and deletes the job (batchspawner's classic) fails the qstat-outage scenario.

use std::path::Path;

use assert_cmd::Command;
use scenarios::sim::{self, RunOptions, Variant};

fn outage() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suite/qstat-outage.toml")
}

#[test]
fn the_qstat_outage_scenario_catches_a_spawner_that_deletes_on_unknown() {
    let scenario = scenarios::spec::load(&outage()).unwrap();
    let options = |variant| RunOptions {
        file: "qstat-outage.toml".into(),
        dir: outage().parent().unwrap().to_path_buf(),
        seed: None,
        variant,
    };
    let real = sim::run(&scenario, &options(Variant::Real), &mut |_, _| {}).unwrap();
    assert!(
        real.passed,
        "the hub's own spawner fails: {:#?}",
        real.properties
    );

    let broken = sim::run(
        &scenario,
        &options(Variant::DeletesOnUnknown),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(!broken.passed);
    let property = broken
        .properties
        .iter()
        .find(|p| p.name == "no_delete_on_unknown")
        .unwrap();
    assert!(!property.passed);
    // Every one of the 200 running servers is deleted in the outage's first poll.
    assert!(property.violations >= 200, "{property:?}");
    let first = property.first_violation.as_ref().unwrap();
    assert!(first.at_s >= 30 * 60, "before the outage began: {first:?}");
    assert!(first.message.contains("qdel"), "{first:?}");
    assert!(broken.reproduce.contains("--variant deletes-on-unknown"));
}

#[test]
fn the_command_line_fails_and_prints_how_to_reproduce() {
    let assert = Command::cargo_bin("scenarios")
        .unwrap()
        .arg("run")
        .arg(outage())
        .args(["--variant", "deletes-on-unknown", "--seed", "3", "--quiet"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("FAIL"), "{stdout}");
    assert!(stdout.contains("violated no_delete_on_unknown"), "{stdout}");
    assert!(
        stdout.contains("reproduce with: scenarios run")
            && stdout.contains("--seed 3 --variant deletes-on-unknown"),
        "{stdout}"
    );
}
