//! The home page (the user's server cards, the new-server form), the job output page, and
//! the admin page (the cluster, a filter, users with their servers).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::error::{redirect, WebError};
use super::session::Viewer;
use super::templates::{self, user_page, AdminPage, AdminRow, HomePage};
use super::WebState;
use crate::control::{check_server_name, ServerView};
use crate::db::UserRecord;
use crate::spawner::state::{ServerKey, ServerState};

/// Users per admin page.
const ADMIN_PAGE: u64 = 50;

/// The admin page's state filters: the `state=` key and what the menu shows.
pub(super) const STATE_FILTERS: &[(&str, &str)] = &[
    ("", "All users"),
    ("active", "With an active server"),
    ("running", "With a running server"),
    ("queued", "With a queued or waiting server"),
    ("failed", "With a failed server"),
    ("inactive", "With no active server"),
];

/// Whether `servers` pass the state filter `state` (a [`STATE_FILTERS`] key; unknown keys
/// pass everything).
fn state_matches(state: &str, servers: &[ServerView]) -> bool {
    let any = |f: fn(&ServerState) -> bool| servers.iter().any(|s| f(&s.state));
    match state {
        "active" => any(ServerState::is_active),
        "running" => any(|s| matches!(s, ServerState::Running { .. })),
        "queued" => any(|s| {
            matches!(
                s,
                ServerState::Waiting { .. }
                    | ServerState::Submitting { .. }
                    | ServerState::Adopting { .. }
                    | ServerState::Queued { .. }
            )
        }),
        "failed" => any(|s| matches!(s, ServerState::Failed { .. })),
        "inactive" => !any(ServerState::is_active),
        _ => true,
    }
}

/// The user's servers for the home page: the default one always (stopped if it never ran),
/// then the named ones by name.
async fn cards(state: &WebState, user: &str) -> Vec<ServerView> {
    let mut servers = state.control().servers(user).await;
    servers.sort_by(|a, b| a.key.name.cmp(&b.key.name));
    if servers.first().is_none_or(|s| !s.key.name.is_empty()) {
        servers.insert(0, ServerView::never_started(ServerKey::new(user, "")));
    }
    servers
}

fn home_response(
    state: &WebState,
    viewer: &Viewer,
    servers: &[ServerView],
    name_error: Option<&str>,
) -> Html<String> {
    let labels: BTreeMap<String, String> = state
        .settings()
        .form
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.label.clone()))
        .chain([("profile".to_string(), "Profile".to_string())])
        .collect();
    let mut choice_labels = BTreeMap::new();
    for field in &state.settings().form.fields {
        if let crate::form::FieldKind::Choice { choices, .. } = &field.kind {
            for choice in choices {
                choice_labels.insert(
                    (field.name.clone(), choice.key.clone()),
                    choice.label.clone(),
                );
            }
        }
    }
    for profile in &state.settings().form.profiles {
        choice_labels.insert(
            ("profile".to_string(), profile.name.clone()),
            profile.label.clone(),
        );
    }
    let page = HomePage {
        base: state.base(),
        who: viewer.who(),
        xsrf: &viewer.xsrf,
        servers,
        now: state.now(),
        labels: &labels,
        choice_labels: &choice_labels,
        terms: &state.settings().terms,
        named_servers: state.control().allows_named_servers(),
        name_error,
    };
    Html(templates::home_page(&page).into_string())
}

/// `GET {base}hub/home`.
pub(super) async fn home(State(state): State<WebState>, viewer: Viewer) -> Html<String> {
    let servers = cards(&state, viewer.name()).await;
    home_response(&state, &viewer, &servers, None)
}

/// The new-server form: `_xsrf` and `name`.
#[derive(Debug, Deserialize)]
pub(super) struct NewServer {
    #[serde(rename = "_xsrf", default)]
    xsrf: String,
    #[serde(default)]
    name: String,
}

/// `POST {base}hub/new-server`: checks the name, then on to that server's spawn form (no
/// script needed to build its URL). A name already in use goes to its form too (it is
/// started from there, or shown if active).
pub(super) async fn new_server(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<NewServer>,
) -> Response {
    if let Err(error) = viewer.check_xsrf(&state, Some(&form.xsrf)) {
        return error.into_response();
    }
    if !state.control().allows_named_servers() {
        return WebError::page(
            &state,
            Some(&viewer),
            StatusCode::BAD_REQUEST,
            "Cannot do that",
            "Named servers are not enabled on this hub.",
        )
        .into_response();
    }
    let name = form.name.trim();
    match check_server_name(name).err() {
        None => redirect(&user_page(state.base(), "spawn", viewer.name(), name)),
        Some(error) => {
            let servers = cards(&state, viewer.name()).await;
            let page = home_response(&state, &viewer, &servers, Some(&error));
            (StatusCode::BAD_REQUEST, page).into_response()
        }
    }
}

