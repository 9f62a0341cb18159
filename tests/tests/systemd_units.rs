//! The service units shipped in `deploy/systemd/`: systemd reads them without a warning,
//! the programs accept the command lines they run, and they keep the promises the
//! deployment rests on (the proxy is not restarted with the hub; the hub is not root).

use std::path::{Path, PathBuf};
use std::process::Command;

use batchhub_tests::bin;

fn unit(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/systemd")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `unit`'s text with the installed binaries' paths replaced by the workspace's builds.
fn with_built_binaries(text: &str) -> String {
    text.replace(
        "/usr/local/bin/hub-proxy",
        bin("hub-proxy").to_str().unwrap(),
    )
    .replace("/usr/local/bin/hub ", &format!("{} ", bin("hub").display()))
}

/// The `ExecStart=` command line, continuation lines joined, as words.
fn exec_start(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let line = joined
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    line.split_whitespace().map(String::from).collect()
}

/// The values of `key=` lines.
fn values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

#[test]
#[ignore = "needs systemd-analyze (Debian's systemd; .ci/run installs it)"]
fn systemd_reads_the_units_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for name in ["hub.service", "hub-proxy.service"] {
        let path = dir.path().join(name);
        std::fs::write(&path, with_built_binaries(&unit(name))).unwrap();
        files.push(path);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&files)
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Warnings (an unknown key, a bad value) leave the exit code 0: none may appear.
    let about_ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("hub.service") || l.contains("hub-proxy.service"))
        .collect();
    assert!(
        out.status.success() && about_ours.is_empty(),
        "systemd-analyze verify: {}\n{stderr}",
        out.status
    );
}

#[test]
fn the_programs_accept_the_units_command_lines() {
    for (name, program) in [("hub-proxy.service", "hub-proxy"), ("hub.service", "hub")] {
        let words = exec_start(&unit(name));
        assert!(
            words[0].ends_with(&format!("/{program}")),
            "{name}: {words:?}"
        );
        // Every option before `--help` must be one the program knows (clap refuses an
        // unknown one first); `%d`/`%S` are systemd's directories.
        let args: Vec<String> = words[1..]
            .iter()
            .map(|w| {
                w.replace("%d", "/run/credentials/x")
                    .replace("%S", "/var/lib")
            })
            .collect();
        let out = Command::new(bin(program))
            .args(&args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {program} {args:?} is refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn reloading_the_proxy_reloads_its_certificate_from_files_it_can_read() {
    let proxy = unit("hub-proxy.service");
    assert_eq!(values(&proxy, "ExecReload"), ["/bin/kill -HUP $MAINPID"]);
    // Credentials are copied once at start: a renewal would never be seen.
    assert!(values(&proxy, "LoadCredential").is_empty());
    let words = exec_start(&proxy);
    let cert = words.iter().position(|w| w == "--ssl-cert").unwrap();
    assert!(
        words[cert + 1].starts_with("/etc/batchhub/tls/"),
        "{words:?}"
    );
}

#[test]
fn the_proxy_outlives_the_hub_and_the_hub_is_not_root() {
    let hub = unit("hub.service");
    let proxy = unit("hub-proxy.service");
    // A hub restart must not take the proxy (and every notebook route) with it.
    for key in ["BindsTo", "PartOf", "Requires"] {
        assert!(
            values(&hub, key).iter().all(|v| !v.contains("hub-proxy")),
            "hub.service {key}= ties the proxy to the hub"
        );
    }
    assert_eq!(values(&proxy, "Restart"), ["always"]);
    assert_eq!(values(&hub, "User"), ["batchhub"]);
    assert_eq!(values(&proxy, "DynamicUser"), ["yes"]);
    assert_eq!(values(&proxy, "NoNewPrivileges"), ["yes"]);
    assert_eq!(values(&hub, "UMask"), ["0077"]);
    assert_eq!(values(&proxy, "UMask"), ["0077"]);
}
