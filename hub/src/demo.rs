//! `hub demo`: the whole product on one machine with nothing to install — hub-proxy, the
//! hub, and a simulated 2000-node PBS Pro cluster in the hub's process, whose jobs run
//! `hub-singleuser` as real local processes (Jupyter's own server when
//! `jupyterhub-singleuser` is installed, else the built-in test server), SQLite in a data
//! directory, and a shared-password login.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use drivers::UserName;

use crate::config::{AuthenticatorKind, HubConfig, HumanDuration, SchedulerKind};
use crate::serve::{resolve_program, secrets};

/// The demo's choices (its command-line flags).
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The public port (the proxy's); its route API listens on the next one.
    pub port: u16,
    /// Nodes of the simulated cluster.
    pub nodes: u32,
    /// Other users' jobs keeping the cluster busy (0.85 = 85% of the cores demanded).
    pub background_load: f64,
    /// Simulated seconds per real second.
    pub speedup: f64,
    /// Which notebook server the jobs run.
    pub notebook: Notebook,
}

/// The notebook server the demo's jobs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notebook {
    /// hub-singleuser's built-in test server: nothing to install, starts in milliseconds.
    #[default]
    Builtin,
    /// The real `jupyterhub-singleuser` from `PATH` (`pip install jupyterhub jupyterlab`).
    Jupyter,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            port: 8000,
            nodes: 2000,
            background_load: 0.85,
            speedup: 1.0,
            notebook: Notebook::Builtin,
        }
    }
}

/// How to log in to the demo.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// The admin user to suggest.
    pub user: String,
    /// The shared password (any user name is accepted with it).
    pub password: String,
}

/// The demo's admin user.
pub const DEMO_USER: &str = "demo";

/// The config the demo runs, with its files in `data_dir`: the shared password (made once,
/// kept 0600), the cookie secret and proxy token, the database and the cluster's journal.
pub fn demo_config(
    options: &DemoOptions,
    data_dir: &Path,
) -> anyhow::Result<(HubConfig, DemoLogin)> {
    let Some(api_port) = options.port.checked_add(1) else {
        bail!(
            "--port {} leaves no port for the proxy's API (port + 1)",
            options.port
        );
    };
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let data_dir = std::path::absolute(data_dir).context("the data directory")?;
    let password_file = data_dir.join("demo_password");
    // 16 random bytes as 32 hex characters: the printed login is copied, not typed.
    let password = secrets::read_or_create(&password_file, 16, "demo password")?;
    let singleuser = resolve_program("hub-singleuser");
    if !singleuser.is_file() {
        bail!(
            "hub-singleuser was not found beside {}; build it with `cargo build --release -p hub`",
            std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    let proxy = resolve_program("hub-proxy");
    if !proxy.is_file() {
        bail!(
            "hub-proxy was not found beside the hub's binary; build it with \
             `cargo build --release -p proxy` (or `cargo build --release -p hub -p proxy`)"
        );
    }

    let mut config = HubConfig::default();
    config.hub.bind_url = format!("http://127.0.0.1:{}/", options.port);
    // Any free port: the proxy learns it as its default target.
    config.hub.hub_bind_url = "http://127.0.0.1:0/".to_string();
    config.hub.db_url = format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("hub.sqlite").display()
    );
    // A demo data dir kept from an older release just works (its SQLite file is backed up).
    config.hub.upgrade_db = true;
    config.hub.cookie_secret_file = data_dir.join("cookie_secret");
    config.hub.allow_named_servers = true;
    config.proxy.command = vec![proxy.display().to_string()];
    config.proxy.api_url = format!("http://127.0.0.1:{api_port}/");
    config.proxy.auth_token_file = data_dir.join("proxy_token");
    config.auth.authenticator = AuthenticatorKind::SharedPassword;
    config.auth.shared_password_file = Some(password_file);
    config.auth.admin_users = vec![UserName::new(DEMO_USER).context("the demo user's name")?];
    config.spawner.scheduler = SchedulerKind::Sim;
    config.spawner.exec_prefix = Vec::new();
    config.spawner.cmd = vec![singleuser.display().to_string()];
    if options.notebook == Notebook::Builtin {
        config.spawner.cmd.push("--builtin".to_string());
    }
    config.spawner.poll_interval = HumanDuration::from_secs(2);
    config.spawner.http_timeout = HumanDuration::from_secs(120);
    config.sim.state_dir = data_dir.join("pbs-sim");
    config.sim.node_count = options.nodes;
    config.sim.background_load = options.background_load;
    config.sim.speedup = options.speedup;
    Ok((
        config,
        DemoLogin {
            user: DEMO_USER.to_string(),
            password,
        },
    ))
}

/// The directory the demo keeps its files in when none is given: a new temporary one.
pub fn temporary_data_dir() -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::Builder::new()
        .prefix("batchhub-demo-")
        .tempdir()
        .context("cannot create a temporary data directory")?;
    let path = dir.path().to_path_buf();
    Ok((dir, path))
}
