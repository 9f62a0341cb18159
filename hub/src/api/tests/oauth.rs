//! `POST /hub/api/oauth2/token`: the code exchange as `jupyterhub-singleuser` makes it, and
//! every way it is refused; then what the token it gets may do.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine;
use serde_json::{json, Value};

use super::*;
use crate::api::oauth::pkce;
use crate::db::{NewOAuthClient, NewOAuthCode};

/// RFC 7636, appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CALLBACK: &str = "/user/alice/oauth_callback";
const SESSION_ID: &str = "ee3f234b7cd34a3f9d1dae422ba41d46";

/// Registers `user`'s default server as spawn does; returns its client id and secret.
async fn server_client(hub: &Hub, user: &str) -> (String, String) {
    let token = NewToken {
        owner: TokenOwner::User(user.to_string()),
        scopes: crate::spawning::job_env::server_token_scopes(user, ""),
        note: format!("Server at /user/{user}/"),
        expires_at: None,
        oauth_client: None,
    };
    let client_id = format!("jupyterhub-user-{user}");
    let callback = format!("/user/{user}/oauth_callback");
    let description = format!("Server at /user/{user}/");
    let client = NewOAuthClient {
        client_id: &client_id,
        redirect_uri: &callback,
        description: &description,
    };
    let (_, secret) = hub
        .db
        .create_server_credentials(&token, &client, t0())
        .await
        .unwrap();
    (client_id, secret)
}

/// A code for alice's server as the authorize page issues it, with an S256 challenge.
fn alice_code() -> NewOAuthCode {
    NewOAuthCode {
        client_id: "jupyterhub-user-alice".into(),
        user: "alice".into(),
        scopes: vec![
            "access:servers!server=alice/".into(),
            "read:users:groups!user=alice".into(),
            "read:users:name!user=alice".into(),
        ],
        redirect_uri: CALLBACK.into(),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        expires_at: t0() + chrono::Duration::minutes(5),
        session_id: Some(SESSION_ID.into()),
    }
}

async fn code(hub: &Hub, new: &NewOAuthCode) -> String {
    hub.db.create_oauth_code(new, t0()).await.unwrap()
}

/// The form singleuser posts, with `Authorization: token <secret>` too.
fn exchange_form(client_id: &str, secret: &str, code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", client_id.to_string()),
        ("client_secret", secret.to_string()),
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("redirect_uri", CALLBACK.to_string()),
        ("code_verifier", VERIFIER.to_string()),
    ]
}

fn encode(form: &[(&str, String)]) -> String {
    form.iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn post_token(hub: &Hub, authorization: Option<&str>, form: &[(&str, String)]) -> Answer {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/hub/api/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        builder = builder.header(header::AUTHORIZATION, value);
    }
    send(hub, builder.body(Body::from(encode(form))).unwrap()).await
}

