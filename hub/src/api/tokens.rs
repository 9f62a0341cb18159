//! `GET/POST /hub/api/users/{name}/tokens` and `DELETE /hub/api/users/{name}/tokens/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::auth::{owner_scopes, Caller};
use super::error::ApiError;
use super::models::TokenModel;
use super::scopes::{Grant, Target};
use super::users::find_user;
use super::ApiState;
use crate::db::{NewToken, TokenId, TokenOwner};

#[derive(Serialize)]
pub(super) struct TokenList {
    api_tokens: Vec<TokenModel>,
}

/// `GET /users/{name}/tokens` (`read:tokens`).
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<TokenList>, ApiError> {
    caller.require(&["read:tokens"], &Target::User(name.clone()))?;
    find_user(&state, &name).await?;
    let now = (state.clock)();
    let records = state
        .db
        .list_tokens(&TokenOwner::User(name), now)
        .await
        .map_err(ApiError::db)?;
    let api_tokens = records.iter().map(|r| TokenModel::new(r, None)).collect();
    Ok(Json(TokenList { api_tokens }))
}

/// The body of a token request (JupyterHub's; `roles` is not supported).
#[derive(Debug, Default, Deserialize)]
pub struct TokenRequest {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// `POST /users/{name}/tokens` (`tokens`): 201 with the token model and the clear `token`,
/// shown this once. Without `scopes` the token gets all its owner's; asked scopes must be
/// within the owner's (403 otherwise).
pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Option<Json<TokenRequest>>,
) -> Result<(StatusCode, Json<TokenModel>), ApiError> {
    caller.require(&["tokens"], &Target::User(name.clone()))?;
    let user = find_user(&state, &name).await?;
    let request = body.map(|Json(b)| b).unwrap_or_default();
    let owner = owner_scopes(&name, state.is_admin(&user));
    let scopes = match request.scopes {
        None => owner,
        Some(asked) => {
            let held: Vec<Grant> = owner.iter().filter_map(|s| Grant::parse(s)).collect();
            for scope in &asked {
                if !within(scope, &held) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        format!("Not assigning requested scopes {scope} not held by {name}"),
                    ));
                }
            }
            asked
        }
    };
    let now = (state.clock)();
    let expires_at = match request.expires_in {
        None | Some(0) => None,
        Some(seconds) if seconds > 0 => Some(now + TimeDelta::seconds(seconds)),
        Some(_) => return Err(ApiError::bad_request("expires_in must be positive")),
    };
    let new = NewToken {
        owner: TokenOwner::User(name),
        scopes,
        note: request.note.unwrap_or_default(),
        expires_at,
        oauth_client: None,
    };
    let (id, clear) = state
        .db
        .create_token(&new, now)
        .await
        .map_err(ApiError::db)?;
    let record = state
        .db
        .get_token(id)
        .await
        .map_err(ApiError::db)?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        StatusCode::CREATED,
        Json(TokenModel::new(&record, Some(clear))),
    ))
}

/// Whether `scope` is covered by what the owner holds.
fn within(scope: &str, held: &[Grant]) -> bool {
    let Some(asked) = Grant::parse(scope) else {
        return false;
    };
    let target = match &asked.filter {
        super::scopes::Filter::All => Target::Hub,
        super::scopes::Filter::User(user) => Target::User(user.clone()),
        super::scopes::Filter::Server { user, server } => Target::Server {
            user: user.clone(),
            server: server.clone(),
        },
    };
    held.iter().any(|g| g.covers(&asked.base, &target))
}

/// `DELETE /users/{name}/tokens/{id}` (`tokens`): 204; 404 for a token of someone else.
pub async fn revoke(
    State(state): State<ApiState>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(&["tokens"], &Target::User(name.clone()))?;
    let id: TokenId = id.parse().map_err(|()| ApiError::not_found())?;
    let record = state
        .db
        .get_token(id)
        .await
        .map_err(ApiError::db)?
        .ok_or_else(ApiError::not_found)?;
    if record.owner != TokenOwner::User(name) {
        return Err(ApiError::not_found());
    }
    state.db.revoke_token(id).await.map_err(ApiError::db)?;
    Ok(StatusCode::NO_CONTENT)
}
