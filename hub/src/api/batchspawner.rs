//! `POST /hub/api/batchspawner`: batchspawner's port report, `{"port": N}` (optionally
//! `"ip"`), authenticated with the server's own token.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::auth::{Caller, CallerKind};
use super::error::ApiError;
use super::scopes::Filter;
use super::ApiState;

/// The report; other keys are ignored (batchspawner's Python sets any attribute named in
/// the body, which we do not copy).
#[derive(Debug, Deserialize)]
pub struct PortReport {
    port: u16,
    #[serde(default)]
    ip: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Configured {
    message: &'static str,
}

/// Finds the server the token belongs to (its `access:servers!server=user/name` scope, which
/// every server token has), takes the host from the body's `ip` or else the connection's
/// peer, and hands the address to the spawner. 200 as batchspawner answers; 409 when the
/// spawner expects no report, so the reporter may retry.
pub async fn report(
    State(state): State<ApiState>,
    caller: Caller,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Json(report): Json<PortReport>,
) -> Result<Json<Configured>, ApiError> {
    let CallerKind::User { name, .. } = &caller.kind else {
        return Err(not_a_server_token());
    };
    let server = caller
        .grants
        .iter()
        .find_map(|g| match &g.filter {
            Filter::Server { user, server } if g.base == "access:servers" && user == name => {
                Some(server.clone())
            }
            _ => None,
        })
        .ok_or_else(not_a_server_token)?;
    let host = match (report.ip, peer) {
        (Some(ip), _) if !ip.is_empty() => ip,
        (_, Some(Extension(ConnectInfo(addr)))) => addr.ip().to_string(),
        _ => {
            return Err(ApiError::bad_request(
                "no ip in the report and no peer address to take it from",
            ))
        }
    };
    if report.port == 0 {
        return Err(ApiError::bad_request("port must not be 0"));
    }
    state
        .control
        .report(name, &server, &host, report.port)
        .await?;
    Ok(Json(Configured {
        message: "BatchSpawner data configured",
    }))
}

fn not_a_server_token() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "Only a server's own token may report its port",
    )
}
