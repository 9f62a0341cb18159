//! The home page (the user's server cards) and the admin page (every user, paginated).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::error::WebError;
use super::session::Viewer;
use super::templates::{self, AdminRow};
use super::WebState;
use crate::control::ServerView;
use crate::spawner::state::{ServerKey, ServerState};

/// Users per admin page.
const ADMIN_PAGE: u64 = 50;

/// The user's servers for the home page: the default one always (stopped if it never ran),
/// then the named ones by name.
async fn cards(state: &WebState, user: &str) -> Vec<ServerView> {
    let mut servers = state.control().servers(user).await;
    servers.sort_by(|a, b| a.key.name.cmp(&b.key.name));
    if servers.first().is_none_or(|s| !s.key.name.is_empty()) {
        servers.insert(
            0,
            ServerView {
                key: ServerKey::new(user, ""),
                state: ServerState::new(),
                url: None,
                progress: None,
                started: None,
                last_activity: None,
                user_options: BTreeMap::new(),
            },
        );
    }
    servers
}

/// `GET {base}hub/home`.
pub(super) async fn home(State(state): State<WebState>, viewer: Viewer) -> Html<String> {
    let servers = cards(&state, viewer.name()).await;
    Html(templates::home_page(state.base(), viewer.who(), &viewer.xsrf, &servers).into_string())
}

/// `?offset=`.
#[derive(Debug, Deserialize)]
pub(super) struct Page {
    #[serde(default)]
    offset: u64,
}

/// `GET {base}hub/admin`: admins only.
pub(super) async fn admin(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(page): Query<Page>,
) -> Result<Html<String>, WebError> {
    if !viewer.admin {
        return Err(WebError::forbidden(
            &state,
            Some(&viewer),
            "The admin page is for the hub's admins only.",
        ));
    }
    let db = state.db();
    let users = db
        .list_users(page.offset, ADMIN_PAGE)
        .await
        .map_err(|e| WebError::db(&state, Some(&viewer), e))?;
    let total = db
        .count_users()
        .await
        .map_err(|e| WebError::db(&state, Some(&viewer), e))?;
    let mut rows = Vec::with_capacity(users.len());
    for user in users {
        let servers = state.control().servers(&user.name).await;
        rows.push(AdminRow {
            admin: state.is_admin(&user),
            name: user.name,
            last_activity: user.last_activity,
            servers,
        });
    }
    let markup = templates::admin_page(
        state.base(),
        viewer.who(),
        &viewer.xsrf,
        &rows,
        page.offset,
        ADMIN_PAGE,
        total,
    );
    Ok(Html(markup.into_string()))
}
