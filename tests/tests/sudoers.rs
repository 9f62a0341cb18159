//! `hub sudoers` against the real sudo: the rule it prints passes `visudo -c`, and installed
//! it lets the hub's service user run exactly the driver's submit and cancel commands as a
//! user — not as root, not with other arguments, not a shell, not with the hub's
//! environment beyond the scheduler's own variables.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use batchhub_tests::accounts::LocalAccount;
use batchhub_tests::bin;

/// The sudoers file installed for the test, removed when dropped.
struct Installed(std::path::PathBuf);

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `args` as `user` (no supplementary groups), with `env` added.
fn as_user(user: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new("setpriv");
    command
        .args([
            &format!("--reuid={user}"),
            &format!("--regid={user}"),
            "--clear-groups",
        ])
        .args(args)
        .envs(env.iter().copied());
    command.output().expect("setpriv runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
#[ignore = "needs root and sudo (apt install sudo; .ci/run does)"]
fn the_printed_rule_allows_exactly_the_drivers_commands() {
    let service = LocalAccount::ensure("bh-sudo-hub", "unused-Pa55word");
    let user = LocalAccount::ensure("bh-sudo-alice", "unused-Pa55word");
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // Stand-ins for qsub and qdel: who ran them, with what, and which variables came through.
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::fs::set_permissions(&bin_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for program in ["qsub", "qdel"] {
        let path = bin_dir.join(program);
        std::fs::write(
            &path,
            "#!/bin/sh\necho \"$(id -un) [$*] PBS_SERVER=${PBS_SERVER:-} SECRET=${SECRET:-}\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let config = dir.path().join("hub.toml");
    std::fs::write(
        &config,
        "[spawner]\nscheduler = \"pbs\"\nexec_prefix = [\"sudo\", \"-n\", \"-u\", \"{username}\", \"--\"]\n",
    )
    .unwrap();
    let out = Command::new(bin("hub"))
        .args([
            "sudoers",
            "-f",
            config.to_str().unwrap(),
            "--service-user",
            &service.name,
        ])
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let rule = String::from_utf8(out.stdout).unwrap();
    let file = dir.path().join("batchhub.sudoers");
    std::fs::write(&file, &rule).unwrap();
    let check = Command::new("visudo")
        .arg("-cf")
        .arg(&file)
        .output()
        .unwrap();
    assert!(check.status.success(), "visudo: {}\n{rule}", text(&check));

    let installed =
        Installed(Path::new("/etc/sudoers.d").join(format!("bh-test-{}", std::process::id())));
    std::fs::write(&installed.0, &rule).unwrap();
    std::fs::set_permissions(&installed.0, std::fs::Permissions::from_mode(0o440)).unwrap();

    let qsub = bin_dir.join("qsub");
    let qdel = bin_dir.join("qdel");
    let (qsub, qdel) = (qsub.to_str().unwrap(), qdel.to_str().unwrap());
    let sudo = |env: &[(&str, &str)], args: &[&str]| {
        let mut argv = vec!["sudo", "-n", "-u", user.name.as_str(), "--"];
        argv.extend_from_slice(args);
        as_user(&service.name, env, &argv)
    };

    // The driver's submit: no arguments; the scheduler's variable kept, any other dropped.
    let out = sudo(&[("PBS_SERVER", "pbs02"), ("SECRET", "hub-only")], &[qsub]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{} [] PBS_SERVER=pbs02 SECRET=\n", user.name)
    );
    // The driver's cancel, with a job id.
    let out = sudo(&[], &[qdel, "12.pbs02"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{} [12.pbs02] PBS_SERVER= SECRET=\n", user.name)
    );

    // Refused: other arguments to the submit command, root, a shell, another program.
    for (what, out) in [
        ("qsub with arguments", sudo(&[], &[qsub, "-l", "select=99"])),
        ("a shell", sudo(&[], &["/bin/sh", "-c", "id"])),
        ("another program", sudo(&[], &["/usr/bin/id"])),
        (
            "root",
            as_user(
                &service.name,
                &[],
                &["sudo", "-n", "-u", "root", "--", qsub],
            ),
        ),
        (
            "keeping the environment",
            as_user(
                &service.name,
                &[("SECRET", "x")],
                &["sudo", "-n", "-E", "-u", user.name.as_str(), "--", qsub],
            ),
        ),
    ] {
        assert!(!out.status.success(), "{what} was allowed: {}", text(&out));
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(&user.name),
            "{what} ran: {}",
            text(&out)
        );
    }
}
