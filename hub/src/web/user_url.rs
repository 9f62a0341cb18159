//! A user URL that reached the hub (`{base}user/{name}/…`, or `{base}hub/user/{name}/…`):
//! the proxy had no route for it. For the owner: to the server when it is ready (once more,
//! counting `redirects=N` so a missing route cannot loop forever), to the pending page while
//! it starts, else "your server is not running" (424, as JupyterHub 4). Nobody reaches
//! another user's server through here.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use super::error::{redirect, WebError};
use super::session::Viewer;
use super::templates::{self, server_url, user_page};
use super::WebState;

/// Redirects to a ready server after which the hub gives up (JupyterHub's limit too).
const MAX_REDIRECTS: u32 = 3;

/// Whether the client wants a page (a browser) rather than JSON (an API client, Lab).
fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.is_empty() || accept.contains("text/html") || !accept.contains("json")
}

/// The query without `redirects`, and the `redirects` count.
fn split_redirects(query: &BTreeMap<String, String>) -> (Vec<(String, String)>, u32) {
    let count = query
        .get("redirects")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let rest = query
        .iter()
        .filter(|(k, _)| *k != "redirects")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (rest, count)
}

/// `GET {base}user/{name}[/{rest}]` and `{base}hub/user/{name}[/{rest}]`.
pub(super) async fn user_url(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(params): Path<BTreeMap<String, String>>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(name) = params.get("name").cloned() else {
        return WebError::not_found(&state, Some(&viewer), "No such page.").into_response();
    };
    let rest = params.get("rest").cloned().unwrap_or_default();
    if name != viewer.name() {
        let message = if viewer.admin {
            format!("This is {name}'s server. Admins can stop it from the admin page, not use it.")
        } else {
            format!("This is {name}'s server: you cannot access it.")
        };
        return WebError::forbidden(&state, Some(&viewer), &message).into_response();
    }
    // `/user/alice/gpu/lab`: `gpu` is a server when alice has a server called so.
    let first = rest.split('/').next().unwrap_or("");
    let named = !first.is_empty()
        && state
            .control()
            .servers(&name)
            .await
            .iter()
            .any(|s| s.key.name == first);
    let (server, path) = if named {
        (
            first.to_string(),
            rest[first.len()..].trim_start_matches('/').to_string(),
        )
    } else {
        (String::new(), rest)
    };
    let view = state.control().server(&name, &server).await;
    match view {
        Some(view) if view.ready() => {
            let (others, count) = split_redirects(&query);
            if count >= MAX_REDIRECTS {
                tracing::warn!(user = %name, %server, path = %uri.path(), "redirect loop to a ready server");
                return WebError::unavailable(
                    &state,
                    Some(&viewer),
                    "Your server is running but cannot be reached through the proxy yet. \
                     Wait a moment and reload; if this persists, tell the site's administrators.",
                )
                .into_response();
            }
            let base = view
                .url
                .clone()
                .unwrap_or_else(|| server_url(state.base(), &name, &server));
            let mut query: Vec<(String, String)> = others;
            query.push(("redirects".to_string(), (count + 1).to_string()));
            let query = serde_urlencoded_pairs(&query);
            redirect(&format!("{base}{path}?{query}"))
        }
        Some(view) if view.state.is_spawning() => {
            redirect(&user_page(state.base(), "spawn-pending", &name, &server))
        }
        _ => {
            let spawn = user_page(state.base(), "spawn", &name, &server);
            if wants_html(&headers) {
                let page = templates::not_running_page(state.base(), viewer.who(), &name, &server);
                (StatusCode::FAILED_DEPENDENCY, Html(page.into_string())).into_response()
            } else {
                let body = serde_json::json!({
                    "status": 424,
                    "message": format!("JupyterHub server no longer running at {}. Restart the server at {spawn}", uri.path()),
                });
                (StatusCode::FAILED_DEPENDENCY, Json(body)).into_response()
            }
        }
    }
}

/// `a=1&b=x%20y`.
fn serde_urlencoded_pairs(pairs: &[(String, String)]) -> String {
    use percent_encoding::utf8_percent_encode;
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, super::session::QUERY_VALUE),
                utf8_percent_encode(v, super::session::QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
