//! A hub as a site runs it, with nothing faked: `hub serve` behind `hub-proxy` under the
//! base URL `/jupyterhub/`, real PAM logins of real local accounts, `pbs-sim serve` running
//! each job as its owner, and every job starting `hub-singleuser`, which starts the real
//! `jupyterhub-singleuser` (JupyterLab) from PyPI. Needs root (accounts, jobs as their
//! owners) and the environment `.ci/run` installs ([`crate::jupyter`]).

use crate::hub_client::{hub_api, stop_proxy};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::accounts::LocalAccount;
use crate::{
    bin, eventually, free_port, hub_and_proxy_config, jupyter, write_secret, HubProcess, SimCluster,
};

/// The public base URL the hub serves under (a site's `/jupyterhub/`).
pub const BASE: &str = "/jupyterhub/";

/// The hub, its proxy and cluster, and two users.
#[derive(Debug)]
pub struct RealHub {
    /// The simulated cluster (stopped when dropped; declared first, so it is dropped
    /// before the directory that holds it).
    pub cluster: SimCluster,
    /// Holds the config, database, secrets, logs and the cluster (removed when dropped).
    pub dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT` of the proxy's public side (no base URL).
    pub public: String,
    /// The hub's own address, as compute nodes reach it.
    pub hub: String,
    /// The token of the `idle-culler` service.
    pub culler_token: String,
    /// The first user (an admin: the admin page is hers to see).
    pub alice: LocalAccount,
    /// Another user, who must never reach alice's server.
    pub bob: LocalAccount,
    hub_process: Option<HubProcess>,
}

/// Copies a workspace binary into `dir` with mode 0755: jobs run as their owners, who
/// cannot reach the build directory (under root's home on CI).
fn copy_binary(name: &str, dir: &Path) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(bin(name), &to).expect("binary copied");
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    wait_until_executable(&to);
    to
}

/// Waits until a freshly written binary can be run. A child that another test thread
/// spawned while the copy was open holds the copy's write descriptor until it execs its
/// own program, and until then running the copy fails with ETXTBSY ("Text file busy").
/// No new child can inherit it once the copy is closed, so one clean run proves it gone.
fn wait_until_executable(path: &Path) {
    for _ in 0..100 {
        match std::process::Command::new(path).arg("--help").output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("{} does not run: {e}", path.display()),
            Ok(_) => return,
        }
    }
    panic!("{} stayed busy for 5 s", path.display());
}

impl RealHub {
    /// Creates the accounts, writes the config, starts the cluster, the hub and (through
    /// the hub) the proxy, and waits until the hub answers through the proxy.
    pub async fn start() -> RealHub {
        let venv = jupyter::venv();
        let alice = LocalAccount::ensure("bh-jup-alice", "alice-Pa55-word");
        let bob = LocalAccount::ensure("bh-jup-bob", "bob-Pa55-word");
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        // The job's owners must reach the cluster's shims and `hub-singleuser`.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let shared = d.join("shared");
        std::fs::create_dir(&shared).expect("shared dir");
        let singleuser = copy_binary("hub-singleuser", &shared);
        let cluster = SimCluster::start_with(d, 4, &copy_binary("pbs-sim", &shared));

        let (public_port, api_port, hub_port) = (free_port(), free_port(), free_port());
        let culler_token = "c0ffee11".repeat(8);
        write_secret(&d.join("culler_token"), &culler_token);
        let config = format!(
            r#"
{head}
[auth]
authenticator = "pam"
pam_service = "login"
allowed_users = ["{alice}", "{bob}"]
admin_users = ["{alice}"]

[spawner]
scheduler = "pbs"
# The hub runs as root here; each user's qsub/qdel run as that user, as sudo would.
exec_prefix = ["setpriv", "--reuid", "{{username}}", "--regid", "{{username}}", "--init-groups", "--"]
cmd = [{singleuser:?}, "--", {jupyter:?}]
poll_interval = "1s"
http_timeout = "120s"

[[services]]
name = "idle-culler"
api_token_file = "{d}/culler_token"
scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
"#,
            d = d.display(),
            head = hub_and_proxy_config(d, (public_port, hub_port, api_port), BASE),
            alice = alice.name,
            bob = bob.name,
            singleuser = singleuser.display().to_string(),
            jupyter = venv.join("bin/jupyterhub-singleuser").display().to_string(),
        );
        std::fs::write(d.join("hub.toml"), config).expect("config written");
        let hub_process =
            HubProcess::start(&d.join("hub.toml"), &cluster.bin_dir(), &d.join("hub.log"));
        let mut world = RealHub {
            public: format!("http://127.0.0.1:{public_port}"),
            hub: format!("http://127.0.0.1:{hub_port}"),
            culler_token,
            alice,
            bob,
            cluster,
            hub_process: Some(hub_process),
            dir,
        };
        world.wait_up().await;
        world
    }

    /// A path of the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `public` + base URL + `path` (`path` without a leading `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{BASE}{path}", self.public)
    }

    /// The hub's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("hub.log")).unwrap_or_default()
    }

    /// An API call with `token`; status and JSON body (Null when empty).
    pub async fn api(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        hub_api(&self.url("hub/api"), token, method, path, body).await
    }

    /// Logs `account` in through the login form (real PAM); the browser-like client that
    /// holds the session.
    pub async fn log_in(&self, account: &LocalAccount) -> reqwest::Client {
        let web = crate::browser();
        let page = web
            .get(self.url("hub/login"))
            .send()
            .await
            .expect("login page");
        assert_eq!(page.status(), 200);
        let xsrf = crate::hidden_xsrf(&page.text().await.expect("a body"));
        let login = web
            .post(self.url("hub/login"))
            .form(&[
                ("_xsrf", xsrf.as_str()),
                ("username", account.name.as_str()),
                ("password", account.password.as_str()),
            ])
            .send()
            .await
            .expect("login answers");
        assert_eq!(
            login.status(),
            302,
            "{} could not log in\n{}",
            account.name,
            self.log()
        );
        web
    }

    /// Submits the spawn form for the user of `web` with `fields`; the redirect's target.
    pub async fn spawn(&self, web: &reqwest::Client, fields: &[(&str, &str)]) -> String {
        let form = web.get(self.url("hub/spawn")).send().await.expect("form");
        assert_eq!(form.status(), 200);
        let xsrf = crate::hidden_xsrf(&form.text().await.expect("a body"));
        let mut body = vec![("_xsrf", xsrf.as_str())];
        body.extend_from_slice(fields);
        let spawn = web
            .post(self.url("hub/spawn"))
            .form(&body)
            .send()
            .await
            .expect("spawn answers");
        assert_eq!(spawn.status(), 302, "spawn refused\n{}", self.log());
        crate::location(&spawn)
    }

    /// Waits until the hub answers through the proxy; fails at once if the hub exits.
    async fn wait_up(&mut self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.api("", reqwest::Method::GET, "", None).await;
            if status == 200 && body.get("version").is_some() {
                return;
            }
            let running = self.hub_process.as_mut().is_some_and(HubProcess::running);
            assert!(running, "the hub exited:\n{}", self.log());
            assert!(
                std::time::Instant::now() < deadline,
                "the hub did not answer through the proxy within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `user`'s default server as the API shows it (`None`: not active).
    pub async fn server(&self, user: &str) -> Option<Value> {
        let (_, body) = self
            .api(
                &self.culler_token,
                reqwest::Method::GET,
                &format!("/users/{user}"),
                None,
            )
            .await;
        body.pointer("/servers/").cloned()
    }

    /// Waits until `user`'s default server is ready.
    pub async fn wait_ready(&self, user: &str) {
        let what = format!("{user}'s server becomes ready");
        eventually(Duration::from_secs(180), &what, || async {
            let server = self.server(user).await?;
            (server["ready"] == Value::Bool(true)).then_some(())
        })
        .await
    }

    /// Waits until `user` has no active server and every job of the cluster has ended.
    pub async fn wait_stopped(&self, user: &str, limit: Duration) {
        let what = format!("{user}'s server stops and its job leaves the queue");
        eventually(limit, &what, || async {
            let ended = crate::job_states(&self.cluster)
                .iter()
                .all(|(_, state)| state == "F");
            (ended && self.server(user).await.is_none()).then_some(())
        })
        .await
    }

    /// Stops the hub (SIGTERM) and the proxy it started.
    pub fn stop(&mut self) {
        if let Some(hub) = self.hub_process.take() {
            hub.stop();
        }
        stop_proxy(&self.path("proxy.pid"));
    }
}

impl Drop for RealHub {
    fn drop(&mut self) {
        // Jobs first (their notebook servers are the owners' processes), then the hub.
        for (id, state) in crate::job_states(&self.cluster) {
            if state != "F" {
                self.cluster.run("qdel", &["-W", "force", &id]);
            }
        }
        self.stop();
        if std::thread::panicking() {
            let cluster = std::fs::read_to_string(self.path("pbs-sim.log")).unwrap_or_default();
            eprintln!("--- hub.log\n{}\n--- pbs-sim.log\n{cluster}", self.log());
        }
    }
}

/// A page reached by following redirects as a browser does.
#[derive(Debug)]
pub struct Landed {
    /// The last answer's status.
    pub status: u16,
    /// The URL that answered it.
    pub url: String,
    /// Its body.
    pub body: String,
    /// Every URL visited, in order (for failure messages).
    pub hops: Vec<String>,
}

/// GETs `url` with `client` (which must not follow redirects itself) and follows up to 20
/// redirects, resolving relative `Location`s against the current URL.
pub async fn follow(client: &reqwest::Client, url: &str) -> Landed {
    let mut url = reqwest::Url::parse(url).expect("a URL");
    let mut hops = Vec::new();
    for _ in 0..20 {
        hops.push(url.to_string());
        let response = client
            .get(url.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e} (hops: {hops:#?})"));
        let status = response.status();
        if status.is_redirection() {
            let next = crate::location(&response);
            url = url
                .join(&next)
                .unwrap_or_else(|e| panic!("bad Location {next:?} at {url}: {e}"));
            continue;
        }
        let body = response.text().await.unwrap_or_default();
        return Landed {
            status: status.as_u16(),
            url: url.to_string(),
            body,
            hops,
        };
    }
    panic!("more than 20 redirects: {hops:#?}");
}
