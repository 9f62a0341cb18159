//! Graceful shutdown, the binary's signals and flags, and routes surviving a restart.

mod common;

use common::{api_call, backend, config, get, start, TOKEN};
use http::{Method, StatusCode};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn shutdown_stops_accepting_and_lets_in_flight_requests_finish() {
    let b = backend().await;
    let p = start(config()).await;
    p.add_route("/", &b.url()).await;
    let url = p.url("/slow");
    let in_flight = tokio::spawn(async move { get(&url).await });
    b.arrived.notified().await;

    p.shutdown.cancel();
    // New connections are refused once the listener is closed.
    tokio::time::timeout(Duration::from_secs(10), async {
        while tokio::net::TcpStream::connect(p.proxy).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("listener closed");
    assert!(
        !p.handle.is_finished(),
        "serve returned before the in-flight request ended"
    );

    b.release.notify_one();
    let (s, _, body) = in_flight.await.unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    tokio::time::timeout(Duration::from_secs(10), p.handle)
        .await
        .expect("serve returned after draining")
        .unwrap();
}

/// The test config, keeping its routes in `file`.
fn with_routes_file(file: &std::path::Path) -> proxy::Config {
    proxy::Config {
        routes_file: Some(file.to_owned()),
        ..config()
    }
}

#[tokio::test]
async fn routes_file_is_written_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routes.json");
    let p = start(with_routes_file(&file)).await;
    p.add_route("/user/alice", "http://127.0.0.1:9").await;
    p.add_route("/user/bob", "http://127.0.0.1:10").await;
    p.api(Method::DELETE, "/api/routes/user/bob", None).await;
    let (_, before) = p.api(Method::GET, "/api/routes", None).await;
    p.stop().await;
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        saved,
        serde_json::from_str::<serde_json::Value>(&before).unwrap()
    );
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let p = start(with_routes_file(&file)).await;
    let (_, after) = p.api(Method::GET, "/api/routes", None).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&after).unwrap(),
        serde_json::from_str::<serde_json::Value>(&before).unwrap(),
        "same routes, same data, same last_activity"
    );
    p.stop().await;
}

#[tokio::test]
async fn whatever_the_api_accepted_reloads() {
    // Route data is kept as posted, so it may hold JSON that a JSON tree cannot: a number
    // beyond f64 (JupyterHub's Python would read it as inf). The file must still reload.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routes.json");
    let p = start(with_routes_file(&file)).await;
    let body = r#"{"target": "http://127.0.0.1:9", "big": 1e999, "k\"ey": "v\u00fc", "n": [1.50]}"#;
    let (status, text) = p
        .api(Method::POST, "/api/routes/user/odd", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (_, before) = p.api(Method::GET, "/api/routes/user/odd", None).await;
    assert!(before.contains(r#""big":1e999"#), "{before}");
    p.stop().await;

    let p = start(with_routes_file(&file)).await;
    let (status, after) = p.api(Method::GET, "/api/routes/user/odd", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after, before, "same data, same last_activity");
    p.stop().await;
}

#[tokio::test]
async fn a_corrupt_routes_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routes.json");
    std::fs::write(&file, "{\"/x\": ").unwrap();
    let err = proxy::Proxy::bind(proxy::Config {
        routes_file: Some(file),
        ..config()
    })
    .await
    .expect_err("must refuse");
    assert!(err.to_string().contains("routes.json"), "{err}");
}

#[tokio::test]
async fn default_target_and_metrics_endpoint() {
    let b = backend().await;
    let p = start(proxy::Config {
        default_target: Some(b.url()),
        metrics_bind: Some(proxy::BindAddr::loopback_any_port()),
        ..config()
    })
    .await;
    let (s, _, _) = get(&p.url("/anything")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, text) = get(&format!("http://{}/metrics", p.metrics.unwrap())).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("hub_proxy_routes 1\n"), "{text}");
    assert!(
        text.contains("hub_proxy_responses_total{code=\"2xx\"} 1\n"),
        "{text}"
    );
    p.stop().await;
}

/// The binary, started on free ports; its addresses are read from its log.
struct Bin {
    child: Child,
    proxy: String,
    api: String,
}

fn spawn_bin(extra: &[&str]) -> Bin {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub-proxy"))
        .args([
            "--ip",
            "127.0.0.1",
            "--port",
            "0",
            "--api-ip",
            "127.0.0.1",
            "--api-port",
            "0",
        ])
        .args(extra)
        .env("CONFIGPROXY_AUTH_TOKEN", TOKEN)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut proxy, mut api) = (None, None);
    while proxy.is_none() || api.is_none() {
        let line = lines
            .next()
            .expect("hub-proxy exited before listening")
            .unwrap();
        if let Some(rest) = line.split("Proxying http://").nth(1) {
            proxy = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(rest) = line.split("Proxy API at http://").nth(1) {
            api = rest.split('/').next().map(str::to_owned);
        }
    }
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Bin {
        child,
        proxy: proxy.unwrap(),
        api: api.unwrap(),
    }
}

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, sig).unwrap();
}

