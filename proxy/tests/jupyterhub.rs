//! The real Python JupyterHub driving `hub-proxy` in place of configurable-http-proxy.
//! Needs `pip install jupyterhub` (`.ci/run` installs it).

mod common;

use http::{Method, StatusCode};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Hub(Child);

impl Drop for Hub {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let _ = self.0.wait();
    }
}

#[tokio::test]
#[ignore = "needs the real JupyterHub: pip install jupyterhub"]
async fn real_jupyterhub_drives_hub_proxy_needs_pip_jupyterhub() {
    let dir = tempfile::tempdir().unwrap();
    let (public, api, hub) = (free_port(), free_port(), free_port());
    let config = format!(
        r#"
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub}"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.db_url = "sqlite:///{dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{dir}/cookie_secret"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.auth_token = "{token}"
c.ConfigurableHTTPProxy.command = ["{bin}"]
c.ConfigurableHTTPProxy.pid_file = "{dir}/proxy.pid"
"#,
        dir = dir.path().display(),
        token = common::TOKEN,
        bin = env!("CARGO_BIN_EXE_hub-proxy"),
    );
    let config_file = dir.path().join("jupyterhub_config.py");
    std::fs::write(&config_file, config).unwrap();
    let log = std::fs::File::create(dir.path().join("hub.log")).unwrap();
    let child = Command::new("jupyterhub")
        .arg("-f")
        .arg(&config_file)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("jupyterhub on PATH (pip install jupyterhub)");
    let _hub = Hub(child);

    // The login page, served by the hub through hub-proxy's "/" route (added over the API).
    let login = format!("http://127.0.0.1:{public}/hub/login");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let body = loop {
        if let Ok(res) = common::client()
            .request(http::Request::get(&login).body(Default::default()).unwrap())
            .await
        {
            if res.status() == StatusCode::OK {
                use http_body_util::BodyExt;
                let b = res.into_body().collect().await.unwrap().to_bytes();
                break String::from_utf8_lossy(&b).into_owned();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "hub never served /hub/login through hub-proxy; log:\n{}",
            std::fs::read_to_string(dir.path().join("hub.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        body.contains("name=\"username\""),
        "not the login form: {body}"
    );

    let api_addr = format!("127.0.0.1:{api}").parse().unwrap();
    let (status, routes) = common::api_call(
        api_addr,
        Method::GET,
        "/api/routes",
        None,
        Some(common::TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let routes: serde_json::Value = serde_json::from_str(&routes).unwrap();
    assert_eq!(routes["/"]["hub"], true, "{routes}");
    assert_eq!(routes["/"]["jupyterhub"], true, "{routes}");
    assert_eq!(
        routes["/"]["target"],
        format!("http://127.0.0.1:{hub}"),
        "{routes}"
    );
}
