//! `hub serve`: the config turned into a running hub — secrets, database, authenticator,
//! scheduler, proxy, spawner, HTTP server and the periodic upkeep — and its clean stop.
//!
//! Order at start: secrets (made 0600 if missing) → database (migrated) → authenticator →
//! scheduler (with `sim`, the simulated cluster starts in this process) → the hub's listener
//! (bound first, so its real port is known) → the proxy (reused if one answers with our
//! token, else started as a child when `proxy.should_start`) → the spawner, which re-adopts
//! every job the database knows and reconciles the proxy's routes → HTTP → upkeep.
//!
//! A stop leaves jobs running (they are re-adopted at the next start). `hub serve` leaves
//! the proxy running too, so a restart (SIGTERM, then a new hub) drops no route and no open
//! connection: the next hub adopts the proxy as it adopts one after a crash. `hub demo`
//! stops the proxy it started ([`ProxyAtStop`]).
//!
//! Layout: [`secrets`] (secret files), `scheduler` (the `Scheduler` the config names),
//! `proxy_process` (the proxy child), `settings` (config → the parts' settings), `upkeep`
//! (periodic work).

mod database;
mod proxy_process;
mod scheduler;
pub mod secrets;
mod settings;
mod upkeep;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{self, ApiState};
use crate::config::HubConfig;
use crate::db::Db;
use crate::proxy_client::ProxyClient;
use crate::spawning::{Clock, HubRoute, Spawning};
use crate::web::{self, WebState};

use self::proxy_process::{answers, socket_addr, ProxyChild, ProxyLaunch};
use self::scheduler::SimCluster;
use self::upkeep::ProxyCare;

pub use self::proxy_process::resolve_program;

/// The JupyterHub version whose REST API the hub follows (`GET /hub/api` and the
/// `X-JupyterHub-Version` header that `jupyterhub-singleuser` compares).
pub const JUPYTERHUB_API_VERSION: &str = "6.1.1";

/// How long a proxy route call keeps retrying while the proxy is unreachable
/// (JupyterHub: 30 s).
const PROXY_RETRY: Duration = Duration::from_secs(30);

/// What the command line adds to the config.
#[derive(Debug, Clone, Default)]
pub struct ServeExtras {
    /// Shown on the login page (the demo's login).
    pub login_hint: Option<String>,
}

/// `/hub/api/proxy`: the proxy's table through its client, reconciled by the spawner.
struct ProxyForApi {
    client: ProxyClient,
    spawning: Arc<Spawning>,
}

#[async_trait::async_trait]
impl api::proxy::ProxyAdmin for ProxyForApi {
    async fn routes(
        &self,
    ) -> Result<Vec<(String, String, serde_json::Map<String, serde_json::Value>)>, String> {
        let routes = self.client.routes().await.map_err(|e| e.to_string())?;
        Ok(routes
            .into_iter()
            .map(|(spec, route)| (spec, route.target, route.data))
            .collect())
    }

    async fn reconcile(&self) {
        self.spawning.reconcile_routes().await;
    }
}

/// What a stopping hub does with a proxy it started (one it adopted is never stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyAtStop {
    /// Leave it serving: users' routes and connections outlive the hub, and the next hub
    /// adopts it (`hub serve`: a restart must not cut users off their servers).
    Leave,
    /// Stop it with the hub (`hub demo`: Ctrl-C stops everything it started).
    Stop,
}

