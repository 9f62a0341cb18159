//! The home page's cards in every state and the walltime warning; the helpers that put a
//! server in a state (shared with `actions`).

use std::collections::BTreeMap;

use super::*;
use crate::control::ServerView;
use crate::spawner::poll::Position;
use crate::spawner::progress::ProgressEvent;
use crate::spawner::state::{EndCause, Ended, FailReason, QueueInfo, ServerState};
use drivers::resources::Walltime;

pub(super) fn job(id: &str) -> drivers::JobId {
    drivers::JobId::new(id).unwrap()
}

pub(super) fn event(message: &str) -> ProgressEvent {
    ProgressEvent {
        progress: Some(25),
        message: message.to_string(),
        ready: false,
        failed: false,
        url: None,
    }
}

pub(super) fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Web {
    /// Puts a server in `state` and lets `edit` fill in the rest of its view.
    pub(super) fn server(
        &self,
        user: &str,
        name: &str,
        state: ServerState,
        edit: impl FnOnce(&mut ServerView),
    ) {
        self.fake
            .put(user, name, state, Some(t0()), event("progress message"));
        let mut servers = self.fake.servers.lock().unwrap();
        let view = servers
            .get_mut(&(user.to_string(), name.to_string()))
            .unwrap();
        edit(view);
    }
}

pub(super) fn minutes(m: i64) -> chrono::TimeDelta {
    chrono::TimeDelta::minutes(m)
}

/// The card of `id` (`default` or `named-NAME`) in a home page, up to the next card.
pub(super) fn card<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"server-{id}\""))
        .unwrap_or_else(|| panic!("no card {id} in {html}"));
    let rest = &html[at..];
    let end = rest[1..].find("<section").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[tokio::test]
