//! Route API conformance: every case of jupyterhub-protocol.md §3.1, as JupyterHub sends it.

mod common;

use common::{api_call, config, start, TOKEN};
use http::{Method, StatusCode};
use serde_json::{json, Value};

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[tokio::test]
async fn hub_route_user_routes_and_listing_round_trip_every_key() {
    let p = start(config()).await;
    // The hub route is posted to `/api/routes/` (the root), with text/plain JSON.
    let (s, _) = p
        .api(
            Method::POST,
            "/api/routes/",
            Some(r#"{"hub": true, "target": "http://127.0.0.1:18081", "jupyterhub": true}"#),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, body) = p
        .api(Method::POST, "/api/routes/user/alice", Some(r#"{"user": "alice", "server_name": "", "target": "http://127.0.0.1:47405", "jupyterhub": true}"#))
        .await;
    assert_eq!((s, body.as_str()), (StatusCode::CREATED, ""));
    let (s, _) = p
        .api(Method::POST, "/api/routes/user/alice/gpu1", Some(r#"{"user": "alice", "server_name": "gpu1", "target": "http://localhost:46807", "jupyterhub": true}"#))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = p
        .api(Method::POST, "/api/routes/services/culler", Some(r#"{"service": "culler", "target": "http://127.0.0.1:9", "jupyterhub": true, "nested": {"a": [1, 2]}}"#))
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let (s, body) = p.api(Method::GET, "/api/routes", None).await;
    assert_eq!(s, StatusCode::OK);
    let mut routes = parse(&body);
    let obj = routes.as_object_mut().unwrap();
    assert_eq!(obj.len(), 4);
    for (key, route) in obj.iter_mut() {
        let la = route
            .as_object_mut()
            .unwrap()
            .remove("last_activity")
            .expect(key);
        let la = la.as_str().unwrap();
        // JavaScript toISOString: 2026-11-25T17:01:21.530Z
        assert_eq!(la.len(), 24, "{la}");
        assert!(la.ends_with('Z') && la.as_bytes()[19] == b'.', "{la}");
    }
    assert_eq!(
        routes,
        json!({
            "/": {"hub": true, "target": "http://127.0.0.1:18081", "jupyterhub": true},
            "/user/alice": {"user": "alice", "server_name": "", "target": "http://127.0.0.1:47405", "jupyterhub": true},
            "/user/alice/gpu1": {"user": "alice", "server_name": "gpu1", "target": "http://localhost:46807", "jupyterhub": true},
            "/services/culler": {"service": "culler", "target": "http://127.0.0.1:9", "jupyterhub": true, "nested": {"a": [1, 2]}},
        })
    );
    // `/api/routes/` lists too (CHP treats the root path as the listing).
    let (s, body) = p.api(Method::GET, "/api/routes/", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(parse(&body).as_object().unwrap().len(), 4);
    p.stop().await;
}

#[tokio::test]
async fn single_route_get_trailing_slashes_and_delete() {
    let p = start(config()).await;
    // JupyterHub strips the trailing slash; other clients may not. Both name one route.
    p.add_route("/user/bob/", "http://127.0.0.1:9").await;
    for path in ["/api/routes/user/bob", "/api/routes/user/bob/"] {
        let (s, body) = p.api(Method::GET, path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(parse(&body)["target"], "http://127.0.0.1:9");
    }
    let (s, _) = p.api(Method::GET, "/api/routes/user/nobody", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = p.api(Method::DELETE, "/api/routes/user/bob", None).await;
    assert_eq!((s, body.as_str()), (StatusCode::NO_CONTENT, ""));
    let (s, _) = p.api(Method::DELETE, "/api/routes/user/bob/", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = p.api(Method::GET, "/api/routes/user/bob", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Percent-encoded paths are decoded, as CHP does.
    p.add_route("/user/a%40b", "http://127.0.0.1:9").await;
    let (_, body) = p.api(Method::GET, "/api/routes", None).await;
    assert!(parse(&body).get("/user/a@b").is_some(), "{body}");
    p.stop().await;
}

#[tokio::test]
async fn re_posting_replaces_the_route() {
    let p = start(config()).await;
    p.add_route("/user/c", "http://127.0.0.1:1").await;
    p.add_route("/user/c", "http://127.0.0.1:2").await;
    let (_, body) = p.api(Method::GET, "/api/routes/user/c", None).await;
    assert_eq!(parse(&body)["target"], "http://127.0.0.1:2");
    let (_, body) = p.api(Method::GET, "/api/routes", None).await;
    assert_eq!(parse(&body).as_object().unwrap().len(), 1);
    p.stop().await;
}

#[tokio::test]
async fn bad_or_missing_token_is_403_with_an_empty_body() {
    let p = start(config()).await;
    for token in [
        None,
        Some("wrong"),
        Some("secret-toke"),
        Some("secret-token-and-more"),
    ] {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            let (s, body) = api_call(
                p.api,
                method.clone(),
                "/api/routes/x",
                Some(r#"{"target":"http://h:1"}"#),
                token,
            )
            .await;
            assert_eq!(
                (s, body.as_str()),
                (StatusCode::FORBIDDEN, ""),
                "{method} {token:?}"
            );
        }
    }
    let (s, _) = api_call(p.api, Method::GET, "/api/routes", None, Some(TOKEN)).await;
    assert_eq!(s, StatusCode::OK);
    // Nothing was added by the refused POSTs.
    assert_eq!(p.app.routes.len(), 0);
    p.stop().await;
}

#[tokio::test]
async fn without_a_configured_token_the_api_is_open() {
    let p = start(proxy::Config::for_tests()).await;
    let (s, _) = api_call(p.api, Method::GET, "/api/routes", None, None).await;
    assert_eq!(s, StatusCode::OK);
    p.stop().await;
}

#[tokio::test]
async fn bad_bodies_unknown_methods_and_paths() {
    let p = start(config()).await;
    let (s, body) = p
        .api(Method::POST, "/api/routes/x", Some(r#"{"user": "x"}"#))
        .await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::BAD_REQUEST, "Must specify 'target' as string")
    );
    let (s, body) = p
        .api(Method::POST, "/api/routes/x", Some(r#"{"target": 5}"#))
        .await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::BAD_REQUEST, "Must specify 'target' as string")
    );
    let (s, _) = p.api(Method::POST, "/api/routes/x", Some("null")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, body) = p
        .api(Method::POST, "/api/routes/x", Some("{not json"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("Body not valid JSON"), "{body}");
    let (s, _) = p.api(Method::POST, "/api/routes/x", Some("")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, body) = p.api(Method::PUT, "/api/routes/x", Some("{}")).await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "Method not supported")
    );
    let (s, _) = p.api(Method::GET, "/api/other", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = p.api(Method::GET, "/api/routesx", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(p.app.routes.len(), 0);
    p.stop().await;
}

#[tokio::test]
async fn inactive_since_filters_by_last_activity() {
    let p = start(config()).await;
    p.add_route("/user/old", "http://127.0.0.1:9").await;
    let old = p.app.routes.get("/user/old").unwrap();
    old.touch(0); // no effect: activity never goes back
    let (_, body) = p.api(Method::GET, "/api/routes/user/old", None).await;
    let added = parse(&body)["last_activity"].as_str().unwrap().to_owned();
    let added_ms = proxy::time::parse_timestamp(&added).unwrap();

    let later = proxy::time::iso_millis(added_ms + 1);
    for param in ["inactive_since", "inactiveSince"] {
        let (s, body) = p
            .api(Method::GET, &format!("/api/routes?{param}={later}"), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(parse(&body).get("/user/old").is_some(), "{param}: {body}");
        let (_, body) = p
            .api(Method::GET, &format!("/api/routes?{param}={added}"), None)
            .await;
        assert_eq!(
            parse(&body),
            json!({}),
            "{param}: not inactive since its own add"
        );
    }
    let (s, body) = p
        .api(Method::GET, "/api/routes?inactive_since=last-tuesday", None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("must be ISO8601"), "{body}");
    p.stop().await;
}