/// A running hub.
pub struct Hub {
    addr: SocketAddr,
    public_url: String,
    stop: CancellationToken,
    http: JoinHandle<std::io::Result<()>>,
    upkeep: JoinHandle<()>,
    spawning: Arc<Spawning>,
    proxy_child: Arc<Mutex<Option<ProxyChild>>>,
    sim: Option<SimCluster>,
    db: Db,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Starts everything `config` describes. Errors say which setting or part failed.
    pub async fn start(config: &HubConfig, extras: ServeExtras) -> anyhow::Result<Hub> {
        if config.hub.ssl_cert.is_some() || config.hub.ssl_key.is_some() {
            anyhow::bail!(
                "hub.ssl_cert/ssl_key: HTTPS on the hub's own listener is not built yet; \
                 keep hub_bind_url on loopback and give hub-proxy the certificate \
                 ([proxy] command = [\"hub-proxy\", \"--ssl-cert\", …, \"--ssl-key\", …])"
            );
        }
        let cookie_secret =
            secrets::read_or_create(&config.hub.cookie_secret_file, 32, "cookie secret")?;
        let proxy_token =
            secrets::read_or_create(&config.proxy.auth_token_file, 32, "proxy auth token")?;
        let db = database::open(&config.hub).await?;
        let authenticator = settings::authenticator(&config.auth)?;
        let services = api::Services::load(&config.services).context("[[services]]")?;
        let built = scheduler::build(config).await?;

        let hub_bind = socket_addr(&config.hub.hub_bind_url, "hub.hub_bind_url")?;
        let listener = tokio::net::TcpListener::bind(hub_bind)
            .await
            .with_context(|| format!("cannot listen on hub.hub_bind_url {hub_bind}"))?;
        let addr = listener.local_addr().context("the hub's listener")?;
        let hub_target = settings::hub_target(addr);
        let base_url = config.hub.base_url.as_str().to_string();

        for warning in crate::config::warnings(config) {
            tracing::warn!("{warning}");
        }
        let proxy_client = ProxyClient::with_ca_file(
            &config.proxy.api_url,
            Some(proxy_token.clone()),
            PROXY_RETRY,
            config.proxy.api_ca_file.as_deref(),
        )
        .context("proxy.api_ca_file")?;
        let launch = if config.proxy.should_start {
            Some(ProxyLaunch {
                command: config.proxy.command.clone(),
                public: socket_addr(&config.hub.bind_url, "hub.bind_url")?,
                api: socket_addr(&config.proxy.api_url, "proxy.api_url")?,
                default_target: hub_target.clone(),
                error_target: format!("{hub_target}{base_url}hub/error"),
                token: proxy_token.clone(),
                routes_file: None,
            })
        } else {
            None
        };
        let mut child = None;
        match &launch {
            Some(launch) if !answers(&proxy_client).await => {
                child = Some(launch.start(&proxy_client).await?);
            }
            Some(_) => {
                tracing::info!(api = %config.proxy.api_url, "a proxy already answers with our token; using it")
            }
            None => {
                if let Err(e) = proxy_client.ping().await {
                    tracing::warn!(
                        api = %config.proxy.api_url,
                        "the proxy does not answer yet ({e}); routes are added when it does"
                    )
                }
            }
        }
        let proxy_child = Arc::new(Mutex::new(child));

        let spawning_config = settings::spawning(config, addr, built.sim.as_ref())?;
        let clock = Clock::starting_at(Utc::now());
        let hub_route = HubRoute {
            spec: base_url.clone(),
            target: hub_target.clone(),
        };
        let spawning = Spawning::resume(
            db.clone(),
            built.scheduler.clone(),
            proxy_client.clone(),
            spawning_config,
            clock,
            Some(hub_route),
        )
        .await
        .context("re-adopting the servers in the database")?;
        let spawning = Arc::new(spawning);

        let api_clock: api::Clock = Arc::new(move || clock.now());
        let api_state = ApiState::new(
            db.clone(),
            spawning.clone(),
            api::ApiSettings {
                base_url: base_url.clone(),
                admin_users: config
                    .auth
                    .admin_users
                    .iter()
                    .map(|u| u.to_string())
                    .collect(),
                services,
                version: JUPYTERHUB_API_VERSION.to_string(),
                clock: api_clock.clone(),
                cookie_secret: Some(Arc::from(cookie_secret.as_bytes())),
                proxy: Some(Arc::new(ProxyForApi {
                    client: proxy_client.clone(),
                    spawning: spawning.clone(),
                })),
            },
        );
        let web_state = WebState::new(
            db.clone(),
            spawning.clone(),
            authenticator.clone(),
            settings::web(
                config,
                cookie_secret.as_bytes(),
                api_clock.clone(),
                authenticator.kind(),
                extras.login_hint,
            ),
        );
        let app = web::with_api(web_state, api::router(api_state));

        let stop = CancellationToken::new();
        let http = tokio::spawn({
            let stop = stop.clone();
            async move {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
            }
        });
        let upkeep = tokio::spawn(upkeep::run(
            db.clone(),
            spawning.clone(),
            ProxyCare {
                client: proxy_client,
                launch,
                child: proxy_child.clone(),
                check_interval: config.proxy.check_interval.get(),
            },
            api_clock,
            stop.clone(),
        ));
        let public_url = settings::public_url(&config.hub.bind_url, &base_url);
        tracing::info!(hub = %addr, public = %public_url, "the hub is up");
        Ok(Hub {
            addr,
            public_url,
            stop,
            http,
            upkeep,
            spawning,
            proxy_child,
            sim: built.sim,
            db,
        })
    }

    /// Where the hub's own HTTP server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL users open (through the proxy).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Stops every active server (cancelling its job) and waits up to `limit` for all of
    /// them to be stopped. For `hub demo` with a temporary data directory, whose jobs no
    /// later hub could re-adopt; a production stop leaves jobs running.
    pub async fn stop_all_servers(&self, limit: Duration) {
        use crate::control::ServerControl;
        let control: &dyn ServerControl = self.spawning.as_ref();
        let users = match self.db.list_users(0, u64::MAX).await {
            Ok(users) => users,
            Err(e) => {
                tracing::error!(error = %e, "cannot list users to stop their servers");
                return;
            }
        };
        let mut active = Vec::new();
        for user in &users {
            for server in control.servers(&user.name).await {
                if server.pending().is_some() || server.ready() {
                    if let Err(e) = control.stop(&user.name, &server.key.name).await {
                        tracing::warn!(server = %server.key, error = %e, "could not stop");
                    }
                    active.push(server.key);
                }
            }
        }
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            let mut left = 0;
            for key in &active {
                if let Some(view) = control.server(&key.user, &key.name).await {
                    if view.pending().is_some() || view.ready() {
                        left += 1;
                    }
                }
            }
            if left == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        tracing::warn!("some servers were still stopping when the wait ended");
    }

    /// Stops the hub: HTTP, upkeep, the spawner's poller, the simulated cluster's daemon,
    /// and, as `proxy` says, the proxy if the hub started it. Jobs keep running.
    pub async fn stop(self, proxy: ProxyAtStop) {
        self.stop.cancel();
        match self.http.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the HTTP server stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "the HTTP server's task failed"),
        }
        let _ = self.upkeep.await;
        match Arc::try_unwrap(self.spawning) {
            Ok(spawning) => spawning.shutdown().await,
            Err(_) => tracing::warn!("the spawner is still in use at shutdown"),
        }
        if let Some(sim) = self.sim {
            sim.stop().await;
        }
        let child = self.proxy_child.lock().await.take();
        match (child, proxy) {
            (Some(child), ProxyAtStop::Stop) => child.stop().await,
            (Some(child), ProxyAtStop::Leave) => {
                tracing::info!(pid = ?child.id(), "leaving the proxy running for the next hub");
            }
            (None, _) => {}
        }
        self.db.close().await;
        tracing::info!("the hub stopped");
    }
}
