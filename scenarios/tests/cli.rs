//! The command line: bad files get errors naming the line and field; `list` lists.

use std::path::Path;

use assert_cmd::assert::Assert;
use assert_cmd::Command;
use predicates::str::contains;

/// `scenarios run` on a file `name` holding `text`.
fn run_file(name: &str, text: &str) -> Assert {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(name);
    std::fs::write(&file, text).unwrap();
    Command::cargo_bin("scenarios")
        .unwrap()
        .arg("run")
        .arg(&file)
        .assert()
}

#[test]
fn a_bad_file_names_its_line_and_field_and_exits_2() {
    let text = "name = \"bad\"\nduration = \"1h\"\n\n[users]\ncount = 10\ncancel_share = 2.5\n";
    run_file("bad.toml", text).code(2).stderr(contains(
        "bad.toml:6: `users.cancel_share`: 2.5 is not a share between 0 and 1",
    ));
}

#[test]
fn a_typo_in_a_field_name_is_refused_with_its_line() {
    let text = "name = \"t\"\nduration = \"1h\"\n[hub]\npoll_intervall = \"30s\"\n";
    run_file("typo.toml", text)
        .code(2)
        .stderr(contains("typo.toml:4:"))
        .stderr(contains("poll_intervall"));
}

#[test]
fn form_choices_the_hub_refuses_are_an_error_before_the_run() {
    let text = "name = \"c\"\nduration = \"1h\"\n[users]\ncount = 1\noptions = [{ values = { ncpus = \"500\" } }]\n";
    run_file("choices.toml", text)
        .code(2)
        .stderr(contains("`users.options[0].values`"))
        .stderr(contains("refuses"));
}

#[test]
fn list_shows_every_scenario_of_the_suite() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("suite");
    let assert = Command::cargo_bin("scenarios")
        .unwrap()
        .arg("list")
        .arg(&suite)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("qstat-outage.toml"), "{stdout}");
    assert!(stdout.contains("hub_crash"), "{stdout}");
    assert!(stdout.contains("a Palmetto-like day"), "{stdout}");
}