async fn cards_show_each_states_fields_and_buttons() {
    let web = web("/jupyter/").await;
    let (cookie, xsrf) = web.login("alice", "wonderland").await;
    web.server("alice", "", ServerState::Waiting { since: t0() }, |v| {
        v.place = Some(Position { position: 2, of: 5 });
    });
    web.server(
        "alice",
        "q",
        ServerState::Queued {
            job: job("1001.pbs"),
            since: t0(),
            info: QueueInfo {
                letter: Some('Q'),
                comment: Some("Not Running: Insufficient amount of resource: ngpus <b>".into()),
                estimated_start: Some(t0() + minutes(90)),
                queue: Some("gpuq".into()),
                queued_at: Some(t0()),
            },
            query_error: None,
        },
        |v| {
            v.place = Some(Position { position: 3, of: 7 });
            v.user_options = options(&[("ncpus", "4"), ("queue", "gpu")]);
        },
    );
    web.server(
        "alice",
        "s",
        ServerState::Starting {
            job: job("1002.pbs"),
            since: t0(),
            exec_host: Some("node0088/1*2+node0094/1*2".into()),
            query_error: None,
            reported: None,
        },
        |_| {},
    );
    web.server(
        "alice",
        "r",
        ServerState::Running {
            job: job("1003.pbs"),
            url: "http://node0093:50065".into(),
            since: t0() - minutes(20),
            query_error: None,
        },
        |v| {
            v.walltime = Some(Walltime::from_hours(2));
            v.job_started = Some(t0() - minutes(30));
        },
    );
    web.server(
        "alice",
        "f",
        ServerState::Failed {
            reason: FailReason::JobEndedBeforeReady {
                comment: Some("job killed: walltime 70 exceeded limit 60".into()),
            },
            job: Some(job("1004.pbs")),
            exit_status: Some(-29),
            output_tail: Some("ModuleNotFoundError".into()),
            at: t0(),
        },
        |v| v.user_options = options(&[("ncpus", "2")]),
    );
    web.server(
        "alice",
        "x",
        ServerState::Stopped {
            last: Some(Ended {
                at: t0(),
                cause: EndCause::Requested,
            }),
        },
        |v| v.user_options = options(&[("ncpus", "2")]),
    );
    let page = web.get("/jupyter/hub/home", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    if std::env::var_os("SHOW_HOME").is_some() {
        println!("{html}");
    }

    let waiting = card(html, "default");
    assert!(waiting.contains("Waiting for a spawn slot"), "{waiting}");
    assert!(waiting.contains("2 of 5"));
    assert!(waiting.contains(">Cancel</button>") && !waiting.contains(">Stop<"));
    assert!(waiting.contains("action=\"/jupyter/hub/stop\""));
    assert!(waiting.contains(&format!("value=\"{xsrf}\"")));

    let queued = card(html, "named-q");
    for text in [
        "Queued: waiting for the scheduler",
        "<dd class=\"job\">1001.pbs</dd>",
        "<dd class=\"queue\">gpuq</dd>",
        "<dd class=\"position\">3 of 7</dd>",
        "<dd class=\"estimated\">2026-11-25 18:30 UTC</dd>",
        "Insufficient amount of resource: ngpus &lt;b&gt;",
        "CPU cores: 4",
        "queue: GPU queue",
        ">Cancel</button>",
        "action=\"/jupyter/hub/stop/q\"",
        "href=\"/jupyter/hub/spawn-pending/alice/q\"",
        "href=\"/jupyter/hub/output/alice/q\"",
    ] {
        assert!(queued.contains(text), "{text:?} not in {queued}");
    }
    assert!(!queued.contains("<b>"), "the comment is escaped");

    let starting = card(html, "named-s");
    assert!(
        starting.contains("<dd class=\"host\">node0088</dd>"),
        "{starting}"
    );
    assert!(starting.contains(">Stop</button>") && !starting.contains("Cancel"));

    let running = card(html, "named-r");
    for text in [
        "<dd class=\"state\">Running</dd>",
        "<dd class=\"host\">node0093</dd>",
        "<dd class=\"remaining\">1 h 30 min</dd>",
        "href=\"/user/alice/\"",
        ">Stop</button>",
    ] {
        assert!(running.contains(text), "{text:?} not in {running}");
    }
    assert!(!running.contains("class=\"warning\""));
    assert!(
        !running.contains("progress message"),
        "no progress line once running"
    );

    let failed = card(html, "named-f");
    for text in [
        "Failed: </strong>Your job ended before the notebook server started",
        "job killed: walltime 70 exceeded limit 60",
        "-29: the job exceeded its walltime",
        ">Relaunch</button>",
        "action=\"/jupyter/hub/relaunch/f\"",
        "href=\"/jupyter/hub/spawn/alice/f\"",
        "href=\"/jupyter/hub/output/alice/f\"",
    ] {
        assert!(failed.contains(text), "{text:?} not in {failed}");
    }
    assert!(failed
        .contains("<summary>The end of the job's output</summary><pre>ModuleNotFoundError</pre>"));
    assert!(!failed.contains(">Stop<") && !failed.contains(">Cancel<"));

    let stopped = card(html, "named-x");
    assert!(
        stopped.contains("<dd class=\"state\">Stopped</dd>"),
        "{stopped}"
    );
    assert!(stopped.contains(">Relaunch</button>"));
    // Named servers are off here: no form to create one.
    assert!(!html.contains("new-server"));
}

#[tokio::test]
async fn a_server_that_never_ran_has_only_a_start_link() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    let page = web.get("/hub/home", Some(&cookie)).await;
    let default = card(&page.body, "default");
    assert!(default.contains("Not started"), "{default}");
    assert!(default.contains("href=\"/hub/spawn/alice\""));
    assert!(!default.contains("Relaunch") && !default.contains("<button"));
}

#[tokio::test]
async fn a_warning_appears_when_the_walltime_is_nearly_used() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    for (used, warned, left) in [
        (49, false, "11 min"),
        (52, true, "8 min"),
        (70, true, "0 s"),
    ] {
        web.server(
            "alice",
            "",
            ServerState::Running {
                job: job("7.pbs"),
                url: "http://n1:8888".into(),
                since: t0() - minutes(used - 1),
                query_error: None,
            },
            |v| {
                v.walltime = Some(Walltime::from_hours(1));
                v.job_started = Some(t0() - minutes(used));
            },
        );
        let page = web.get("/hub/home", Some(&cookie)).await;
        let html = card(&page.body, "default");
        assert!(
            html.contains(&format!("<dd class=\"remaining\">{left}</dd>")),
            "{used}: {html}"
        );
        assert_eq!(
            html.contains("class=\"warning\" role=\"alert\""),
            warned,
            "{used} min used: {html}"
        );
        if warned {
            assert!(html.contains("save your work now"));
        }
    }
}
