//! The home page: one card per server, with what an HPC user asks first — is it queued and
//! why, where does it run, how much time is left, what did it print — and the buttons for
//! what can be done in its state.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use maud::{html, Markup};

use super::{server_title, server_url, stop_url, time, user_page};
use crate::control::{ServerView, MAX_SERVER_NAME};
use crate::spawner::state::{EndCause, ServerState};
use crate::spawner::{describe_exit_status, FailReason, SchedulerTerms};

/// Below this much walltime left, a running server's card warns (unsaved work is lost when
/// the job is killed).
pub(in crate::web) const WALLTIME_WARNING: Duration = Duration::from_secs(10 * 60);

/// What the home page shows.
#[derive(Debug)]
pub(in crate::web) struct HomePage<'a> {
    pub base: &'a str,
    pub who: (&'a str, bool),
    pub xsrf: &'a str,
    pub servers: &'a [ServerView],
    pub now: DateTime<Utc>,
    /// The spawn form's labels by field name, to show the options asked for.
    pub labels: &'a BTreeMap<String, String>,
    /// The labels of choice fields' choices, by field name and choice key.
    pub choice_labels: &'a BTreeMap<(String, String), String>,
    /// The scheduler's words for queues and time limits.
    pub terms: &'a SchedulerTerms,
    /// Whether the "new named server" form is shown.
    pub named_servers: bool,
    /// Why the last named-server name was refused, shown next to the field.
    pub name_error: Option<&'a str>,
}

/// The state in words (never by colour alone).
fn state_words(view: &ServerView) -> String {
    match &view.state {
        ServerState::Stopped { last: None } => "Not started".to_string(),
        ServerState::Stopped { last: Some(ended) } => match &ended.cause {
            EndCause::Requested => "Stopped".to_string(),
            EndCause::JobEnded { .. } => "Stopped: its job ended".to_string(),
        },
        ServerState::Waiting { .. } => "Waiting for a spawn slot in the hub".to_string(),
        ServerState::Submitting { .. } => "Submitting the batch job".to_string(),
        ServerState::Adopting {
            stop_requested: true,
            ..
        } => "Stopping".to_string(),
        ServerState::Adopting { .. } => {
            "Looking for the batch job a hub restart interrupted".to_string()
        }
        ServerState::Queued { info, .. } if info.letter == Some('H') => {
            "Held in the scheduler's queue".to_string()
        }
        ServerState::Queued { .. } => "Queued: waiting for the scheduler".to_string(),
        ServerState::Starting { .. } => {
            "Starting: the job runs, the notebook server is not up yet".to_string()
        }
        ServerState::Running { .. } => "Running".to_string(),
        ServerState::Stopping { .. } => "Stopping".to_string(),
        ServerState::Failed { .. } => "Failed".to_string(),
    }
}

/// `1 h 05 min`, `9 min`, `45 s`.
pub(in crate::web) fn duration_words(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min")
    } else {
        format!("{secs} s")
    }
}

fn exit_status_of(view: &ServerView) -> Option<i32> {
    match &view.state {
        ServerState::Failed { exit_status, .. } => *exit_status,
        ServerState::Stopped { last: Some(ended) } => match &ended.cause {
            EndCause::JobEnded { exit_status, .. } => *exit_status,
            EndCause::Requested => None,
        },
        _ => None,
    }
}

/// The options asked for, each under its form label (options the form no longer has keep
/// their own name).
fn resources(view: &ServerView, page: &HomePage<'_>) -> Markup {
    let value_label = |name: &str, value: &str| {
        page.choice_labels
            .get(&(name.to_string(), value.to_string()))
            .cloned()
            .unwrap_or_else(|| value.to_string())
    };
    html! {
        @if !view.user_options.is_empty() {
            dt { "Resources asked" }
            dd {
                ul.resources {
                    @for (name, value) in &view.user_options {
                        li {
                            (page.labels.get(name).map_or(name.as_str(), String::as_str)) ": "
                            (value_label(name, value))
                        }
                    }
                }
            }
        }
    }
}

/// The buttons of a card: Cancel or Stop while active, Relaunch and Start when not.
fn buttons(page: &HomePage<'_>, view: &ServerView) -> Markup {
    let (base, user, server) = (page.base, page.who.0, view.key.name.as_str());
    let stop_label = match &view.state {
        ServerState::Waiting { .. }
        | ServerState::Submitting { .. }
        | ServerState::Adopting {
            stop_requested: false,
            ..
        }
        | ServerState::Queued { .. } => Some("Cancel"),
        ServerState::Starting { .. } | ServerState::Running { .. } => Some("Stop"),
        _ => None,
    };
    let relaunch = if server.is_empty() {
        format!("{base}hub/relaunch")
    } else {
        format!("{base}hub/relaunch/{server}")
    };
    html! {
        @if let Some(label) = stop_label {
            form.inline method="post" action=(stop_url(base, server)) {
                input type="hidden" name="_xsrf" value=(page.xsrf);
                button type="submit" { (label) }
            }
        }
        @if !view.state.is_active() {
            @if !view.user_options.is_empty() {
                form.inline method="post" action=(relaunch) {
                    input type="hidden" name="_xsrf" value=(page.xsrf);
                    button.relaunch type="submit" { "Relaunch" }
                }
                " "
                a.start href=(user_page(base, "spawn", user, server)) { "Change options and start" }
            } @else {
                a.start href=(user_page(base, "spawn", user, server)) { "Start" }
            }
        }
    }
}