#[tokio::test]
async fn binary_keeps_routes_across_a_sigterm_restart() {
    use nix::sys::signal::Signal;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routes.json");
    let file_arg = file.to_str().unwrap();
    let b = backend().await;

    let mut first = spawn_bin(&["--routes-file", file_arg]);
    let api = first.api.parse().unwrap();
    let body = format!(
        r#"{{"user": "alice", "target": "{}", "jupyterhub": true}}"#,
        b.url()
    );
    let (s, _) = api_call(
        api,
        Method::POST,
        "/api/routes/user/alice",
        Some(&body),
        Some(TOKEN),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, _) = get(&format!("http://{}/user/alice/x", first.proxy)).await;
    assert_eq!(s, StatusCode::OK);
    signal(&first.child, Signal::SIGTERM);
    let status = first.child.wait().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}");

    let mut second = spawn_bin(&["--routes-file", file_arg]);
    let (s, _, body) = get(&format!("http://{}/user/alice/y", second.proxy)).await;
    assert_eq!(s, StatusCode::OK, "route restored from the file: {body}");
    let api = second.api.parse().unwrap();
    let (_, routes) = api_call(
        api,
        Method::GET,
        "/api/routes/user/alice",
        None,
        Some(TOKEN),
    )
    .await;
    assert!(routes.contains("\"user\":\"alice\""), "{routes}");
    signal(&second.child, Signal::SIGINT);
    assert!(second.child.wait().unwrap().success());
}

#[test]
fn binary_rejects_unknown_flags_and_bad_values_clearly() {
    for (args, needle) in [
        (&["--frobnicate"][..], "--frobnicate"),
        (&["--port", "eighty"][..], "eighty"),
        (&["--log-level", "chatty"][..], "chatty"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_hub-proxy"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn binary_reports_a_busy_port() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_hub-proxy"))
        .args(["--ip", "127.0.0.1", "--port", &port, "--api-port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen for proxy"), "{err}");
}

/// The binary's allocator returns freed memory while the proxy is idle: jemalloc's
/// background purging thread is running (without it, pages freed when a load ends stay
/// resident until some thread allocates again; BENCHMARKS.md, hub-proxy).
#[test]
fn binary_purges_freed_memory_in_the_background() {
    let mut bin = spawn_bin(&[]);
    let tasks = format!("/proc/{}/task", bin.child.id());
    let thread_names = || -> Vec<String> {
        std::fs::read_dir(&tasks)
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .map(|n| n.trim().to_owned())
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut names = thread_names();
    while !names.iter().any(|n| n == "jemalloc_bg_thd") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        names = thread_names();
    }
    let _ = bin.child.kill();
    let _ = bin.child.wait();
    assert!(
        names.iter().any(|n| n == "jemalloc_bg_thd"),
        "no background purging thread among {names:?}"
    );
}
