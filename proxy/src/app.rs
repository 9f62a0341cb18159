//! The application state every handler shares: configuration, the route store, the
//! upstream client, metrics, and the task tracker and token that shutdown drains.

use crate::body::Body;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::routes::RouteStore;
use crate::upstream::PinnedUpstream;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The pooled HTTP/1.1 client used for upstreams and the error target.
pub type UpstreamClient = Client<HttpConnector, Body>;

/// Shared state. Built once by [`crate::Proxy::bind`], shared as `Arc<App>`.
#[derive(Debug)]
pub struct App {
    /// The configuration.
    pub config: Config,
    /// The live routing table.
    pub routes: RouteStore,
    /// Counters and gauges.
    pub metrics: Metrics,
    /// Pooled keep-alive connections to upstreams.
    pub client: UpstreamClient,
    /// Every connection and relay task, so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Cancelled when shutdown starts.
    pub shutdown: CancellationToken,
}

impl App {
    /// State for `config` over `routes`.
    pub fn new(config: Config, routes: RouteStore) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.connect_timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.upstream_idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Self {
            config,
            routes,
            metrics: Metrics::default(),
            client,
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
        }
    }
}

/// What a handler knows about the client connection.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The client's address.
    pub remote: SocketAddr,
    /// Whether the client connected over TLS.
    pub tls: bool,
    /// The connection's own upstream connection (HTTP/1.1 on the public listener);
    /// `None` sends through the shared pool.
    pub upstream: Option<Arc<PinnedUpstream>>,
}
