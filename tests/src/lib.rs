//! Cross-crate end-to-end tests: real processes on `127.0.0.1` — hub-proxy, the hub,
//! `pbs-sim serve`, the real `jupyterhub-singleuser`, PAM, Chromium, Slurm.
//!
//! This library holds what the tests share: finding the workspace's binaries, free ports,
//! a `pbs-sim serve` cluster with its shims, and a `hub serve` process. Tests that need a
//! peer are `#[ignore]`d with the reason in their name; `.ci/run` runs them with
//! `--include-ignored`.

pub mod accounts;
pub mod chrome;
pub mod hub_client;
pub mod jupyter;
pub mod pbs_hub;
pub mod real_hub;
pub mod slurm;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A binary of the workspace, built by `cargo test --workspace` (or `cargo build`).
pub fn bin(name: &str) -> PathBuf {
    let path = assert_cmd::cargo::cargo_bin(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build --workspace --bins` (or `cargo test --workspace`)",
        path.display()
    );
    path
}

/// A port nothing listens on now, never handed out before in this process, for a peer to
/// bind later.
///
/// Not the kernel's `:0` choice: that comes from the ephemeral range, which the tests' own
/// outgoing connections draw from too, and a port just released comes back soon — two
/// tests running side by side were given the same one. Instead a random port below the
/// ephemeral range (20000–32767), checked free and remembered. Another process could still
/// take it before the peer binds, which the tests accept on a test machine.
pub fn free_port() -> u16 {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    const FIRST: u16 = 20000;
    const COUNT: u32 = 12768;
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    // A cheap random start (no rand dependency): the clock's nanoseconds and our pid.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let start = nanos.wrapping_mul(2_654_435_761) ^ std::process::id().wrapping_mul(40_503);
    for i in 0..COUNT {
        let port = FIRST + ((start.wrapping_add(i.wrapping_mul(7919))) % COUNT) as u16;
        if given.contains(&port) {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
    }
    panic!("no free port in {FIRST}..{}", u32::from(FIRST) + COUNT);
}

/// Polls `check` every 100 ms until it gives `Some`, or panics after `limit` saying `what`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually_explained(limit, what, check, String::new).await
}

/// [`eventually`], adding `context()` (read when the time is up: a log, the last answer) to
/// the panic message, so a timeout says what the system was doing.
pub async fn eventually_explained<T, F, Fut>(
    limit: Duration,
    what: &str,
    mut check: F,
    context: impl FnOnce() -> String,
) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {limit:?}: {what}\n{}", context());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of the hidden `_xsrf` input of a page.
pub fn hidden_xsrf(html: &str) -> String {
    let at = html
        .find(r#"name="_xsrf" value=""#)
        .unwrap_or_else(|| panic!("no _xsrf field in:\n{html}"));
    let rest = &html[at + r#"name="_xsrf" value=""#.len()..];
    rest[..rest.find('"').expect("a closing quote")].to_string()
}

/// A `pbs-sim serve` daemon (a small simulated PBS Pro cluster) in `dir`, its shims in
/// `dir/bin`; stopped with SIGTERM when dropped.
#[derive(Debug)]
pub struct SimCluster {
    dir: PathBuf,
    daemon: Child,
}

impl SimCluster {
    /// Starts a cluster of `nodes` nodes.
    pub fn start(dir: &Path, nodes: u32) -> SimCluster {
        SimCluster::start_with(dir, nodes, &bin("pbs-sim"))
    }

    /// Starts a cluster of `nodes` nodes with the `pbs-sim` binary at `exe` (a copy that
    /// the jobs' owners can run: the shims and the job runner execute it).
    pub fn start_with(dir: &Path, nodes: u32, exe: &Path) -> SimCluster {
        let socket = dir.join("pbs-sim.sock");
        let status = Command::new(exe)
            .current_dir(dir)
            .args(["install-shims", "bin", "--socket"])
            .arg(&socket)
            .status()
            .expect("pbs-sim install-shims runs");
        assert!(status.success(), "pbs-sim install-shims failed");
        let log = std::fs::File::create(dir.join("pbs-sim.log")).expect("log file");
        let daemon = Command::new(exe)
            .current_dir(dir)
            .arg("serve")
            .arg("--socket")
            .arg(&socket)
            .arg("--state-dir")
            .arg(dir.join("state"))
            .args(["--node-count", &nodes.to_string(), "--kill-delay", "1"])
            .args(["--exit-delay", "0"])
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("pbs-sim serve starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(Instant::now() < deadline, "pbs-sim serve did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        SimCluster {
            dir: dir.to_path_buf(),
            daemon,
        }
    }

    /// The directory holding `qsub`, `qstat`, `qdel` and `pbsnodes`.
    pub fn bin_dir(&self) -> PathBuf {
        self.dir.join("bin")
    }

    /// Runs a PBS command (`qstat`, …) through the shims; its stdout.
    pub fn run(&self, command: &str, args: &[&str]) -> String {
        let out = Command::new(self.bin_dir().join(command))
            .args(args)
            .env("TZ", "UTC")
            .output()
            .expect("a shim runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `qstat -x -f -F json` of every job, as JSON.
    pub fn jobs(&self) -> serde_json::Value {
        let text = self.run("qstat", &["-x", "-f", "-F", "json"]);
        let parsed: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("qstat -x -f -F json is not JSON ({e}): {text}"));
        parsed
            .get("Jobs")
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}))
    }
}

impl SimCluster {
    /// The ids of the jobs not finished, or `None` when `qstat` cannot be asked (its shim
    /// gone with a removed directory, say). Never panics: [`Drop`] uses it.
    fn unfinished_jobs(&self) -> Option<Vec<String>> {
        let out = Command::new(self.bin_dir().join("qstat"))
            .args(["-x", "-f", "-F", "json"])
            .env("TZ", "UTC")
            .output()
            .ok()?;
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let Some(jobs) = doc.get("Jobs").and_then(|j| j.as_object()) else {
            return Some(Vec::new());
        };
        Some(
            jobs.iter()
                .filter(|(_, job)| job["job_state"].as_str() != Some("F"))
                .map(|(id, _)| id.clone())
                .collect(),
        )
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        // A failed test leaves its jobs running, and their processes outlive the daemon (as
        // a real cluster's jobs outlive a restart of its server): delete them first. This
        // runs while a failed test unwinds too, so nothing here may panic.
        if let Some(running) = self.unfinished_jobs().filter(|r| !r.is_empty()) {
            for id in &running {
                let _ = Command::new(self.bin_dir().join("qdel"))
                    .args(["-W", "force", id])
                    .env("TZ", "UTC")
                    .output();
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && self.unfinished_jobs().is_some_and(|r| !r.is_empty())
            {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        terminate(&mut self.daemon);
        // A failed test's cluster is removed with its directory: show what its daemon said
        // (a job it could not start, a refused command).
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.dir.join("pbs-sim.log")).unwrap_or_default();
            eprintln!("--- pbs-sim log ({}):\n{log}", self.dir.display());
            let spool = std::fs::read_dir(self.dir.join("state/spool"))
                .into_iter()
                .flatten();
            for entry in spool.flatten() {
                let path = entry.path().join("wrapper.log");
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                eprintln!("--- {}:\n{text}", path.display());
            }
        }
    }
}

/// The `[hub]` and `[proxy]` sections of a test hub's config: everything in `dir` (SQLite
/// database, cookie secret, proxy token, the proxy's pid file), the workspace's `hub-proxy`,
/// public and API ports on 127.0.0.1, the public side under `base` (`/` or `/jupyterhub/`).
pub fn hub_and_proxy_config(dir: &Path, ports: (u16, u16, u16), base: &str) -> String {
    let (public_port, hub_port, api_port) = ports;
    let d = dir.display();
    let proxy = bin("hub-proxy").display().to_string();
    let base_line = if base == "/" {
        String::new()
    } else {
        format!("base_url = \"{base}\"\n")
    };
    format!(
        r#"
[hub]
bind_url = "http://127.0.0.1:{public_port}{base}"
{base_line}hub_bind_url = "http://127.0.0.1:{hub_port}/"
db_url = "sqlite://{d}/hub.sqlite?mode=rwc"
cookie_secret_file = "{d}/cookie_secret"

[proxy]
command = [{proxy:?}, "--pid-file", "{d}/proxy.pid"]
api_url = "http://127.0.0.1:{api_port}/"
auth_token_file = "{d}/proxy_token"
check_interval = "1s"
"#
    )
}

/// SIGTERM, then SIGKILL after 5 s.
pub fn terminate(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A `hub serve` process over a config file; killed when dropped.
#[derive(Debug)]
pub struct HubProcess {
    child: Child,
}

impl HubProcess {
    /// Starts `hub serve -f config` with `path_prefix` first on `PATH` (the cluster's
    /// shims), its log appended to `log`.
    pub fn start(config: &Path, path_prefix: &Path, log: &Path) -> HubProcess {
        let path = format!(
            "{}:{}",
            path_prefix.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        HubProcess::start_with_env(config, log, &[("PATH".to_string(), path)])
    }

    /// Starts `hub serve -f config` with `env` added to this process's environment (a
    /// Slurm cluster's `SLURM_CONF`), its log appended to `log`.
    pub fn start_with_env(config: &Path, log: &Path, env: &[(String, String)]) -> HubProcess {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let child = Command::new(bin("hub"))
            .arg("serve")
            .arg("-f")
            .arg(config)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("hub serve starts");
        HubProcess { child }
    }

    /// Kills it with SIGKILL, as a crash or the OOM killer would.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it with SIGTERM.
    pub fn stop(mut self) {
        terminate(&mut self.child);
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (they are checked).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// A response's `Location` header ("" if none).
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Writes a secret file, mode 0600 (the hub refuses secrets others can read).
pub fn write_secret(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("secret written");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// Job ids and states (`job_state`) of every job the cluster knows, history included.
pub fn job_states(cluster: &SimCluster) -> Vec<(String, String)> {
    let jobs = cluster.jobs();
    let mut found: Vec<(String, String)> = jobs
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(id, job)| {
                    (
                        id.clone(),
                        job["job_state"].as_str().unwrap_or("?").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}