/// One server's card.
fn card(page: &HomePage<'_>, view: &ServerView) -> Markup {
    let (base, user) = (page.base, page.who.0);
    let server = view.key.name.as_str();
    let id = if server.is_empty() {
        "default".to_string()
    } else {
        format!("named-{server}")
    };
    let message = view.progress.as_ref().map(|p| p.message.as_str());
    let time_left = view.time_left(page.now);
    let terms = page.terms;
    let failure: Option<&FailReason> = match &view.state {
        ServerState::Failed { reason, .. } => Some(reason),
        _ => None,
    };
    html! {
        section.card id={ "server-" (id) } aria-labelledby={ "title-" (id) } {
            h2 id={ "title-" (id) } { (server_title(server)) }
            dl {
                dt { "State" } dd.state { (state_words(view)) }
                @if let Some(job) = view.job() { dt { "Job" } dd.job { (job) } }
                @if let Some(queue) = view.queue() { dt { (terms.queue) } dd.queue { (queue) } }
                @if let Some(place) = view.place {
                    dt { "Position in this hub's line" }
                    dd.position { (place.position) " of " (place.of) }
                }
                @if let Some(start) = view.estimated_start() {
                    dt { "Estimated start" } dd.estimated { (time(start)) }
                }
                @if let Some(host) = view.exec_host() { dt { "Node" } dd.host { (host) } }
                @if let Some(comment) = view.comment() {
                    dt { "The scheduler says" } dd.comment { (comment) }
                }
                @if let Some(status) = exit_status_of(view) {
                    dt { "Exit status" } dd.exit { (describe_exit_status(status, terms)) }
                }
                @if let (true, Some(started)) = (view.state.is_active(), view.started) {
                    dt { "Asked for at" } dd { (time(started)) }
                }
                @if let Some(left) = time_left {
                    dt { "Time remaining" } dd.remaining { (duration_words(left)) }
                } @else if let (false, Some(walltime)) = (view.ready(), view.walltime) {
                    dt { (terms.walltime) " asked" } dd { (walltime) }
                }
                (resources(view, page))
            }
            @if let Some(left) = time_left {
                @if left < WALLTIME_WARNING {
                    p.warning role="alert" {
                        "Warning: less than " (duration_words(WALLTIME_WARNING))
                        " of " (terms.walltime_in_text()) " left (" (duration_words(left)) "). The job will be killed "
                        "when it runs out: save your work now."
                    }
                }
            }
            @if let Some(reason) = failure {
                p.error { strong { "Failed: " } (reason.message(terms)) }
            }
            @if let ServerState::Failed { output_tail: Some(tail), .. } = &view.state {
                details.output {
                    summary { "The end of the job's output" }
                    pre { (tail) }
                }
            }
            @if view.state.is_active() && !view.ready() {
                @if let Some(message) = message { p.progress { (message) } }
            }
            p.links {
                @if view.ready() {
                    @let url = view.url.clone().unwrap_or_else(|| server_url(base, user, server));
                    a.open href=(url) { "Open " (url) } " "
                } @else if view.state.is_spawning() {
                    a href=(user_page(base, "spawn-pending", user, server)) { "Follow progress" } " "
                }
                @if view.job().is_some() {
                    a.output href=(user_page(base, "output", user, server)) { "Job output" }
                }
            }
            (buttons(page, view))
        }
    }
}

/// The home page: one card per server (the default one always), then the form for a new
/// named server when they are allowed.
pub(in crate::web) fn home_page(page: &HomePage<'_>) -> Markup {
    let body = html! {
        h1 { "Your servers" }
        @for view in page.servers {
            (card(page, view))
        }
        @if page.named_servers {
            section.card aria-labelledby="new-server-title" {
                h2 id="new-server-title" { "New named server" }
                form method="post" action={ (page.base) "hub/new-server" } {
                    input type="hidden" name="_xsrf" value=(page.xsrf);
                    label for="new-server-name" { "Server name" }
                    input id="new-server-name" type="text" name="name" required
                        maxlength=(MAX_SERVER_NAME) pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*"
                        aria-describedby="new-server-help";
                    p.hint id="new-server-help" {
                        "Letters, digits, '-', '_' and '.', starting with a letter or a digit."
                    }
                    @if let Some(error) = page.name_error {
                        p.error id="new-server-error" { (error) }
                    }
                    button type="submit" { "Create and choose options" }
                }
            }
        }
    };
    super::layout(page.base, Some(page.who), "Home", body)
}
