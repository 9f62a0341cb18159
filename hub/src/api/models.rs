//! JupyterHub's JSON models (user, server, token), built from the database and
//! [`ServerView`]s, with fields shown as the caller's scopes allow.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::auth::Caller;
use super::scopes::Target;
use crate::control::ServerView;
use crate::db::{TokenOwner, TokenRecord, UserRecord};

/// JupyterHub's timestamp form: ISO-8601 UTC with `Z`.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn opt_timestamp(time: Option<DateTime<Utc>>) -> Option<String> {
    time.map(timestamp)
}

/// The server model.
#[derive(Debug, Serialize)]
pub struct ServerModel {
    name: String,
    display_name: String,
    full_name: String,
    last_activity: Option<String>,
    started: Option<String>,
    pending: Option<&'static str>,
    ready: bool,
    stopped: bool,
    url: Option<String>,
    user_options: BTreeMap<String, String>,
    progress_url: String,
    full_url: Option<String>,
    full_progress_url: Option<String>,
}

/// The API path of a server's progress stream.
pub fn progress_url(base_url: &str, user: &str, server: &str) -> String {
    if server.is_empty() {
        format!("{base_url}hub/api/users/{user}/server/progress")
    } else {
        format!("{base_url}hub/api/users/{user}/servers/{server}/progress")
    }
}

impl ServerModel {
    /// The model of one server.
    pub fn new(view: &ServerView, base_url: &str) -> Self {
        let pending = view.pending();
        let ready = view.ready();
        ServerModel {
            name: view.key.name.clone(),
            display_name: view.key.name.clone(),
            full_name: format!("{}/{}", view.key.user, view.key.name),
            last_activity: opt_timestamp(view.last_activity.or(view.started)),
            started: opt_timestamp(view.started),
            pending,
            ready,
            stopped: !ready && pending.is_none(),
            url: if ready { view.url.clone() } else { None },
            user_options: view.user_options.clone(),
            progress_url: progress_url(base_url, &view.key.user, &view.key.name),
            full_url: None,
            full_progress_url: None,
        }
    }
}

/// Whether a server counts as active (JupyterHub lists only these by default).
pub fn is_active(view: &ServerView) -> bool {
    view.ready() || view.pending().is_some()
}

/// The user model; each group of fields is present only when a scope allows it.
#[derive(Debug, Serialize)]
pub struct UserModel {
    kind: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<String>>,
    /// `Some(None)` is `"server": null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<Option<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_activity: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    servers: Option<BTreeMap<String, ServerModel>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_info: Option<()>,
}

impl UserModel {
    /// The model of `user` as `caller` may see it. `servers` are the ones to show.
    pub fn new(
        caller: &Caller,
        user: &UserRecord,
        admin: bool,
        servers: &[ServerView],
        base_url: &str,
    ) -> Self {
        let target = Target::User(user.name.clone());
        let full = caller.may(&["read:users"], &target);
        let names = full || caller.may(&["read:users:name"], &target);
        let activity = full || caller.may(&["read:users:activity"], &target);
        let groups = full || caller.may(&["read:users:groups"], &target);
        let read_servers = caller.may(&["read:servers"], &target);
        let default = servers.iter().find(|s| s.key.name.is_empty());
        UserModel {
            kind: "user",
            name: user.name.clone(),
            admin: names.then_some(admin),
            roles: full.then(|| vec![if admin { "admin" } else { "user" }.to_string()]),
            groups: groups.then(Vec::new),
            server: full.then(|| default.filter(|s| s.ready()).and_then(|s| s.url.clone())),
            pending: full.then(|| default.and_then(ServerView::pending)),
            created: full.then(|| timestamp(user.created)),
            last_activity: activity.then(|| opt_timestamp(user.last_activity)),
            servers: read_servers.then(|| {
                servers
                    .iter()
                    .map(|s| (s.key.name.clone(), ServerModel::new(s, base_url)))
                    .collect()
            }),
            user_info: names.then_some(()),
        }
    }
}

/// The token model; `token` is the clear value, present only in the answer to a creation.
#[derive(Debug, Serialize)]
pub struct TokenModel {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    id: String,
    kind: &'static str,
    roles: Vec<String>,
    scopes: Vec<String>,
    created: String,
    last_activity: Option<String>,
    expires_at: Option<String>,
    note: String,
    session_id: Option<String>,
    oauth_client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl TokenModel {
    /// The model of a stored token.
    pub fn new(record: &TokenRecord, token: Option<String>) -> Self {
        let (user, service) = match &record.owner {
            TokenOwner::User(name) => (Some(name.clone()), None),
            TokenOwner::Service(name) => (None, Some(name.clone())),
        };
        TokenModel {
            user,
            service,
            id: record.id.to_string(),
            kind: "api_token",
            roles: Vec::new(),
            scopes: record.scopes.clone(),
            created: timestamp(record.created),
            last_activity: opt_timestamp(record.last_activity),
            expires_at: opt_timestamp(record.expires_at),
            note: record.note.clone(),
            session_id: record.session_id.clone(),
            oauth_client: record.oauth_client.clone(),
            token,
        }
    }
}
