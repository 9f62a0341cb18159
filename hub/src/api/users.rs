//! `GET /hub/api/users` (paginated), `GET /hub/api/users/{name}`, creating users
//! (`POST /hub/api/users`, `POST /hub/api/users/{name}`) and
//! `POST /hub/api/users/{name}/activity`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::ApiError;
use super::models::{is_active, UserModel};
use super::scopes::Target;
use super::ApiState;
use crate::control::{is_ready, pending_of, ServerView};
use crate::db::{DbError, UserRecord};

/// JupyterHub's `api_page_default_limit` (with the pagination envelope).
const DEFAULT_LIMIT: u64 = 50;
/// JupyterHub's `api_page_max_limit` (also the limit of a bare list).
const MAX_LIMIT: u64 = 200;
/// The Accept value that asks for the `{items, _pagination}` envelope.
const PAGINATION: &str = "application/jupyterhub-pagination+json";
/// Any of these lets a caller list the users it covers.
const LIST_SCOPES: &[&str] = &[
    "list:users",
    "read:users",
    "read:users:name",
    "read:users:activity",
    "read:servers",
];

/// Which users `GET /users?state=` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateFilter {
    /// A server pending or ready.
    Active,
    /// A server ready.
    Ready,
    /// No active server.
    Inactive,
}

#[derive(Serialize)]
struct Next {
    offset: u64,
    limit: u64,
    url: String,
}

#[derive(Serialize)]
struct PageInfo {
    offset: u64,
    limit: u64,
    total: u64,
    next: Option<Next>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<UserModel>,
    #[serde(rename = "_pagination")]
    pagination: PageInfo,
}

/// `GET /hub/api/users`: the users the caller may see, optionally by server state, one page
/// at a time. Every user is read and filtered in memory: scopes and the state filter decide
/// what counts, and a hub's user count is small.
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let can_list = caller.grants.iter().any(|g| {
        LIST_SCOPES
            .iter()
            .any(|want| super::scopes::implies(&g.base, want))
    });
    if !can_list {
        caller.require(&["list:users"], &Target::Hub)?;
    }
    let paginated = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim() == PAGINATION);
    let filter = match query.get("state").map(String::as_str) {
        None | Some("") => None,
        Some("active") => Some(StateFilter::Active),
        Some("ready") => Some(StateFilter::Ready),
        Some("inactive") => Some(StateFilter::Inactive),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Unrecognized state filter: {other:?}"
            )))
        }
    };
    let include_stopped = include_stopped(&query);
    let offset = number(&query, "offset")?.unwrap_or(0);
    let default_limit = if paginated { DEFAULT_LIMIT } else { MAX_LIMIT };
    let limit = number(&query, "limit")?
        .unwrap_or(default_limit)
        .clamp(1, MAX_LIMIT);

    let all = state
        .db
        .list_users(0, u64::MAX)
        .await
        .map_err(ApiError::db)?;
    // Filtered on the servers' states alone (one pass, no database read); the full views,
    // with their database reads, only for the page's users.
    let states = state.control.states_by_user();
    let no_servers = Vec::new();
    let mut visible = Vec::new();
    for user in all {
        let target = Target::User(user.name.clone());
        if !caller.may(LIST_SCOPES, &target) {
            continue;
        }
        let servers = states.get(&user.name).unwrap_or(&no_servers);
        let active = || {
            servers
                .iter()
                .any(|s| is_ready(s) || pending_of(s).is_some())
        };
        let keep = match filter {
            None => true,
            Some(StateFilter::Active) => active(),
            Some(StateFilter::Ready) => servers.iter().any(is_ready),
            Some(StateFilter::Inactive) => !active(),
        };
        if keep {
            visible.push(user);
        }
    }
    let total = visible.len() as u64;
    let mut items: Vec<UserModel> = Vec::new();
    for user in visible
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        let servers = state.control.servers(&user.name).await;
        items.push(model(&state, &caller, user, &servers, include_stopped));
    }
    if !paginated {
        if total > offset + limit {
            tracing::warn!(total, limit, "a user list without pagination was truncated");
        }
        return Ok(Json(items).into_response());
    }
    let next = (offset + limit < total).then(|| Next {
        offset: offset + limit,
        limit,
        url: next_url(&headers, &state, &query, offset + limit, limit),
    });
    let page = Page {
        items,
        pagination: PageInfo {
            offset,
            limit,
            total,
            next,
        },
    };
    Ok(Json(page).into_response())
}

