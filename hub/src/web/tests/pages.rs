//! Home, spawn form, pending page, stop, admin, user URLs, and the API with the cookie.

use std::collections::BTreeMap;

use super::*;
use crate::control::{ControlError, Started};
use crate::form::FieldError;
use crate::spawner::progress::ProgressEvent;
use crate::spawner::state::{QueueInfo, ServerState};

fn queued(comment: &str) -> ServerState {
    ServerState::Queued {
        job: drivers::JobId::new("1001.pbs").unwrap(),
        since: t0(),
        info: QueueInfo {
            letter: Some('Q'),
            comment: Some(comment.to_string()),
            estimated_start: Some(Utc.with_ymd_and_hms(2026, 11, 25, 19, 30, 0).unwrap()),
            queue: Some("workq".to_string()),
            ..QueueInfo::default()
        },
        query_error: None,
    }
}

fn running() -> ServerState {
    ServerState::Running {
        job: drivers::JobId::new("1002.pbs").unwrap(),
        url: "http://node0088:50065".to_string(),
        since: t0(),
        query_error: None,
    }
}

fn event(message: &str) -> ProgressEvent {
    ProgressEvent {
        progress: Some(25),
        message: message.to_string(),
        ready: false,
        failed: false,
        url: None,
    }
}

#[tokio::test]
async fn post_forms_need_the_sessions_xsrf_token() {
    let web = web("/").await;
    let (cookie, xsrf) = web.login("alice", "wonderland").await;
    web.fake
        .put("alice", "", running(), Some(t0()), event("ready"));
    for form in ["", "_xsrf=", "_xsrf=not-the-token"] {
        let answer = web.post("/hub/stop", Some(&cookie), form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{form:?}");
        assert!(answer.body.contains("XSRF check failed"));
    }
    let answer = web
        .post("/hub/spawn", Some(&cookie), "_xsrf=wrong&ncpus=4")
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(web.fake.calls().is_empty(), "{:?}", web.fake.calls());
    // Another session's token does not do either.
    let (_, bobs) = web.login("bob", "builder").await;
    let answer = web
        .post("/hub/stop", Some(&cookie), &format!("_xsrf={bobs}"))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = web
        .post("/hub/stop", Some(&cookie), &format!("_xsrf={xsrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), "/hub/home");
    assert_eq!(web.fake.calls(), ["stop alice/"]);
}

#[tokio::test]
async fn invalid_spawn_options_show_the_form_again_with_the_error_by_its_field() {
    let web = web("/").await;
    let (cookie, xsrf) = web.login("alice", "wonderland").await;
    let page = web.get("/hub/spawn", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("CPU cores") && page.body.contains("Work queue"));
    assert!(page.body.contains("action=\"/hub/spawn/alice\""));
    *web.fake.start_answer.lock().unwrap() =
        Some(Err(ControlError::InvalidOptions(vec![FieldError {
            field: "ncpus".to_string(),
            message: "must be between 1 and 64".to_string(),
        }])));
    let answer = web
        .post(
            "/hub/spawn/alice",
            Some(&cookie),
            &format!("_xsrf={xsrf}&ncpus=99&queue=gpu"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let html = &answer.body;
    // The error sits in the ncpus field, after its input and before the next field.
    let field = html.find("id=\"field-ncpus\"").unwrap();
    let error = html
        .find("<p class=\"error\" id=\"error-ncpus\">must be between 1 and 64</p>")
        .expect(html);
    let next_field = html.find("id=\"field-queue\"").unwrap();
    assert!(field < error && error < next_field, "{html}");
    // The input points at its error (screen readers say it); a field without one does not.
    assert!(
        html.contains(r#"aria-invalid="true" aria-describedby="error-ncpus""#),
        "{html}"
    );
    assert!(
        !html.contains(r#"aria-describedby="error-queue""#),
        "{html}"
    );
    // The submitted values are kept.
    assert!(html.contains("value=\"99\""), "{html}");
    assert!(html.contains("<option value=\"gpu\" selected>"), "{html}");
    assert_eq!(
        web.fake.calls(),
        ["start alice/ {\"ncpus\": \"99\", \"queue\": \"gpu\"}"]
    );
}

#[tokio::test]
async fn a_valid_spawn_goes_to_the_pending_page() {
    let web = web("/").await;
    let (cookie, xsrf) = web.login("alice", "wonderland").await;
    let answer = web
        .post(
            "/hub/spawn",
            Some(&cookie),
            &format!("_xsrf={xsrf}&ncpus=4&queue=workq"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), "/hub/spawn-pending/alice");
    assert_eq!(
        web.fake.calls(),
        ["start alice/ {\"ncpus\": \"4\", \"queue\": \"workq\"}"]
    );
    // A named server, and an unavailable spawner.
    *web.fake.start_answer.lock().unwrap() = Some(Ok(Started::Pending));
    let answer = web
        .post(
            "/hub/spawn/alice/gpu",
            Some(&cookie),
            &format!("_xsrf={xsrf}&ncpus=4"),
        )
        .await;
    assert_eq!(answer.location(), "/hub/spawn-pending/alice/gpu");
    *web.fake.start_answer.lock().unwrap() =
        Some(Err(ControlError::Unavailable("qsub timed out".into())));
    let answer = web
        .post("/hub/spawn", Some(&cookie), &format!("_xsrf={xsrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !answer.body.contains("qsub timed out"),
        "the cause is logged, not shown"
    );
    // Nobody starts another user's server.
    let answer = web
        .post("/hub/spawn/bob", Some(&cookie), &format!("_xsrf={xsrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(web.fake.calls().len(), 3);
}

#[tokio::test]
async fn the_pending_page_shows_the_queue_wait() {
    let web = web("/jupyter/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    web.fake.put(
        "alice",
        "",
        queued("Not Running: Insufficient amount of resource: ngpus"),
        Some(t0()),
        event("Job 1001.pbs is waiting in the queue workq; position 3 of this hub's 7 queued jobs"),
    );
    let page = web
        .get("/jupyter/hub/spawn-pending/alice", Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    for text in [
        "position 3 of this hub's 7 queued jobs",
        "Not Running: Insufficient amount of resource: ngpus",
        "2026-11-25 19:30 UTC",
        "data-progress-url=\"/jupyter/hub/api/users/alice/server/progress\"",
        "data-server-url=\"/jupyter/user/alice/\"",
        "<noscript><meta http-equiv=\"refresh\"",
        "<script src=\"/jupyter/hub/static/pending.js\"></script>",
        "action=\"/jupyter/hub/stop\"",
    ] {
        assert!(html.contains(text), "{text:?} not in {html}");
    }
    // Home shows the same card; the spawn page sends to the pending page.
    let home = web.get("/jupyter/hub/home", Some(&cookie)).await;
    assert!(
        home.body
            .contains("The scheduler says</dt><dd class=\"comment\">Not Running"),
        "{}",
        home.body
    );
    assert!(home
        .body
        .contains("Estimated start</dt><dd class=\"estimated\">2026-11-25 19:30 UTC"));
    let spawn = web.get("/jupyter/hub/spawn", Some(&cookie)).await;
    assert_eq!(spawn.location(), "/jupyter/hub/spawn-pending/alice");
    // Someone else's pending page is not theirs to see.
    let (bob, _) = web.login("bob", "builder").await;
    let answer = web
        .get("/jupyter/hub/spawn-pending/alice", Some(&bob))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_admin_page_is_for_admins() {
    let web = web("/").await;
    let (alice, _) = web.login("alice", "wonderland").await;
    let (root, xsrf) = web.login("root", "rootpw").await;
    web.fake
        .put("alice", "", running(), Some(t0()), event("ready"));
    let answer = web.get("/hub/admin", Some(&alice)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("admins only"));
    let answer = web.get("/hub/admin", Some(&root)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("<td>alice</td>") && answer.body.contains("<td>root</td>"));
    assert!(answer.body.contains("action=\"/hub/admin/stop/alice\""));
    // Stopping from it: admins only, with the token.
    let answer = web
        .post("/hub/admin/stop/alice", Some(&alice), "_xsrf=x")
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = web
        .post(
            "/hub/admin/stop/alice",
            Some(&root),
            &format!("_xsrf={xsrf}"),
        )
        .await;
    assert_eq!(answer.location(), "/hub/admin");
    assert_eq!(web.fake.calls(), ["stop alice/"]);
}

#[tokio::test]
async fn a_user_url_reaching_the_hub() {
    let web = web("/").await;
    let (alice, _) = web.login("alice", "wonderland").await;
    let (root, _) = web.login("root", "rootpw").await;
    // Not logged in: to login, coming back here.
    let answer = web.get("/user/alice/lab", None).await;
    assert_eq!(answer.location(), "/hub/login?next=/user/alice/lab");
    // Another user's server: 403, admins included.
    for uri in ["/user/bob/", "/hub/user/bob/lab", "/user/bob"] {
        assert_eq!(
            web.get(uri, Some(&alice)).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    assert_eq!(
        web.get("/user/alice/lab", Some(&root)).await.status,
        StatusCode::FORBIDDEN
    );
    // Not running: the Launch page, 424; JSON for an API client.
    let answer = web.get("/hub/user/alice/lab", Some(&alice)).await;
    assert_eq!(answer.status, StatusCode::FAILED_DEPENDENCY);
    assert!(answer.body.contains("Your server is not running"));
    assert!(answer.body.contains("href=\"/hub/spawn/alice\""));
    let mut request = Web::request(Method::GET, "/user/alice/api/kernels", Some(&alice), None);
    request
        .headers_mut()
        .insert(header::ACCEPT, "application/json".parse().unwrap());
    let answer = web.send(request).await;
    assert_eq!(answer.status, StatusCode::FAILED_DEPENDENCY);
    assert!(answer.body.contains("\"status\":424"), "{}", answer.body);
    // Starting: the pending page.
    web.fake
        .put("alice", "", queued("wait"), Some(t0()), event("queued"));
    let answer = web.get("/user/alice/lab", Some(&alice)).await;
    assert_eq!(answer.location(), "/hub/spawn-pending/alice");
    // Ready: back to the server, counting, until the guard stops the loop.
    web.fake
        .put("alice", "", running(), Some(t0()), event("ready"));
    let answer = web.get("/hub/user/alice/lab?x=1", Some(&alice)).await;
    assert_eq!(answer.location(), "/user/alice/lab?x=1&redirects=1");
    let answer = web.get("/user/alice/lab?redirects=2", Some(&alice)).await;
    assert_eq!(answer.location(), "/user/alice/lab?redirects=3");
    let answer = web.get("/user/alice/lab?redirects=3", Some(&alice)).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    // A named server is told apart by its name.
    web.fake
        .put("alice", "gpu", queued("w"), Some(t0()), event("q"));
    let answer = web.get("/user/alice/gpu/lab", Some(&alice)).await;
    assert_eq!(answer.location(), "/hub/spawn-pending/alice/gpu");
}

#[tokio::test]
async fn the_api_accepts_the_session_cookie_with_the_xsrf_rule() {
    let web = web("/").await;
    let (cookie, xsrf) = web.login("alice", "wonderland").await;
    let answer = web.get("/hub/api/user", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.contains("\"name\":\"alice\""),
        "{}",
        answer.body
    );
    // Not someone else's.
    let answer = web.get("/hub/api/users/bob", Some(&cookie)).await;
    assert_ne!(answer.status, StatusCode::OK);
    let post = |header_value: Option<&str>| {
        let mut request = Web::request(
            Method::POST,
            "/hub/api/users/alice/server",
            Some(&cookie),
            None,
        );
        if let Some(value) = header_value {
            request
                .headers_mut()
                .insert("x-xsrftoken", value.parse().unwrap());
        }
        request
    };
    let answer = web.send(post(None)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = web.send(post(Some("wrong"))).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(web.fake.calls().is_empty());
    let answer = web.send(post(Some(&xsrf))).await;
    assert!(
        answer.status.is_success(),
        "{} {}",
        answer.status,
        answer.body
    );
    assert_eq!(web.fake.calls(), ["start alice/ {}"]);
    // The pending page's stream opens with the cookie alone.
    web.fake
        .put("alice", "", queued("wait"), Some(t0()), event("queued"));
    let request = Web::request(
        Method::GET,
        "/hub/api/users/alice/server/progress",
        Some(&cookie),
        None,
    );
    let response = web.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    // No cookie, no token: refused as before.
    let answer = web.get("/hub/api/user", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // Unknown paths under the API keep the API's JSON 404.
    let answer = web.get("/hub/api/nothing-here", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("\"status\":404"));
}

#[tokio::test]
async fn values_from_users_are_escaped() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    web.fake.put(
        "alice",
        "",
        ServerState::new(),
        None,
        event("<b>never bold</b>"),
    );
    web.fake
        .servers
        .lock()
        .unwrap()
        .get_mut(&("alice".to_string(), String::new()))
        .unwrap()
        .user_options = BTreeMap::from([(
        "ncpus".to_string(),
        "\"><script>alert(1)</script>".to_string(),
    )]);
    let page = web.get("/hub/spawn", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(
        page.body
            .contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{}",
        page.body
    );
    // A scheduler's comment on the pending page too.
    web.fake.put(
        "alice",
        "",
        queued("<img src=x onerror=alert(1)>"),
        Some(t0()),
        event("<b>q</b>"),
    );
    let page = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.body.contains("&lt;b&gt;q&lt;/b&gt;"));
}

#[tokio::test]
async fn a_failed_spawn_says_why_on_the_home_and_pending_pages() {
    use crate::spawner::state::FailReason;
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    let failed = ServerState::Failed {
        reason: FailReason::SubmitRefused {
            message: "Job exceeds queue resource limits".to_string(),
        },
        job: None,
        exit_status: None,
        output_tail: Some("last line of output".to_string()),
        at: t0(),
    };
    web.fake
        .put("alice", "", failed, None, event("Spawn failed"));
    let page = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("The scheduler refused the job: Job exceeds queue resource limits"));
    assert!(page.body.contains("last line of output"));
    assert!(page.body.contains("href=\"/hub/spawn/alice\""));
    // No reload loop and no stream for a spawn that is over.
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    assert!(!page.body.contains("EventSource"));
    let home = web.get("/hub/home", Some(&cookie)).await;
    assert!(home.body.contains("Job exceeds queue resource limits"));
    assert!(home
        .body
        .contains("<a class=\"start\" href=\"/hub/spawn/alice\">Start</a>"));
}
