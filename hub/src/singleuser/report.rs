//! Telling the hub where the server listens: `POST {JUPYTERHUB_API_URL}/batchspawner` with
//! `{"port": p, "host": h}`, retried while the hub is not ready for it.
//!
//! The job may start before the hub has recorded that it was submitted (the hub answers
//! 409 then), and the hub may be restarting (connection refused, 5xx); both pass, so both
//! are retried until a deadline. Any other 4xx means the token or the request is wrong,
//! which waiting does not fix.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the report is retried. Each value has its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSettings {
    /// Give up after this long: by then the hub has most likely given up on the job too
    /// (its start timeout).
    pub timeout: Duration,
    /// The first wait: a hub that is just recording the submission answers soon.
    pub first_delay: Duration,
    /// The longest wait: a restarted hub should learn of the server within seconds.
    pub max_delay: Duration,
    /// One attempt's limit: a hub that accepted the connection but hangs is retried.
    pub attempt_timeout: Duration,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            timeout: Duration::from_secs(120),
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

/// The report's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortReport {
    /// The port the server will listen on.
    pub port: u16,
    /// This node's host name, where the hub connects.
    pub host: String,
}

/// What to do after one answer from the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The hub has the port.
    Accepted,
    /// Not now; try again after a wait.
    Retry,
    /// The hub refused the report for good.
    Refused,
}

/// Judges one HTTP status from the hub.
pub fn judge(status: u16) -> Answer {
    match status {
        200..=299 => Answer::Accepted,
        // 409: the hub does not yet expect this server's report.
        409 => Answer::Retry,
        500..=599 => Answer::Retry,
        // Redirects and 1xx are not answers the API gives: treat them as refusals rather
        // than wait out the timeout.
        _ => Answer::Refused,
    }
}

/// The wait after `previous`: doubled, at most `settings.max_delay`.
pub fn next_delay(previous: Duration, settings: &ReportSettings) -> Duration {
    (previous * 2).min(settings.max_delay)
}

/// Why the hub did not get the port.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The hub answered with a 4xx other than 409.
    #[error("the hub refused the port report with HTTP {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The hub's message, or the body when it has none.
        message: String,
    },
    /// The deadline passed while the hub was not ready.
    #[error("the hub did not take the port report within {after:?}; last: {last}")]
    TimedOut {
        /// The deadline.
        after: Duration,
        /// The last answer or connection error.
        last: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

/// JupyterHub's error body, `{"status": 403, "message": "…"}`.
#[derive(Deserialize)]
struct HubErrorBody {
    message: Option<String>,
}

/// The readable part of an error body: its `message`, or the body itself.
fn message_of(body: &str) -> String {
    match serde_json::from_str::<HubErrorBody>(body) {
        Ok(HubErrorBody {
            message: Some(message),
        }) => message,
        _ => body.trim().to_string(),
    }
}

/// Posts `report` to `url` with `token` until the hub takes it, refuses it, or
/// `settings.timeout` passes.
pub async fn report_port(
    url: &str,
    token: &str,
    report: &PortReport,
    settings: &ReportSettings,
) -> Result<(), ReportError> {
    let http = super::hub_client::hub_client(url, settings.attempt_timeout)
        .map_err(ReportError::Client)?;
    let body = serde_json::to_string(report).expect("a port report serializes");
    let deadline = tokio::time::Instant::now() + settings.timeout;
    let mut delay = settings.first_delay;
    loop {
        let sent = http
            .post(url)
            .header(http::header::AUTHORIZATION, format!("token {token}"))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        let last = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                match judge(status) {
                    Answer::Accepted => return Ok(()),
                    Answer::Refused => {
                        return Err(ReportError::Refused {
                            status,
                            message: message_of(&text),
                        })
                    }
                    Answer::Retry => format!("HTTP {status}: {}", message_of(&text)),
                }
            }
            Err(e) => format!("{e}"),
        };
        let now = tokio::time::Instant::now();
        if now + delay > deadline {
            return Err(ReportError::TimedOut {
                after: settings.timeout,
                last,
            });
        }
        tracing::info!(%last, ?delay, "the hub is not ready for the port report; retrying");
        tokio::time::sleep(delay).await;
        delay = next_delay(delay, settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_judged() {
        assert_eq!(judge(200), Answer::Accepted);
        assert_eq!(judge(201), Answer::Accepted);
        assert_eq!(judge(409), Answer::Retry);
        assert_eq!(judge(502), Answer::Retry);
        assert_eq!(judge(503), Answer::Retry);
        assert_eq!(judge(400), Answer::Refused);
        assert_eq!(judge(403), Answer::Refused);
        assert_eq!(judge(404), Answer::Refused);
        assert_eq!(judge(302), Answer::Refused);
    }

    #[test]
    fn the_wait_doubles_up_to_the_cap() {
        let settings = ReportSettings::default();
        let mut delay = settings.first_delay;
        let mut waits = Vec::new();
        for _ in 0..7 {
            waits.push(delay.as_millis());
            delay = next_delay(delay, &settings);
        }
        assert_eq!(waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
    }

    #[test]
    fn the_hub_message_is_picked_out() {
        assert_eq!(
            message_of(r#"{"status": 403, "message": "Forbidden"}"#),
            "Forbidden"
        );
        assert_eq!(message_of("plain text\n"), "plain text");
        assert_eq!(message_of(r#"{"status": 403}"#), r#"{"status": 403}"#);
    }

    #[test]
    fn the_body_has_port_and_host() {
        let report = PortReport {
            port: 50065,
            host: "node7".into(),
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"port":50065,"host":"node7"}"#
        );
    }
}
