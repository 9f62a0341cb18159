//! `hub-singleuser` run as a real process against a wiremock hub.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_hub-singleuser");
const TOKEN: &str = "s3cret-token";

/// The hub's environment for alice's default server, pointed at `hub`.
fn hub_env(command: &mut Command, hub: &MockServer) {
    command
        .env_clear()
        .env("JUPYTERHUB_API_URL", format!("{}/hub/api", hub.uri()))
        .env("JUPYTERHUB_API_TOKEN", TOKEN)
        .env("JUPYTERHUB_USER", "alice")
        .env("JUPYTERHUB_SERVER_NAME", "")
        .env("JUPYTERHUB_SERVICE_PREFIX", "/user/alice/")
        .env("JUPYTERHUB_SERVICE_URL", "http://0.0.0.0:0/user/alice/");
}

/// Kills the process when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The requests `hub` got at `route`, once there are at least `count` of them.
async fn wait_for_requests(hub: &MockServer, route: &str, count: usize) -> Vec<Request> {
    for _ in 0..400 {
        let requests: Vec<Request> = hub
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == route)
            .collect();
        if requests.len() >= count {
            return requests;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{route} did not get {count} requests within 20 s");
}

async fn mount_report(hub: &MockServer, refusals: u64) {
    if refusals > 0 {
        Mock::given(method("POST"))
            .and(path("/hub/api/batchspawner"))
            .respond_with(
                ResponseTemplate::new(409)
                    .set_body_json(json!({"status": 409, "message": "not yet"})),
            )
            .up_to_n_times(refusals)
            .with_priority(1)
            .mount(hub)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/hub/api/batchspawner"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"message": "BatchSpawner data configured"})),
        )
        .with_priority(2)
        .mount(hub)
        .await;
}

fn this_host() -> String {
    nix::unistd::gethostname().unwrap().into_string().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_after_409s_then_serves_the_builtin_server() {
    let hub = MockServer::start().await;
    mount_report(&hub, 2).await;
    Mock::given(method("POST"))
        .and(path("/hub/api/users/alice/activity"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hub)
        .await;

    let mut command = Command::new(BIN);
    hub_env(&mut command, &hub);
    command
        .args(["--builtin", "--ip", "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut server = Running(command.spawn().unwrap());

    let reports = wait_for_requests(&hub, "/hub/api/batchspawner", 3).await;
    assert_eq!(reports.len(), 3, "no report after the hub took one");
    let mut ports = Vec::new();
    for report in &reports {
        assert_eq!(
            report.headers.get("authorization").unwrap(),
            &format!("token {TOKEN}")
        );
        let body: Value = serde_json::from_slice(&report.body).unwrap();
        assert_eq!(body["host"], this_host());
        ports.push(body["port"].as_u64().unwrap());
    }
    assert!(ports.iter().all(|p| *p == ports[0]), "{ports:?}");
    let port = ports[0];

    let answer = reqwest::get(format!("http://127.0.0.1:{port}/user/alice/api"))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert!(body["version"].is_string(), "{body}");
    let page = reqwest::get(format!("http://127.0.0.1:{port}/user/alice/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("batchhub built-in test server — not Jupyter"));

    // Activity goes out at startup, in JupyterHub's shape, with the token.
    let activity = wait_for_requests(&hub, "/hub/api/users/alice/activity", 1).await;
    assert_eq!(
        activity[0].headers.get("authorization").unwrap(),
        &format!("token {TOKEN}")
    );
    let body: Value = serde_json::from_slice(&activity[0].body).unwrap();
    assert!(body["servers"][""]["last_activity"].is_string(), "{body}");
    assert_eq!(body["servers"][""]["last_activity"], body["last_activity"]);

    // SIGTERM stops it cleanly.
    let pid = nix::unistd::Pid::from_raw(i32::try_from(server.0.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let mut status = None;
    for _ in 0..200 {
        status = server.0.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.expect("still running 10 s after SIGTERM");
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execs_jupyterhub_singleuser_on_the_reported_port() {
    let hub = MockServer::start().await;
    mount_report(&hub, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let fake = dir.path().join("jupyterhub-singleuser");
    // Records how it was started, then exits: it stands in for the real server.
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$* $JUPYTERHUB_SERVICE_URL $JUPYTERHUB_API_TOKEN\" > {}\n",
            out.display()
        ),
    )
    .unwrap();
    set_executable(&fake);

    let mut command = Command::new(BIN);
    hub_env(&mut command, &hub);
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let status = command
        .env("PATH", path)
        .args([
            "--ip",
            "127.0.0.1",
            "--",
            "jupyterhub-singleuser",
            "--debug",
        ])
        .status()
        .unwrap();
    assert!(status.success(), "{status}");

    let reports = wait_for_requests(&hub, "/hub/api/batchspawner", 1).await;
    let body: Value = serde_json::from_slice(&reports[0].body).unwrap();
    let port = body["port"].as_u64().unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("--debug --port={port} --ip=127.0.0.1 http://0.0.0.0:{port}/user/alice/ {TOKEN}\n")
    );
}

fn set_executable(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_from_the_hub_is_fatal_with_its_message() {
    let hub = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hub/api/batchspawner"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"status": 403, "message": "token not recognised"})),
        )
        .mount(&hub)
        .await;
    let mut command = Command::new(BIN);
    hub_env(&mut command, &hub);
    let output = command
        .args(["--builtin", "--ip", "127.0.0.1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("HTTP 403"), "{stderr}");
    assert!(stderr.contains("token not recognised"), "{stderr}");
    assert_eq!(
        wait_for_requests(&hub, "/hub/api/batchspawner", 1)
            .await
            .len(),
        1,
        "a 403 is not retried"
    );
}

#[tokio::test]
async fn a_missing_token_is_named() {
    let hub = MockServer::start().await;
    let mut command = Command::new(BIN);
    hub_env(&mut command, &hub);
    let output = command
        .env_remove("JUPYTERHUB_API_TOKEN")
        .arg("--builtin")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("JUPYTERHUB_API_TOKEN"), "{stderr}");
    assert!(hub.received_requests().await.unwrap().is_empty());
}

#[test]
fn bad_flags_are_refused() {
    for args in [
        &["--port-range", "5-1"][..],
        &["--ip", "not-an-ip"],
        &["--report-timeout", "soon"],
        &["--builtin", "--", "jupyterhub-singleuser"],
    ] {
        let output = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}
