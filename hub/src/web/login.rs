//! Login, logout and the root redirect. A login is checked in this order: the form's XSRF
//! token (a signed double-submit cookie, since there is no session yet), the rate limit
//! (before the authenticator is asked anything), the authenticator, then `allowed_users`
//! and `allowed_groups`; only then is a session created.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::error::{redirect, WebError};
use super::session::{self, Viewer};
use super::templates::{self, LoginPage};
use super::{groups, WebState};
use crate::auth::Verdict;
use crate::session_cookie::{self, Purpose, SESSION_COOKIE, XSRF_COOKIE};

/// How long the pre-login XSRF cookie lasts (JupyterHub: an hour while anonymous).
const XSRF_COOKIE_SECS: u64 = 3600;

/// JupyterHub's session-id cookie: the login session's JupyterHub session id, plain (not
/// signed: `jupyterhub-singleuser` reads it, for its XSRF id and its token cache key), on
/// the base URL so every server sees it. OAuth tokens issued in the session carry the id;
/// logout revokes them by it.
pub(super) const SESSION_ID_COOKIE: &str = "jupyterhub-session-id";

/// The `Set-Cookie` value of the session-id cookie: HttpOnly, SameSite=Lax, `Path={base}`,
/// Secure when the hub is served over HTTPS, and no Max-Age (it ends with the browser
/// session, as JupyterHub's).
pub(super) fn session_id_cookie(state: &WebState, session_id: &str) -> String {
    session_cookie::set_cookie(
        SESSION_ID_COOKIE,
        session_id,
        state.base(),
        None,
        state.settings().secure_cookies,
    )
}

/// `?next=`.
#[derive(Debug, Deserialize)]
pub(super) struct Next {
    next: Option<String>,
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(rename = "_xsrf", default)]
    xsrf: String,
}

/// `next` if it is a path on this hub under the base URL, else `None`: never another host
/// (`//evil`, `/\evil`, `http://evil`), so the login cannot be used as an open redirect.
pub(super) fn safe_next(base: &str, next: &str) -> Option<String> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(|c: char| c.is_control() || c == '\\')
        && (next.starts_with(base) || next == base.trim_end_matches('/'));
    local.then(|| next.to_string())
}

fn next_or_home(state: &WebState, next: Option<&str>) -> String {
    next.and_then(|n| safe_next(state.base(), n))
        .unwrap_or_else(|| state.hub_url("/home"))
}

/// `GET {base}`, `{base}hub/`: home when logged in, else login.
pub(super) async fn root(State(state): State<WebState>, headers: HeaderMap) -> Response {
    match session::current(&state, &headers).await {
        Ok(Some(_)) => redirect(&state.hub_url("/home")),
        Ok(None) => redirect(&state.hub_url("/login")),
        Err(error) => error.into_response(),
    }
}

/// The client's address: the connection's, or, when the connection comes from this machine
/// (the proxy), the last `X-Forwarded-For` hop (the one the proxy added).
fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let Some(peer) = peer else {
        return "unknown".to_string();
    };
    if peer.ip().is_loopback() {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|hop| !hop.is_empty());
        if let Some(hop) = forwarded {
            return hop.to_string();
        }
    }
    peer.ip().to_string()
}

fn form_action(state: &WebState, next: Option<&str>) -> String {
    match next.and_then(|n| safe_next(state.base(), n)) {
        Some(next) => session::login_url(state, &next),
        None => state.hub_url("/login"),
    }
}

