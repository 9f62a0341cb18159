//! Router tests: the whole API over a SQLite database in a temp dir and a fake spawner.

pub(crate) mod fake;
mod oauth;
mod routes;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::auth::owner_scopes;
use super::{router, ApiSettings, ApiState, Services};
use crate::db::{Db, NewToken, TokenOwner};
use fake::FakeControl;

/// The tests' fixed "now".
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 17, 0, 0).unwrap()
}

const CULLER: &str = "culler-secret-token";
const WATCHER: &str = "watcher-secret-token";

/// A hub with users alice, bob and root (admin by config), each with a full token, a
/// culler service and a watcher service that may only read activity.
struct Hub {
    _dir: tempfile::TempDir,
    db: Db,
    fake: Arc<FakeControl>,
    app: Router,
    alice: String,
    bob: String,
    root: String,
}

async fn hub() -> Hub {
    hub_at(Arc::new(t0)).await
}

/// [`hub`] with its API reading the time from `clock`.
async fn hub_at(clock: super::Clock) -> Hub {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hub.sqlite").display()
    );
    let db = Db::connect(&url).await.expect("connect");
    let mut tokens = Vec::new();
    for (name, admin) in [("alice", false), ("bob", false), ("root", false)] {
        db.create_user(name, admin, t0()).await.expect("user");
        let new = NewToken {
            owner: TokenOwner::User(name.to_string()),
            scopes: owner_scopes(name, name == "root"),
            note: String::new(),
            expires_at: None,
            oauth_client: None,
        };
        tokens.push(db.create_token(&new, t0()).await.expect("token").1);
    }
    let mut services = Services::default();
    services.insert(
        CULLER,
        "culler",
        [
            "list:users",
            "read:users:activity",
            "read:servers",
            "delete:servers",
        ]
        .map(String::from)
        .to_vec(),
    );
    services.insert(WATCHER, "watcher", vec!["read:users:activity".to_string()]);
    let fake = Arc::new(FakeControl::default());
    let settings = ApiSettings {
        base_url: "/".to_string(),
        admin_users: BTreeSet::from(["root".to_string()]),
        services,
        version: "5.3.0".to_string(),
        clock,
        cookie_secret: None,
        proxy: None,
    };
    let app = router(ApiState::new(db.clone(), fake.clone(), settings));
    let root = tokens.pop().unwrap();
    let bob = tokens.pop().unwrap();
    let alice = tokens.pop().unwrap();
    Hub {
        _dir: dir,
        db,
        fake,
        app,
        alice,
        bob,
        root,
    }
}

/// A request with an optional token and JSON body.
fn request(method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "hub.example:8081");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("token {token}"));
    }
    let body = match body {
        Some(json) => {
            builder = builder.header("content-type", "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let mut request = builder.body(body).unwrap();
    let peer: SocketAddr = "10.1.2.3:40000".parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

async fn send(hub: &Hub, request: Request<Body>) -> Answer {
    let response = hub.app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(hub: &Hub, uri: &str, token: Option<&str>) -> Answer {
    send(hub, request(Method::GET, uri, token, None)).await
}

#[test]
fn service_tokens_are_read_from_their_files() {
    use crate::config::ServiceConfig;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("culler.token");
    std::fs::write(&path, "s3cret\n").unwrap();
    let declared = vec![
        ServiceConfig {
            name: "culler".to_string(),
            api_token_file: Some(path),
            scopes: vec!["list:users".to_string()],
            roles: vec!["admin".to_string()],
            ..ServiceConfig::default()
        },
        ServiceConfig {
            name: "no-token".to_string(),
            ..ServiceConfig::default()
        },
    ];
    let services = Services::load(&declared).unwrap();
    let found = format!("{services:?}");
    assert!(
        found.contains("culler") && found.contains("admin:servers"),
        "{found}"
    );
    assert!(!found.contains("s3cret"), "only the hash is kept");
    let missing = vec![ServiceConfig {
        name: "gone".to_string(),
        api_token_file: Some(dir.path().join("missing")),
        ..ServiceConfig::default()
    }];
    assert!(Services::load(&missing).is_err());
}

#[test]
fn scopes_parse_and_imply() {
    use super::scopes::{implies, Filter, Grant, Target};
    let grant = Grant::parse("servers!server=alice/gpu").unwrap();
    assert_eq!(
        grant.filter,
        Filter::Server {
            user: "alice".into(),
            server: "gpu".into()
        }
    );
    assert_eq!(grant.to_string(), "servers!server=alice/gpu");
    let gpu = Target::Server {
        user: "alice".into(),
        server: "gpu".into(),
    };
    assert!(grant.covers("delete:servers", &gpu));
    assert!(!grant.covers("delete:servers", &Target::User("alice".into())));
    assert!(
        Grant::parse("read:users!user=").is_none(),
        "empty filters grant nothing"
    );
    assert!(Grant::parse("read:users!group=x").is_none());
    assert!(implies("admin:users", "read:users:activity"));
    assert!(implies("admin:servers", "start:servers"));
    assert!(!implies("read:users:activity", "list:users"));
}
