//! `GET /hub/api` (the version), `GET /hub/api/info` and `GET /hub/api/user` (the token's
//! owner).

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::auth::{bearer, identify, identify_cookie, Caller, CallerKind};
use super::error::ApiError;
use super::models::UserModel;
use super::scopes::Target;
use super::ApiState;

#[derive(Serialize)]
pub(super) struct Version {
    version: String,
}

/// `GET /hub/api`: no token needed. `jupyterhub-singleuser` calls it at start (and exits
/// if it fails) and compares the `X-JupyterHub-Version` header every API answer carries;
/// the idle culler reads `version`. Any origin may read it, as in JupyterHub.
pub async fn version(State(state): State<ApiState>) -> impl IntoResponse {
    let body = Json(Version {
        version: state.version.clone(),
    });
    ([(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], body)
}

#[derive(Serialize)]
struct Component {
    class: &'static str,
    version: String,
}

#[derive(Serialize)]
pub(super) struct Info {
    version: String,
    python: Option<String>,
    sys_executable: Option<String>,
    spawner: Component,
    authenticator: Component,
}

/// `GET /hub/api/info` (`read:hub`).
pub async fn info(State(state): State<ApiState>, caller: Caller) -> Result<Json<Info>, ApiError> {
    caller.require(&["read:hub"], &Target::Hub)?;
    let ours = env!("CARGO_PKG_VERSION").to_string();
    Ok(Json(Info {
        version: state.version.clone(),
        python: None,
        sys_executable: None,
        spawner: Component {
            class: "batchhub.BatchSpawner",
            version: ours.clone(),
        },
        authenticator: Component {
            class: "batchhub.Authenticator",
            version: ours,
        },
    }))
}

#[derive(Serialize)]
struct Me<T: Serialize> {
    #[serde(flatten)]
    model: T,
    token_id: Option<String>,
    session_id: Option<String>,
    scopes: Vec<String>,
}

#[derive(Serialize)]
struct ServiceModel {
    kind: &'static str,
    name: String,
    admin: bool,
    roles: Vec<String>,
}

/// `GET /hub/api/user`: any valid token; the owner's model (fields as the token's scopes
/// allow: an OAuth token shows `kind, name, admin, groups, user_info`) plus the token's id,
/// its session id and its expanded scopes (singleuser needs `kind`, `name` and `scopes`).
/// Without a valid token: 403 with a `null` message, as JupyterHub (singleuser takes any
/// other 4xx as its own failure).
pub async fn current_user(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let refused = ApiError {
        status: StatusCode::FORBIDDEN,
        message: None,
    };
    let caller = match bearer(&headers) {
        Some(token) => identify(&state, token).await?,
        // The pages' own calls carry the session cookie instead.
        None => identify_cookie(&state, &Method::GET, &headers).await?,
    };
    let caller = caller.ok_or(refused)?;
    let token_id = caller.token_id.map(|id| id.to_string());
    let session_id = caller.session_id.clone();
    let scopes = caller.scope_strings();
    match &caller.kind {
        CallerKind::User { name, admin } => {
            let user = state
                .db
                .get_user(name)
                .await
                .map_err(ApiError::db)?
                .ok_or_else(ApiError::no_credentials)?;
            let servers = state.control.servers(name).await;
            let model = UserModel::new(&caller, &user, *admin, &servers, &state.base_url);
            let me = Me {
                model,
                token_id,
                session_id,
                scopes,
            };
            Ok(Json(me).into_response())
        }
        CallerKind::Service { name } => {
            let model = ServiceModel {
                kind: "service",
                name: name.clone(),
                admin: false,
                roles: Vec::new(),
            };
            let me = Me {
                model,
                token_id,
                session_id,
                scopes,
            };
            Ok(Json(me).into_response())
        }
    }
}
