//! One test per behaviour of each endpoint.

use axum::http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::fake::event;
use super::*;
use crate::control::{ControlError, Started, Stopped};
use crate::spawner::progress::ProgressEvent;
use crate::spawner::state::ServerState;

fn running() -> ServerState {
    ServerState::Running {
        job: drivers::JobId::new("1001.pbs").unwrap(),
        url: "http://node1:50065".to_string(),
        since: t0(),
        query_error: None,
    }
}

fn waiting() -> ServerState {
    ServerState::Waiting { since: t0() }
}

fn never_started() -> ServerState {
    ServerState::Stopped { last: None }
}

fn ready_event() -> ProgressEvent {
    ProgressEvent {
        progress: Some(100),
        message: "Server ready at /user/alice/".to_string(),
        ready: true,
        failed: false,
        url: Some("/user/alice/".to_string()),
    }
}

#[tokio::test]
async fn the_version_needs_no_token_and_every_answer_carries_it() {
    let hub = hub().await;
    for uri in ["/hub/api", "/hub/api/"] {
        let answer = get(&hub, uri, None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json(), json!({"version": "5.3.0"}));
        assert_eq!(answer.headers["x-jupyterhub-version"], "5.3.0");
    }
}

#[tokio::test]
async fn info_needs_read_hub() {
    let hub = hub().await;
    let answer = get(&hub, "/hub/api/info", Some(&hub.root)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["version"], "5.3.0");
    let answer = get(&hub, "/hub/api/info", Some(&hub.alice)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn errors_are_jupyterhub_json() {
    let hub = hub().await;
    let answer = get(&hub, "/hub/api/users", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(
        answer.json(),
        json!({"status": 403, "message": "Missing or invalid credentials."})
    );
    let answer = get(&hub, "/hub/api/users", Some("not-a-token")).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = get(&hub, "/hub/api/nothing/here", Some(&hub.root)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["status"], 404);
}

#[tokio::test]
async fn the_current_user_is_the_tokens_owner_with_its_scopes() {
    let hub = hub().await;
    let answer = get(&hub, "/hub/api/user", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json(), json!({"status": 403, "message": null}));

    let me = get(&hub, "/hub/api/user", Some(&hub.alice)).await.json();
    assert_eq!(me["kind"], "user");
    assert_eq!(me["name"], "alice");
    assert_eq!(me["admin"], false);
    assert_eq!(me["token_id"], "a1");
    let scopes: Vec<&str> = me["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"servers!user=alice"), "{scopes:?}");
    // Expanded: every scope a held one implies, with its filter, and never a bare filter.
    for implied in ["start:servers!user=alice", "read:users:name!user=alice"] {
        assert!(scopes.contains(&implied), "{implied} missing in {scopes:?}");
    }
    assert!(scopes
        .iter()
        .all(|s| !s.ends_with('=') && !s.ends_with("!user")));
    assert_eq!(me["session_id"], Value::Null);

    let root = get(&hub, "/hub/api/user", Some(&hub.root)).await.json();
    assert_eq!(root["admin"], true, "admin by config");

    let culler = get(&hub, "/hub/api/user", Some(CULLER)).await.json();
    assert_eq!(culler["kind"], "service");
    assert_eq!(culler["name"], "culler");
    assert!(culler["scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("delete:servers")));
}

#[tokio::test]
async fn a_tokens_use_is_written_at_most_every_activity_resolution() {
    let now = Arc::new(std::sync::Mutex::new(t0()));
    let clock = now.clone();
    let hub = hub_at(Arc::new(move || *clock.lock().unwrap())).await;
    let recorded = || async {
        hub.db
            .lookup_token(&hub.alice, t0())
            .await
            .unwrap()
            .unwrap()
            .last_activity
    };
    let at = |seconds: i64| t0() + chrono::TimeDelta::seconds(seconds);

    assert_eq!(
        get(&hub, "/hub/api/user", Some(&hub.alice)).await.status,
        StatusCode::OK
    );
    assert_eq!(recorded().await, Some(t0()), "a first use is written");
    *now.lock().unwrap() = at(29);
    assert_eq!(
        get(&hub, "/hub/api/user", Some(&hub.alice)).await.status,
        StatusCode::OK
    );
    assert_eq!(recorded().await, Some(t0()), "29 s later: not yet");
    *now.lock().unwrap() = at(30);
    assert_eq!(
        get(&hub, "/hub/api/user", Some(&hub.alice)).await.status,
        StatusCode::OK
    );
    assert_eq!(recorded().await, Some(at(30)), "30 s later: written");
}

#[tokio::test]
async fn users_are_listed_bare_or_paginated() {
    let hub = hub().await;
    let bare = get(&hub, "/hub/api/users", Some(&hub.root)).await;
    assert_eq!(bare.status, StatusCode::OK);
    let names: Vec<Value> = bare
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("alice"), json!("bob"), json!("root")]);

    let paged = |uri: &'static str| {
        let mut r = request(Method::GET, uri, Some(&hub.root), None);
        r.headers_mut().insert(
            "accept",
            "application/json, application/jupyterhub-pagination+json"
                .parse()
                .unwrap(),
        );
        r
    };
    let first = send(&hub, paged("/hub/api/users?limit=2")).await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        first["_pagination"],
        json!({"offset": 0, "limit": 2, "total": 3, "next": {
            "offset": 2, "limit": 2,
            "url": "http://hub.example:8081/hub/api/users?limit=2&offset=2"}})
    );
    let last = send(&hub, paged("/hub/api/users?limit=2&offset=2"))
        .await
        .json();
    assert_eq!(last["items"][0]["name"], "root");
    assert_eq!(last["_pagination"]["next"], Value::Null);

    let answer = get(&hub, "/hub/api/users?limit=lots", Some(&hub.root)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = get(&hub, "/hub/api/users?state=sleepy", Some(&hub.root)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_state_filter_keeps_users_with_ready_or_active_servers() {
    let hub = hub().await;
    hub.fake
        .put("alice", "", running(), Some(t0()), ready_event());
    hub.fake
        .put("bob", "", waiting(), None, event(5, "waiting"));
    let names = |answer: Answer| -> Vec<String> {
        answer
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_string())
            .collect()
    };
    let ready = get(&hub, "/hub/api/users?state=ready", Some(CULLER)).await;
    let ready_json = ready.json();
    assert_eq!(names(ready), vec!["alice"]);
    let server = &ready_json[0]["servers"][""];
    assert_eq!(server["ready"], true);
    assert_eq!(server["pending"], Value::Null);
    assert_eq!(server["url"], "/user/alice/");
    assert_eq!(server["started"], "2026-11-25T17:00:00Z");
    assert_eq!(ready_json[0]["last_activity"], Value::Null);
    let active = get(&hub, "/hub/api/users?state=active", Some(&hub.root)).await;
    assert_eq!(names(active), vec!["alice", "bob"]);
    let inactive = get(&hub, "/hub/api/users?state=inactive", Some(&hub.root)).await;
    assert_eq!(names(inactive), vec!["root"]);
}

#[tokio::test]
async fn a_user_sees_only_itself() {
    let hub = hub().await;
    hub.fake
        .put("alice", "", running(), Some(t0()), ready_event());
    let list = get(&hub, "/hub/api/users", Some(&hub.alice)).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let me = get(&hub, "/hub/api/users/alice", Some(&hub.alice)).await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(me["server"], "/user/alice/");
    assert_eq!(
        me["servers"][""]["progress_url"],
        "/hub/api/users/alice/server/progress"
    );
    // Someone else's user is hidden, not forbidden; a missing one looks the same.
    assert_eq!(
        get(&hub, "/hub/api/users/bob", Some(&hub.alice))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&hub, "/hub/api/users/bob", Some(&hub.root))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&hub, "/hub/api/users/carol", Some(&hub.root))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&hub, "/hub/api/users/bob", None).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn starting_answers_as_jupyterhub() {
    let hub = hub().await;
    let start =
        |uri: &str, token: &str, body: Option<Value>| request(Method::POST, uri, Some(token), body);

    let answer = send(
        &hub,
        start(
            "/hub/api/users/alice/server",
            &hub.alice,
            Some(json!({"user_options": {"queue": "workq", "ncpus": 2}})),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert!(answer.body.is_empty());
    *hub.fake.start_answer.lock().unwrap() = Some(Ok(Started::Ready));
    let answer = send(
        &hub,
        start(
            "/hub/api/users/alice/servers/gpu",
            &hub.alice,
            Some(json!({"queue": ["gpu"]})),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let answer = send(&hub, start("/hub/api/users/alice/server", &hub.alice, None)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(
        hub.fake.calls(),
        vec![
            r#"start alice/ {"ncpus": "2", "queue": "workq"}"#,
            r#"start alice/gpu {"queue": "gpu"}"#,
            "start alice/ {}",
        ]
    );

    *hub.fake.start_answer.lock().unwrap() = Some(Err(ControlError::AlreadyActive("alice".into())));
    let answer = send(&hub, start("/hub/api/users/alice/server", &hub.alice, None)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["status"], 400);
    *hub.fake.start_answer.lock().unwrap() = Some(Err(ControlError::Unavailable("db down".into())));
    let answer = send(&hub, start("/hub/api/users/alice/server", &hub.alice, None)).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);

    let answer = send(
        &hub,
        start(
            "/hub/api/users/alice/server",
            &hub.alice,
            Some(json!({"user_options": {"x": {"deep": 1}}})),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = send(&hub, start("/hub/api/users/bob/server", &hub.alice, None)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = send(&hub, start("/hub/api/users/bob/server", &hub.root, None)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let answer = send(&hub, start("/hub/api/users/bob/server", CULLER, None)).await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "the culler may stop, not start"
    );
}

#[tokio::test]
async fn stopping_answers_as_jupyterhub() {
    let hub = hub().await;
    let stop = |uri: &str, token: &str| request(Method::DELETE, uri, Some(token), None);
    assert_eq!(
        send(&hub, stop("/hub/api/users/alice/server", &hub.alice))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    *hub.fake.stop_answer.lock().unwrap() = Some(Ok(Stopped::Pending));
    assert_eq!(
        send(&hub, stop("/hub/api/users/alice/servers/gpu", &hub.alice))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    *hub.fake.stop_answer.lock().unwrap() = Some(Err(ControlError::NoSuchServer {
        user: "alice".into(),
        server: "x".into(),
    }));
    assert_eq!(
        send(&hub, stop("/hub/api/users/alice/servers/x", &hub.alice))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&hub, stop("/hub/api/users/alice/server", &hub.bob))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&hub, stop("/hub/api/users/alice/server", CULLER))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        hub.fake.calls(),
        vec![
            "stop alice/",
            "stop alice/gpu",
            "stop alice/x",
            "stop alice/"
        ]
    );
}

#[tokio::test]
async fn a_service_that_reads_activity_may_list_but_not_stop() {
    let hub = hub().await;
    hub.fake
        .put("alice", "", running(), Some(t0()), ready_event());
    let list = get(&hub, "/hub/api/users", Some(WATCHER)).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert!(list[0].get("last_activity").is_some());
    assert!(list[0].get("servers").is_none(), "no read:servers");
    let answer = send(
        &hub,
        request(
            Method::DELETE,
            "/hub/api/users/alice/server",
            Some(WATCHER),
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.json()["message"]
        .as_str()
        .unwrap()
        .contains("delete:servers"));
    assert!(hub.fake.calls().is_empty());
}

/// Reads the body until the next complete SSE event; `None` at the end of the stream.
async fn next_event(body: &mut axum::body::Body, buffer: &mut String) -> Option<Value> {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let data = event.trim().strip_prefix("data: ").expect("a data line");
            return Some(serde_json::from_str(data).unwrap());
        }
        let frame = body.frame().await?.expect("body frame");
        if let Ok(data) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

#[tokio::test]
async fn progress_streams_events_in_order_and_ends_when_ready() {
    let hub = hub().await;
    let sender = hub.fake.put(
        "alice",
        "",
        waiting(),
        None,
        event(5, "Waiting for a free spawn slot"),
    );
    let uri = "/hub/api/users/alice/server/progress";
    let response = hub
        .app
        .clone()
        .oneshot(request(Method::GET, uri, Some(&hub.alice), None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut buffer = String::new();
    assert_eq!(
        next_event(&mut body, &mut buffer).await.unwrap(),
        json!({"progress": 0, "message": "Server requested"})
    );
    assert_eq!(
        next_event(&mut body, &mut buffer).await.unwrap()["message"],
        "Waiting for a free spawn slot"
    );
    sender
        .send(event(25, "Job 1001.pbs is waiting in the queue"))
        .unwrap();
    assert_eq!(
        next_event(&mut body, &mut buffer).await.unwrap()["progress"],
        25
    );
    sender.send(ready_event()).unwrap();
    let last = next_event(&mut body, &mut buffer).await.unwrap();
    assert_eq!(last["ready"], true);
    assert_eq!(last["url"], "/user/alice/");
    assert!(
        next_event(&mut body, &mut buffer).await.is_none(),
        "the stream ends"
    );
}

#[tokio::test]
async fn progress_of_a_ready_failed_idle_or_missing_server() {
    let hub = hub().await;
    hub.fake
        .put("alice", "", running(), Some(t0()), ready_event());
    let answer = get(
        &hub,
        "/hub/api/users/alice/server/progress",
        Some(&hub.alice),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&answer.body)
            .matches("data: ")
            .count(),
        1
    );
    assert!(String::from_utf8_lossy(&answer.body).contains("\"ready\":true"));

    let mut failed = event(100, "Spawn failed: no such queue");
    failed.failed = true;
    hub.fake.put("alice", "gpu", never_started(), None, failed);
    let answer = get(
        &hub,
        "/hub/api/users/alice/servers/gpu/progress",
        Some(&hub.alice),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&answer.body).contains("Spawn failed"));

    hub.fake
        .put("alice", "idle", never_started(), None, event(0, "nothing"));
    let answer = get(
        &hub,
        "/hub/api/users/alice/servers/idle/progress",
        Some(&hub.alice),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = get(
        &hub,
        "/hub/api/users/alice/servers/none/progress",
        Some(&hub.alice),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = get(&hub, "/hub/api/users/alice/server/progress", Some(&hub.bob)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn activity_is_recorded() {
    let hub = hub().await;
    hub.db.create_server("alice", "", t0()).await.unwrap();
    let post = |token: &str, body: Value| {
        request(
            Method::POST,
            "/hub/api/users/alice/activity",
            Some(token),
            Some(body),
        )
    };
    let body = json!({"last_activity": "2026-11-25T17:05:00Z",
                      "servers": {"": {"last_activity": "2026-11-25T17:10:00.5"}}});
    let answer = send(&hub, post(&hub.alice, body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let user = hub.db.get_user("alice").await.unwrap().unwrap();
    assert_eq!(
        user.last_activity,
        Some(
            Utc.with_ymd_and_hms(2026, 11, 25, 17, 10, 0).unwrap()
                + chrono::TimeDelta::milliseconds(500)
        )
    );

    let future = json!({"last_activity": "2026-11-25T19:00:00Z"});
    assert_eq!(
        send(&hub, post(&hub.alice, future)).await.status,
        StatusCode::BAD_REQUEST
    );
    let unknown = json!({"servers": {"nope": {"last_activity": "2026-11-25T17:05:00Z"}}});
    assert_eq!(
        send(&hub, post(&hub.alice, unknown)).await.status,
        StatusCode::BAD_REQUEST
    );
    let body = json!({"last_activity": "2026-11-25T17:05:00Z"});
    assert_eq!(
        send(&hub, post(&hub.bob, body)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn tokens_are_created_listed_used_and_revoked() {
    let hub = hub().await;
    let uri = "/hub/api/users/alice/tokens";
    let created = send(
        &hub,
        request(
            Method::POST,
            uri,
            Some(&hub.alice),
            Some(json!({"note": "laptop", "expires_in": 3600})),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let created = created.json();
    assert_eq!(created["user"], "alice");
    assert_eq!(created["note"], "laptop");
    assert_eq!(created["expires_at"], "2026-11-25T18:00:00Z");
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();

    let me = get(&hub, "/hub/api/user", Some(&token)).await.json();
    assert_eq!(me["name"], "alice");

    let list = get(&hub, uri, Some(&hub.alice)).await.json();
    let ids: Vec<&str> = list["api_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["a1", id.as_str()]);
    assert!(
        list["api_tokens"][0].get("token").is_none(),
        "never shown again"
    );

    assert_eq!(
        get(&hub, uri, Some(&hub.bob)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&hub, uri, Some(&hub.root)).await.status, StatusCode::OK);
    let greedy = send(
        &hub,
        request(
            Method::POST,
            uri,
            Some(&hub.alice),
            Some(json!({"scopes": ["admin:users"]})),
        ),
    )
    .await;
    assert_eq!(greedy.status, StatusCode::FORBIDDEN);
    let narrow = send(
        &hub,
        request(
            Method::POST,
            uri,
            Some(&hub.alice),
            Some(json!({"scopes": ["read:users!user=alice"]})),
        ),
    )
    .await;
    assert_eq!(narrow.status, StatusCode::CREATED);

    let revoke = format!("{uri}/{id}");
    assert_eq!(
        send(&hub, request(Method::DELETE, &revoke, Some(&hub.bob), None))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(
            &hub,
            request(Method::DELETE, &revoke, Some(&hub.alice), None)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(
            &hub,
            request(Method::DELETE, &revoke, Some(&hub.alice), None)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&hub, "/hub/api/user", Some(&token)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The token a server gets at spawn.
async fn server_token(hub: &Hub, user: &str, server: &str) -> String {
    let new = NewToken {
        owner: TokenOwner::User(user.to_string()),
        scopes: vec![
            format!("access:servers!server={user}/{server}"),
            format!("users:activity!user={user}"),
        ],
        note: format!("Server at /user/{user}/"),
        expires_at: None,
        oauth_client: None,
    };
    hub.db.create_token(&new, t0()).await.unwrap().1
}

#[tokio::test]
async fn the_batchspawner_report_reaches_the_spawner() {
    let hub = hub().await;
    let token = server_token(&hub, "alice", "").await;
    let uri = "/hub/api/batchspawner";
    let answer = send(
        &hub,
        request(
            Method::POST,
            uri,
            Some(&token),
            Some(json!({"port": 50065})),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"message": "BatchSpawner data configured"})
    );

    let named = server_token(&hub, "alice", "gpu").await;
    let answer = send(
        &hub,
        request(
            Method::POST,
            uri,
            Some(&named),
            Some(json!({"port": 50066, "ip": "node7", "other": 1})),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        hub.fake.calls(),
        vec![
            "report alice/ 10.1.2.3:50065",
            "report alice/gpu node7:50066"
        ]
    );

    *hub.fake.report_answer.lock().unwrap() =
        Some(Err(ControlError::NotExpectingReport("alice/".into())));
    let answer = send(
        &hub,
        request(
            Method::POST,
            uri,
            Some(&token),
            Some(json!({"port": 50065})),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.json()["status"], 409);

    let answer = send(
        &hub,
        request(
            Method::POST,
            uri,
            Some(&hub.alice),
            Some(json!({"port": 1})),
        ),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "a user's own token is no server's"
    );
    let answer = send(
        &hub,
        request(Method::POST, uri, None, Some(json!({"port": 1}))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn metrics_count_requests_and_servers() {
    let hub = hub().await;
    hub.fake
        .put("alice", "", running(), Some(t0()), ready_event());
    hub.fake
        .put("bob", "", waiting(), None, event(5, "waiting"));
    get(&hub, "/hub/api/users/bob", Some(&hub.alice)).await;
    get(&hub, "/hub/api/users/alice", Some(&hub.alice)).await;
    let answer = get(&hub, "/hub/metrics", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    assert!(
        text.contains(
            "batchhub_api_requests_total{route=\"/hub/api/users/{name}\",status=\"404\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "batchhub_api_requests_total{route=\"/hub/api/users/{name}\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("batchhub_servers{state=\"running\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("batchhub_servers{state=\"waiting\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn routes_live_under_the_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hub.sqlite").display()
    );
    let db = Db::connect(&url).await.unwrap();
    let settings = ApiSettings {
        base_url: "/jupyter/".to_string(),
        admin_users: BTreeSet::new(),
        services: Services::default(),
        version: "5.3.0".to_string(),
        clock: Arc::new(t0),
        cookie_secret: None,
        proxy: None,
    };
    let app = router(ApiState::new(
        db,
        Arc::new(fake::FakeControl::default()),
        settings,
    ));
    let ok = app
        .clone()
        .oneshot(request(Method::GET, "/jupyter/hub/api", None, None))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let missing = app
        .oneshot(request(Method::GET, "/hub/api", None, None))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_create_users_one_or_many_and_others_may_not() {
    let hub = hub().await;
    let one = send(
        &hub,
        request(Method::POST, "/hub/api/users/carol", Some(&hub.root), None),
    )
    .await;
    assert_eq!(one.status, StatusCode::CREATED);
    assert_eq!(one.json()["name"], "carol");
    assert!(hub.db.get_user("carol").await.unwrap().is_some());
    let again = send(
        &hub,
        request(Method::POST, "/hub/api/users/carol", Some(&hub.root), None),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let refused = send(
        &hub,
        request(Method::POST, "/hub/api/users/dave", Some(&hub.alice), None),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(hub.db.get_user("dave").await.unwrap().is_none());
    let bad = send(
        &hub,
        request(
            Method::POST,
            "/hub/api/users/..%2Fetc",
            Some(&hub.root),
            None,
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);

    let body = json!({"usernames": ["carol", "dave", "erin"]});
    let many = send(
        &hub,
        request(
            Method::POST,
            "/hub/api/users",
            Some(&hub.root),
            Some(body.clone()),
        ),
    )
    .await;
    assert_eq!(many.status, StatusCode::CREATED);
    let names: Vec<String> = many
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["dave", "erin"], "carol existed already");
    let all_exist = send(
        &hub,
        request(Method::POST, "/hub/api/users", Some(&hub.root), Some(body)),
    )
    .await;
    assert_eq!(all_exist.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn one_user_shows_stopped_servers_only_when_asked() {
    let hub = hub().await;
    hub.fake
        .put("alice", "gpu", never_started(), None, event(0, "stopped"));
    let plain = get(&hub, "/hub/api/users/alice", Some(&hub.alice)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.json()["servers"], json!({}));
    let all = get(
        &hub,
        "/hub/api/users/alice?include_stopped_servers",
        Some(&hub.alice),
    )
    .await;
    assert_eq!(
        all.json()["servers"]["gpu"]["name"],
        "gpu",
        "{:?}",
        all.json()
    );
}

#[tokio::test]
async fn the_proxy_endpoint_needs_the_proxy_scope() {
    let hub = hub().await;
    let user = get(&hub, "/hub/api/proxy", Some(&hub.alice)).await;
    assert_eq!(user.status, StatusCode::FORBIDDEN);
    // An admin passes the scope check; this hub has no proxy to show.
    let admin = get(&hub, "/hub/api/proxy", Some(&hub.root)).await;
    assert_eq!(admin.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(admin.json()["message"], "No proxy configured");
}
