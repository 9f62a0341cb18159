//! The pages' HTML, built with [`maud`]: every value spliced in is escaped, so a user's
//! option, a scheduler's comment or a user name cannot inject markup. Pure functions of the
//! data they are given; the handlers gather it.

//!
//! Layout: this file holds the shared layout, the URL helpers, login, error and "not
//! running" pages; `home` the server cards, `spawn` the spawn form and the pending page,
//! `admin` the admin page, `output` the job output page.

mod admin;
mod home;
mod output;
mod spawn;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

pub(super) use admin::{admin_page, AdminPage, AdminRow};
pub(super) use home::{home_page, HomePage};
pub(super) use output::output_page;
pub(super) use spawn::{pending_page, spawn_page, PendingPage, SpawnPage};

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
    layout_with_head(base, who, title, html! {}, body)
}

/// The shared layout with `head` added to the document's head (the pending page's
/// no-script refresh).
pub(super) fn layout_with_head(
    base: &str,
    who: Option<(&str, bool)>,
    title: &str,
    head: Markup,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — batchhub" }
                link rel="stylesheet" href={ (base) "hub" (super::assets::CSS_PATH) };
                (head)
            }
            body {
                header {
                    strong { "batchhub" }
                    @if let Some((name, admin)) = who {
                        nav aria-label="Hub" {
                            a href={ (base) "hub/home" } { "Home" }
                            @if admin {
                                " " a href={ (base) "hub/admin" } { "Admin" }
                            }
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

/// The "not running" page (JupyterHub 4's, answered with 424).
pub(super) fn not_running_page(base: &str, who: (&str, bool), user: &str, server: &str) -> Markup {
    let body = html! {
        h1 { "Your server is not running" }
        p { "Your " (server_title(server).to_lowercase()) " is not running. Would you like to start it?" }
        p { a.start href=(user_page(base, "spawn", user, server)) { "Launch server" } }
    };
    layout(base, Some(who), "Server not running", body)
}

/// A user server that the proxy found down.
#[derive(Debug)]
pub(super) struct UserServerDown<'a> {
    pub user: &'a str,
    pub server: &'a str,
    /// Whether to offer the Start link (not to a viewer known to be someone else).
    pub can_start: bool,
    /// Whether the hub believes it runs (the proxy could not reach it all the same).
    pub running: bool,
}

/// The page behind the proxy's error target: "not running" with a Start link for a user
/// server, a generic page otherwise. `url` is the original path, shown escaped.
pub(super) fn error_target_page(
    base: &str,
    who: Option<(&str, bool)>,
    status: StatusCode,
    url: &str,
    down: Option<&UserServerDown<'_>>,
) -> Markup {
    let body = html! {
        @match down {
            Some(down) if down.running => {
                h1 { "Your server is not responding" }
                p {
                    (server_title(down.server)) " of " (down.user) " should be running but cannot be "
                    "reached (" (status.as_u16()) "). Its job may have just ended or its node may "
                    "be unreachable; the hub checks the job regularly. Reload in a minute, or see "
                    "the server's card on the home page."
                }
                p { a href={ (base) "hub/home" } { "Home" } }
            }
            Some(down) => {
                h1 { "Your server is not running" }
                p {
                    (server_title(down.server)) " of " (down.user) " is not running or cannot be "
                    "reached (" (status.as_u16()) ")."
                }
                @if down.can_start {
                    p { a.start href=(user_page(base, "spawn", down.user, down.server)) { "Start server" } }
                }
                p { a href={ (base) "hub/home" } { "Home" } }
            }
            None => {
                h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("Error")) }
                @if url.is_empty() {
                    p.error { "The page could not be reached." }
                } @else {
                    p.error { "The page " code { (url) } " could not be reached." }
                }
                p { a href={ (base) "hub/home" } { "Home" } }
            }
        }
    };
    let title = if down.is_some() {
        "Server not running"
    } else {
        "Error"
    };
    layout(base, who, title, body)
}
