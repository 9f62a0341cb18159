//! The hub as operators run it: `hub serve` (a process) starting `hub-proxy` (a process),
//! submitting to `pbs-sim serve` (a process) through the PBS driver and the cluster's
//! `qsub`/`qstat`/`qdel`, whose jobs run `hub-singleuser` (processes). All on 127.0.0.1.

use std::path::PathBuf;
use std::time::Duration;

use batchhub_tests::{
    bin, browser, eventually, free_port, hidden_xsrf, job_states, location, write_secret,
    HubProcess, SimCluster,
};
use serde_json::Value;

/// One hub's world: its directory, config, ports and credentials.
struct World {
    dir: tempfile::TempDir,
    public: String,
    service_token: String,
    proxy_api: String,
}

impl World {
    /// Writes the config: the PBS scheduler (the cluster's shims on PATH), a service token
    /// with the admin role, and `job_command` as what each job runs.
    fn new(job_command: &[String]) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let (public_port, api_port) = (free_port(), free_port());
        // Fixed across restarts: running jobs report to the API URL they were given.
        let hub_port = free_port();
        let service_token = "5e7c1d9a".repeat(8);
        write_secret(&d.join("service_token"), &service_token);
        write_secret(&d.join("shared_password"), "the-shared-demo-password");
        let cmd: Vec<String> = job_command.iter().map(|w| format!("{w:?}")).collect();
        let config = format!(
            r#"
[hub]
bind_url = "http://127.0.0.1:{public_port}/"
hub_bind_url = "http://127.0.0.1:{hub_port}/"
db_url = "sqlite://{d}/hub.sqlite?mode=rwc"
cookie_secret_file = "{d}/cookie_secret"

[proxy]
command = [{proxy:?}, "--pid-file", "{d}/proxy.pid"]
api_url = "http://127.0.0.1:{api_port}/"
auth_token_file = "{d}/proxy_token"
check_interval = "1s"

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
            d = d.display(),
            proxy = bin("hub-proxy").display().to_string(),
            cmd = cmd.join(", "),
        );
        std::fs::write(d.join("hub.toml"), config).expect("config written");
        World {
            public: format!("http://127.0.0.1:{public_port}"),
            proxy_api: format!("http://127.0.0.1:{api_port}"),
            service_token,
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn start_hub(&self, cluster: &SimCluster) -> HubProcess {
        HubProcess::start(
            &self.path("hub.toml"),
            &cluster.bin_dir(),
            &self.path("hub.log"),
        )
    }

    /// The hub's log so far (for failure messages).
    fn log(&self) -> String {
        std::fs::read_to_string(self.path("hub.log")).unwrap_or_default()
    }

    /// An API call as the service; status and JSON body (Null when empty).
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let client = reqwest::Client::new();
        let mut request = client
            .request(method, format!("{}/hub/api{path}", self.public))
            .header("Authorization", format!("token {}", self.service_token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// The proxy's routes (its own API, with the hub's token).
    async fn routes(&self) -> Value {
        let token = std::fs::read_to_string(self.path("proxy_token")).expect("proxy token");
        let response = reqwest::Client::new()
            .get(format!("{}/api/routes", self.proxy_api))
            .header("Authorization", format!("token {}", token.trim()))
            .send()
            .await
            .expect("the proxy's API answers");
        response.json().await.expect("routes are JSON")
    }

    /// Waits until the hub answers through the proxy.
    async fn wait_up(&self) {
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
    async fn wait_ready(&self, user: &str) -> String {
        let what = format!("{user}'s server becomes ready");
        eventually(Duration::from_secs(90), &what, || async {
            let (_, body) = self
                .api(reqwest::Method::GET, &format!("/users/{user}"), None)
                .await;
            let server = body.pointer("/servers/")?;
            (server["ready"] == Value::Bool(true))
                .then(|| server["url"].as_str().unwrap_or("").to_string())
        })
        .await
    }

    /// The proxy's pid (it writes it to `proxy.pid`).
    fn proxy_pid(&self) -> nix::unistd::Pid {
        let text = std::fs::read_to_string(self.path("proxy.pid")).expect("proxy.pid");
        nix::unistd::Pid::from_raw(text.trim().parse().expect("a pid"))
    }

    /// Waits until every job has ended and none of `users` has a route left.
    async fn wait_all_ended(&self, cluster: &SimCluster, users: &[&str]) {
        eventually(
            Duration::from_secs(30),
            "every job ends and its route goes",
            || async {
                let ended = job_states(cluster).iter().all(|(_, state)| state == "F");
                let routes = self.routes().await;
                let unrouted = users
                    .iter()
                    .all(|user| routes.get(format!("/user/{user}")).is_none());
                (ended && unrouted).then_some(())
            },
        )
        .await;
    }

    /// Kills the proxy the hub left behind (a SIGKILLed hub cannot stop it).
    fn kill_proxy(&self) {
        if let Ok(text) = std::fs::read_to_string(self.path("proxy.pid")) {
            if let Ok(pid) = text.trim().parse::<i32>() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
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

/// A world with a 4-node cluster and its hub up, whose jobs run `job_command`.
async fn start(job_command: &[String]) -> (World, SimCluster, HubProcess) {
    let world = World::new(job_command);
    let cluster = SimCluster::start(world.dir.path(), 4);
    let hub = world.start_hub(&cluster);
    world.wait_up().await;
    (world, cluster, hub)
}

fn singleuser(delay_secs: u32) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_logs_in_submits_the_form_reaches_the_server_through_the_proxy_and_stops_it() {
    let (world, cluster, hub) = start(&singleuser(0)).await;
    let web = browser();
    let public = &world.public;

    // Log in through the proxy: the form's XSRF value, then the password.
    let page = web.get(format!("{public}/hub/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let xsrf = hidden_xsrf(&page.text().await.unwrap());
    let wrong = web
        .post(format!("{public}/hub/login"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("username", "alice"),
            ("password", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let login = web
        .post(format!("{public}/hub/login"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("username", "alice"),
            ("password", "the-shared-demo-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 302, "{}", world.log());
    assert_eq!(location(&login), "/hub/home");

    // The spawn form, then a bad value (named), then good ones.
    let form = web.get(format!("{public}/hub/spawn")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains(r#"name="ncpus""#), "{html}");
    let xsrf = hidden_xsrf(&html);
    let bad = web
        .post(format!("{public}/hub/spawn"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("ncpus", "9999"),
            ("mem", "4gb"),
            ("walltime", "01:00:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("ncpus"));
    assert!(
        job_states(&cluster).is_empty(),
        "nothing submitted for a bad form"
    );
    let spawn = web
        .post(format!("{public}/hub/spawn"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("ncpus", "2"),
            ("mem", "2gb"),
            ("walltime", "00:30:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(spawn.status(), 302, "{}", world.log());
    assert_eq!(location(&spawn), "/hub/spawn-pending/alice");
    let url = world.wait_ready("alice").await;

    // The job asked for what the form said.
    let jobs = cluster.jobs();
    let job = jobs.as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(job["Resource_List"]["ncpus"], 2, "{job}");
    assert_eq!(job["Resource_List"]["walltime"], "00:30:00", "{job}");

    // Through the proxy to the server in the job; another user is refused at the hub.
    let page = web.get(format!("{public}{url}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("batchhub built-in test server"));
    let other = web
        .get(format!("{public}/hub/user/bob/"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);

    // Stop from the home page's form.
    let home = web.get(format!("{public}/hub/home")).send().await.unwrap();
    let xsrf = hidden_xsrf(&home.text().await.unwrap());
    let stop = web
        .post(format!("{public}/hub/stop"))
        .form(&[("_xsrf", xsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(stop.status().is_redirection(), "stop: {}", stop.status());
    world.wait_all_ended(&cluster, &["alice"]).await;
    hub.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_through_the_api_is_reached_through_the_proxy_and_stopped() {
    let (world, cluster, hub) = start(&singleuser(0)).await;

    let (status, _) = world.api(reqwest::Method::POST, "/users/alice", None).await;
    assert_eq!(status, 201, "{}", world.log());
    let (status, _) = world
        .api(reqwest::Method::POST, "/users/alice/server", None)
        .await;
    assert!(
        status == 202 || status == 201,
        "start: {status}\n{}",
        world.log()
    );
    let url = world.wait_ready("alice").await;
    assert_eq!(url, "/user/alice/");

    // Through the proxy, to the built-in server in the job.
    let page = reqwest::get(format!("{}/user/alice/", world.public))
        .await
        .expect("the proxy answers")
        .text()
        .await
        .expect("a body");
    assert!(page.contains("batchhub built-in test server"), "{page}");
    let routes = world.routes().await;
    assert_eq!(routes["/user/alice"]["user"], "alice", "{routes}");

    // One job, running; stopping deletes it and its route.
    let jobs = job_states(&cluster);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].1, "R", "{jobs:?}");
    let (status, _) = world
        .api(reqwest::Method::DELETE, "/users/alice/server", None)
        .await;
    assert!(status == 204 || status == 202, "stop: {status}");
    world.wait_all_ended(&cluster, &["alice"]).await;
    hub.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_killed_mid_spawn_readopts_every_job_and_deletes_nothing() {
    // Servers take 4 s to report: the hub dies while they are starting.
    let (world, cluster, hub) = start(&singleuser(4)).await;
    let users = ["ann", "ben", "cat"];
    let (status, _) = world
        .api(
            reqwest::Method::POST,
            "/users",
            Some(serde_json::json!({"usernames": users})),
        )
        .await;
    assert_eq!(status, 201, "{}", world.log());
    for user in users {
        let (status, _) = world
            .api(
                reqwest::Method::POST,
                &format!("/users/{user}/server"),
                None,
            )
            .await;
        assert_eq!(status, 202, "{user}: {}", world.log());
    }
    // Every job submitted (the hub persisted each transition before acting on it).
    eventually(
        Duration::from_secs(30),
        "three jobs are running",
        || async {
            let jobs = job_states(&cluster);
            (jobs.len() == 3 && jobs.iter().all(|(_, s)| s == "R")).then_some(())
        },
    )
    .await;
    let before = job_states(&cluster);
    hub.kill9();

    // While the hub is down the servers come up and cannot report (they retry); the
    // restarted hub re-adopts the jobs, takes their reports and routes them.
    let mut hub = world.start_hub(&cluster);
    for user in users {
        let url = world.wait_ready(user).await;
        assert_eq!(url, format!("/user/{user}/"));
        let page = reqwest::get(format!("{}{url}", world.public))
            .await
            .expect("the proxy answers")
            .text()
            .await
            .expect("a body");
        assert!(
            page.contains("batchhub built-in test server"),
            "{user}: {page}"
        );
    }
    assert!(hub.running(), "the restarted hub is up");
    // Nothing resubmitted, nothing deleted: the same three jobs, still running.
    assert_eq!(job_states(&cluster), before, "{}", world.log());
    let log = world.log();
    assert!(!log.contains("cancelling"), "{log}");

    for user in users {
        world
            .api(
                reqwest::Method::DELETE,
                &format!("/users/{user}/server"),
                None,
            )
            .await;
    }
    world.wait_all_ended(&cluster, &users).await;
    hub.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_dies_is_started_again_and_given_back_its_routes() {
    let (world, cluster, hub) = start(&singleuser(0)).await;
    world.api(reqwest::Method::POST, "/users/dora", None).await;
    world
        .api(reqwest::Method::POST, "/users/dora/server", None)
        .await;
    let url = world.wait_ready("dora").await;
    let first = world.proxy_pid();
    nix::sys::signal::kill(first, nix::sys::signal::Signal::SIGKILL).unwrap();

    // A new proxy (a new pid), with the hub's route and dora's, serving her server.
    let page = eventually(
        Duration::from_secs(30),
        "dora's server answers again",
        || async {
            let response = reqwest::get(format!("{}{url}", world.public)).await.ok()?;
            let text = response.text().await.ok()?;
            text.contains("batchhub built-in test server")
                .then_some(text)
        },
    )
    .await;
    assert!(!page.is_empty());
    assert_ne!(world.proxy_pid(), first, "{}", world.log());
    let routes = world.routes().await;
    assert_eq!(routes["/user/dora"]["user"], "dora", "{routes}");
    assert!(routes.get("/").is_some(), "{routes}");
    // The same table through the hub's API (JupyterHub's `GET /hub/api/proxy`); a route
    // deleted behind the hub's back comes back with `POST /hub/api/proxy`.
    let (status, table) = world.api(reqwest::Method::GET, "/proxy", None).await;
    assert_eq!(status, 200);
    assert_eq!(table["/user/dora/"]["data"]["user"], "dora", "{table}");
    let token = std::fs::read_to_string(world.path("proxy_token")).unwrap();
    reqwest::Client::new()
        .delete(format!("{}/api/routes/user/dora", world.proxy_api))
        .header("Authorization", format!("token {}", token.trim()))
        .send()
        .await
        .unwrap();
    assert!(world.routes().await.get("/user/dora").is_none());
    let (status, _) = world.api(reqwest::Method::POST, "/proxy", None).await;
    assert_eq!(status, 200);
    assert_eq!(world.routes().await["/user/dora"]["user"], "dora");

    world
        .api(reqwest::Method::DELETE, "/users/dora/server", None)
        .await;
    world.wait_all_ended(&cluster, &["dora"]).await;
    hub.stop();
}
