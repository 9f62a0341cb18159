//! The proxy: started as a child process (`proxy.should_start`, as JupyterHub starts
//! configurable-http-proxy), or one already running at `proxy.api_url`.
//!
//! A proxy that already answers with our token is used as it is, even when the hub was told
//! to start one: it is the one a previous hub started (a hub stopped by `hub serve`'s SIGTERM
//! or killed with SIGKILL leaves its child running, and users' connections with it). The hub
//! stops only a proxy it started, and only when told to (`hub demo`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use http::Uri;
use tokio::process::{Child, Command};

use crate::proxy_client::ProxyClient;

/// How the hub starts its proxy.
#[derive(Debug, Clone)]
pub(crate) struct ProxyLaunch {
    /// The program and its fixed arguments (`proxy.command`).
    pub command: Vec<String>,
    /// The public address (`hub.bind_url`).
    pub public: SocketAddr,
    /// The route API's address (`proxy.api_url`).
    pub api: SocketAddr,
    /// Where unrouted requests go: the hub (`http://127.0.0.1:8081`).
    pub default_target: String,
    /// Where the proxy asks for error pages (`{hub}{base_url}hub/error`).
    pub error_target: String,
    /// The token for the route API.
    pub token: String,
    /// The file the proxy keeps its routes in across its own restarts.
    pub routes_file: Option<PathBuf>,
}

/// A proxy the hub started.
#[derive(Debug)]
pub(crate) struct ProxyChild {
    child: Child,
}

/// `host:port` of an `http://host:port/…` URL, resolved.
pub(crate) fn socket_addr(url: &str, what: &str) -> anyhow::Result<SocketAddr> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("{what} {url:?} is not a URL"))?;
    let host = uri
        .host()
        .with_context(|| format!("{what} {url:?} names no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    use std::net::ToSocketAddrs;
    (host, port)
        .to_socket_addrs()
        .with_context(|| format!("{what} {url:?}: cannot resolve {host}"))?
        .next()
        .with_context(|| format!("{what} {url:?}: {host} has no address"))
}

/// Whether a proxy answers at `client`'s API with our token.
pub(crate) async fn answers(client: &ProxyClient) -> bool {
    client.ping().await.is_ok()
}

impl ProxyLaunch {
    /// Starts the proxy and waits (up to 30 s) until its API answers.
    pub async fn start(&self, client: &ProxyClient) -> anyhow::Result<ProxyChild> {
        let Some((program, fixed)) = self.command.split_first() else {
            bail!("proxy.command is empty");
        };
        let program = resolve_program(program);
        let mut command = Command::new(&program);
        command
            .args(fixed)
            .arg("--ip")
            .arg(self.public.ip().to_string())
            .arg("--port")
            .arg(self.public.port().to_string())
            .arg("--api-ip")
            .arg(self.api.ip().to_string())
            .arg("--api-port")
            .arg(self.api.port().to_string())
            .arg("--default-target")
            .arg(&self.default_target)
            .arg("--error-target")
            .arg(&self.error_target)
            .env("CONFIGPROXY_AUTH_TOKEN", &self.token)
            // Its own process group: a Ctrl-C in the hub's terminal is the hub's to handle;
            // the hub stops its proxy itself, or leaves it serving if it dies.
            .process_group(0)
            .kill_on_drop(false);
        if let Some(file) = &self.routes_file {
            command.arg("--routes-file").arg(file);
        }
        tracing::info!(program = %program.display(), public = %self.public, api = %self.api, "starting the proxy");
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start the proxy `{}`", program.display()))?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().context("waiting for the proxy")? {
                bail!(
                    "the proxy `{}` exited at start ({status}); is {} or {} in use?",
                    program.display(),
                    self.public,
                    self.api
                );
            }
            if answers(client).await {
                return Ok(ProxyChild { child });
            }
            if tokio::time::Instant::now() > deadline {
                let _ = child.start_kill();
                bail!("the proxy's API did not answer at {} within 30 s", self.api);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl ProxyChild {
    /// Its process id, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Whether it has exited (then it is reaped).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops it: SIGTERM, then SIGKILL after 5 s.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let pid = nix::unistd::Pid::from_raw(pid as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
                .await
                .is_ok()
            {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}

/// A bare program name is looked for beside the hub's own binary first (a release
/// directory holds `hub`, `hub-proxy` and `hub-singleuser` together), then on `PATH`.
pub fn resolve_program(name: &str) -> PathBuf {
    if name.contains('/') {
        return PathBuf::from(name);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .filter(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}