/// A non-negative integer query parameter; 400 if it is not one.
fn number(query: &BTreeMap<String, String>, key: &str) -> Result<Option<u64>, ApiError> {
    match query.get(key) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("{key} must be an integer, not {text:?}"))),
    }
}

/// The absolute URL of the next page, built from the request's Host as JupyterHub does
/// (clients fetch it verbatim).
fn next_url(
    headers: &HeaderMap,
    state: &ApiState,
    query: &BTreeMap<String, String>,
    offset: u64,
    limit: u64,
) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    let mut params: Vec<String> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "offset" && k.as_str() != "limit")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    params.push(format!("limit={limit}"));
    params.push(format!("offset={offset}"));
    format!(
        "{scheme}://{host}{}hub/api/users?{}",
        state.base_url,
        params.join("&")
    )
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn model(
    state: &ApiState,
    caller: &Caller,
    user: &UserRecord,
    servers: &[ServerView],
    include_stopped: bool,
) -> UserModel {
    let shown: Vec<ServerView> = servers
        .iter()
        .filter(|s| include_stopped || is_active(s))
        .cloned()
        .collect();
    UserModel::new(caller, user, state.is_admin(user), &shown, &state.base_url)
}

/// `GET /hub/api/users/{name}` (`?include_stopped_servers` shows stopped and failed
/// servers too, as in JupyterHub).
pub async fn one(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Json<UserModel>, ApiError> {
    caller.require(LIST_SCOPES, &Target::User(name.clone()))?;
    let user = find_user(&state, &name).await?;
    let servers = state.control.servers(&name).await;
    let include_stopped = include_stopped(&query);
    Ok(Json(model(
        &state,
        &caller,
        &user,
        &servers,
        include_stopped,
    )))
}

/// `include_stopped_servers` given (bare, `1` or `true`).
fn include_stopped(query: &BTreeMap<String, String>) -> bool {
    matches!(
        query.get("include_stopped_servers").map(String::as_str),
        Some("" | "1" | "true" | "True")
    )
}

/// The user, or 404.
pub(super) async fn find_user(state: &ApiState, name: &str) -> Result<UserRecord, ApiError> {
    state
        .db
        .get_user(name)
        .await
        .map_err(ApiError::db)?
        .ok_or_else(ApiError::not_found)
}

/// The activity report's body (JupyterHub's): the user's and each server's last activity.
#[derive(Debug, Deserialize)]
pub struct ActivityReport {
    last_activity: Option<String>,
    #[serde(default)]
    servers: BTreeMap<String, ServerActivity>,
}

/// One server's part of an [`ActivityReport`].
#[derive(Debug, Deserialize)]
pub struct ServerActivity {
    last_activity: Option<String>,
}

/// How far in the future a report may be (JupyterHub refuses beyond this: a wrong clock).
const MAX_FUTURE: TimeDelta = TimeDelta::minutes(59);

/// `POST /hub/api/users/{name}/activity` (`users:activity`): records the latest times.
pub async fn activity(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Option<Json<ActivityReport>>,
) -> Result<StatusCode, ApiError> {
    caller.require(&["users:activity"], &Target::User(name.clone()))?;
    find_user(&state, &name).await?;
    let Some(Json(report)) = body else {
        return Err(ApiError::bad_request("body must be a JSON object"));
    };
    let now = (state.clock)();
    let mut latest = parse_time(report.last_activity.as_deref(), now)?;
    let mut servers = Vec::new();
    for (server, activity) in &report.servers {
        if let Some(when) = parse_time(activity.last_activity.as_deref(), now)? {
            servers.push((server, when));
            latest = latest.max(Some(when));
        }
    }
    for (server, when) in servers {
        let exists = state
            .db
            .touch_server(&name, server, when)
            .await
            .map_err(ApiError::db)?;
        if !exists {
            return Err(ApiError::bad_request(format!(
                "No such server {server:?} for user {name}"
            )));
        }
    }
    if let Some(when) = latest {
        match state.db.touch_user(&name, when).await {
            Ok(()) => {}
            Err(DbError::NoSuchUser(_)) => return Err(ApiError::not_found()),
            Err(error) => return Err(ApiError::db(error)),
        }
    }
    Ok(StatusCode::OK)
}

/// An ISO-8601 time; a time without zone is UTC (as JupyterHub's `dateutil`).
fn parse_time(text: Option<&str>, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .map_err(|_| ApiError::bad_request(format!("not an ISO-8601 time: {text:?}")))?;
    if parsed > now + MAX_FUTURE {
        return Err(ApiError::bad_request(format!(
            "last_activity {text} is more than {} minutes in the future",
            MAX_FUTURE.num_minutes()
        )));
    }
    Ok(Some(parsed))
}

/// The body of `POST /hub/api/users/{name}` (optional).
#[derive(Debug, Default, Deserialize)]
pub struct NewUser {
    #[serde(default)]
    admin: bool,
}

/// The body of `POST /hub/api/users`.
#[derive(Debug, Deserialize)]
pub struct NewUsers {
    usernames: Vec<String>,
    #[serde(default)]
    admin: bool,
}

/// A user name the hub can run jobs for, or 400 saying why not.
fn valid_name(name: &str) -> Result<(), ApiError> {
    drivers::UserName::new(name)
        .map(drop)
        .map_err(|e| ApiError::bad_request(format!("Invalid username {name:?}: {e}")))
}

/// Creates `name` (`admin: true` needs the `admin:users` scope beyond creating).
async fn create_one(state: &ApiState, name: &str, admin: bool) -> Result<UserRecord, DbError> {
    state.db.create_user(name, admin, (state.clock)()).await
}

/// `POST /hub/api/users/{name}` (`admin:users`): adds one user; 201 with its model, 409 if
/// it exists.
pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Option<Json<NewUser>>,
) -> Result<(StatusCode, Json<UserModel>), ApiError> {
    caller.require(&["admin:users"], &Target::User(name.clone()))?;
    valid_name(&name)?;
    let admin = body.map(|Json(b)| b.admin).unwrap_or_default();
    match create_one(&state, &name, admin).await {
        Ok(user) => Ok((
            StatusCode::CREATED,
            Json(model(&state, &caller, &user, &[], false)),
        )),
        Err(DbError::UserExists(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("User {name} already exists"),
        )),
        Err(e) => Err(ApiError::db(e)),
    }
}

/// `POST /hub/api/users` (`admin:users`): adds every named user that does not exist yet;
/// 201 with the new users' models, 409 if they all exist (JupyterHub's behaviour).
pub async fn create_many(
    State(state): State<ApiState>,
    caller: Caller,
    body: Option<Json<NewUsers>>,
) -> Result<(StatusCode, Json<Vec<UserModel>>), ApiError> {
    caller.require(&["admin:users"], &Target::Hub)?;
    let Some(Json(body)) = body else {
        return Err(ApiError::bad_request(
            "body must be {\"usernames\": [...], \"admin\": false}",
        ));
    };
    for name in &body.usernames {
        valid_name(name)?;
    }
    let mut created = Vec::new();
    for name in &body.usernames {
        match create_one(&state, name, body.admin).await {
            Ok(user) => created.push(model(&state, &caller, &user, &[], false)),
            Err(DbError::UserExists(_)) => tracing::info!(user = %name, "already exists"),
            Err(e) => return Err(ApiError::db(e)),
        }
    }
    if created.is_empty() && !body.usernames.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("All {} users already exist", body.usernames.len()),
        ));
    }
    Ok((StatusCode::CREATED, Json(created)))
}
