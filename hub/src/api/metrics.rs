//! `GET /hub/metrics`: Prometheus text, written by hand — request counts by route and
//! status (counted by a middleware) and servers by spawner state (counted at scrape time).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::ApiState;
use crate::spawner::state::ServerState;

/// The request counter. A std mutex: it is held only to bump a number, never across an
/// await.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Metrics {
    fn count(&self, route: String, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry((route, status)).or_default() += 1;
    }

    fn snapshot(&self) -> BTreeMap<(String, u16), u64> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Counts each request by its route pattern (not the raw path: user names would make the
/// label set unbounded) and status.
pub async fn count_requests(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    state.metrics.count(route, response.status().as_u16());
    response
}

/// The exposition. Open, like JupyterHub with `authenticate_prometheus = False`: it shows
/// counts only.
pub async fn exposition(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let mut by_state: BTreeMap<&'static str, u64> = BTreeMap::new();
    let users = state
        .db
        .list_users(0, u64::MAX)
        .await
        .map_err(ApiError::db)?;
    for user in &users {
        for server in state.control.servers(&user.name).await {
            let label = ServerState::name(&server.state);
            if label != "stopped" {
                *by_state.entry(label).or_default() += 1;
            }
        }
    }
    let mut text = String::new();
    text.push_str("# HELP batchhub_api_requests_total REST API requests by route and status.\n");
    text.push_str("# TYPE batchhub_api_requests_total counter\n");
    for ((route, status), n) in state.metrics.snapshot() {
        let _ = writeln!(
            text,
            "batchhub_api_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
            escape(&route)
        );
    }
    text.push_str("# HELP batchhub_servers Servers that are not stopped, by spawner state.\n");
    text.push_str("# TYPE batchhub_servers gauge\n");
    for (label, n) in by_state {
        let _ = writeln!(text, "batchhub_servers{{state=\"{label}\"}} {n}");
    }
    let _ = writeln!(text, "batchhub_users {}", users.len());
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Escapes a label value as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
