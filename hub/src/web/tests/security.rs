//! Security headers on every page, the proxy's error target, the admin filter and cluster
//! view, and `next` redirects that stay on this site.

use super::*;
use crate::spawner::progress::ProgressEvent;
use crate::spawner::state::ServerState;

fn running(job: &str) -> ServerState {
    ServerState::Running {
        job: drivers::JobId::new(job).unwrap(),
        url: "http://node1:8888".into(),
        since: t0(),
        query_error: None,
    }
}

fn ready() -> ProgressEvent {
    ProgressEvent {
        progress: Some(100),
        message: "ready".into(),
        ready: true,
        failed: false,
        url: None,
    }
}

fn assert_secure_headers(answer: &Answer, uri: &str) {
    let csp = answer
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no CSP on {uri}"));
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'self'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{part} not in {csp} ({uri})");
    }
    assert!(!csp.contains("unsafe-inline"), "{uri}");
    assert_eq!(
        answer.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff",
        "{uri}"
    );
}

#[tokio::test]
async fn every_page_has_the_csp_and_no_inline_script_or_style() {
    let web = web("/jupyter/").await;
    let (alice, _) = web.login("alice", "wonderland").await;
    let (root, _) = web.login("root", "rootpw").await;
    web.fake.put(
        "alice",
        "",
        ServerState::Waiting { since: t0() },
        Some(t0()),
        ready(),
    );
    let pages: [(&str, Option<&str>); 13] = [
        ("/jupyter/hub/login", None),
        ("/jupyter/hub/home", Some(&alice)),
        ("/jupyter/hub/spawn/alice/other", Some(&alice)),
        ("/jupyter/hub/spawn-pending/alice", Some(&alice)),
        ("/jupyter/hub/admin", Some(&root)),
        ("/jupyter/hub/admin", Some(&alice)),
        ("/jupyter/hub/output/alice", Some(&alice)),
        (
            "/jupyter/hub/error/503?url=%2Fjupyter%2Fuser%2Falice%2F",
            None,
        ),
        ("/jupyter/hub/no-such-page", Some(&alice)),
        ("/jupyter/hub/user/bob/", Some(&alice)),
        ("/jupyter/hub/static/batchhub.css", None),
        ("/jupyter/hub/static/pending.js", None),
        ("/jupyter/hub/api/users", None),
    ];
    for (uri, cookie) in pages {
        let answer = web.get(uri, cookie).await;
        assert_secure_headers(&answer, uri);
        let html = &answer.body;
        if html.starts_with("<!DOCTYPE") {
            assert!(!html.contains("<style"), "inline style on {uri}");
            assert!(
                html.matches("<script").count() == html.matches("<script src=").count(),
                "inline script on {uri}"
            );
            assert!(
                html.contains("href=\"/jupyter/hub/static/batchhub.css\""),
                "{uri}"
            );
        }
    }
    let js = web.get("/jupyter/hub/static/pending.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("new EventSource("));
    assert!(js.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let css = web.get("/jupyter/hub/static/batchhub.css", None).await;
    assert!(css.body.contains(":focus"), "keyboard focus is visible");
}

#[tokio::test]
async fn the_error_target_says_the_server_is_not_running_under_a_base_url() {
    let web = web("/jupyterhub/").await;
    // As hub-proxy asks: no cookie.
    let answer = web
        .get(
            "/jupyterhub/hub/error/503?url=%2Fjupyterhub%2Fuser%2Falice%2Flab%3Fx%3D1",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.body.contains("Your server is not running"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("href=\"/jupyterhub/hub/spawn/alice\""));
    // A named server the user has.
    web.fake
        .put("alice", "gpu", ServerState::new(), None, ready());
    let answer = web
        .get(
            "/jupyterhub/hub/error/404?url=%2Fjupyterhub%2Fuser%2Falice%2Fgpu%2Flab",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        answer
            .body
            .contains("href=\"/jupyterhub/hub/spawn/alice/gpu\""),
        "{}",
        answer.body
    );
    // Someone else, logged in: no start button.
    let (bob, _) = web.login("bob", "builder").await;
    let answer = web
        .get(
            "/jupyterhub/hub/error/503?url=%2Fjupyterhub%2Fuser%2Falice%2F",
            Some(&bob),
        )
        .await;
    assert!(answer.body.contains("is not running"));
    assert!(!answer.body.contains("/hub/spawn/alice"), "{}", answer.body);
    // Anything else: a generic page with the right status, the URL escaped.
    let answer = web
        .get(
            "/jupyterhub/hub/error/502?url=%2Fjupyterhub%2Fservices%2F%3Cb%3E",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert!(answer.body.contains("502 Bad Gateway"));
    assert!(answer.body.contains("/jupyterhub/services/&lt;b&gt;"));
    assert!(!answer.body.contains("Start server"));
    let answer = web.get("/jupyterhub/hub/error/500", None).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    let answer = web.get("/jupyterhub/hub/error/200", None).await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "not an error code"
    );
    // Running as far as the hub knows, yet unreachable: said so, no start button.
    web.fake
        .put("carol", "", running("8.pbs"), Some(t0()), ready());
    let answer = web
        .get(
            "/jupyterhub/hub/error/503?url=%2Fjupyterhub%2Fuser%2Fcarol%2Flab",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.body.contains("Your server is not responding"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("Start server"));
    // A user URL outside the base URL is not a user server.
    let answer = web
        .get("/jupyterhub/hub/error/503?url=%2Fuser%2Falice%2F", None)
        .await;
    assert!(!answer.body.contains("Start server"));
}

#[tokio::test]
async fn the_admin_page_filters_and_shows_the_cluster() {
    let web = web("/").await;
    let (root, _) = web.login("root", "rootpw").await;
    web.login("alice", "wonderland").await;
    web.login("bob", "builder").await;
    web.login("carol", "c").await;
    web.fake
        .put("bob", "", running("5.pbs"), Some(t0()), ready());
    // The scheduler cannot say: shown as unavailable, with why.
    let page = web.get("/hub/admin", Some(&root)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Cluster summary unavailable: qstat: cannot connect to server"),
        "{}",
        page.body
    );
    for name in ["alice", "bob", "carol", "root"] {
        assert!(page.body.contains(&format!("<td>{name}</td>")));
    }
    *web.fake.cluster.lock().unwrap() = Some(drivers::ClusterSummary {
        queued: 211,
        running: 11,
        held: 47,
        waiting: 0,
        nodes_total: 2000,
        nodes_free: 37,
        nodes_unavailable: 12,
    });
    let page = web.get("/hub/admin?q=ALI", Some(&root)).await;
    assert!(
        page.body.contains("<dd class=\"queued\">211</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<dd class=\"free\">37 of 2000</dd>"));
    assert!(page.body.contains("<td>alice</td>"));
    assert!(!page.body.contains("<td>bob</td>") && !page.body.contains("<td>carol</td>"));
    assert!(page.body.contains("name=\"q\" value=\"ALI\""));
    let page = web.get("/hub/admin?state=running", Some(&root)).await;
    assert!(page.body.contains("<td>bob</td>"), "{}", page.body);
    assert!(!page.body.contains("<td>alice</td>"));
    assert!(page.body.contains("<option value=\"running\" selected>"));
    assert!(page.body.contains("action=\"/hub/admin/stop/bob\""));
    let page = web.get("/hub/admin?q=o&state=inactive", Some(&root)).await;
    assert!(page.body.contains("<td>carol</td>") && page.body.contains("<td>root</td>"));
    assert!(!page.body.contains("<td>bob</td>"));
    let page = web.get("/hub/admin?q=%3Cscript%3E", Some(&root)).await;
    assert!(page.body.contains("No user matches"));
    assert!(page.body.contains("value=\"&lt;script&gt;\""));
}

#[tokio::test]
async fn next_redirects_stay_under_the_base_url() {
    let web = web("/jupyter/").await;
    for next in [
        "%2F%2Fevil.com",
        "https%3A%2F%2Fevil.com",
        "%2F%5Cevil.com",
        "%2Fjupyter%2F%5Cevil.com",
        "%2Fevil",
        "%2F%09%2Fevil.com",
        "evil.com",
        "javascript%3Aalert(1)",
    ] {
        let answer = web.try_login("alice", "wonderland", Some(next)).await;
        assert_eq!(answer.status, StatusCode::FOUND);
        assert_eq!(answer.location(), "/jupyter/hub/home", "next={next}");
    }
    // Logged in already: the login page follows the same rule.
    let (cookie, _) = web.login("alice", "wonderland").await;
    let answer = web
        .get("/jupyter/hub/login?next=%2F%2Fevil.com", Some(&cookie))
        .await;
    assert_eq!(answer.location(), "/jupyter/hub/home");
    let answer = web
        .get(
            "/jupyter/hub/login?next=%2Fjupyter%2Fuser%2Falice%2Flab",
            Some(&cookie),
        )
        .await;
    assert_eq!(answer.location(), "/jupyter/user/alice/lab");
}