fn without(form: &[(&'static str, String)], key: &str) -> Vec<(&'static str, String)> {
    form.iter().filter(|(k, _)| *k != key).cloned().collect()
}

fn with(
    form: &[(&'static str, String)],
    key: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let mut form = without(form, key);
    form.push((key, value.to_string()));
    form
}

fn assert_error(answer: &Answer, status: StatusCode, error: &str) {
    assert_eq!(
        answer.status,
        status,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["error"], error);
    assert_eq!(answer.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn singleusers_exchange_gets_a_token_that_identifies_the_user() {
    let hub = hub().await;
    let (client, secret) = server_client(&hub, "alice").await;
    let code = code(&hub, &alice_code()).await;
    let header = format!("token {secret}");
    let answer = post_token(&hub, Some(&header), &exchange_form(&client, &secret, &code)).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.headers["pragma"], "no-cache");
    assert_eq!(answer.headers["x-jupyterhub-version"], "5.3.0");
    let body = answer.json();
    assert_eq!(body["expires_in"], 1_209_600);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        "access:servers!server=alice/ read:users:groups!user=alice read:users:name!user=alice"
    );
    let token = body["access_token"].as_str().unwrap().to_string();

    // The stored token: alice's, for the client, 14 days, in the session.
    let record = hub.db.lookup_token(&token, t0()).await.unwrap().unwrap();
    assert_eq!(record.owner, TokenOwner::User("alice".into()));
    assert_eq!(record.oauth_client.as_deref(), Some(client.as_str()));
    assert_eq!(record.expires_at, Some(t0() + chrono::Duration::days(14)));
    assert_eq!(record.session_id.as_deref(), Some(SESSION_ID));

    // What singleuser reads back: only the identify fields, and the expanded scopes.
    let me = get(&hub, "/hub/api/user", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.json(),
        json!({
            "kind": "user", "name": "alice", "admin": false, "groups": [], "user_info": null,
            "token_id": record.id.to_string(), "session_id": SESSION_ID,
            "scopes": [
                "access:servers!server=alice/",
                "read:users:groups!user=alice",
                "read:users:name!user=alice"
            ]
        })
    );
    // It can do nothing else: the user model shows no more, nothing can be changed.
    let model = get(&hub, "/hub/api/users/alice", Some(&token)).await.json();
    assert!(
        model.get("servers").is_none() && model.get("created").is_none(),
        "{model}"
    );
    let stop = send(
        &hub,
        request(
            Method::DELETE,
            "/hub/api/users/alice/server",
            Some(&token),
            None,
        ),
    )
    .await;
    assert!(stop.status.is_client_error(), "{}", stop.status);

    // Single use.
    let again = post_token(&hub, Some(&header), &exchange_form(&client, &secret, &code)).await;
    assert_error(&again, StatusCode::BAD_REQUEST, "invalid_grant");

    // Expired after 14 days; then /api/user says 403 with a null message.
    let later = t0() + chrono::Duration::days(14);
    assert_eq!(hub.db.lookup_token(&token, later).await.unwrap(), None);
    assert_eq!(hub.db.delete_expired_tokens(later).await.unwrap(), 1);
    let gone = get(&hub, "/hub/api/user", Some(&token)).await;
    assert_eq!(gone.status, StatusCode::FORBIDDEN);
    assert_eq!(gone.json(), json!({"status": 403, "message": null}));
}

#[tokio::test]
async fn the_client_authenticates_in_the_body_by_basic_or_by_token_header() {
    let hub = hub().await;
    let (client, secret) = server_client(&hub, "alice").await;
    let form = exchange_form(&client, &secret, "");
    // Body only.
    let c = code(&hub, &alice_code()).await;
    let answer = post_token(&hub, None, &with(&form, "code", &c)).await;
    assert_eq!(answer.status, StatusCode::OK);
    // HTTP Basic only.
    let c = code(&hub, &alice_code()).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client}:{secret}"));
    let bare = without(
        &without(&with(&form, "code", &c), "client_id"),
        "client_secret",
    );
    let answer = post_token(&hub, Some(&format!("Basic {basic}")), &bare).await;
    assert_eq!(answer.status, StatusCode::OK);
    // The secret in `Authorization: token`, the id in the body.
    let c = code(&hub, &alice_code()).await;
    let id_only = without(&with(&form, "code", &c), "client_secret");
    let answer = post_token(&hub, Some(&format!("token {secret}")), &id_only).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_or_missing_client_secret_is_invalid_client() {
    let hub = hub().await;
    let (client, secret) = server_client(&hub, "alice").await;
    let c = code(&hub, &alice_code()).await;
    let form = exchange_form(&client, &secret, &c);
    let wrong = post_token(&hub, None, &with(&form, "client_secret", "guess")).await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(
        wrong.json(),
        json!({"error": "invalid_client", "error_description": "Unknown client or wrong secret"})
    );
    let unknown = post_token(&hub, None, &with(&form, "client_id", "jupyterhub-user-zed")).await;
    assert_error(&unknown, StatusCode::UNAUTHORIZED, "invalid_client");
    let none = post_token(&hub, None, &without(&form, "client_secret")).await;
    assert_error(&none, StatusCode::UNAUTHORIZED, "invalid_client");
    // Another server's secret does not open this client.
    let (_, bob_secret) = server_client(&hub, "bob").await;
    let bobs = post_token(&hub, None, &with(&form, "client_secret", &bob_secret)).await;
    assert_error(&bobs, StatusCode::UNAUTHORIZED, "invalid_client");
    // Refused before the code was looked at: it still works.
    let answer = post_token(&hub, None, &form).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_grants_are_invalid_grant_and_bad_requests_invalid_request() {
    let hub = hub().await;
    let (client, secret) = server_client(&hub, "alice").await;
    let base = exchange_form(&client, &secret, "");

    let c = code(&hub, &alice_code()).await;
    let wrong_uri = post_token(
        &hub,
        None,
        &with(
            &with(&base, "code", &c),
            "redirect_uri",
            "/user/alice/other",
        ),
    )
    .await;
    assert_error(&wrong_uri, StatusCode::BAD_REQUEST, "invalid_grant");
    // The code was spent by that attempt.
    let after = post_token(&hub, None, &with(&base, "code", &c)).await;
    assert_error(&after, StatusCode::BAD_REQUEST, "invalid_grant");

    let unknown = post_token(&hub, None, &with(&base, "code", "no-such-code")).await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "invalid_grant");

    let mut expired = alice_code();
    expired.expires_at = t0();
    let c = code(&hub, &expired).await;
    let late = post_token(&hub, None, &with(&base, "code", &c)).await;
    assert_error(&late, StatusCode::BAD_REQUEST, "invalid_grant");

    // A code issued to alice's server, redeemed by bob's.
    let (bob_client, bob_secret) = server_client(&hub, "bob").await;
    let c = code(&hub, &alice_code()).await;
    let bobs = exchange_form(&bob_client, &bob_secret, &c);
    let stolen = post_token(&hub, None, &bobs).await;
    assert_error(&stolen, StatusCode::BAD_REQUEST, "invalid_grant");

    let c = code(&hub, &alice_code()).await;
    let missing = post_token(&hub, None, &without(&base, "code")).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "invalid_request");
    let grant = post_token(
        &hub,
        None,
        &with(&with(&base, "code", &c), "grant_type", "password"),
    )
    .await;
    assert_error(&grant, StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let no_grant = post_token(&hub, None, &without(&with(&base, "code", &c), "grant_type")).await;
    assert_error(&no_grant, StatusCode::BAD_REQUEST, "invalid_request");
    assert_eq!(no_grant.json()["error_description"], "Missing grant_type");

    let json_body = Request::builder()
        .method(Method::POST)
        .uri("/hub/api/oauth2/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let answer = send(&hub, json_body).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn pkce_s256_and_plain_are_checked() {
    let hub = hub().await;
    let (client, secret) = server_client(&hub, "alice").await;
    let base = exchange_form(&client, &secret, "");

    let c = code(&hub, &alice_code()).await;
    let other_verifier = "x".repeat(43);
    let wrong = post_token(
        &hub,
        None,
        &with(&with(&base, "code", &c), "code_verifier", &other_verifier),
    )
    .await;
    assert_error(&wrong, StatusCode::BAD_REQUEST, "invalid_grant");

    let c = code(&hub, &alice_code()).await;
    let missing = post_token(
        &hub,
        None,
        &without(&with(&base, "code", &c), "code_verifier"),
    )
    .await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "invalid_request");

    let mut plain = alice_code();
    plain.code_challenge = Some(VERIFIER.into());
    plain.code_challenge_method = Some("plain".into());
    let c = code(&hub, &plain).await;
    let ok = post_token(&hub, None, &with(&base, "code", &c)).await;
    assert_eq!(ok.status, StatusCode::OK);
    let c = code(&hub, &plain).await;
    let hashed = pkce::s256(VERIFIER);
    let as_s256 = post_token(
        &hub,
        None,
        &with(&with(&base, "code", &c), "code_verifier", &hashed),
    )
    .await;
    assert_error(&as_s256, StatusCode::BAD_REQUEST, "invalid_grant");

    // Without a challenge no verifier is needed.
    let mut none = alice_code();
    none.code_challenge = None;
    none.code_challenge_method = None;
    let c = code(&hub, &none).await;
    let ok = post_token(
        &hub,
        None,
        &without(&with(&base, "code", &c), "code_verifier"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_the_client_revokes_its_tokens() {
    let hub = hub().await;
    let (client, secret) = server_client(&hub, "alice").await;
    let c = code(&hub, &alice_code()).await;
    let answer = post_token(&hub, None, &exchange_form(&client, &secret, &c)).await;
    let token = answer.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        get(&hub, "/hub/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    assert!(hub.db.delete_oauth_client(&client).await.unwrap());
    let gone = get(&hub, "/hub/api/user", Some(&token)).await;
    assert_eq!(gone.status, StatusCode::FORBIDDEN);
    assert_eq!(gone.json(), json!({"status": 403, "message": null}));
}

#[tokio::test]
async fn the_version_is_open_to_any_origin_and_the_servers_token_reports_activity() {
    let hub = hub().await;
    let answer = get(&hub, "/hub/api", None).await;
    assert_eq!(answer.headers["access-control-allow-origin"], "*");
    assert_eq!(answer.headers["x-jupyterhub-version"], "5.3.0");

    let (_, secret) = server_client(&hub, "alice").await;
    hub.db
        .put_server_state("alice", "", &crate::db::ServerState::default(), t0())
        .await
        .unwrap();
    let body: Value = json!({
        "servers": {"": {"last_activity": "2026-11-25T16:59:17.817869Z"}},
        "last_activity": "2026-11-25T16:59:17.817869Z"
    });
    let answer = send(
        &hub,
        request(
            Method::POST,
            "/hub/api/users/alice/activity",
            Some(&secret),
            Some(body.clone()),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    // Not for another user.
    let answer = send(
        &hub,
        request(
            Method::POST,
            "/hub/api/users/bob/activity",
            Some(&secret),
            Some(body),
        ),
    )
    .await;
    assert!(answer.status.is_client_error());
}
