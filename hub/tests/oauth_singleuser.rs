//! The hub's OAuth provider against the real, unmodified `jupyterhub-singleuser`
//! (JupyterHub 6, jupyter-server 2, JupyterLab 4): the hub's pages and API run in-process
//! on 127.0.0.1 over a SQLite database in a temp dir; alice's server gets its credentials
//! and environment exactly as a spawn gives them, and a cookie-jar client walks the
//! browser's hops one by one (redirects not followed), sending `/hub/…` to the hub and
//! `/user/…` to the server, as the proxy would.
//!
//! Needs the program: `.ci/run` installs it in `/opt/batchhub-jupyter`; another venv can be
//! named by `BATCHHUB_JUPYTER_VENV`. Run with
//! `cargo test -p hub --test oauth_singleuser -- --include-ignored`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hub::api::{self, ApiSettings, ApiState, Services};
use hub::auth::shared::SharedPassword;
use hub::control::{ControlError, ServerControl, ServerView, Started, Stopped};
use hub::db::{Db, NewOAuthClient, NewToken, ServerState, TokenOwner};
use hub::proxy_client::routespec;
use hub::spawner::progress::ProgressEvent;
use hub::spawning::job_env::{self, JobEnvInput};
use hub::web::{self, WebSettings, WebState};
use reqwest::header::LOCATION;
use reqwest::{Client, Response, StatusCode};
use tokio::sync::watch;

const PASSWORD: &str = "let-me-in";

/// Where `jupyterhub-singleuser` is installed.
fn venv() -> PathBuf {
    std::env::var_os("BATCHHUB_JUPYTER_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/batchhub-jupyter"))
}

/// The program, or a failure saying how to get it: an ignored test asked to run must never
/// pass without having run.
fn singleuser_program() -> PathBuf {
    let program = venv().join("bin/jupyterhub-singleuser");
    assert!(
        program.is_file(),
        "{} is missing: install jupyterhub and jupyterlab in a venv there (.ci/run does, \
         in /opt/batchhub-jupyter) or set BATCHHUB_JUPYTER_VENV to one",
        program.display()
    );
    program
}

/// The spawner is not part of this test: the server is started by the test itself.
#[derive(Debug)]
struct NoSpawner;

#[async_trait]
impl ServerControl for NoSpawner {
    async fn start(
        &self,
        _user: &str,
        _server: &str,
        _options: BTreeMap<String, String>,
    ) -> Result<Started, ControlError> {
        Err(ControlError::Unavailable("no spawner in this test".into()))
    }

    async fn stop(&self, _user: &str, _server: &str) -> Result<Stopped, ControlError> {
        Err(ControlError::Unavailable("no spawner in this test".into()))
    }

    async fn server(&self, _user: &str, _server: &str) -> Option<ServerView> {
        None
    }

    async fn servers(&self, _user: &str) -> Vec<ServerView> {
        Vec::new()
    }

    fn states_by_user(&self) -> std::collections::HashMap<String, Vec<hub::spawner::ServerState>> {
        std::collections::HashMap::new()
    }

    async fn report(
        &self,
        _user: &str,
        _server: &str,
        _host: &str,
        _port: u16,
    ) -> Result<(), ControlError> {
        Err(ControlError::Unavailable("no spawner in this test".into()))
    }

    fn progress(&self, _user: &str, _server: &str) -> Option<watch::Receiver<ProgressEvent>> {
        None
    }
}

