//! A hub as operators run it, for the end-to-end tests: `hub serve` (a process) starting
//! `hub-proxy` (a process), submitting to `pbs-sim serve` (a process) through the PBS
//! driver and the cluster's `qsub`/`qstat`/`qdel`, whose jobs run `hub-singleuser`
//! (processes). All on 127.0.0.1; each [`World`] in its own temporary directory.

use crate::hub_client::{hub_api, proxy_routes, stop_proxy};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::{
    bin, eventually, eventually_explained, free_port, hub_and_proxy_config, job_states,
    write_secret, HubProcess, SimCluster,
};

/// One hub's world: its directory, config, ports and credentials.
#[derive(Debug)]
pub struct World {
    dir: tempfile::TempDir,
    /// The public URL (the proxy's public port), `http://127.0.0.1:PORT`.
    pub public: String,
    /// The hub's base URL, `/` or e.g. `/jupyterhub/`.
    pub base: String,
    service_token: String,
    /// The proxy's route API, `http://127.0.0.1:PORT`.
    pub proxy_api: String,
}

impl World {
    /// Writes the config: the PBS scheduler (the cluster's shims on PATH), a service token
    /// with the admin role, and `job_command` as what each job runs.
    pub fn new(job_command: &[String]) -> World {
        World::under("/", job_command)
    }

    /// [`World::new`] with the hub under the base URL `base` (`/jupyterhub/`).
    pub fn under(base: &str, job_command: &[String]) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let (public_port, api_port) = (free_port(), free_port());
        // Fixed across restarts: running jobs report to the API URL they were given.
        let hub_port = free_port();
        let (sections, service_token) = pbs_service_sections(d, job_command);
        let config = format!(
            "{head}\n{sections}",
            head = hub_and_proxy_config(d, (public_port, hub_port, api_port), base),
        );
        std::fs::write(d.join("hub.toml"), config).expect("config written");
        World {
            public: format!("http://127.0.0.1:{public_port}"),
            base: base.to_string(),
            proxy_api: format!("http://127.0.0.1:{api_port}"),
            service_token,
            dir,
        }
    }

    /// Creates `users` and asks for each one's default server; each start's HTTP status.
    pub async fn create_and_start(&self, users: &[impl AsRef<str>]) -> Vec<u16> {
        let names: Vec<&str> = users.iter().map(AsRef::as_ref).collect();
        let body = serde_json::json!({ "usernames": names });
        let (status, _) = self.api(reqwest::Method::POST, "/users", Some(body)).await;
        assert_eq!(status, 201, "{}", self.log());
        let mut statuses = Vec::new();
        for user in names {
            let path = format!("/users/{user}/server");
            statuses.push(self.api(reqwest::Method::POST, &path, None).await.0);
        }
        statuses
    }

    /// The admin service's API token.
    pub fn service_token(&self) -> &str {
        &self.service_token
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn start_hub(&self, cluster: &SimCluster) -> HubProcess {
        HubProcess::start(
            &self.path("hub.toml"),
            &cluster.bin_dir(),
            &self.path("hub.log"),
        )
    }

    /// The hub's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("hub.log")).unwrap_or_default()
    }

    /// An API call as the service; status and JSON body (Null when empty).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.api_at(&self.public, method, path, body).await
    }

    /// [`World::api`] through `origin` (a front end before the proxy), `http://HOST:PORT`.
    pub async fn api_at(
        &self,
        origin: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let api_base = format!("{origin}{}hub/api", self.base);
        hub_api(&api_base, &self.service_token, method, path, body).await
    }

    /// The proxy's routes (its own API, with the hub's token).
    pub async fn routes(&self) -> Value {
        proxy_routes(&self.proxy_api, &self.path("proxy_token")).await
    }

    /// Waits until the hub answers through the proxy.
    pub async fn wait_up(&self) {
        eventually(
            Duration::from_secs(60),
            "the hub answers through the proxy",
            || async {
                let (status, body) = self.api(reqwest::Method::GET, "/", None).await;
                (status == 200 && body.get("version").is_some()).then_some(())
            },
        )
        .await;
    }

    /// Waits until `user`'s default server is ready; its URL path.
    pub async fn wait_ready(&self, user: &str) -> String {
        let what = format!("{user}'s server becomes ready");
        let last = std::cell::RefCell::new(Value::Null);
        eventually_explained(
            Duration::from_secs(90),
            &what,
            || async {
                let (_, body) = self
                    .api(reqwest::Method::GET, &format!("/users/{user}"), None)
                    .await;
                *last.borrow_mut() = body.clone();
                let server = body.pointer("/servers/")?;
                (server["ready"] == Value::Bool(true))
                    .then(|| server["url"].as_str().unwrap_or("").to_string())
            },
            || format!("last answer: {}\nhub log:\n{}", last.borrow(), self.log()),
        )
        .await
    }

    /// The proxy's pid (it writes it to `proxy.pid`).
    pub fn proxy_pid(&self) -> nix::unistd::Pid {
        let text = std::fs::read_to_string(self.path("proxy.pid")).expect("proxy.pid");
        nix::unistd::Pid::from_raw(text.trim().parse().expect("a pid"))
    }

    /// Waits until every job has ended and none of `users` has a route left.
    pub async fn wait_all_ended(&self, cluster: &SimCluster, users: &[&str]) {
        eventually(
            Duration::from_secs(30),
            "every job ends and its route goes",
            || async {
                let ended = job_states(cluster).iter().all(|(_, state)| state == "F");
                let routes = self.routes().await;
                let unrouted = users
                    .iter()
                    .all(|user| routes.get(format!("{}user/{user}", self.base)).is_none());
                (ended && unrouted).then_some(())
            },
        )
        .await;
    }

    /// Kills the proxy the hub left behind (a SIGKILLed hub cannot stop it).
    fn kill_proxy(&self) {
        stop_proxy(&self.path("proxy.pid"));
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.kill_proxy();
        if std::thread::panicking() {
            let cluster = std::fs::read_to_string(self.path("pbs-sim.log")).unwrap_or_default();
            eprintln!("--- hub.log\n{}\n--- pbs-sim.log\n{cluster}", self.log());
        }
    }
}

