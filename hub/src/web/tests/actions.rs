//! What the cards' buttons and links lead to: relaunch, the prefilled spawn form, a new
//! named server, the job output page, a failed or ended job on the pending page.

use super::cards::{card, job, options};
use super::*;
use crate::spawner::state::{EndCause, Ended, FailReason, ServerState};

#[tokio::test]
async fn relaunch_starts_again_with_the_same_options() {
    let web = web("/").await;
    let (cookie, xsrf) = web.login("alice", "wonderland").await;
    web.server(
        "alice",
        "",
        ServerState::Failed {
            reason: FailReason::StartTimeout { after_secs: 300 },
            job: Some(job("9.pbs")),
            exit_status: None,
            output_tail: None,
            at: t0(),
        },
        |v| v.user_options = options(&[("ncpus", "4"), ("queue", "gpu")]),
    );
    let refused = web.post("/hub/relaunch", Some(&cookie), "_xsrf=nope").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(web.fake.calls().is_empty());
    let answer = web
        .post("/hub/relaunch", Some(&cookie), &format!("_xsrf={xsrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert_eq!(answer.location(), "/hub/spawn-pending/alice");
    assert_eq!(
        web.fake.calls(),
        [r#"start alice/ {"ncpus": "4", "queue": "gpu"}"#]
    );
    // Options the form no longer accepts: the form again, with the error by its field.
    *web.fake.start_answer.lock().unwrap() =
        Some(Err(crate::control::ControlError::InvalidOptions(vec![
            crate::form::FieldError {
                field: "ncpus".into(),
                message: "at most 2".into(),
            },
        ])));
    let answer = web
        .post("/hub/relaunch", Some(&cookie), &format!("_xsrf={xsrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body.contains("id=\"error-ncpus\""),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("value=\"4\""));
    // An active server is not started twice.
    web.server("alice", "", ServerState::Waiting { since: t0() }, |_| {});
    let answer = web
        .post("/hub/relaunch", Some(&cookie), &format!("_xsrf={xsrf}"))
        .await;
    assert_eq!(answer.location(), "/hub/spawn-pending/alice");
    assert_eq!(web.fake.calls().len(), 2);
    // No such server.
    let answer = web
        .post(
            "/hub/relaunch/nope",
            Some(&cookie),
            &format!("_xsrf={xsrf}"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_spawn_form_is_prefilled_with_the_last_options() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    // Nothing ran yet: the form's defaults.
    let page = web.get("/hub/spawn", Some(&cookie)).await;
    assert!(
        page.body
            .contains("name=\"ncpus\" min=\"1\" max=\"64\" value=\"2\""),
        "{}",
        page.body
    );
    web.server("alice", "", ServerState::new(), |v| {
        v.user_options = options(&[("ncpus", "7"), ("queue", "gpu")]);
    });
    let page = web.get("/hub/spawn", Some(&cookie)).await;
    assert!(page.body.contains("value=\"7\""), "{}", page.body);
    assert!(
        page.body.contains("<option value=\"gpu\" selected>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1–64"), "the bounds are shown");
    // A new named server starts from the last options too.
    let page = web.get("/hub/spawn/alice/new1", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"7\""), "{}", page.body);
}

#[tokio::test]
async fn a_new_named_server_is_checked_then_sent_to_its_form() {
    let web = web("/").await;
    let (cookie, xsrf) = web.login("alice", "wonderland").await;
    let answer = web
        .post(
            "/hub/new-server",
            Some(&cookie),
            &format!("_xsrf={xsrf}&name=gpu"),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "named servers are off"
    );
    assert!(answer.body.contains("Named servers are not enabled"));
    web.fake
        .named_servers
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let home = web.get("/hub/home", Some(&cookie)).await;
    assert!(home
        .body
        .contains("<label for=\"new-server-name\">Server name</label>"));
    assert!(home.body.contains("action=\"/hub/new-server\""));
    let answer = web
        .post(
            "/hub/new-server",
            Some(&cookie),
            &format!("_xsrf={xsrf}&name=gpu-1"),
        )
        .await;
    assert_eq!(answer.location(), "/hub/spawn/alice/gpu-1");
    for bad in ["a%2Fb", "%3Cb%3E", "", "-x"] {
        let answer = web
            .post(
                "/hub/new-server",
                Some(&cookie),
                &format!("_xsrf={xsrf}&name={bad}"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(answer.body.contains("id=\"new-server-error\""));
        assert!(!answer.body.contains("<b>"), "escaped");
    }
    let answer = web
        .post("/hub/new-server", Some(&cookie), "_xsrf=wrong&name=gpu")
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_output_page_is_for_the_owner_and_admins_only() {
    let web = web("/jupyter/").await;
    let (alice, _) = web.login("alice", "wonderland").await;
    let (bob, _) = web.login("bob", "builder").await;
    let (root, _) = web.login("root", "rootpw").await;
    web.server(
        "alice",
        "",
        ServerState::Running {
            job: job("11.pbs"),
            url: "http://n1:1".into(),
            since: t0(),
            query_error: None,
        },
        |_| {},
    );
    web.fake.outputs.lock().unwrap().insert(
        ("alice".into(), String::new()),
        "Traceback\n<script>alert(1)</script>".into(),
    );
    let page = web.get("/jupyter/hub/output/alice", Some(&alice)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(
            "<pre class=\"output\">Traceback\n&lt;script&gt;alert(1)&lt;/script&gt;</pre>"
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("Job 11.pbs"));
    let admin = web.get("/jupyter/hub/output/alice", Some(&root)).await;
    assert_eq!(admin.status, StatusCode::OK);
    for (uri, who) in [
        ("/jupyter/hub/output/alice", &bob),
        ("/jupyter/hub/output/alice/nope", &alice),
        ("/jupyter/hub/output/nobody", &root),
    ] {
        let answer = web.get(uri, Some(who)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!answer.body.contains("Traceback"));
    }
    // Not logged in: to login.
    let answer = web.get("/jupyter/hub/output/alice", None).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    // A failed spawn shows the tail kept with the failure.
    web.server(
        "alice",
        "",
        ServerState::Failed {
            reason: FailReason::StartTimeout { after_secs: 60 },
            job: Some(job("12.pbs")),
            exit_status: None,
            output_tail: Some("kept tail".into()),
            at: t0(),
        },
        |_| {},
    );
    let page = web.get("/jupyter/hub/output/alice", Some(&alice)).await;
    assert!(page.body.contains("kept tail"), "{}", page.body);
}

#[tokio::test]
async fn the_pending_page_of_a_failure_shows_pbss_words() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    web.server(
        "alice",
        "",
        ServerState::Failed {
            reason: FailReason::JobEndedBeforeReady {
                comment: Some(
                    "Job run at Mon Nov 25 at 17:00 on (node1:ncpus=1) and failed".into(),
                ),
            },
            job: Some(job("13.pbs")),
            exit_status: Some(271),
            output_tail: Some("jupyterhub-singleuser: command not found".into()),
            at: t0(),
        },
        |_| {},
    );
    let page = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Your job ended before the notebook server started",
        "271: killed by signal 15",
        "on (node1:ncpus=1) and failed",
        "jupyterhub-singleuser: command not found",
        "href=\"/hub/output/alice\"",
        "href=\"/hub/spawn/alice\"",
    ] {
        assert!(page.body.contains(text), "{text:?} not in {}", page.body);
    }
    // No live updates and no refresh for a spawn that is over.
    assert!(!page.body.contains("pending.js") && !page.body.contains("refresh"));
}

#[tokio::test]
async fn a_job_that_ended_by_itself_sends_the_pending_page_home_where_the_card_says_why() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    web.server(
        "alice",
        "",
        ServerState::Stopped {
            last: Some(Ended {
                at: t0(),
                cause: EndCause::JobEnded {
                    exit_status: Some(-29),
                    comment: Some("job killed: walltime 3610 exceeded limit 3600".into()),
                },
            }),
        },
        |v| v.last_job = Some(job("21.pbs")),
    );
    let answer = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert_eq!(answer.location(), "/hub/home");
    let home = web.get("/hub/home", Some(&cookie)).await;
    let card = card(&home.body, "default");
    for text in [
        "Stopped: its job ended",
        "<dd class=\"job\">21.pbs</dd>",
        "walltime 3610 exceeded limit 3600",
        "-29: the job exceeded its walltime",
        "href=\"/hub/output/alice\"",
    ] {
        assert!(card.contains(text), "{text:?} not in {card}");
    }
    // Stopped on request: the form, to start again.
    web.server(
        "alice",
        "",
        ServerState::Stopped {
            last: Some(Ended {
                at: t0(),
                cause: EndCause::Requested,
            }),
        },
        |_| {},
    );
    let answer = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert_eq!(answer.location(), "/hub/spawn/alice");
}
