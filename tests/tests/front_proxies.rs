//! The site's own web server in front of hub-proxy, as `docs/deploy.md` shows it: a real
//! nginx with `deploy/examples/nginx/` and a real Apache httpd with
//! `deploy/examples/apache/`, included as shipped (only the proxy's address put in),
//! forwarding `/jupyterhub/` to hub-proxy. Through each: the hub's login page, the API, a
//! user's server, a server-sent progress stream, and a WebSocket.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use batchhub_tests::pbs_hub::{singleuser, start_under};
use batchhub_tests::{eventually, free_port, terminate};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/examples")
        .join(name)
}

/// A private nginx or Apache httpd: its own directory, config, logs and port; stopped when
/// dropped.
struct Front {
    dir: tempfile::TempDir,
    child: Child,
    origin: String,
}

impl Front {
    /// nginx on a free port with the shipped snippets, hub-proxy's address
    /// (`127.0.0.1:8000` in the files) replaced by `proxy` (`127.0.0.1:PORT`).
    fn nginx(proxy: &str) -> Front {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_with_proxy(
            &example("nginx/jupyterhub-location.conf"),
            &d.join("location.conf"),
            proxy,
        );
        let port = free_port();
        let config = format!(
            r#"
# Workers as root: the test's directories are private to root.
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {map};
    server {{
        listen 127.0.0.1:{port};
        include {d}/location.conf;
    }}
}}
"#,
            d = d.display(),
            map = example("nginx/jupyterhub-map.conf").display(),
        );
        std::fs::write(d.join("nginx.conf"), config).unwrap();
        let conf = d.join("nginx.conf");
        let args = |extra: &[&str]| -> Vec<String> {
            let mut all = vec![
                "-p".to_string(),
                d.display().to_string(),
                "-c".to_string(),
                conf.display().to_string(),
            ];
            all.extend(extra.iter().map(|s| s.to_string()));
            all
        };
        check_config("nginx", &args(&["-t"]));
        let run = args(&["-g", "daemon off;"]);
        Front::spawn(dir, "nginx", &run, port)
    }

    /// Apache httpd (Debian's modules) on a free port with the shipped `<Location>`, the
    /// proxy's address replaced as for nginx.
    fn apache(proxy: &str) -> Front {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_with_proxy(
            &example("apache/jupyterhub.conf"),
            &d.join("jupyterhub.conf"),
            proxy,
        );
        let port = free_port();
        let modules = "/usr/lib/apache2/modules";
        let config = format!(
            r#"
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule proxy_module {modules}/mod_proxy.so
LoadModule proxy_http_module {modules}/mod_proxy_http.so
LoadModule headers_module {modules}/mod_headers.so
ServerName 127.0.0.1
ServerRoot {d}
DefaultRuntimeDir {d}
PidFile {d}/httpd.pid
ErrorLog {d}/error.log
LogLevel warn
User www-data
Group www-data
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    Include {d}/jupyterhub.conf
</VirtualHost>
"#,
            d = d.display(),
        );
        std::fs::write(d.join("httpd.conf"), config).unwrap();
        let conf = d.join("httpd.conf").display().to_string();
        check_config(
            "apache2",
            &["-t".to_string(), "-f".to_string(), conf.clone()],
        );
        Front::spawn(
            dir,
            "apache2",
            &["-f".to_string(), conf, "-DFOREGROUND".to_string()],
            port,
        )
    }

    fn spawn(dir: tempfile::TempDir, program: &str, args: &[String], port: u16) -> Front {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} starts: {e}"));
        Front {
            dir,
            child,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// Copies a shipped snippet, with hub-proxy's address in it replaced by `proxy`.
fn write_with_proxy(from: &Path, to: &Path, proxy: &str) {
    let text = std::fs::read_to_string(from).expect("the shipped snippet");
    assert!(text.contains("127.0.0.1:8000"), "{text}");
    std::fs::write(to, text.replace("127.0.0.1:8000", proxy)).unwrap();
}

/// Runs `program`'s config check; panics with its words if it fails.
fn check_config(program: &str, args: &[String]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A WebSocket server on 127.0.0.1 that echoes each text message, prefixed with the path
/// it was reached at; its address.
async fn echo_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut path = String::new();
                // The callback's error type is tungstenite's own (a whole HTTP response).
                #[allow(clippy::result_large_err)]
                let remember =
                    |request: &tokio_tungstenite::tungstenite::handshake::server::Request,
                     response| {
                        path = request.uri().path().to_string();
                        Ok(response)
                    };
                let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, remember).await
                else {
                    return;
                };
                while let Some(Ok(Message::Text(text))) = socket.next().await {
                    let reply = format!("{path}: {text}");
                    if socket.send(Message::text(reply)).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx (apt install nginx; .ci/run installs it) and root"]
async fn nginx_with_the_shipped_snippets_serves_the_hub_servers_and_websockets_under_jupyterhub() {
    serves_the_hub_servers_and_websockets_under_jupyterhub(Front::nginx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Apache httpd (apt install apache2; .ci/run installs it) and root"]
async fn apache_with_the_shipped_location_serves_the_hub_servers_and_websockets_under_jupyterhub() {
    serves_the_hub_servers_and_websockets_under_jupyterhub(Front::apache).await;
}

/// The hub under `/jupyterhub/` behind the front end `start` makes (given hub-proxy's
/// address): the login page, the API, a spawn and its progress stream, the user's server,
/// and a WebSocket.
async fn serves_the_hub_servers_and_websockets_under_jupyterhub(start: fn(&str) -> Front) {
    let (world, cluster, hub) = start_under("/jupyterhub/", &singleuser(0), 4).await;
    let proxy = world.public.trim_start_matches("http://").to_string();
    let web = start(&proxy);
    let front = web.origin.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // The login page, under the base URL.
    let page = eventually(Duration::from_secs(20), "the front end answers", || async {
        let answer = http
            .get(format!("{front}/jupyterhub/hub/login"))
            .send()
            .await
            .ok()?;
        (answer.status() == 200).then_some(answer)
    })
    .await;
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "{html}");

    // The API and a spawn, through nginx.
    let (status, _) = world
        .api_at(&front, reqwest::Method::POST, "/users/ann", None)
        .await;
    assert_eq!(status, 201, "{}", web.error_log());
    let (status, _) = world
        .api_at(&front, reqwest::Method::POST, "/users/ann/server", None)
        .await;
    assert_eq!(status, 202, "{}", world.log());

    // The spawn's progress stream (server-sent events) arrives through nginx, unbuffered.
    let progress = http
        .get(format!(
            "{front}/jupyterhub/hub/api/users/ann/server/progress"
        ))
        .header("Authorization", format!("token {}", world.service_token()))
        .send()
        .await
        .unwrap();
    assert_eq!(progress.status(), 200);
    let kind = progress.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("text/event-stream"), "{kind}");
    let mut progress = progress;
    let first = tokio::time::timeout(Duration::from_secs(30), progress.chunk())
        .await
        .expect("a progress event within 30 s, not held back")
        .unwrap()
        .expect("a chunk");
    assert!(
        String::from_utf8_lossy(&first).starts_with("data: "),
        "{first:?}"
    );
    drop(progress);

    let url = world.wait_ready("ann").await;
    assert_eq!(url, "/jupyterhub/user/ann/");
    let server_page = http.get(format!("{front}{url}")).send().await.unwrap();
    assert_eq!(server_page.status(), 200);
    let text = server_page.text().await.unwrap();
    assert!(text.contains("batchhub built-in test server"), "{text}");

    // A WebSocket (a kernel's channels) through nginx and hub-proxy: a route to an echo
    // server, as the hub adds one for each notebook server.
    let echo = echo_server().await;
    let token = std::fs::read_to_string(world.path("proxy_token")).unwrap();
    let added = http
        .post(format!("{}/api/routes/jupyterhub/echo", world.proxy_api))
        .header("Authorization", format!("token {}", token.trim()))
        .json(&serde_json::json!({"target": format!("http://{echo}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let ws_url = format!(
        "{}/jupyterhub/echo/api/kernels/k1/channels",
        front.replace("http://", "ws://")
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(ws_url.as_str())
        .await
        .unwrap_or_else(|e| panic!("WebSocket through the front end: {e}\n{}", web.error_log()));
    assert_eq!(response.status(), 101);
    socket.send(Message::text("1+1")).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("an echo within 10 s")
        .expect("a message")
        .unwrap();
    assert_eq!(
        reply.into_text().unwrap().as_str(),
        "/jupyterhub/echo/api/kernels/k1/channels: 1+1"
    );
    socket.close(None).await.unwrap();

    world
        .api_at(&front, reqwest::Method::DELETE, "/users/ann/server", None)
        .await;
    world.wait_all_ended(&cluster, &["ann"]).await;
    hub.stop();
}