/// A test hub's `[auth]`, `[spawner]` and `[[services]]`, everything in `dir`: a shared
/// password, the PBS scheduler (the cluster's shims on PATH), `job_command` as what each
/// job runs, and an admin service; writes the secret files and returns the sections and
/// the service's API token.
pub fn pbs_service_sections(dir: &Path, job_command: &[String]) -> (String, String) {
    let service_token = "5e7c1d9a".repeat(8);
    write_secret(&dir.join("service_token"), &service_token);
    write_secret(&dir.join("shared_password"), "the-shared-demo-password");
    let cmd: Vec<String> = job_command.iter().map(|w| format!("{w:?}")).collect();
    let sections = format!(
        r#"
[auth]
authenticator = "shared-password"
shared_password_file = "{d}/shared_password"

[spawner]
scheduler = "pbs"
exec_prefix = []
cmd = [{cmd}]
poll_interval = "1s"
http_timeout = "60s"
# The test's users have no home directory.
working_dir = "{d}"

[[services]]
name = "e2e"
api_token_file = "{d}/service_token"
roles = ["admin"]
"#,
        d = dir.display(),
        cmd = cmd.join(", "),
    );
    (sections, service_token)
}

/// A world with a cluster of `nodes` nodes and its hub up, whose jobs run `job_command`.
pub async fn start(job_command: &[String], nodes: u32) -> (World, SimCluster, HubProcess) {
    start_under("/", job_command, nodes).await
}

/// [`start`] with the hub under the base URL `base`.
pub async fn start_under(
    base: &str,
    job_command: &[String],
    nodes: u32,
) -> (World, SimCluster, HubProcess) {
    let world = World::under(base, job_command);
    let cluster = SimCluster::start(world.dir.path(), nodes);
    let hub = world.start_hub(&cluster);
    world.wait_up().await;
    (world, cluster, hub)
}

/// What each job runs: the workspace's `hub-singleuser --builtin` test server, after
/// `delay_secs` seconds.
pub fn singleuser(delay_secs: u32) -> Vec<String> {
    let program = bin("hub-singleuser").display().to_string();
    if delay_secs == 0 {
        return vec![program, "--builtin".to_string()];
    }
    // A server slow to start (a Python environment on a slow shared file system).
    vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        format!("sleep {delay_secs}; exec {program} --builtin"),
    ]
}
