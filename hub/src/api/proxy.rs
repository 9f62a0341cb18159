//! `GET /hub/api/proxy` (the proxy's routing table, as JupyterHub shows it) and
//! `POST /hub/api/proxy` (reconcile the proxy's routes with the servers now), both with
//! the `proxy` scope (the admin role has it).

use async_trait::async_trait;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Map, Value};

use super::auth::Caller;
use super::error::ApiError;
use super::scopes::Target;
use super::ApiState;

/// The proxy as the API sees it; the hub's serve wiring implements it.
#[async_trait]
pub trait ProxyAdmin: Send + Sync {
    /// The routes the hub manages: spec → `{target, data, last_activity}`.
    async fn routes(&self) -> Result<Vec<(String, String, Map<String, Value>)>, String>;
    /// Adds missing routes and deletes stale ones now.
    async fn reconcile(&self);
}

fn proxy_of(state: &ApiState) -> Result<&dyn ProxyAdmin, ApiError> {
    state
        .proxy
        .as_deref()
        .ok_or_else(|| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "No proxy configured"))
}

/// `GET /hub/api/proxy`: `{routespec: {routespec, target, data}}`.
pub async fn get(State(state): State<ApiState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(&["proxy"], &Target::Hub)?;
    let routes = proxy_of(&state)?.routes().await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The proxy does not answer: {e}"),
        )
    })?;
    let table: Map<String, Value> = routes
        .into_iter()
        .map(|(spec, target, data)| {
            let entry = json!({"routespec": spec, "target": target, "data": data});
            (spec, entry)
        })
        .collect();
    Ok(Json(Value::Object(table)))
}

/// `POST /hub/api/proxy`: reconcile the routes now (JupyterHub's "check routes").
pub async fn post(State(state): State<ApiState>, caller: Caller) -> Result<StatusCode, ApiError> {
    caller.require(&["proxy"], &Target::Hub)?;
    proxy_of(&state)?.reconcile().await;
    Ok(StatusCode::OK)
}
