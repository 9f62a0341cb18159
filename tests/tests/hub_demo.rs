//! `hub demo`, the README's "run" command, as a user runs it: start it, read the URL and
//! login it prints, log in, start a server from the form, reach it through the proxy, then
//! Ctrl-C: every notebook server is stopped and the temporary data directory removed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use batchhub_tests::{bin, eventually, free_port, hidden_xsrf, terminate};

/// The value after `label` on a line of the demo's banner.
fn banner_value(lines: &[String], label: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

fn processes_mentioning(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(text) {
                found.push(cmdline);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_a_server_from_login_to_ctrl_c() {
    let port = free_port();
    let mut demo = Command::new(bin("hub"))
        .args(["demo", "--port", &port.to_string(), "--nodes", "100"])
        .args(["--background-load", "0.5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hub demo starts");
    let stdout = demo.stdout.take().expect("stdout");
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            let done = line.contains("Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(Duration::from_secs(60), banner)
        .await
        .expect("the demo prints its banner within 60 s")
        .expect("banner read");
    let url = banner_value(&lines, "open");
    let password = banner_value(&lines, "password");
    let data = banner_value(&lines, "data");
    assert_eq!(url, format!("http://127.0.0.1:{port}/"));

    let web = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = web.get(format!("{url}hub/login")).send().await.unwrap();
    let html = login.text().await.unwrap();
    assert!(
        html.contains(&password),
        "the login page shows the demo's login"
    );
    let xsrf = hidden_xsrf(&html);
    let home = web
        .post(format!("{url}hub/login"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("username", "demo"),
            ("password", &password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let form = web.get(format!("{url}hub/spawn")).send().await.unwrap();
    let xsrf = hidden_xsrf(&form.text().await.unwrap());
    let pending = web
        .post(format!("{url}hub/spawn"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("ncpus", "1"),
            ("mem", "4gb"),
            ("walltime", "01:00:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(pending.status(), 200);
    // The session cookie reads the API too.
    eventually(
        Duration::from_secs(60),
        "demo's server is ready",
        || async {
            let user: serde_json::Value = web
                .get(format!("{url}hub/api/users/demo"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (user["servers"][""]["ready"] == true).then_some(())
        },
    )
    .await;
    let page = web.get(format!("{url}user/demo/")).send().await.unwrap();
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("batchhub built-in test server"));
    assert!(
        !processes_mentioning(&data).is_empty(),
        "the job runs under the data dir"
    );

    // Ctrl-C: servers stopped, nothing left running, the temporary directory gone.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(demo.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let exited = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = demo.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        terminate(&mut demo);
        None
    })
    .await
    .unwrap();
    let status = exited.expect("the demo exits within 60 s of Ctrl-C");
    assert!(status.success(), "{status}");
    let left = processes_mentioning(&data);
    assert!(left.is_empty(), "left running: {left:#?}");
    assert!(!std::path::Path::new(&data).exists(), "{data} removed");
}
