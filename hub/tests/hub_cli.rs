//! The `hub` binary's offline subcommands, run as a real process.

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use assert_cmd::Command;

fn hub() -> Command {
    Command::cargo_bin("hub").unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn generate_config_writes_a_config_that_checks() {
    let output = hub().arg("generate-config").output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = stdout_of(&output);
    assert_eq!(text, hub::config::generate_config());
    hub::config::check_config(&text, "stdout").unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    hub()
        .args(["generate-config", "-o"])
        .arg(&file)
        .assert()
        .success();
    let written = std::fs::read_to_string(&file).unwrap();
    hub::config::check_config(&written, "hub.toml").unwrap();

    // An existing file is kept unless --force.
    std::fs::write(&file, "# mine\n").unwrap();
    let output = hub()
        .args(["generate-config", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("--force"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
    hub()
        .args(["generate-config", "--force", "-o"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
}

#[test]
fn check_config_accepts_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    std::fs::write(&file, hub::config::generate_config()).unwrap();
    let output = hub().arg("check-config").arg(&file).output().unwrap();
    assert!(output.status.success(), "{}", stdout_of(&output));
    assert_eq!(stdout_of(&output), format!("{}: ok\n", file.display()));
}

#[test]
fn check_config_prints_every_error_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    std::fs::write(
        &file,
        "[hub]\nbind_url = \"ftp://example.org/\"\nconcurrent_spawn_limit = 0\n\n\
         [spawner]\nsheduler = \"pbs\"\n",
    )
    .unwrap();
    let output = hub().arg("check-config").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let name = file.display();
    let expected = [
        format!("{name}:6:1: spawner.sheduler: "),
        format!("{name}:2:12: hub.bind_url: "),
        format!("{name}:3:26: hub.concurrent_spawn_limit: must be at least 1"),
    ];
    let stdout = stdout_of(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{stdout}");
    for (line, start) in lines.iter().zip(&expected) {
        assert!(line.starts_with(start.as_str()), "{line:?} vs {start:?}");
    }
}

#[test]
fn check_config_names_a_missing_file() {
    let output = hub()
        .args(["check-config", "/nonexistent/hub.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("/nonexistent/hub.toml"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn hash_password_prints_a_verifiable_argon2_hash() {
    let output = hub()
        .arg("hash-password")
        .write_stdin("wonder land\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    let hash = PasswordHash::new(stdout.trim_end()).unwrap();
    assert_eq!(hash.algorithm.as_str(), "argon2id");
    assert!(Argon2::default()
        .verify_password(b"wonder land", &hash)
        .is_ok());
    assert!(Argon2::default()
        .verify_password(b"wonder land\n", &hash)
        .is_err());
    // The line is usable as is in the users file.
    hub::auth::static_users::StaticUsers::parse(&format!(
        "[users]\nalice = \"{}\"\n",
        stdout.trim_end()
    ))
    .unwrap();

    hub()
        .arg("hash-password")
        .write_stdin("")
        .assert()
        .failure();
}

#[test]
fn help_names_every_subcommand() {
    let output = hub().arg("--help").output().unwrap();
    let help = stdout_of(&output);
    for command in ["generate-config", "check-config", "hash-password", "db"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn serve_refuses_a_bad_config_and_open_secrets_before_starting_anything() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    std::fs::write(
        &file,
        "[hub]\nconcurrent_spawn_limit = 0\nbind_url = \"ftp://x/\"\n",
    )
    .unwrap();
    let output = hub().arg("serve").arg("-f").arg(&file).output().unwrap();
    assert!(!output.status.success());
    let err = stderr_of(&output);
    assert!(
        err.contains("hub.concurrent_spawn_limit: must be at least 1"),
        "{err}"
    );
    assert!(err.contains("hub.bind_url"), "{err}");
    assert!(err.contains("2 error(s); nothing started"), "{err}");

    // A cookie secret others can read is refused, with the fix.
    let secret = dir.path().join("cookie_secret");
    std::fs::write(&secret, "ab".repeat(32)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = format!(
        "[hub]\ncookie_secret_file = {:?}\ndb_url = \"sqlite://{}/hub.sqlite?mode=rwc\"\n",
        secret.display().to_string(),
        dir.path().display()
    );
    std::fs::write(&file, config).unwrap();
    let output = hub().arg("serve").arg("-f").arg(&file).output().unwrap();
    assert!(!output.status.success());
    let err = stderr_of(&output);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!dir.path().join("hub.sqlite").exists(), "nothing started");
}

#[test]
fn doctor_fails_a_bad_config_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    std::fs::write(&file, "[spawner]\nsheduler = \"pbs\"\n").unwrap();
    let output = hub().args(["doctor", "-f"]).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    assert!(stdout.starts_with("FAIL  config  "), "{stdout}");
    assert!(stdout.contains("spawner.sheduler"), "{stdout}");
    assert!(
        stdout.ends_with("1 checks: 0 ok, 0 warn, 1 fail\n"),
        "{stdout}"
    );
}

#[test]
fn doctor_passes_a_deployment_with_only_warnings_and_speaks_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let file = dir.path().join("hub.toml");
    // Nothing made yet but the password: the hub would create the secrets and the
    // database, and start the proxy (nothing listens on port 1).
    let password = dir.path().join("pw");
    std::fs::write(&password, "a shared password\n").unwrap();
    std::fs::set_permissions(
        &password,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    std::fs::write(
        &file,
        format!(
            "[hub]\ndb_url = \"sqlite://{d}/hub.sqlite\"\ncookie_secret_file = \"{d}/cookie\"\n\
             [proxy]\napi_url = \"http://127.0.0.1:1/\"\nauth_token_file = \"{d}/token\"\n\
             [auth]\nauthenticator = \"shared-password\"\nshared_password_file = \"{d}/pw\"\n\
             [spawner]\nscheduler = \"sim\"\n"
        ),
    )
    .unwrap();
    let output = hub().args(["doctor", "-f"]).arg(&file).output().unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("WARN  database "), "{stdout}");
    assert!(stdout.contains("0 fail\n"), "{stdout}");

    let output = hub()
        .args(["doctor", "--json", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let statuses: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"WARN"), "{json}");
    assert!(!statuses.contains(&"FAIL"), "{json}");
}
