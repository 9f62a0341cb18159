//! The proxy's error target: hub-proxy runs with `--error-target {hub}{base}hub/error` and,
//! when a route's target is down or missing, asks `GET {base}hub/error/{code}?url=<the
//! original path and query>` and relays this page's body with its own status.
//!
//! The proxy asks server-side, without the browser's cookies, so no login is needed. For a
//! `{base}user/NAME[/SERVER]/…` URL the page says the server is not running and links to its
//! spawn page (which needs the owner's login); a viewer known to be someone else (the page
//! asked for directly, with a cookie) gets no link. Anything else gets a generic page.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use percent_encoding::percent_decode_str;

use super::session;
use super::templates::{self, UserServerDown};
use super::WebState;
use crate::control::check_server_name;

/// The user and server a proxied URL was for: `{base}user/NAME[/SERVER]/…`, where `SERVER`
/// counts only if `NAME` has a server called so (`is_named`). `None` for any other URL.
pub(super) fn user_server(
    base: &str,
    url: &str,
    is_named: impl Fn(&str, &str) -> bool,
) -> Option<(String, String)> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let rest = path.strip_prefix(base)?.strip_prefix("user/")?;
    let mut segments = rest.split('/');
    let name = percent_decode_str(segments.next()?).decode_utf8().ok()?;
    drivers::UserName::new(name.as_ref()).ok()?;
    let server = segments
        .next()
        .and_then(|s| percent_decode_str(s).decode_utf8().ok())
        .filter(|s| check_server_name(s).is_ok() && is_named(&name, s))
        .map(|s| s.into_owned())
        .unwrap_or_default();
    Some((name.into_owned(), server))
}

/// `GET {base}hub/error/{code}?url=…`.
pub(super) async fn error_target(
    State(state): State<WebState>,
    Path(code): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let status = code
        .parse::<u16>()
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let url = query.get("url").map(String::as_str).unwrap_or("");
    let viewer = session::current(&state, &headers).await.ok().flatten();
    let not_running = matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::NOT_FOUND | StatusCode::BAD_GATEWAY
    );
    let target = if not_running {
        // Which servers a user has is known only for a path that names one.
        let candidate = user_server(state.base(), url, |_, _| true);
        let named = match &candidate {
            Some((user, server)) if !server.is_empty() => state
                .control()
                .servers(user)
                .await
                .iter()
                .any(|s| &s.key.name == server),
            _ => false,
        };
        candidate.map(|(user, server)| {
            if named {
                (user, server)
            } else {
                (user, String::new())
            }
        })
    } else {
        None
    };
    // A server the hub believes runs but the proxy cannot reach: its node or job is gone,
    // which the hub notices within a poll; say so rather than "not running".
    let running = match &target {
        Some((user, server)) => state
            .control()
            .server(user, server)
            .await
            .is_some_and(|v| v.ready()),
        None => false,
    };
    let down = target.as_ref().map(|(user, server)| UserServerDown {
        user,
        server,
        can_start: !running && viewer.as_ref().is_none_or(|v| v.name() == user),
        running,
    });
    let page = templates::error_target_page(
        state.base(),
        viewer.as_ref().map(|v| v.who()),
        status,
        url,
        down.as_ref(),
    );
    (status, Html(page.into_string())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_urls_are_recognised_under_the_base_url() {
        let any = |_: &str, _: &str| true;
        let none = |_: &str, _: &str| false;
        assert_eq!(
            user_server("/jupyterhub/", "/jupyterhub/user/alice/gpu/lab?x=1", any),
            Some(("alice".into(), "gpu".into()))
        );
        assert_eq!(
            user_server("/jupyterhub/", "/jupyterhub/user/alice/lab", none),
            Some(("alice".into(), String::new()))
        );
        assert_eq!(
            user_server("/", "/user/alice", any),
            Some(("alice".into(), String::new()))
        );
        for other in [
            "/user/alice/",
            "/jupyterhub/hub/home",
            "",
            "/jupyterhub/user/",
            "/jupyterhub/user/<b>/",
        ] {
            assert_eq!(user_server("/jupyterhub/", other, any), None, "{other:?}");
        }
    }
}