/// `GET {base}hub/output/{user}`.
pub(super) async fn output_default(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(user): Path<String>,
) -> Response {
    output(&state, &viewer, &user, "").await
}

/// `GET {base}hub/output/{user}/{server}`.
pub(super) async fn output_named(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((user, server)): Path<(String, String)>,
) -> Response {
    output(&state, &viewer, &user, &server).await
}

/// The end of a server's job output: its owner or an admin only; anyone else gets the
/// same 404 as for a server that does not exist (nothing says whether it does).
async fn output(state: &WebState, viewer: &Viewer, user: &str, server: &str) -> Response {
    let not_found =
        || WebError::not_found(state, Some(viewer), "There is no job output here.").into_response();
    if user != viewer.name() && !viewer.admin {
        return not_found();
    }
    let Some(view) = state.control().server(user, server).await else {
        return not_found();
    };
    // A failed spawn's tail was read when it failed; otherwise read the file now.
    let stored = match &view.state {
        ServerState::Failed { output_tail, .. } => output_tail.clone(),
        _ => None,
    };
    let tail = match stored {
        Some(tail) => Some(tail),
        None => state.control().output_tail(user, server).await,
    };
    let page = templates::output_page(state.base(), viewer.who(), user, &view, tail.as_deref());
    Html(page.into_string()).into_response()
}

/// `?q=&state=&offset=`.
#[derive(Debug, Deserialize)]
pub(super) struct AdminQuery {
    #[serde(default)]
    offset: u64,
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
}

/// Users matching the name filter `q` (case-insensitive substring), with their servers,
/// that pass the state filter; all of them, in name order.
async fn filtered_rows(
    state: &WebState,
    viewer: &Viewer,
    query: &AdminQuery,
) -> Result<Vec<AdminRow>, WebError> {
    let db = state.db();
    let total = db
        .count_users()
        .await
        .map_err(|e| WebError::db(state, Some(viewer), e))?;
    let users = db
        .list_users(0, total)
        .await
        .map_err(|e| WebError::db(state, Some(viewer), e))?;
    let needle = query.q.trim().to_lowercase();
    let mut rows = Vec::new();
    for user in users
        .into_iter()
        .filter(|u| u.name.to_lowercase().contains(&needle))
    {
        let servers = state.control().servers(&user.name).await;
        if state_matches(&query.state, &servers) {
            rows.push(row(state, user, servers));
        }
    }
    Ok(rows)
}

fn row(state: &WebState, user: UserRecord, mut servers: Vec<ServerView>) -> AdminRow {
    servers.sort_by(|a, b| a.key.name.cmp(&b.key.name));
    AdminRow {
        admin: state.is_admin(&user),
        name: user.name,
        last_activity: user.last_activity,
        servers,
    }
}

/// `GET {base}hub/admin`: admins only. Without a filter one page of users is read; with
/// one, every user is (the filter runs on the hub, not in SQL).
pub(super) async fn admin(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<AdminQuery>,
) -> Result<Html<String>, WebError> {
    if !viewer.admin {
        return Err(WebError::forbidden(
            &state,
            Some(&viewer),
            "The admin page is for the hub's admins only.",
        ));
    }
    let filtered = !query.q.trim().is_empty() || !query.state.is_empty();
    let (rows, total) = if filtered {
        let all = filtered_rows(&state, &viewer, &query).await?;
        let total = all.len() as u64;
        let rows = all
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(ADMIN_PAGE as usize)
            .collect();
        (rows, total)
    } else {
        let db = state.db();
        let users = db
            .list_users(query.offset, ADMIN_PAGE)
            .await
            .map_err(|e| WebError::db(&state, Some(&viewer), e))?;
        let total = db
            .count_users()
            .await
            .map_err(|e| WebError::db(&state, Some(&viewer), e))?;
        let mut rows = Vec::with_capacity(users.len());
        for user in users {
            let servers = state.control().servers(&user.name).await;
            rows.push(row(&state, user, servers));
        }
        (rows, total)
    };
    let cluster = state
        .control()
        .cluster_summary()
        .await
        .map_err(|e| match e {
            crate::control::ControlError::Unavailable(reason) => reason,
            other => other.to_string(),
        });
    let page = AdminPage {
        base: state.base(),
        who: viewer.who(),
        xsrf: &viewer.xsrf,
        rows: &rows,
        offset: query.offset,
        limit: ADMIN_PAGE,
        total,
        q: &query.q,
        state: &query.state,
        cluster: &cluster,
    };
    Ok(Html(templates::admin_page(&page).into_string()))
}