/// The login form with `status`, setting the pre-login XSRF cookie (reusing a valid one, so
/// two tabs both work).
fn login_response(
    state: &WebState,
    headers: &HeaderMap,
    status: StatusCode,
    next: Option<&str>,
    username: &str,
    error: Option<&str>,
) -> Response {
    let settings = state.settings();
    let secret = &settings.cookie_secret;
    let token = session_cookie::read_cookie(headers, XSRF_COOKIE)
        .and_then(|c| session_cookie::verify(secret, Purpose::Xsrf, c))
        .map(str::to_string)
        .unwrap_or_else(session_cookie::new_token);
    let action = form_action(state, next);
    let page = LoginPage {
        base: state.base(),
        action: &action,
        xsrf: &token,
        username,
        error,
        authenticator_kind: settings.authenticator_kind,
        hint: settings.login_hint.as_deref(),
    };
    let cookie = session_cookie::set_cookie(
        XSRF_COOKIE,
        &session_cookie::sign(secret, Purpose::Xsrf, &token),
        &state.hub_url("/"),
        Some(XSRF_COOKIE_SECS),
        settings.secure_cookies,
    );
    let mut response = (status, Html(templates::login_page(&page).into_string())).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET {base}hub/login`: the form, or straight on when already logged in.
pub(super) async fn form(
    State(state): State<WebState>,
    Query(query): Query<Next>,
    headers: HeaderMap,
) -> Response {
    match session::current(&state, &headers).await {
        Ok(Some(_)) => redirect(&next_or_home(&state, query.next.as_deref())),
        Ok(None) => login_response(
            &state,
            &headers,
            StatusCode::OK,
            query.next.as_deref(),
            "",
            None,
        ),
        Err(error) => error.into_response(),
    }
}

/// `POST {base}hub/login`.
pub(super) async fn submit(
    State(state): State<WebState>,
    Query(query): Query<Next>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(login): Form<LoginForm>,
) -> Response {
    let next = query.next.as_deref();
    let settings = state.settings();
    let username = login.username.trim();
    let cookie_token = session_cookie::read_cookie(&headers, XSRF_COOKIE)
        .and_then(|c| session_cookie::verify(&settings.cookie_secret, Purpose::Xsrf, c));
    if !cookie_token.is_some_and(|t| session_cookie::same_token(t, &login.xsrf)) {
        return login_response(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            next,
            username,
            Some("Login form invalid or expired. Try again."),
        );
    }
    let address = client_address(&headers, peer.map(|Extension(ConnectInfo(a))| a));
    let keys = [format!("user:{username}"), format!("addr:{address}")];
    let now = state.now();
    let blocked = state
        .inner
        .limiter
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .blocked(&keys, now);
    if let Some(seconds) = blocked {
        tracing::warn!(user = %username, %address, "login refused: too many failed attempts");
        return WebError::page(
            &state,
            None,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed logins",
            &format!("Too many failed login attempts. Try again in {seconds} seconds."),
        )
        .retry_after(seconds)
        .into_response();
    }
    let name = match state
        .inner
        .authenticator
        .authenticate(username, &login.password)
        .await
    {
        Ok(Verdict::Accepted(name)) => name,
        Ok(Verdict::Rejected) => {
            state
                .inner
                .limiter
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .failed(&keys, now);
            tracing::info!(user = %username, %address, "failed login");
            return login_response(
                &state,
                &headers,
                StatusCode::FORBIDDEN,
                next,
                username,
                Some("Invalid username or password"),
            );
        }
        Err(error) => {
            tracing::error!(%error, kind = state.inner.authenticator.kind(), "authenticator failed");
            return WebError::unavailable(
                &state,
                None,
                "Login is unavailable right now: the hub cannot check passwords. \
                 Try again later, or tell the site's administrators.",
            )
            .into_response();
        }
    };
    match log_in(&state, &name, next).await {
        Ok(response) => {
            state
                .inner
                .limiter
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .forget(&keys[0]);
            response
        }
        Err(error) => error.into_response(),
    }
}

/// Whether `name` may log in by `allowed_users` and `allowed_groups`.
async fn allowed(state: &WebState, name: &str) -> bool {
    let settings = state.settings();
    if !settings.allowed_users.is_empty() && !settings.allowed_users.contains(name) {
        return false;
    }
    if settings.allowed_groups.is_empty() {
        return true;
    }
    let groups_wanted = settings.allowed_groups.clone();
    let user = name.to_string();
    match tokio::task::spawn_blocking(move || groups::member_of_any(&user, &groups_wanted)).await {
        Ok(Ok(member)) => member,
        Ok(Err(error)) => {
            tracing::error!(%error, user = %name, "group lookup failed; login refused");
            false
        }
        Err(error) => {
            tracing::error!(%error, user = %name, "group lookup panicked; login refused");
            false
        }
    }
}

/// An authenticated user: checks the allow lists, records the user, starts a session and
/// sends them on.
async fn log_in(state: &WebState, name: &str, next: Option<&str>) -> Result<Response, WebError> {
    if !allowed(state, name).await {
        tracing::info!(user = %name, "login refused: not an allowed user");
        return Err(WebError::forbidden(
            state,
            None,
            &format!("User {name} is not allowed to use this hub."),
        ));
    }
    let settings = state.settings();
    let now = state.now();
    let db = state.db();
    let config_admin = settings.admin_users.contains(name);
    // Keep an admin flag set in the database; config admins are always admins.
    let existing = db
        .get_user(name)
        .await
        .map_err(|e| WebError::db(state, None, e))?;
    if existing.as_ref().is_none_or(|u| config_admin && !u.admin) {
        let admin = config_admin || existing.is_some_and(|u| u.admin);
        db.upsert_user(name, admin, now)
            .await
            .map_err(|e| WebError::db(state, None, e))?;
    }
    let lifetime =
        chrono::Duration::from_std(settings.session_lifetime).unwrap_or(chrono::Duration::days(14));
    let (id, record) = db
        .create_session(name, now, now + lifetime)
        .await
        .map_err(|e| WebError::db(state, None, e))?;
    tracing::info!(user = %name, "logged in");
    let session = session_cookie::set_cookie(
        SESSION_COOKIE,
        &session_cookie::sign(&settings.cookie_secret, Purpose::Session, &id),
        state.base(),
        Some(settings.session_lifetime.as_secs()),
        settings.secure_cookies,
    );
    let clear_xsrf = session_cookie::set_cookie(
        XSRF_COOKIE,
        "",
        &state.hub_url("/"),
        Some(0),
        settings.secure_cookies,
    );
    let session_id = record
        .session_id
        .as_deref()
        .map(|id| session_id_cookie(state, id));
    let mut response = redirect(&next_or_home(state, next));
    for cookie in [Some(session), session_id, Some(clear_xsrf)]
        .into_iter()
        .flatten()
    {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// `GET {base}hub/logout`: revokes the OAuth tokens (and unused codes) issued in the
/// session, so the servers it logged into stop accepting it (within their 5-minute cache),
/// ends the session, clears the login and session-id cookies, back to login.
pub(super) async fn logout(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let viewer: Option<Viewer> = match session::current(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(error) => return error.into_response(),
    };
    if let Some(viewer) = viewer {
        if let Err(error) = end_session(&state, &viewer).await {
            return WebError::db(&state, None, error).into_response();
        }
    }
    let secure = state.settings().secure_cookies;
    let clear = [
        session_cookie::set_cookie(SESSION_COOKIE, "", state.base(), Some(0), secure),
        session_cookie::set_cookie(SESSION_ID_COOKIE, "", state.base(), Some(0), secure),
    ];
    let mut response = redirect(&state.hub_url("/login"));
    for cookie in clear {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Revokes what the session handed out, then deletes it. The stored session id is used,
/// not the cookie's: a planted cookie cannot revoke another session's tokens.
async fn end_session(state: &WebState, viewer: &Viewer) -> Result<(), crate::db::DbError> {
    let db = state.db();
    let record = db.lookup_session(&viewer.session_id, state.now()).await?;
    if let Some(session_id) = record.and_then(|r| r.session_id) {
        let tokens = db.revoke_session_tokens(&session_id).await?;
        db.delete_session_oauth_codes(&session_id).await?;
        tracing::info!(user = %viewer.name(), tokens, "revoked the session's tokens");
    }
    db.delete_session(&viewer.session_id).await?;
    tracing::info!(user = %viewer.name(), "logged out");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_local_path_under_the_base_url() {
        assert_eq!(safe_next("/", "/hub/home").as_deref(), Some("/hub/home"));
        assert_eq!(
            safe_next("/", "/user/alice/lab?x=http://a").as_deref(),
            Some("/user/alice/lab?x=http://a")
        );
        for bad in [
            "//evil.com",
            "http://evil",
            "https://evil/",
            "/\\evil.com",
            "evil",
            "",
            "/a\r\nb",
        ] {
            assert_eq!(safe_next("/", bad), None, "{bad:?}");
        }
        assert_eq!(
            safe_next("/jupyter/", "/jupyter/hub/home").as_deref(),
            Some("/jupyter/hub/home")
        );
        assert_eq!(safe_next("/jupyter/", "/other/"), None);
        assert_eq!(safe_next("/jupyter/", "/jupyterx/"), None);
    }

    #[test]
    fn the_client_is_the_peer_unless_the_proxy_forwarded_it() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 10.0.0.7"),
        );
        let remote: SocketAddr = "10.9.9.9:1234".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:1234".parse().unwrap();
        // A remote peer cannot choose its address by a header.
        assert_eq!(client_address(&headers, Some(remote)), "10.9.9.9");
        // Through the proxy: the hop the proxy added, not the client's own claim.
        assert_eq!(client_address(&headers, Some(local)), "10.0.0.7");
        assert_eq!(client_address(&HeaderMap::new(), Some(local)), "127.0.0.1");
    }
}
