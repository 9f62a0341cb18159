//! `hub-proxy`: the public entry point of batchhub, a configurable-http-proxy (CHP)
//! compatible HTTP and WebSocket proxy. The real JupyterHub drives it unchanged (same
//! flags, same route API), and our hub drives it the same way.
//!
//! # Layout
//!
//! | module | holds |
//! |---|---|
//! | [`cli`] | the command line, CHP's flags → [`Config`] |
//! | [`config`] | every setting and tunable, each with its reason |
//! | [`routes`] | route keys and the live table: lock-free lookups, an ordered index for the API |
//! | [`api`] | the REST route API (`/api/routes…`) |
//! | [`forward`] | the data plane: match, rewrite, stream to the upstream and back |
//! | [`upstream`] | each HTTP/1.1 client connection's own upstream connection, same task |
//! | [`within`] | an optional time limit on a future, without growing it |
//! | [`websocket`] | upgrade relaying with no buffer held while idle |
//! | [`errors`] | what failed and who caused it → 404/502/503/504 |
//! | [`error_page`] | `--error-target`, `--error-path` or a built-in page |
//! | [`headers`] | hop-by-hop stripping, `X-Forwarded-*` |
//! | [`body`] | the one body type, relaying with activity tracking |
//! | [`server`] | accept loops, HTTP/1.1 and HTTP/2 connections, graceful drain |
//! | [`tls`] | rustls server configs with ALPN; certificates reloaded on SIGHUP and file change |
//! | [`redirect`] | `--redirect-port`: plain HTTP → `301 https://…`, the `Host` checked |
//! | [`hsts`] | `Strict-Transport-Security` on the public side's TLS answers |
//! | [`persist`] | `--routes-file`, written atomically in the background |
//! | [`metrics`] | Prometheus counters |
//! | [`time`] | CHP's ISO timestamps |
//!
//! # Use
//!
//! [`Proxy::bind`] binds every listener (port 0 picks a free one, which tests use) and
//! loads the routes file; [`Proxy::serve`] runs until its token is cancelled, then stops
//! accepting, lets in-flight requests finish (up to [`Config::shutdown_grace`]), writes the
//! routes file a last time and returns. `main.rs` only parses flags and wires signals.
//!
//! Proxied lookups are lock-free reads of a concurrent map ([`routes::store`]), so they
//! never wait for the API, however large the table or busy the API.
//!
//! # TLS
//!
//! The public side (`--ssl-cert/--ssl-key`) and the route API (`--api-ssl-cert/
//! --api-ssl-key`, for a hub on another host, optionally with client certificates from
//! `--api-ssl-ca`) each take their certificate from a [`tls::ReloadingCert`]: handshakes
//! read the current pair from an `ArcSwap`, and [`tls::Reloader`] swaps in a new one on
//! request ([`Proxy::reloader`]; `main.rs` asks on SIGHUP) or when the files change
//! (polled every [`Config::tls_reload_interval`]). Open connections keep their
//! certificate; a replacement that fails to load is logged and the old one stays. With TLS
//! the public side adds HSTS ([`hsts`]) and may redirect plain HTTP from
//! `--redirect-port` ([`redirect`]).

pub mod api;
pub mod app;
pub mod body;
pub mod cli;
pub mod config;
pub mod error_page;
pub mod errors;
pub mod forward;
pub mod headers;
pub mod hsts;
pub mod metrics;
pub mod persist;
pub mod redirect;
pub mod routes;
pub mod server;
pub mod time;
pub mod tls;
pub mod upstream;
pub mod websocket;
pub mod within;

pub use app::App;
pub use config::{BindAddr, Config, TlsFiles};

