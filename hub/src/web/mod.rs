//! The hub's web pages, at JupyterHub's URLs: login and logout, home with one card per
//! server, the spawn form, the pending page with live progress, the admin page, the "your
//! server is not running" page, and error pages.
//!
//! [`router`] builds the routes from a [`WebState`]; [`with_api`] merges them with
//! [`crate::api::router`] (the two share no path) and answers unknown paths as JupyterHub
//! does: a JSON 404 under `{base}hub/api/`, an HTML 404 page elsewhere. [`router`] alone has
//! no fallback, so `router(web).merge(api)` also works (the API's JSON 404 then answers
//! every unknown path). Serve with
//! `into_make_service_with_connect_info::<SocketAddr>()`: login rate limiting counts failures
//! per client address.
//!
//! Routes (`{base}` is the base URL, `/` or `/jupyter/`):
//! - `GET {base}`, `{base}hub`, `{base}hub/` — to home when logged in, else to login.
//! - `GET|POST {base}hub/login?next=` — the form; pre-login XSRF is a signed double-submit
//!   cookie; failures are rate limited per user name and per client address.
//! - `GET {base}hub/logout` — also revokes the OAuth tokens issued in the session.
//! - `GET|POST {base}hub/api/oauth2/authorize` — the OAuth2 authorization page
//!   notebook servers send the browser to (`oauth`).
//! - `GET {base}hub/home` — the user's servers as cards, with start, stop and progress.
//! - `GET|POST {base}hub/spawn`, `{base}hub/spawn/{user}`, `{base}hub/spawn/{user}/{server}`
//!   — the spawn form (JupyterHub's paths; only for one's own servers).
//! - `GET {base}hub/spawn-pending/{user}[/{server}]` — progress, live through the API's
//!   progress stream, refreshed without JavaScript.
//! - `POST {base}hub/stop[/{server}]` — stop one's own server (form with `_xsrf`).
//! - `POST {base}hub/relaunch[/{server}]` — start a stopped or failed server again with the
//!   options of its last run.
//! - `POST {base}hub/new-server` — check a new named server's name, then to its spawn form.
//! - `GET {base}hub/output/{user}[/{server}]` — the end of the job's output (owner or admin;
//!   404 to anyone else).
//! - `GET {base}hub/admin[?q=&state=&offset=]`, `POST {base}hub/admin/stop/{user}[/{server}]`
//!   — admins only: the cluster summary, users filtered by name and server state.
//! - `GET {base}hub/error/{code}?url=` — hub-proxy's `--error-target`: "your server is not
//!   running" with a Start link for a user URL, a generic page otherwise; no login needed.
//! - `GET {base}hub/static/batchhub.css`, `…/pending.js` — the only style and script (the
//!   Content-Security-Policy forbids inline ones).
//! - `GET {base}hub/user/{name}[/…]`, `{base}user/{name}[/…]` — a user URL that reached the
//!   hub: to the server when ready (with a `redirects=N` loop guard), to the pending page
//!   while it starts, else the "not running" page (424).
//!
//! Every page is rendered by [`maud`] (escaped by construction); every POST form carries the
//! session's XSRF token; every response carries a Content-Security-Policy and
//! `X-Content-Type-Options: nosniff` (`headers`). Layout: `session` (who is logged in, the login redirect), `login`
//! (login, logout, rate limiting, `next` checking, groups), `pages` (home, output, admin),
//! `spawn` (form, pending page, stop, relaunch), `user_url` (user URLs reaching the hub),
//! `error_target` (the proxy's error pages), `templates` (the HTML, one file per page),
//! `assets` (style and script), `headers` (security headers), `error` (error pages), `ratelimit` and `groups` (pure helpers).

mod assets;
mod error;
mod error_target;
mod groups;
mod headers;
mod login;
mod oauth;
mod pages;
mod ratelimit;
mod session;
mod spawn;
mod templates;
mod user_url;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::api::Clock;
use crate::auth::Authenticator;
use crate::control::ServerControl;
use crate::db::Db;
use crate::form::FormConfig;
use crate::spawner::SchedulerTerms;

