//! Router tests: the pages merged with the REST API (as the binary serves them) over a
//! SQLite database in a temp dir, the API's fake spawner and a counting authenticator.

mod actions;
mod cards;
mod login;
mod oauth;
mod pages;
mod security;
mod terms;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{header, Method, Request, Response, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{router, with_api, WebSettings, WebState};
use crate::api::tests::fake::FakeControl;
use crate::api::{self, ApiSettings, ApiState, Services};
use crate::auth::{AuthError, Authenticator, Verdict};
use crate::db::Db;
use crate::session_cookie::{self, Purpose};
use crate::spawner::SchedulerTerms;

const SECRET: &[u8] = b"a cookie secret of at least 32 bytes, for tests";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 17, 0, 0).unwrap()
}

/// alice/wonderland, bob/builder, root/rootpw; "broken" makes the service unavailable.
#[derive(Debug, Default)]
struct CountingAuth {
    calls: AtomicUsize,
}

#[async_trait]
impl Authenticator for CountingAuth {
    async fn authenticate(&self, user: &str, password: &str) -> Result<Verdict, AuthError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if user == "broken" {
            return Err(AuthError::Unavailable("PAM is gone".into()));
        }
        let ok = matches!(
            (user, password),
            ("alice", "wonderland") | ("bob", "builder") | ("root", "rootpw") | ("carol", "c")
        );
        Ok(if ok {
            Verdict::Accepted(user.to_string())
        } else {
            Verdict::Rejected
        })
    }

    fn kind(&self) -> &'static str {
        "counting"
    }
}

/// A form with an integer field `ncpus` and a choice `queue`.
const FORM: &str = r#"
[spawner.form.fields.ncpus]
kind = "integer"
label = "CPU cores"
min = 1
max = 64
default = 2

[spawner.form.fields.queue]
kind = "choice"
choices = [{ key = "workq", label = "Work queue" }, { key = "gpu", label = "GPU queue" }]
"#;

struct Web {
    _dir: tempfile::TempDir,
    db: Db,
    fake: Arc<FakeControl>,
    auth: Arc<CountingAuth>,
    app: Router,
    base: String,
}

fn settings(base: &str) -> WebSettings {
    WebSettings {
        base_url: base.to_string(),
        admin_users: BTreeSet::from(["root".to_string()]),
        allowed_users: BTreeSet::new(),
        allowed_groups: BTreeSet::new(),
        form: crate::config::check_config(FORM, "hub.toml")
            .unwrap()
            .spawner
            .form,
        terms: SchedulerTerms::PBS,
        cookie_secret: SECRET.to_vec(),
        secure_cookies: false,
        session_lifetime: WebSettings::DEFAULT_SESSION_LIFETIME,
        max_failed_logins: 5,
        failed_login_window: Duration::from_secs(300),
        clock: Arc::new(t0),
        authenticator_kind: "counting",
        login_hint: None,
    }
}

async fn web(base: &str) -> Web {
    web_with(settings(base)).await
}

async fn web_with(settings: WebSettings) -> Web {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hub.sqlite").display()
    );
    let db = Db::connect(&url).await.unwrap();
    let fake = Arc::new(FakeControl::default());
    let auth = Arc::new(CountingAuth::default());
    let base = settings.base_url.clone();
    let api_settings = ApiSettings {
        base_url: base.clone(),
        admin_users: settings.admin_users.clone(),
        services: Services::default(),
        version: "5.3.0".to_string(),
        clock: Arc::new(t0),
        cookie_secret: Some(Arc::from(SECRET)),
        proxy: None,
    };
    let state = WebState::new(db.clone(), fake.clone(), auth.clone(), settings);
    // As the binary serves them: the pages merged with the API.
    let app = with_api(
        state,
        api::router(ApiState::new(db.clone(), fake.clone(), api_settings)),
    );
    Web {
        _dir: dir,
        db,
        fake,
        auth,
        app,
        base,
    }
}

#[tokio::test]
async fn the_pages_merge_with_the_api_and_unknown_paths_get_the_right_404() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    let page = web.get("/hub/no-such-page", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("There is no page here.") && page.body.contains("alice"));
    let api = web.get("/hub/api/no-such-thing", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.body, r#"{"status":404,"message":"Not Found"}"#);
    // The plain merge works too (no fallback here, the API's stays).
    let plain = router(WebState::new(
        web.db.clone(),
        web.fake.clone(),
        web.auth.clone(),
        settings("/"),
    ));
    let merged = plain.merge(Router::new().fallback(|| async { StatusCode::IM_A_TEAPOT }));
    let request = Web::request(Method::GET, "/nowhere", None, None);
    let answer = read(merged.oneshot(request).await.unwrap()).await;
    assert_eq!(answer.status, StatusCode::IM_A_TEAPOT);
}

/// A response with its body read.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    /// The `name=value` of a cookie this response sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_string())
    }
}

async fn read(response: Response<Body>) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

impl Web {
    async fn send(&self, request: Request<Body>) -> Answer {
        read(self.app.clone().oneshot(request).await.unwrap()).await
    }

    fn request(
        method: Method,
        uri: &str,
        cookie: Option<&str>,
        form: Option<&str>,
    ) -> Request<Body> {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let body = match form {
            Some(form) => {
                builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form.to_string())
            }
            None => Body::empty(),
        };
        let mut request = builder.body(body).unwrap();
        let peer: SocketAddr = "10.1.2.3:40000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Answer {
        self.send(Self::request(Method::GET, uri, cookie, None))
            .await
    }

    async fn post(&self, uri: &str, cookie: Option<&str>, form: &str) -> Answer {
        self.send(Self::request(Method::POST, uri, cookie, Some(form)))
            .await
    }

    /// The login page's XSRF cookie (`_xsrf=…`) and the form's token.
    async fn login_form(&self) -> (String, String) {
        let page = self.get(&format!("{}hub/login", self.base), None).await;
        assert_eq!(page.status, StatusCode::OK);
        let cookie = page.cookie("_xsrf").expect("the login page sets _xsrf");
        let token = hidden_xsrf(&page.body);
        (cookie, token)
    }

    /// Posts the login form (with a valid XSRF pair) for `user`/`password`, `next` as given.
    async fn try_login(&self, user: &str, password: &str, next: Option<&str>) -> Answer {
        let (cookie, token) = self.login_form().await;
        let uri = match next {
            Some(next) => format!("{}hub/login?next={next}", self.base),
            None => format!("{}hub/login", self.base),
        };
        self.post(
            &uri,
            Some(&cookie),
            &format!("_xsrf={token}&username={user}&password={password}"),
        )
        .await
    }

    /// Logs in; returns the `batchhub-session=…` cookie pair and the session's XSRF token.
    async fn login(&self, user: &str, password: &str) -> (String, String) {
        let answer = self.try_login(user, password, None).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
        let cookie = answer.cookie("batchhub-session").expect("a session cookie");
        let value = cookie.split_once('=').unwrap().1;
        let id = session_cookie::verify(SECRET, Purpose::Session, value).expect("signed");
        let session = self
            .db
            .lookup_session(id, t0())
            .await
            .unwrap()
            .expect("stored");
        (cookie, session.xsrf_token)
    }

    fn auth_calls(&self) -> usize {
        self.auth.calls.load(Ordering::SeqCst)
    }
}

/// The value of the first hidden `_xsrf` input of a page.
fn hidden_xsrf(html: &str) -> String {
    let at = html
        .find("name=\"_xsrf\" value=\"")
        .expect("an _xsrf field");
    let rest = &html[at + "name=\"_xsrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}