/// Kills the server when the test ends, passed or panicked.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The hub's pages and API on 127.0.0.1 under `base` (`/`, `/jh/`); returns its address.
async fn start_hub(db: &Db, base: &str) -> SocketAddr {
    let clock: api::Clock = Arc::new(chrono::Utc::now);
    let control: Arc<dyn ServerControl> = Arc::new(NoSpawner);
    let secret: Vec<u8> = b"a cookie secret for the oauth peer test, 32+ bytes".to_vec();
    let api_state = ApiState::new(
        db.clone(),
        control.clone(),
        ApiSettings {
            base_url: base.to_string(),
            admin_users: Default::default(),
            services: Services::default(),
            version: hub::serve::JUPYTERHUB_API_VERSION.to_string(),
            clock: clock.clone(),
            proxy: None,
            cookie_secret: Some(Arc::from(secret.as_slice())),
        },
    );
    let web_state = WebState::new(
        db.clone(),
        control,
        Arc::new(SharedPassword::new(PASSWORD).unwrap()),
        WebSettings {
            base_url: base.to_string(),
            admin_users: Default::default(),
            allowed_users: Default::default(),
            allowed_groups: Default::default(),
            form: Default::default(),
            terms: Default::default(),
            cookie_secret: secret,
            secure_cookies: false,
            session_lifetime: WebSettings::DEFAULT_SESSION_LIFETIME,
            max_failed_logins: 100,
            failed_login_window: Duration::from_secs(60),
            clock,
            authenticator_kind: "shared-password",
            login_hint: None,
        },
    );
    let app = web::with_api(web_state, api::router(api_state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    address
}

/// A port free right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Registers the credentials of alice's server `server` (`""`: the default one) as a spawn
/// does and starts the real `jupyterhub-singleuser` with the environment the job would get.
async fn start_singleuser(
    db: &Db,
    hub: SocketAddr,
    dir: &Path,
    base: &str,
    server: &str,
) -> (Running, u16) {
    let program = singleuser_program();
    let prefix = &routespec::user_server(base, "alice", server);
    let token = NewToken {
        owner: TokenOwner::User("alice".into()),
        scopes: job_env::server_token_scopes("alice", server),
        note: format!("Server at {prefix}"),
        expires_at: None,
        oauth_client: None,
    };
    let client_id = job_env::client_id("alice", server);
    let callback = job_env::oauth_callback(base, "alice", server);
    let description = format!("Server at {prefix}");
    let client = NewOAuthClient {
        client_id: &client_id,
        redirect_uri: &callback,
        description: &description,
    };
    let (_, secret) = db
        .create_server_credentials(&token, &client, chrono::Utc::now())
        .await
        .unwrap();
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let extra = BTreeMap::from([
        (
            "PATH".to_string(),
            format!("{}:/usr/bin:/bin", venv().join("bin").display()),
        ),
        ("HOME".to_string(), home.display().to_string()),
    ]);
    let mut env = job_env::job_environment(&JobEnvInput {
        base_url: base,
        api_url: &format!("http://{hub}{base}hub/api"),
        user: "alice",
        server,
        token: &secret,
        extra: &extra,
    });
    // What hub-singleuser does in the job: bind a port it chose.
    let port = free_port();
    env.insert(
        "JUPYTERHUB_SERVICE_URL".to_string(),
        format!("http://127.0.0.1:{port}{prefix}"),
    );
    let log = dir.join("singleuser.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut command = Command::new(&program);
    if nix::unistd::Uid::effective().is_root() {
        // CI containers run as root; jupyter-server refuses that unless told.
        command.arg("--allow-root");
    }
    let child = command
        .env_clear()
        .envs(&env)
        .current_dir(&home)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut running = Running { child, log };
    // Up when it answers (any status below 500), as the hub's own wait.
    let probe = Client::new();
    for _ in 0..240 {
        if let Some(status) = running.child.try_wait().unwrap() {
            panic!(
                "jupyterhub-singleuser exited ({status}) before answering:\n{}",
                running.log()
            );
        }
        let url = format!("http://127.0.0.1:{port}{prefix}api");
        if let Ok(answer) = probe.get(&url).send().await {
            if answer.status().as_u16() < 500 {
                return (running, port);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!(
        "jupyterhub-singleuser did not answer within 60 s:\n{}",
        running.log()
    );
}

/// A browser: one cookie jar for both origins (as behind the proxy), no redirects
/// followed; `{base}hub/…` goes to the hub, everything else to the server.
struct Browser {
    client: Client,
    hub: SocketAddr,
    base: String,
    server_port: u16,
}

impl Browser {
    fn new(hub: SocketAddr, base: &str, server_port: u16) -> Browser {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            hub,
            base: base.to_string(),
            server_port,
        }
    }

    fn url(&self, path: &str) -> String {
        assert!(path.starts_with('/'), "a relative location: {path}");
        if path.starts_with(&format!("{}hub/", self.base)) {
            format!("http://{}{path}", self.hub)
        } else {
            format!("http://127.0.0.1:{}{path}", self.server_port)
        }
    }

    async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GETs `path` and expects a 302; returns where to.
    async fn hop(&self, path: &str, log: &Running) -> String {
        let answer = self.get(path).await;
        let status = answer.status();
        let location = answer
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        match location {
            Some(location) if status == StatusCode::FOUND => location,
            _ => panic!(
                "GET {path}: expected a 302, got {status}: {}\nsingleuser log:\n{}",
                answer.text().await.unwrap_or_default(),
                log.log()
            ),
        }
    }

    /// Logs in through the form, with `next` as the login page was given it.
    async fn log_in(&self, login_path: &str, user: &str) -> String {
        let page = self.get(login_path).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        let marker = "name=\"_xsrf\" value=\"";
        let at = html.find(marker).expect("an _xsrf field") + marker.len();
        let xsrf = &html[at..at + html[at..].find('"').unwrap()];
        let answer = self
            .client
            .post(self.url(login_path))
            .form(&[("_xsrf", xsrf), ("username", user), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND, "login as {user}");
        answer.headers()[LOCATION].to_str().unwrap().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs jupyterhub-singleuser and jupyterlab: .ci/run installs them in /opt/batchhub-jupyter"]
async fn the_real_singleuser_logs_alice_in_through_the_hub_and_refuses_bob() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hub.sqlite").display()
    );
    let db = Db::connect(&url).await.unwrap();
    let now = chrono::Utc::now();
    for user in ["alice", "bob"] {
        db.create_user(user, false, now).await.unwrap();
    }
    db.put_server_state("alice", "", &ServerState::default(), now)
        .await
        .unwrap();
    let hub = start_hub(&db, "/").await;
    let (server, port) = start_singleuser(&db, hub, dir.path(), "/", "").await;

    // Alice logs in, then opens her server.
    let alice = Browser::new(hub, "/", port);
    assert_eq!(alice.log_in("/hub/login", "alice").await, "/hub/home");
    let authorize = alice.hop("/user/alice/lab", &server).await;
    assert!(
        authorize.starts_with("/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&"),
        "{authorize}"
    );
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let callback = alice.hop(&authorize, &server).await;
    assert!(
        callback.starts_with("/user/alice/oauth_callback?code="),
        "{callback}"
    );
    let back = alice.hop(&callback, &server).await;
    assert!(back.starts_with("/user/alice/lab"), "{back}");
    let lab = alice.get(&back).await;
    assert_eq!(lab.status(), StatusCode::OK, "{}", server.log());
    let html = lab.text().await.unwrap();
    assert!(
        html.contains("JupyterLab"),
        "not the JupyterLab page:\n{html}"
    );
    let status = alice.get("/user/alice/api/status").await;
    assert_eq!(status.status(), StatusCode::OK, "{}", server.log());

    // The token singleuser got: alice's, for her server's client, in her login session.
    let tokens = db
        .list_tokens(&TokenOwner::User("alice".into()), chrono::Utc::now())
        .await
        .unwrap();
    let oauth: Vec<_> = tokens
        .iter()
        .filter(|t| t.oauth_client.as_deref() == Some("jupyterhub-user-alice"))
        .collect();
    assert_eq!(oauth.len(), 1, "{tokens:?}");
    assert!(oauth[0].session_id.is_some());

    // The server reported activity with its own token at start.
    let mut reported = false;
    for _ in 0..60 {
        let record = db.get_server("alice", "").await.unwrap().unwrap();
        if record.last_activity.is_some() {
            reported = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(reported, "no activity report:\n{}", server.log());

    // Bob, not logged in, is sent to log in, comes back, and the hub refuses him.
    let bob = Browser::new(hub, "/", port);
    let authorize = bob.hop("/user/alice/lab", &server).await;
    let login = bob.hop(&authorize, &server).await;
    assert!(login.starts_with("/hub/login?next="), "{login}");
    let again = bob.log_in(&login, "bob").await;
    assert_eq!(again, authorize, "login comes back to authorize");
    let refused = bob.get(&authorize).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("You do not have permission to access Server at /user/alice/"),
        "{text}"
    );
    let bobs_way = bob.get("/user/alice/api/status").await;
    assert_eq!(bobs_way.status(), StatusCode::FORBIDDEN);

    // Alice logs out: the hub revokes the token her session handed the server.
    let out = alice.hop("/hub/logout", &server).await;
    assert_eq!(out, "/hub/login");
    let tokens = db
        .list_tokens(&TokenOwner::User("alice".into()), chrono::Utc::now())
        .await
        .unwrap();
    assert!(
        tokens.iter().all(|t| t.oauth_client.is_none()),
        "the OAuth token survived logout: {tokens:?}"
    );
    assert_eq!(tokens.len(), 1, "the server's own token stays");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs jupyterhub-singleuser and jupyterlab: .ci/run installs them in /opt/batchhub-jupyter"]
async fn a_named_server_under_a_base_url_logs_alice_in_straight_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hub.sqlite").display()
    );
    let db = Db::connect(&url).await.unwrap();
    let now = chrono::Utc::now();
    db.create_user("alice", false, now).await.unwrap();
    db.put_server_state("alice", "gpu1", &ServerState::default(), now)
        .await
        .unwrap();
    let base = "/jh/";
    let hub = start_hub(&db, base).await;
    let (server, port) = start_singleuser(&db, hub, dir.path(), base, "gpu1").await;

    // Not logged in: server → authorize → login → authorize → callback → Lab.
    let alice = Browser::new(hub, base, port);
    let authorize = alice.hop("/jh/user/alice/gpu1/lab", &server).await;
    assert!(
        authorize.starts_with("/jh/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice-gpu1&"),
        "{authorize}"
    );
    let login = alice.hop(&authorize, &server).await;
    assert!(login.starts_with("/jh/hub/login?next="), "{login}");
    assert_eq!(alice.log_in(&login, "alice").await, authorize);
    let callback = alice.hop(&authorize, &server).await;
    assert!(
        callback.starts_with("/jh/user/alice/gpu1/oauth_callback?code="),
        "{callback}"
    );
    let back = alice.hop(&callback, &server).await;
    assert!(back.starts_with("/jh/user/alice/gpu1/lab"), "{back}");
    let lab = alice.get(&back).await;
    assert_eq!(lab.status(), StatusCode::OK, "{}", server.log());
    let status = alice.get("/jh/user/alice/gpu1/api/status").await;
    assert_eq!(status.status(), StatusCode::OK, "{}", server.log());
    let tokens = db
        .list_tokens(&TokenOwner::User("alice".into()), chrono::Utc::now())
        .await
        .unwrap();
    let oauth = tokens
        .iter()
        .find(|t| t.oauth_client.as_deref() == Some("jupyterhub-user-alice-gpu1"))
        .expect("the OAuth token");
    assert!(oauth
        .scopes
        .contains(&"access:servers!server=alice/gpu1".to_string()));
    drop(server);
}