pub use error::WebError;

/// What the pages need from the config besides the database, the spawner and the
/// authenticator.
#[derive(Clone)]
pub struct WebSettings {
    /// The public prefix, `/` or `/jupyter/` (ends with `/`).
    pub base_url: String,
    /// Users that are admins by config (in addition to the database's flag).
    pub admin_users: BTreeSet<String>,
    /// Users allowed to log in; empty means anyone who authenticates (and passes groups).
    pub allowed_users: BTreeSet<String>,
    /// Unix groups allowed to log in; empty means no group check, else the user must be in
    /// one (primary or supplementary).
    pub allowed_groups: BTreeSet<String>,
    /// The spawn form.
    pub form: FormConfig,
    /// The scheduler's words for queues and time limits.
    pub terms: SchedulerTerms,
    /// The key that signs cookies (HMAC-SHA256); at least 32 bytes.
    pub cookie_secret: Vec<u8>,
    /// Mark cookies `Secure` (the hub is served over HTTPS).
    pub secure_cookies: bool,
    /// How long a login lasts (default 14 days, JupyterHub's `cookie_max_age_days`).
    pub session_lifetime: Duration,
    /// Failed logins allowed per user name and per client address within the window.
    pub max_failed_logins: u32,
    /// The window failed logins are counted in.
    pub failed_login_window: Duration,
    /// What time it is.
    pub clock: Clock,
    /// The authenticator's kind, shown on the login page.
    pub authenticator_kind: &'static str,
    /// A hint shown on the login page when set (the demo's "log in as demo / <password>").
    pub login_hint: Option<String>,
}

impl WebSettings {
    /// JupyterHub's default session lifetime: 14 days.
    pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("base_url", &self.base_url)
            .field("admin_users", &self.admin_users)
            .field("allowed_users", &self.allowed_users)
            .field("allowed_groups", &self.allowed_groups)
            .field("terms", &self.terms)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_lifetime", &self.session_lifetime)
            .field("max_failed_logins", &self.max_failed_logins)
            .field("failed_login_window", &self.failed_login_window)
            .field("authenticator_kind", &self.authenticator_kind)
            .finish_non_exhaustive()
    }
}

/// Everything a page handler needs; cheap to clone.
#[derive(Clone)]
pub struct WebState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    control: Arc<dyn ServerControl>,
    authenticator: Arc<dyn Authenticator>,
    settings: WebSettings,
    limiter: Mutex<ratelimit::Limiter>,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl WebState {
    /// The state for [`router`]. A `base_url` without its final `/` gets one.
    ///
    /// # Panics
    /// If the cookie secret is shorter than 32 bytes: signing with it would be guessable.
    pub fn new(
        db: Db,
        control: Arc<dyn ServerControl>,
        authenticator: Arc<dyn Authenticator>,
        mut settings: WebSettings,
    ) -> Self {
        assert!(
            settings.cookie_secret.len() >= 32,
            "the cookie secret must be at least 32 bytes"
        );
        if !settings.base_url.ends_with('/') {
            settings.base_url.push('/');
        }
        let limiter = ratelimit::Limiter::new(
            settings.max_failed_logins,
            chrono::Duration::from_std(settings.failed_login_window)
                .unwrap_or(chrono::Duration::MAX),
        );
        WebState {
            inner: Arc::new(Inner {
                db,
                control,
                authenticator,
                settings,
                limiter: Mutex::new(limiter),
            }),
        }
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    fn control(&self) -> &dyn ServerControl {
        self.inner.control.as_ref()
    }

    fn settings(&self) -> &WebSettings {
        &self.inner.settings
    }

    fn base(&self) -> &str {
        &self.inner.settings.base_url
    }

    /// `{base}hub{path}`.
    fn hub_url(&self, path: &str) -> String {
        format!("{}hub{path}", self.base())
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.inner.settings.clock)()
    }

    fn is_admin(&self, user: &crate::db::UserRecord) -> bool {
        user.admin || self.inner.settings.admin_users.contains(&user.name)
    }
}

