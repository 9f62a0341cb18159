//! The pages' HTML, built with [`maud`]: every value spliced in is escaped, so a user's
//! option, a scheduler's comment or a user name cannot inject markup. Pure functions of the
//! data they are given; the handlers gather it.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::control::ServerView;
use crate::form::describe::InputDescription;
use crate::form::FormDescription;
use crate::spawner::state::ServerState;

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}\
header{display:flex;gap:1em;align-items:center;background:#1d3557;color:#fff;padding:.6em 1em}\
header a{color:#fff}header .who{margin-left:auto}\
main{max-width:60em;margin:1.5em auto;padding:0 1em}\
.card{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}\
.state{font-weight:bold;text-transform:capitalize}\
.error{color:#b00020}.hint{color:#555}\
form.inline{display:inline}label{display:block;font-weight:bold;margin-top:.8em}\
.field{margin-bottom:.6em}table{border-collapse:collapse;width:100%}\
td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}\
pre{background:#f4f4f4;padding:.5em;overflow:auto}";

/// Updates the pending page from the progress stream; goes to the server when it is ready,
/// reloads (to show why) when the spawn failed. Static text: the URLs come from `data-`
/// attributes, escaped by the template.
const PENDING_JS: &str = r#"(function () {
  var box = document.getElementById("progress");
  if (!box || !window.EventSource) { return; }
  var message = document.getElementById("progress-message");
  var bar = document.getElementById("progress-bar");
  var source = new EventSource(box.dataset.progressUrl);
  source.onmessage = function (e) {
    var event;
    try { event = JSON.parse(e.data); } catch (err) { return; }
    if (event.message) { message.textContent = event.message; }
    if (typeof event.progress === "number") { bar.value = event.progress; }
    if (event.ready) { source.close(); window.location.href = box.dataset.serverUrl; }
    else if (event.failed) { source.close(); window.location.reload(); }
  };
})();"#;

/// The public URL of a server: `{base}user/{user}/` or `{base}user/{user}/{server}/`.
pub(super) fn server_url(base: &str, user: &str, server: &str) -> String {
    if server.is_empty() {
        format!("{base}user/{user}/")
    } else {
        format!("{base}user/{user}/{server}/")
    }
}

/// `{base}hub/{page}/{user}[/{server}]`.
pub(super) fn user_page(base: &str, page: &str, user: &str, server: &str) -> String {
    if server.is_empty() {
        format!("{base}hub/{page}/{user}")
    } else {
        format!("{base}hub/{page}/{user}/{server}")
    }
}

/// Where one's own server's stop form posts.
pub(super) fn stop_url(base: &str, server: &str) -> String {
    if server.is_empty() {
        format!("{base}hub/stop")
    } else {
        format!("{base}hub/stop/{server}")
    }
}

fn server_title(server: &str) -> String {
    if server.is_empty() {
        "Default server".to_string()
    } else {
        format!("Server {server}")
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The shared layout: a header with the user and Logout, then the page.
pub(super) fn layout(base: &str, who: Option<(&str, bool)>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — batchhub" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    strong { "batchhub" }
                    @if let Some((name, admin)) = who {
                        a href={ (base) "hub/home" } { "Home" }
                        @if admin {
                            a href={ (base) "hub/admin" } { "Admin" }
                        }
                        span.who { (name) " · " a href={ (base) "hub/logout" } { "Logout" } }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// An error page.
pub(super) fn error_page(
    base: &str,
    who: Option<(&str, bool)>,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Markup {
    let body = html! {
        h1 { (status.as_u16()) " " (title) }
        p.error { (message) }
        p { a href={ (base) "hub/home" } { "Back to home" } }
    };
    layout(base, who, title, body)
}

/// What the login page shows.
#[derive(Debug)]
pub(super) struct LoginPage<'a> {
    pub base: &'a str,
    /// The form's action, with `next`.
    pub action: &'a str,
    pub xsrf: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    pub authenticator_kind: &'a str,
    pub hint: Option<&'a str>,
}

/// The login form.
pub(super) fn login_page(page: &LoginPage<'_>) -> Markup {
    let body = html! {
        h1 { "Sign in" }
        @if let Some(error) = page.error {
            p.error.login_error { (error) }
        }
        form action=(page.action) method="post" {
            input type="hidden" name="_xsrf" value=(page.xsrf);
            label for="username_input" { "Username" }
            input id="username_input" type="text" name="username" value=(page.username)
                autocapitalize="off" autocorrect="off" autofocus required;
            label for="password_input" { "Password" }
            input id="password_input" type="password" name="password" required;
            p { input id="login_submit" type="submit" value="Sign in"; }
        }
        @if let Some(hint) = page.hint {
            p.hint { (hint) }
        }
        p.hint { "Authentication: " (page.authenticator_kind) }
    };
    layout(page.base, None, "Sign in", body)
}

/// One server's card on the home page.
fn card(base: &str, user: &str, xsrf: &str, view: &ServerView) -> Markup {
    let server = view.key.name.as_str();
    let message = view.progress.as_ref().map(|p| p.message.as_str());
    html! {
        div.card id={ "server-" (server) } {
            h2 { (server_title(server)) }
            p { "State: " span.state { (view.state.name()) } }
            @match &view.state {
                ServerState::Queued { job, since, info, .. } => {
                    p { "Job " (job) " queued since " (time(*since)) }
                    @if let Some(message) = message { p.progress { (message) } }
                    @if let Some(comment) = &info.comment { p { "The scheduler says: " (comment) } }
                    @if let Some(start) = info.estimated_start { p { "Estimated start: " (time(start)) } }
                    p { a href=(user_page(base, "spawn-pending", user, server)) { "Follow progress" } }
                }
                ServerState::Waiting { .. } | ServerState::Submitting { .. } | ServerState::Starting { .. } => {
                    @if let Some(message) = message { p.progress { (message) } }
                    p { a href=(user_page(base, "spawn-pending", user, server)) { "Follow progress" } }
                }
                ServerState::Running { job, since, .. } => {
                    @let url = view.url.clone().unwrap_or_else(|| server_url(base, user, server));
                    p { "Job " (job) ", running since " (time(*since)) }
                    p { a.open href=(url) { "Open " (url) } }
                }
                ServerState::Stopping { .. } => {
                    @if let Some(message) = message { p.progress { (message) } }
                }
                ServerState::Failed { reason, job, exit_status, output_tail, at } => {
                    p.error { (reason.message()) }
                    p {
                        "Failed at " (time(*at))
                        @if let Some(job) = job { " (job " (job) ")" }
                        @if let Some(status) = exit_status { ", exit status " (status) }
                    }
                    @if let Some(tail) = output_tail { pre { (tail) } }
                }
                ServerState::Stopped { .. } => {}
            }
            @if view.state.is_active() {
                form.inline method="post" action=(stop_url(base, server)) {
                    input type="hidden" name="_xsrf" value=(xsrf);
                    button type="submit" { "Stop" }
                }
            } @else {
                a.start href=(user_page(base, "spawn", user, server)) { "Start" }
            }
        }
    }
}

/// The home page: one card per server (the default one always).
pub(super) fn home_page(
    base: &str,
    who: (&str, bool),
    xsrf: &str,
    servers: &[ServerView],
) -> Markup {
    let body = html! {
        h1 { "Your servers" }
        @for view in servers {
            (card(base, who.0, xsrf, view))
        }
    };
    layout(base, Some(who), "Home", body)
}

/// What the spawn form shows.
#[derive(Debug)]
pub(super) struct SpawnPage<'a> {
    pub base: &'a str,
    pub who: (&'a str, bool),
    pub server: &'a str,
    pub action: &'a str,
    pub xsrf: &'a str,
    pub form: &'a FormDescription,
    /// The values to fill in: submitted ones, else last used, else defaults.
    pub values: &'a BTreeMap<String, String>,
    /// Errors by field name.
    pub errors: &'a BTreeMap<String, String>,
}

fn field_error(errors: &BTreeMap<String, String>, name: &str) -> Markup {
    html! {
        @if let Some(message) = errors.get(name) {
            p.error id={ "error-" (name) } { (message) }
        }
    }
}

/// The spawn form, with each error next to its field.
pub(super) fn spawn_page(page: &SpawnPage<'_>) -> Markup {
    let known = |name: &str| name == "profile" || page.form.fields.iter().any(|f| f.name == name);
    let value = |name: &str, default: &str| {
        page.values
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let body = html! {
        h1 { "Start " (server_title(page.server).to_lowercase()) }
        @for (name, message) in page.errors.iter().filter(|(name, _)| !known(name)) {
            p.error { (name) ": " (message) }
        }
        form id="spawn_form" method="post" action=(page.action) {
            input type="hidden" name="_xsrf" value=(page.xsrf);
            @if !page.form.profiles.is_empty() {
                div.field {
                    label for="field-profile" { "Profile" }
                    @let chosen = value("profile", "");
                    select id="field-profile" name="profile" {
                        option value="" selected[chosen.is_empty()] { "(none: use the fields below)" }
                        @for profile in &page.form.profiles {
                            option value=(profile.name) selected[chosen == profile.name] { (profile.label) }
                        }
                    }
                    (field_error(page.errors, "profile"))
                }
            }
            @for field in &page.form.fields {
                div.field {
                    label for={ "field-" (field.name) } { (field.label) }
                    @match &field.input {
                        InputDescription::Integer { min, max, default } => {
                            input id={ "field-" (field.name) } type="number" name=(field.name)
                                min=(min) max=(max) value=(value(&field.name, &default.to_string()));
                            span.hint { " " (min) "–" (max) }
                        }
                        InputDescription::Size { min, max, default }
                        | InputDescription::Duration { min, max, default } => {
                            input id={ "field-" (field.name) } type="text" name=(field.name)
                                value=(value(&field.name, default));
                            span.hint { " " (min) " – " (max) }
                        }
                        InputDescription::Choice { choices, default } => {
                            @let chosen = value(&field.name, default);
                            select id={ "field-" (field.name) } name=(field.name) {
                                @for choice in choices {
                                    option value=(choice.key) selected[chosen == choice.key] { (choice.label) }
                                }
                            }
                        }
                    }
                    @if !field.help.is_empty() { p.hint { (field.help) } }
                    (field_error(page.errors, &field.name))
                }
            }
            button type="submit" { "Start" }
        }
    };
    layout(page.base, Some(page.who), "Start a server", body)
}

/// What the pending page shows.
#[derive(Debug)]
pub(super) struct PendingPage<'a> {
    pub base: &'a str,
    pub who: (&'a str, bool),
    pub user: &'a str,
    pub xsrf: &'a str,
    pub view: &'a ServerView,
    /// The API's progress stream for this server.
    pub progress_url: &'a str,
    /// Whether the viewer owns the server (only the owner gets the Cancel button).
    pub own: bool,
}

/// Seconds between reloads of the pending page without JavaScript.
const REFRESH_SECS: u32 = 10;

/// The pending page: progress now, live updates with JavaScript, a reload without.
pub(super) fn pending_page(page: &PendingPage<'_>) -> Markup {
    let view = page.view;
    let server = view.key.name.as_str();
    let event = view.progress.as_ref();
    let spawning = view.state.is_spawning();
    let body = html! {
        @if spawning {
            noscript { meta http-equiv="refresh" content=(REFRESH_SECS); }
        }
        h1 { "Starting " (server_title(server).to_lowercase()) " of " (page.user) }
        div id="progress" data-progress-url=(page.progress_url)
            data-server-url=(server_url(page.base, page.user, server)) {
            progress id="progress-bar" max="100" value=(event.and_then(|e| e.progress).unwrap_or(0)) {}
            p id="progress-message" {
                (event.map_or("Your server is starting", |e| e.message.as_str()))
            }
        }
        @match &view.state {
            ServerState::Queued { job, since, info, .. } => {
                dl {
                    dt { "Job" } dd { (job) }
                    @if let Some(queue) = &info.queue { dt { "Queue" } dd { (queue) } }
                    dt { "Queued since" } dd { (time(*since)) }
                    @if let Some(comment) = &info.comment {
                        dt { "The scheduler says" } dd.comment { (comment) }
                    }
                    @if let Some(start) = info.estimated_start {
                        dt { "Estimated start" } dd { (time(start)) }
                    }
                }
                p.hint { "There is no time limit on the queue wait: you can leave this page and come back." }
            }
            ServerState::Failed { reason, output_tail, .. } => {
                p.error { (reason.message()) }
                @if let Some(tail) = output_tail { pre { (tail) } }
                p { a href=(user_page(page.base, "spawn", page.user, server)) { "Try again" } }
            }
            _ => {}
        }
        @if page.own && view.state.is_active() {
            form.inline method="post" action=(stop_url(page.base, server)) {
                input type="hidden" name="_xsrf" value=(page.xsrf);
                button type="submit" { "Cancel" }
            }
        }
        @if spawning {
            script { (PreEscaped(PENDING_JS)) }
        }
    };
    layout(page.base, Some(page.who), "Starting", body)
}

/// The "not running" page (JupyterHub 4's, answered with 424).
pub(super) fn not_running_page(base: &str, who: (&str, bool), user: &str, server: &str) -> Markup {
    let body = html! {
        h1 { "Your server is not running" }
        p { "Your " (server_title(server).to_lowercase()) " is not running. Would you like to start it?" }
        p { a.start href=(user_page(base, "spawn", user, server)) { "Launch server" } }
    };
    layout(base, Some(who), "Server not running", body)
}

/// One user's row on the admin page.
#[derive(Debug)]
pub(super) struct AdminRow {
    pub name: String,
    pub admin: bool,
    pub last_activity: Option<DateTime<Utc>>,
    pub servers: Vec<ServerView>,
}

/// The admin page: one page of users with their servers.
pub(super) fn admin_page(
    base: &str,
    who: (&str, bool),
    xsrf: &str,
    rows: &[AdminRow],
    offset: u64,
    limit: u64,
    total: u64,
) -> Markup {
    let body = html! {
        h1 { "Users" }
        p { "Users " (offset + 1) "–" (offset + rows.len() as u64) " of " (total) }
        table {
            tr { th { "User" } th { "Admin" } th { "Last activity" } th { "Servers" } }
            @for row in rows {
                tr.user {
                    td { (row.name) }
                    td { @if row.admin { "yes" } }
                    td { @if let Some(t) = row.last_activity { (time(t)) } }
                    td {
                        @for view in &row.servers {
                            div {
                                (server_title(&view.key.name)) ": " span.state { (view.state.name()) }
                                @if view.state.is_active() {
                                    " "
                                    form.inline method="post"
                                        action=(user_page(base, "admin/stop", &row.name, &view.key.name)) {
                                        input type="hidden" name="_xsrf" value=(xsrf);
                                        button type="submit" { "Stop" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p {
            @if offset > 0 {
                a href={ (base) "hub/admin?offset=" (offset.saturating_sub(limit)) } { "Previous" } " "
            }
            @if offset + limit < total {
                a href={ (base) "hub/admin?offset=" (offset + limit) } { "Next" }
            }
        }
    };
    layout(base, Some(who), "Admin", body)
}
