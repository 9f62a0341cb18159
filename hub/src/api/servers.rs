//! `POST` and `DELETE` on `/hub/api/users/{name}/server` and `/servers/{server}`: start and
//! stop through [`ServerControl`](crate::control::ServerControl).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::auth::Caller;
use super::error::ApiError;
use super::scopes::Target;
use super::users::find_user;
use super::ApiState;
use crate::control::{Started, Stopped};

/// `POST /users/{name}/server`.
pub async fn start_default(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    start(state, caller, name, String::new(), body).await
}

/// `POST /users/{name}/servers/{server}`.
pub async fn start_named(
    State(state): State<ApiState>,
    caller: Caller,
    Path((name, server)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    start(state, caller, name, server, body).await
}

/// `DELETE /users/{name}/server`.
pub async fn stop_default(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    stop(state, caller, name, String::new()).await
}

/// `DELETE /users/{name}/servers/{server}` (a `{"remove": true}` body is accepted and
/// ignored: servers are kept in the database).
pub async fn stop_named(
    State(state): State<ApiState>,
    caller: Caller,
    Path((name, server)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    stop(state, caller, name, server).await
}

async fn start(
    state: ApiState,
    caller: Caller,
    name: String,
    server: String,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let target = Target::Server {
        user: name.clone(),
        server: server.clone(),
    };
    caller.require(&["start:servers"], &target)?;
    find_user(&state, &name).await?;
    let options = user_options(&body)?;
    match state.control.start(&name, &server, options).await? {
        Started::Ready => Ok(StatusCode::CREATED),
        Started::Pending => Ok(StatusCode::ACCEPTED),
    }
}

async fn stop(
    state: ApiState,
    caller: Caller,
    name: String,
    server: String,
) -> Result<StatusCode, ApiError> {
    let target = Target::Server {
        user: name.clone(),
        server: server.clone(),
    };
    caller.require(&["delete:servers"], &target)?;
    find_user(&state, &name).await?;
    match state.control.stop(&name, &server).await? {
        Stopped::Done => Ok(StatusCode::NO_CONTENT),
        Stopped::Pending => Ok(StatusCode::ACCEPTED),
    }
}

/// The user options of a start: `{"user_options": {…}}`, or (JupyterHub's legacy form) the
/// whole body. Values are strings; a form's one-element list (`{"queue": ["workq"]}`),
/// numbers and booleans are taken as their text.
fn user_options(body: &[u8]) -> Result<BTreeMap<String, String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(BTreeMap::new());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(ApiError::bad_request("body must be a JSON object"));
    };
    let fields = match object.remove("user_options") {
        Some(Value::Object(options)) => options,
        Some(Value::Null) => serde_json::Map::new(),
        Some(_) => return Err(ApiError::bad_request("user_options must be an object")),
        None => {
            object.remove("display_name");
            object
        }
    };
    let mut options = BTreeMap::new();
    for (key, value) in fields {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(mut items) if items.len() == 1 => match items.remove(0) {
                Value::String(s) => s,
                _ => return Err(option_error(&key)),
            },
            _ => return Err(option_error(&key)),
        };
        options.insert(key, text);
    }
    Ok(options)
}

fn option_error(key: &str) -> ApiError {
    ApiError::bad_request(format!(
        "user option {key:?} must be a string, a number, a boolean or a list of one string"
    ))
}