use body::Body;
use http::{header, HeaderValue, Response, StatusCode};
use routes::{Route, RouteData, RouteStore};
use server::{accept_loop, ListenerOptions};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener could not be bound.
    #[error("cannot listen for {what} on {host}:{port}")]
    Bind {
        /// "proxy", "API", "metrics" or "redirect".
        what: &'static str,
        /// The configured host.
        host: String,
        /// The configured port.
        port: u16,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// TLS files are unusable.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// A setting needs TLS that is not configured.
    #[error("{0} needs TLS on the public listener (--ssl-key and --ssl-cert)")]
    NeedsTls(&'static str),
    /// Client certificates asked for on an API without TLS.
    #[error("--api-ssl-ca needs TLS on the API listener (--api-ssl-key and --api-ssl-cert)")]
    ClientAuthNeedsApiTls,
    /// The routes file is unreadable.
    #[error(transparent)]
    RoutesFile(#[from] persist::LoadError),
    /// `--default-target` is not a usable target.
    #[error("--default-target")]
    DefaultTarget(#[source] routes::route::RouteError),
}

/// A proxy with its listeners bound, ready to [`serve`](Proxy::serve).
#[derive(Debug)]
pub struct Proxy {
    app: Arc<App>,
    proxy: TcpListener,
    api: TcpListener,
    metrics: Option<TcpListener>,
    redirect: Option<TcpListener>,
    tls: Option<Arc<rustls::ServerConfig>>,
    api_tls: Option<Arc<rustls::ServerConfig>>,
    reloader: tls::Reloader,
}

async fn bind(what: &'static str, addr: &BindAddr) -> Result<TcpListener, StartError> {
    let host = match addr.host.as_str() {
        "" | "*" => "0.0.0.0",
        h => h.trim_start_matches('[').trim_end_matches(']'),
    };
    TcpListener::bind((host, addr.port))
        .await
        .map_err(|source| StartError::Bind {
            what,
            host: addr.host.clone(),
            port: addr.port,
            source,
        })
}

impl Proxy {
    /// Loads the routes file, installs `--default-target` and binds every listener.
    pub async fn bind(config: Config) -> Result<Self, StartError> {
        let saved = match &config.routes_file {
            Some(path) => persist::load(path)?,
            None => Vec::new(),
        };
        let store = RouteStore::with_routes(saved);
        if let Some(target) = &config.default_target {
            let mut data = RouteData::new();
            data.insert("target".into(), target.clone().into());
            let route = Route::new(data, time::now_millis()).map_err(StartError::DefaultTarget)?;
            store.add("/", route);
        }
        if config.tls.is_none() && config.redirect_port.is_some() {
            return Err(StartError::NeedsTls("--redirect-port"));
        }
        if config.api_tls.is_none() && config.api_client_auth.is_some() {
            return Err(StartError::ClientAuthNeedsApiTls);
        }
        let mut certs = Vec::new();
        let tls = match &config.tls {
            Some(files) => {
                let cert = tls::ReloadingCert::load("proxy", files.clone())?;
                certs.push(Arc::clone(&cert));
                Some(tls::server_config(cert, None)?)
            }
            None => None,
        };
        let api_tls = match &config.api_tls {
            Some(files) => {
                let cert = tls::ReloadingCert::load("API", files.clone())?;
                certs.push(Arc::clone(&cert));
                Some(tls::server_config(cert, config.api_client_auth.as_ref())?)
            }
            None => None,
        };
        let proxy = bind("proxy", &config.proxy_bind).await?;
        let api = bind("API", &config.api_bind).await?;
        let metrics = match &config.metrics_bind {
            Some(addr) => Some(bind("metrics", addr).await?),
            None => None,
        };
        let redirect = match config.redirect_port {
            Some(port) => {
                let addr = BindAddr {
                    host: config.proxy_bind.host.clone(),
                    port,
                };
                Some(bind("redirect", &addr).await?)
            }
            None => None,
        };
        Ok(Self {
            app: Arc::new(App::new(config, store)),
            proxy,
            api,
            metrics,
            redirect,
            tls,
            api_tls,
            reloader: tls::Reloader::new(certs),
        })
    }

    /// A handle that reloads the TLS certificates now (`main.rs` calls it on SIGHUP).
    pub fn reloader(&self) -> tls::Reloader {
        self.reloader.clone()
    }

    /// The public listener's address.
    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy
            .local_addr()
            .expect("bound listener has an address")
    }

    /// The API listener's address.
    pub fn api_addr(&self) -> SocketAddr {
        self.api
            .local_addr()
            .expect("bound listener has an address")
    }

    /// The redirect listener's address (`--redirect-port`), if enabled.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        self.redirect
            .as_ref()
            .map(|l| l.local_addr().expect("bound listener has an address"))
    }

    /// Whether the route API is served over TLS.
    pub fn api_is_tls(&self) -> bool {
        self.api_tls.is_some()
    }

    /// The metrics listener's address, if enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .map(|l| l.local_addr().expect("bound listener has an address"))
    }

    /// The shared state (route store, metrics), for embedding and tests.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Serves until `shutdown` is cancelled, then drains and returns.
    pub async fn serve(self, shutdown: CancellationToken) {
        let Self {
            app,
            proxy,
            api,
            metrics,
            redirect,
            tls,
            api_tls,
            reloader,
        } = self;
        let force = CancellationToken::new();
        let keep_alive = app.config.keep_alive_timeout;
        let mut loops = tokio::task::JoinSet::new();
        if let Some(listener) = redirect {
            let port = app
                .config
                .redirect_to
                .unwrap_or_else(|| proxy.local_addr().map_or(443, |a| a.port()));
            let opts = ListenerOptions {
                tls: None,
                keep_alive_timeout: keep_alive,
                pin_upstream: false,
            };
            loops.spawn(accept_loop(
                Arc::clone(&app),
                listener,
                opts,
                force.clone(),
                move |req, _| async move { Ok::<_, Infallible>(redirect::respond(&req, port)) },
            ));
        }
        {
            let a = Arc::clone(&app);
            // Only answers that went over TLS carry HSTS.
            let hsts = tls.as_ref().and_then(|_| hsts::value(&app.config));
            let opts = ListenerOptions {
                tls,
                keep_alive_timeout: keep_alive,
                pin_upstream: true,
            };
            loops.spawn(accept_loop(
                Arc::clone(&app),
                proxy,
                opts,
                force.clone(),
                move |req, conn| {
                    let reply = forward::handle(Arc::clone(&a), req, conn);
                    let hsts = hsts.clone();
                    async move {
                        let mut res = reply.await?;
                        if let Some(value) = &hsts {
                            hsts::add(res.headers_mut(), value);
                        }
                        Ok::<_, forward::DropConnection>(res)
                    }
                },
            ));
        }
        {
            let a = Arc::clone(&app);
            let opts = ListenerOptions {
                tls: api_tls,
                keep_alive_timeout: keep_alive,
                pin_upstream: false,
            };
            loops.spawn(accept_loop(
                Arc::clone(&app),
                api,
                opts,
                force.clone(),
                move |req, _| api::handle(Arc::clone(&a), req),
            ));
        }
        if let Some(listener) = metrics {
            let a = Arc::clone(&app);
            let opts = ListenerOptions {
                tls: None,
                keep_alive_timeout: keep_alive,
                pin_upstream: false,
            };
            loops.spawn(accept_loop(
                Arc::clone(&app),
                listener,
                opts,
                force.clone(),
                move |req, _| {
                    let a = Arc::clone(&a);
                    async move { Ok::<_, Infallible>(metrics_response(&a, req.uri().path())) }
                },
            ));
        }
        if !reloader.is_empty() {
            let interval = app.config.tls_reload_interval;
            tokio::spawn(reloader.run(interval, app.shutdown.clone()));
        }
        let persister = app
            .config
            .routes_file
            .clone()
            .map(|path| tokio::spawn(persist::run(Arc::clone(&app), path)));

        shutdown.cancelled().await;
        tracing::info!("Shutting down: draining connections");
        app.shutdown.cancel();
        while loops.join_next().await.is_some() {}
        app.tasks.close();
        if tokio::time::timeout(app.config.shutdown_grace, app.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("Grace period over; closing remaining connections");
            force.cancel();
            app.tasks.wait().await;
        }
        if let Some(p) = persister {
            let _ = p.await;
        }
        tracing::info!("Stopped");
    }
}

fn metrics_response(app: &App, path: &str) -> Response<Body> {
    if path != "/metrics" {
        let mut res = Response::new(Body::Empty);
        *res.status_mut() = StatusCode::NOT_FOUND;
        return res;
    }
    let mut res = Response::new(Body::full(app.metrics.render(app.routes.len())));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    res
}