/// The pages' routes under `{base_url}` (see the module doc). No fallback: merge it with
/// [`crate::api::router`], whose JSON 404 then answers unknown paths.
pub fn router(state: WebState) -> Router {
    let base = state.base().to_string();
    let p = |path: &str| format!("{base}hub{path}");
    let mut router = Router::new()
        .route(&base, get(login::root))
        .route(&p(""), get(login::root))
        .route(&p("/"), get(login::root))
        .route(&p("/login"), get(login::form).post(login::submit))
        .route(&p("/logout"), get(login::logout))
        .route(
            &p("/api/oauth2/authorize"),
            get(oauth::authorize).post(oauth::confirm),
        )
        .route(&p("/home"), get(pages::home))
        .route(&p("/admin"), get(pages::admin))
        .route(&p("/admin/stop/{user}"), post(spawn::admin_stop_default))
        .route(
            &p("/admin/stop/{user}/{server}"),
            post(spawn::admin_stop_named),
        )
        .route(&p("/spawn"), get(spawn::form_own).post(spawn::submit_own))
        .route(
            &p("/spawn/{user}"),
            get(spawn::form_default).post(spawn::submit_default),
        )
        .route(
            &p("/spawn/{user}/{server}"),
            get(spawn::form_named).post(spawn::submit_named),
        )
        .route(&p("/spawn-pending/{user}"), get(spawn::pending_default))
        .route(
            &p("/spawn-pending/{user}/{server}"),
            get(spawn::pending_named),
        )
        .route(&p("/stop"), post(spawn::stop_default))
        .route(&p("/stop/{server}"), post(spawn::stop_named))
        .route(&p("/relaunch"), post(spawn::relaunch_default))
        .route(&p("/relaunch/{server}"), post(spawn::relaunch_named))
        .route(&p("/new-server"), post(pages::new_server))
        .route(&p("/output/{user}"), get(pages::output_default))
        .route(&p("/output/{user}/{server}"), get(pages::output_named))
        .route(&p("/error/{code}"), get(error_target::error_target))
        .route(&p(assets::CSS_PATH), get(assets::css))
        .route(&p(assets::PENDING_JS_PATH), get(assets::pending_js));
    for prefix in [p("/user"), format!("{base}user")] {
        router = router
            .route(&format!("{prefix}/{{name}}"), get(user_url::user_url))
            .route(&format!("{prefix}/{{name}}/"), get(user_url::user_url))
            .route(
                &format!("{prefix}/{{name}}/{{*rest}}"),
                get(user_url::user_url),
            );
    }
    if base != "/" {
        // `/jupyter` without its slash.
        router = router.route(base.trim_end_matches('/'), get(login::root));
    }
    router
        .with_state(state)
        .layer(axum::middleware::map_response(headers::add))
}

/// The pages merged with the REST API `api` (from [`crate::api::router`]), with one fallback
/// for both: a JSON 404 under `{base}hub/api/` (the API's own answer), an HTML 404 page
/// elsewhere.
pub fn with_api(state: WebState, api: Router) -> Router {
    let fallback = state.clone();
    router(state)
        .merge(api)
        .fallback(move |uri: Uri, headers: HeaderMap| not_found(fallback.clone(), uri, headers))
        .layer(axum::middleware::map_response(headers::add))
}

async fn not_found(state: WebState, uri: Uri, headers: HeaderMap) -> Response {
    if uri.path().starts_with(&state.hub_url("/api")) {
        return crate::api::ApiError::new(StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    let viewer = session::current(&state, &headers).await.ok().flatten();
    WebError::not_found(&state, viewer.as_ref(), "There is no page here.").into_response()
}
