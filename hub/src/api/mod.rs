//! The hub's REST API: the subset of JupyterHub's that `jupyterhub-singleuser`,
//! batchspawner's port report and `jupyterhub-idle-culler` use, served with axum.
//!
//! [`router`] builds the routes under `{base_url}hub/api` (plus `{base_url}hub/metrics`) from
//! an [`ApiState`]; serving them is the binary's job. Serve with
//! `into_make_service_with_connect_info::<SocketAddr>()` so the batchspawner report can
//! take the reporting server's host from the connection.
//!
//! Layout, one file per endpoint group: [`auth`] (tokens, callers, services' tokens),
//! `scopes` (the scope hierarchy), [`error`] (JupyterHub's JSON errors), `models` (user,
//! server and token JSON), `info` (`/api`, `/api/info`, `/api/user`), `users` (list, one
//! user, activity), `servers` (start, stop), `progress` (the SSE stream), `tokens`,
//! `batchspawner`, [`proxy`] (the routing table, reconcile now), `metrics` (Prometheus text
//! and the request counter), [`oauth`] (the OAuth2 token endpoint and what the authorize
//! page, in [`crate::web`], shares with it).

pub mod auth;
mod batchspawner;
pub mod error;
mod info;
mod metrics;
mod models;
pub mod oauth;
mod progress;
pub mod proxy;
mod scopes;
mod servers;
mod tokens;
mod users;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::HeaderValue;
use axum::routing::{delete, get, post};
use axum::Router;
use chrono::{DateTime, Utc};

use crate::control::ServerControl;
use crate::db::Db;

pub use auth::{ApiService, Caller, ServiceTokenError, Services};
pub use error::ApiError;

/// The hub's clock, injected so tests decide what time it is.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What the API needs from the rest of the hub besides the database and the spawner.
#[derive(Clone)]
pub struct ApiSettings {
    /// The public prefix, `/` or `/jupyter/` (always ends with `/`).
    pub base_url: String,
    /// Users that are admins by config (in addition to the database's flag).
    pub admin_users: BTreeSet<String>,
    /// The declared services and their tokens ([`Services::load`]).
    pub services: Services,
    /// The version reported by `GET /hub/api` (JupyterHub's version the API follows).
    pub version: String,
    /// What time it is.
    pub clock: Clock,
    /// The proxy, for `/hub/api/proxy`; `None`: that endpoint answers 503.
    pub proxy: Option<Arc<dyn proxy::ProxyAdmin>>,
    /// The key that signs the browser's session cookie ([`crate::session_cookie`]); with it
    /// the API accepts the cookie as its user (JupyterHub's rule: non-GET calls must send
    /// the session's XSRF token in `X-XSRFToken`). `None`: tokens only.
    pub cookie_secret: Option<Arc<[u8]>>,
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    db: Db,
    control: Arc<dyn ServerControl>,
    base_url: String,
    admin_users: Arc<BTreeSet<String>>,
    services: Arc<Services>,
    version: String,
    clock: Clock,
    cookie_secret: Option<Arc<[u8]>>,
    proxy: Option<Arc<dyn proxy::ProxyAdmin>>,
    metrics: Arc<metrics::Metrics>,
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSettings")
            .field("base_url", &self.base_url)
            .field("admin_users", &self.admin_users)
            .field("services", &self.services)
            .field("version", &self.version)
            .field("cookie_auth", &self.cookie_secret.is_some())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// The state for [`router`].
    pub fn new(db: Db, control: Arc<dyn ServerControl>, settings: ApiSettings) -> Self {
        let mut base_url = settings.base_url;
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        ApiState {
            db,
            control,
            base_url,
            admin_users: Arc::new(settings.admin_users),
            services: Arc::new(settings.services),
            version: settings.version,
            clock: settings.clock,
            cookie_secret: settings.cookie_secret,
            proxy: settings.proxy,
            metrics: Arc::new(metrics::Metrics::default()),
        }
    }

    /// Whether `user` is an admin, by config or by the database's flag.
    fn is_admin(&self, user: &crate::db::UserRecord) -> bool {
        user.admin || self.admin_users.contains(&user.name)
    }
}

/// The REST API's routes under `{base_url}hub/api`, and `{base_url}hub/metrics`.
pub fn router(state: ApiState) -> Router {
    let p = |path: &str| format!("{}hub{path}", state.base_url);
    let api = Router::new()
        .route(&p("/api"), get(info::version))
        .route(&p("/api/"), get(info::version))
        .route(&p("/api/info"), get(info::info))
        .route(&p("/api/user"), get(info::current_user))
        .route(&p("/api/users"), get(users::list).post(users::create_many))
        .route(&p("/api/users/{name}"), get(users::one).post(users::create))
        .route(&p("/api/users/{name}/activity"), post(users::activity))
        .route(
            &p("/api/users/{name}/server"),
            post(servers::start_default).delete(servers::stop_default),
        )
        .route(
            &p("/api/users/{name}/servers/{server}"),
            post(servers::start_named).delete(servers::stop_named),
        )
        .route(
            &p("/api/users/{name}/server/progress"),
            get(progress::default_server),
        )
        .route(
            &p("/api/users/{name}/servers/{server}/progress"),
            get(progress::named_server),
        )
        .route(
            &p("/api/users/{name}/tokens"),
            get(tokens::list).post(tokens::create),
        )
        .route(&p("/api/users/{name}/tokens/{id}"), delete(tokens::revoke))
        .route(&p("/api/batchspawner"), post(batchspawner::report))
        .route(&p("/api/proxy"), get(proxy::get).post(proxy::post))
        .route(&p("/api/oauth2/token"), post(oauth::token))
        .route(&p("/metrics"), get(metrics::exposition))
        .fallback(not_found);
    let version = HeaderValue::from_str(&state.version).ok();
    api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        metrics::count_requests,
    ))
    .layer(axum::middleware::map_response(
        move |mut response: axum::response::Response| {
            let version = version.clone();
            async move {
                if let Some(version) = version {
                    response
                        .headers_mut()
                        .insert("x-jupyterhub-version", version);
                }
                response
            }
        },
    ))
    .with_state(state)
}

/// JupyterHub answers unknown API paths with a JSON 404.
async fn not_found() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "Not Found")
}
