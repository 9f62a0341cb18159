//! The spawn form and the pending page.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::{layout, layout_with_head, server_title, server_url, stop_url, time, user_page};
use crate::control::ServerView;
use crate::form::describe::InputDescription;
use crate::form::FormDescription;
use crate::spawner::state::ServerState;
use crate::spawner::{describe_exit_status, SchedulerTerms};

/// What the spawn form shows.
#[derive(Debug)]
pub(in crate::web) struct SpawnPage<'a> {
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
pub(in crate::web) fn spawn_page(page: &SpawnPage<'_>) -> Markup {
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
                // A field with an error points at it, so a screen reader says why.
                @let invalid = page.errors.contains_key(&field.name);
                @let described = invalid.then(|| format!("error-{}", field.name));
                @let invalid_attr = invalid.then_some("true");
                div.field {
                    label for={ "field-" (field.name) } { (field.label) }
                    @match &field.input {
                        InputDescription::Integer { min, max, default } => {
                            input id={ "field-" (field.name) } type="number" name=(field.name)
                                min=(min) max=(max) value=(value(&field.name, &default.to_string()))
                                aria-invalid=[invalid_attr] aria-describedby=[described.as_deref()];
                            span.hint { " " (min) "–" (max) }
                        }
                        InputDescription::Size { min, max, default }
                        | InputDescription::Duration { min, max, default } => {
                            input id={ "field-" (field.name) } type="text" name=(field.name)
                                value=(value(&field.name, default))
                                aria-invalid=[invalid_attr] aria-describedby=[described.as_deref()];
                            span.hint { " " (min) " – " (max) }
                        }
                        InputDescription::Choice { choices, default } => {
                            @let chosen = value(&field.name, default);
                            select id={ "field-" (field.name) } name=(field.name)
                                aria-invalid=[invalid_attr] aria-describedby=[described.as_deref()] {
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
pub(in crate::web) struct PendingPage<'a> {
    pub base: &'a str,
    pub who: (&'a str, bool),
    pub user: &'a str,
    pub xsrf: &'a str,
    pub view: &'a ServerView,
    /// The API's progress stream for this server.
    pub progress_url: &'a str,
    /// Whether the viewer owns the server (only the owner gets the Cancel button).
    pub own: bool,
    /// The scheduler's words for queues and time limits.
    pub terms: &'a SchedulerTerms,
}

/// Seconds between reloads of the pending page without JavaScript.
const REFRESH_SECS: u32 = 10;

/// The pending page: progress now, live updates with JavaScript, a reload without.
pub(in crate::web) fn pending_page(page: &PendingPage<'_>) -> Markup {
    let view = page.view;
    let server = view.key.name.as_str();
    let event = view.progress.as_ref();
    let spawning = view.state.is_spawning();
    // Without JavaScript the page reloads itself while the spawn goes on.
    let head = html! {
        @if spawning {
            noscript { meta http-equiv="refresh" content=(REFRESH_SECS); }
        }
    };
    let body = html! {
        h1 { "Starting " (server_title(server).to_lowercase()) " of " (page.user) }
        div id="progress" data-progress-url=(page.progress_url)
            data-server-url=(server_url(page.base, page.user, server)) {
            progress id="progress-bar" max="100" aria-labelledby="progress-message"
                value=(event.and_then(|e| e.progress).unwrap_or(0)) {}
            p id="progress-message" role="status" aria-live="polite" {
                (event.map_or("Your server is starting", |e| e.message.as_str()))
            }
        }
        @match &view.state {
            ServerState::Queued { job, since, info, .. } => {
                dl {
                    dt { "Job" } dd { (job) }
                    @if let Some(queue) = &info.queue { dt { (page.terms.queue) } dd { (queue) } }
                    dt { (page.terms.waiting_since) } dd { (time(*since)) }
                    @if let Some(place) = view.place {
                        dt { "Position among this hub's queued jobs" } dd { (place.position) " of " (place.of) }
                    }
                    @if let Some(comment) = &info.comment {
                        dt { "The scheduler says" } dd.comment { (comment) }
                    }
                    @if let Some(start) = info.estimated_start {
                        dt { "Estimated start" } dd { (time(start)) }
                    }
                }
                p.hint { "There is no time limit on the queue wait: you can leave this page and come back." }
            }
            ServerState::Starting { job, .. } => {
                dl {
                    dt { "Job" } dd { (job) }
                    @if let Some(host) = view.exec_host() { dt { "Node" } dd { (host) } }
                }
            }
            ServerState::Failed { reason, job, exit_status, output_tail, at } => {
                p.error { strong { "Failed: " } (reason.message(page.terms)) }
                dl {
                    dt { "Failed at" } dd { (time(*at)) }
                    @if let Some(job) = job { dt { "Job" } dd { (job) } }
                    @if let Some(status) = exit_status {
                        dt { "Exit status" } dd { (describe_exit_status(*status, page.terms)) }
                    }
                    @if let Some(comment) = view.comment() {
                        dt { "The scheduler says" } dd.comment { (comment) }
                    }
                }
                @if let Some(tail) = output_tail {
                    h2 { "The end of the job's output" }
                    pre { (tail) }
                }
                @if job.is_some() {
                    p { a href=(user_page(page.base, "output", page.user, server)) { "The job's output" } }
                }
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
            script src={ (page.base) "hub" (crate::web::assets::PENDING_JS_PATH) } {}
        }
    };
    layout_with_head(page.base, Some(page.who), "Starting", head, body)
}
