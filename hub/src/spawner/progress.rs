//! Spawn progress in JupyterHub's Server-Sent Events model (`progress`, `message`, `ready`,
//! `failed`, `url`), derived from the state alone: the progress handler sends a new event
//! whenever the derived one changes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::poll::Position;
use super::state::{describe_exit_status, EndCause, ServerState, StopReason};
use super::terms::SchedulerTerms;

/// One progress event, serialized as JupyterHub sends it (`data: <json>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressEvent {
    /// Percent done; JupyterHub's page draws a bar from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<u8>,
    /// What is happening, for the user.
    pub message: String,
    /// The server is up: the last event of a successful spawn.
    #[serde(skip_serializing_if = "is_false")]
    pub ready: bool,
    /// The spawn failed or was cancelled: the last event.
    #[serde(skip_serializing_if = "is_false")]
    pub failed: bool,
    /// Where the ready server is, for the page to go to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ProgressEvent {
    fn step(progress: u8, message: String) -> Self {
        ProgressEvent {
            progress: Some(progress),
            message,
            ready: false,
            failed: false,
            url: None,
        }
    }

    fn failed(message: String) -> Self {
        ProgressEvent {
            progress: Some(100),
            message,
            ready: false,
            failed: true,
            url: None,
        }
    }

    /// Whether this event ends the stream.
    pub fn is_final(&self) -> bool {
        self.ready || self.failed
    }
}

/// The progress event for `state`, or `None` for a server that never started (JupyterHub
/// answers 400 "not starting" then).
///
/// `place` is the server's place in its line: [`waiting_positions`](super::waiting_positions)
/// for a waiting server, [`queue_positions`](super::queue_positions) for a queued one.
/// `server_prefix` is the server's public path (`/user/alice/`), `now` the hub's clock,
/// `terms` the scheduler's words.
pub fn progress(
    state: &ServerState,
    place: Option<Position>,
    server_prefix: &str,
    now: DateTime<Utc>,
    terms: &SchedulerTerms,
) -> Option<ProgressEvent> {
    let event = match state {
        ServerState::Stopped { last: None } => return None,
        ServerState::Stopped { last: Some(ended) } => match &ended.cause {
            EndCause::Requested => ProgressEvent::failed("Spawn cancelled".to_string()),
            EndCause::JobEnded {
                exit_status,
                comment,
            } => {
                let mut text = "Server stopped: its job ended".to_string();
                push_exit(&mut text, *exit_status, comment.as_deref(), terms);
                ProgressEvent::failed(text)
            }
        },
        ServerState::Waiting { since } => {
            let mut text = "Waiting for a free spawn slot".to_string();
            if let Some(p) = place {
                text.push_str(&format!(" (position {} of {})", p.position, p.of));
            }
            text.push_str(&format!(", {}", waited(*since, now)));
            ProgressEvent::step(5, text)
        }
        ServerState::Submitting { .. } => {
            ProgressEvent::step(10, "Submitting your batch job".to_string())
        }
        ServerState::Adopting {
            lookup_error,
            stop_requested,
            ..
        } => {
            let mut text = if *stop_requested {
                "Stopping: the hub restarted while submitting your job; looking for that job \
                 to delete it"
                    .to_string()
            } else {
                "The hub restarted while submitting your job; asking the scheduler whether \
                 the job was created"
                    .to_string()
            };
            if let Some(error) = lookup_error {
                text.push_str(&format!(
                    ". (The scheduler did not answer: {error}. The hub asks again.)"
                ));
            }
            if *stop_requested {
                ProgressEvent {
                    progress: None,
                    message: text,
                    ready: false,
                    failed: false,
                    url: None,
                }
            } else {
                ProgressEvent::step(10, text)
            }
        }
        ServerState::Queued {
            job,
            since,
            info,
            query_error,
        } => {
            let held = info.letter == Some('H');
            let mut text = if held {
                let mut text = format!("Job {job} is held");
                if let Some(queue) = &info.queue {
                    text.push_str(&format!(" ({} {queue})", terms.queue.to_lowercase()));
                }
                text
            } else {
                format!("Job {job} {}", terms.waiting_in(info.queue.as_deref()))
            };
            text.push_str(&format!(", {}", waited(*since, now)));
            if let Some(p) = place {
                text.push_str(&format!(
                    "; position {} of this hub's {} queued jobs",
                    p.position, p.of
                ));
            }
            if let Some(comment) = &info.comment {
                text.push_str(&format!(". The scheduler says: {comment}"));
            }
            if let Some(start) = info.estimated_start {
                text.push_str(&format!(
                    ". Estimated start: {}",
                    start.format("%Y-%m-%d %H:%M UTC")
                ));
            }
            push_query_error(&mut text, query_error.as_deref());
            ProgressEvent::step(25, text)
        }
        ServerState::Starting {
            job,
            exec_host,
            query_error,
            reported: None,
            ..
        } => {
            let mut text = format!("Job {job} is running");
            if let Some(host) = exec_host {
                text.push_str(&format!(" on {host}"));
            }
            text.push_str("; waiting for the notebook server to start");
            push_query_error(&mut text, query_error.as_deref());
            ProgressEvent::step(60, text)
        }
        ServerState::Starting {
            job,
            query_error,
            reported: Some(address),
            ..
        } => {
            let mut text = format!(
                "Job {job}: the notebook server is starting on {}:{}; connecting",
                address.host, address.port
            );
            push_query_error(&mut text, query_error.as_deref());
            ProgressEvent::step(80, text)
        }
        ServerState::Running { .. } => ProgressEvent {
            progress: Some(100),
            message: format!("Server ready at {server_prefix}"),
            ready: true,
            failed: false,
            url: Some(server_prefix.to_string()),
        },
        ServerState::Stopping { job, reason, .. } => {
            let why = match reason {
                StopReason::Requested => "Stopping",
                StopReason::StartTimeout => "The server did not start in time; stopping",
                StopReason::QueueTimeout => "The job waited too long in the queue; stopping",
            };
            let text = match job {
                Some(job) => format!("{why}: deleting job {job}"),
                None => format!("{why}: waiting for the submitted job's id to delete it"),
            };
            ProgressEvent {
                progress: None,
                message: text,
                ready: false,
                failed: false,
                url: None,
            }
        }
        ServerState::Failed {
            reason,
            exit_status,
            ..
        } => {
            let mut text = format!("Spawn failed: {}", reason.message(terms));
            if let Some(status) = exit_status {
                text.push_str(&format!(" ({})", describe_exit_status(*status, terms)));
            }
            ProgressEvent::failed(text)
        }
    };
    Some(event)
}

fn push_exit(
    text: &mut String,
    exit_status: Option<i32>,
    comment: Option<&str>,
    terms: &SchedulerTerms,
) {
    if let Some(status) = exit_status {
        text.push_str(&format!(" ({})", describe_exit_status(status, terms)));
    }
    if let Some(comment) = comment {
        text.push_str(&format!(". The scheduler says: {comment}"));
    }
}

fn push_query_error(text: &mut String, error: Option<&str>) {
    if let Some(error) = error {
        text.push_str(&format!(
            ". (The scheduler did not answer the last status query: {error}. Your job is \
             kept; the hub asks again.)"
        ));
    }
}

/// "waiting for 12 min" (whole minutes; seconds under a minute).
fn waited(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = now.signed_duration_since(since).num_seconds().max(0);
    if secs < 60 {
        format!("waiting for {secs} s")
    } else {
        format!("waiting for {} min", secs / 60)
    }
}
