//! The OAuth2 authorize page: the browser's hops as `jupyterhub-singleuser` drives them
//! (login and back, the code, the callback), who may authorize, bad requests, the
//! session-id cookie, and logout revoking the session's tokens.

use super::*;
use crate::api::oauth::pkce;

/// RFC 7636, appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SECRET_OF_ALICES_SERVER: &str = "alices-server-api-token";

/// Registers alice's default server's OAuth client (its user too, as a spawn would
/// have), under the hub's base URL.
async fn alices_client(web: &Web) {
    web.db.upsert_user("alice", false, t0()).await.unwrap();
    web.db
        .upsert_oauth_client(
            "jupyterhub-user-alice",
            SECRET_OF_ALICES_SERVER,
            &format!("{}user/alice/oauth_callback", web.base),
            &format!("Server at {}user/alice/", web.base),
            t0(),
        )
        .await
        .unwrap();
}

/// The authorize URL singleuser redirects to, with `state` already escaped.
fn authorize_url(web: &Web, state: &str) -> String {
    let callback = format!("{}user/alice/oauth_callback", web.base).replace('/', "%2F");
    format!(
        "{}hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&redirect_uri={callback}\
         &response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256&state={state}",
        web.base
    )
}

/// The `code` of a callback location.
fn code_of(location: &str) -> String {
    let query = location.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("code="))
        .unwrap()
        .to_string()
}

/// The value of the session-id cookie a response sets.
fn session_id_set(answer: &Answer) -> Option<String> {
    answer
        .cookie("jupyterhub-session-id")
        .map(|c| c.split_once('=').unwrap().1.to_string())
}

/// Exchanges `code` as alice's server would; returns the token endpoint's answer.
async fn exchange(web: &Web, code: &str) -> Answer {
    let callback = format!("{}user/alice/oauth_callback", web.base).replace('/', "%2F");
    let form = format!(
        "client_id=jupyterhub-user-alice&client_secret={SECRET_OF_ALICES_SERVER}\
         &grant_type=authorization_code&code={code}&redirect_uri={callback}&code_verifier={VERIFIER}"
    );
    web.post(&format!("{}hub/api/oauth2/token", web.base), None, &form)
        .await
}

#[tokio::test]
async fn logged_out_the_browser_logs_in_comes_back_and_gets_a_code() {
    let web = web("/").await;
    alices_client(&web).await;
    let url = authorize_url(&web, "cASDQI89q1xJuP1qzp2lcw");

    // Not logged in: to the login page, with the whole authorize URL as next.
    let answer = web.get(&url, None).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let login = answer.location().to_string();
    let next = login.strip_prefix("/hub/login?next=").expect(&login);
    let decoded = percent_encoding::percent_decode_str(next)
        .decode_utf8()
        .unwrap();
    assert_eq!(decoded, url);
    // The login page keeps next in its form, and logging in comes back to it.
    let page = web.get(&login, None).await;
    assert!(page
        .body
        .contains(&format!("action=\"{}\"", login.replace('&', "&amp;"))));
    let answer = web.try_login("alice", "wonderland", Some(next)).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), url);
    // Login set the plain session-id cookie on the base URL.
    let set = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("jupyterhub-session-id="))
        .expect("a session-id cookie");
    assert!(set.ends_with("; HttpOnly; SameSite=Lax; Path=/"), "{set}");
    let session_id = session_id_set(&answer).unwrap();
    assert_eq!(session_id.len(), 32);
    let login_cookie = answer.cookie("batchhub-session").unwrap();
    let cookies = format!("{login_cookie}; jupyterhub-session-id={session_id}");

    // Back at authorize: alice's own server, no confirmation, a code for the callback.
    let answer = web.get(&url, Some(&cookies)).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    let location = answer.location();
    assert!(
        location.starts_with("/user/alice/oauth_callback?code="),
        "{location}"
    );
    assert!(
        location.ends_with("&state=cASDQI89q1xJuP1qzp2lcw"),
        "{location}"
    );
    assert_eq!(session_id_set(&answer), None, "the browser has it already");

    // The server exchanges it; the token belongs to alice and to this login session.
    let token = exchange(&web, &code_of(location)).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    let body: serde_json::Value = serde_json::from_str(&token.body).unwrap();
    let access = body["access_token"].as_str().unwrap();
    let record = web.db.lookup_token(access, t0()).await.unwrap().unwrap();
    assert_eq!(record.session_id.as_deref(), Some(session_id.as_str()));
    assert_eq!(
        record.scopes,
        [
            "access:servers!server=alice/",
            "read:users:groups!user=alice",
            "read:users:name!user=alice"
        ]
    );
    // A code is good once.
    assert_eq!(
        exchange(&web, &code_of(location)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_state_is_echoed_exactly_and_escaped() {
    let web = web("/").await;
    alices_client(&web).await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    // `a b&c=d/é` as the client escaped it.
    let answer = web
        .get(
            &authorize_url(&web, "a%20b%26c%3Dd%2F%C3%A9"),
            Some(&cookie),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert!(
        answer.location().ends_with("&state=a%20b%26c%3Dd%2F%C3%A9"),
        "{}",
        answer.location()
    );
}

#[tokio::test]
async fn another_users_server_is_refused() {
    let web = web("/").await;
    alices_client(&web).await;
    let (cookie, _) = web.login("bob", "builder").await;
    let answer = web.get(&authorize_url(&web, "s"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer
            .body
            .contains("You do not have permission to access Server at /user/alice/"),
        "{}",
        answer.body
    );
    assert!(answer.headers.get(header::LOCATION).is_none());
    // Posting the form does not help.
    let answer = web
        .post(&authorize_url(&web, "s"), Some(&cookie), "_xsrf=x")
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oauth_codes")
        .fetch_one(web.db.pool())
        .await
        .unwrap();
    assert_eq!(codes, 0);
}

#[tokio::test]
async fn an_admin_confirms_then_gets_a_code_for_themselves() {
    let web = web("/").await;
    alices_client(&web).await;
    let (cookie, xsrf) = web.login("root", "rootpw").await;
    let url = authorize_url(&web, "st");
    let page = web.get(&url, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Authorize access"), "{}", page.body);
    assert!(page.body.contains("/user/alice/"));
    assert!(page
        .body
        .contains(&format!("action=\"{}\"", url.replace('&', "&amp;"))));
    assert_eq!(hidden_xsrf(&page.body), xsrf);
    // Without the session's XSRF token: refused, nothing issued.
    let answer = web.post(&url, Some(&cookie), "_xsrf=forged").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = web.post(&url, Some(&cookie), "").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // With it: the code, for root, to alice's server.
    let answer = web
        .post(&url, Some(&cookie), &format!("_xsrf={xsrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert!(answer.location().ends_with("&state=st"));
    let token = exchange(&web, &code_of(answer.location())).await;
    let body: serde_json::Value = serde_json::from_str(&token.body).unwrap();
    let record = web
        .db
        .lookup_token(body["access_token"].as_str().unwrap(), t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.owner, crate::db::TokenOwner::User("root".into()));
    assert!(record
        .scopes
        .contains(&"access:servers!server=alice/".to_string()));
    assert!(record
        .scopes
        .contains(&"read:users:name!user=root".to_string()));
}

#[tokio::test]
async fn bad_requests_get_a_400_page_and_never_a_redirect() {
    let web = web("/").await;
    alices_client(&web).await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    let good = authorize_url(&web, "s");
    let cases = [
        good.replace(
            "client_id=jupyterhub-user-alice",
            "client_id=jupyterhub-user-zed",
        ),
        good.replace("client_id=jupyterhub-user-alice&", ""),
        good.replace(
            "%2Fuser%2Falice%2Foauth_callback",
            "https%3A%2F%2Fevil.example%2F",
        ),
        good.replace("%2Foauth_callback", "%2Foauth_callback%2F"),
        good.replace("response_type=code", "response_type=token"),
        good.replace("response_type=code&", ""),
        good.replace("code_challenge_method=S256", "code_challenge_method=S512"),
        good.replace(CHALLENGE, "short"),
        good.replace(&format!("code_challenge={CHALLENGE}&"), ""),
    ];
    for url in cases {
        let answer = web.get(&url, Some(&cookie)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{url}");
        assert!(answer.headers.get(header::LOCATION).is_none(), "{url}");
        assert!(answer.body.contains("Bad authorization request"), "{url}");
    }
    // Without redirect_uri the registered one is used; without a challenge, no PKCE.
    let plain = good.replace("redirect_uri=%2Fuser%2Falice%2Foauth_callback&", "");
    let answer = web.get(&plain, Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert!(answer
        .location()
        .starts_with("/user/alice/oauth_callback?code="));
    let plain = format!(
        "/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&response_type=code&\
         code_challenge={VERIFIER}"
    );
    let answer = web.get(&plain, Some(&cookie)).await;
    assert_eq!(
        answer.status,
        StatusCode::FOUND,
        "plain is the default method"
    );
    assert!(!answer.location().contains("state="));
    assert_eq!(pkce::s256(VERIFIER), CHALLENGE);
}

#[tokio::test]
async fn a_session_without_a_session_id_gets_one_at_authorize() {
    let web = web("/").await;
    alices_client(&web).await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    // As a session from before the hub kept session ids.
    sqlx::query("UPDATE sessions SET session_id = NULL")
        .execute(web.db.pool())
        .await
        .unwrap();
    let answer = web.get(&authorize_url(&web, "s"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let given = session_id_set(&answer).expect("the cookie is set");
    let stored: Option<String> = sqlx::query_scalar("SELECT session_id FROM sessions")
        .fetch_one(web.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some(given.as_str()));
    // A browser that lost the cookie gets it again, the same.
    let again = web.get(&authorize_url(&web, "s"), Some(&cookie)).await;
    assert_eq!(session_id_set(&again).as_deref(), Some(given.as_str()));
    let token = exchange(&web, &code_of(again.location())).await;
    assert_eq!(token.status, StatusCode::OK);
}

#[tokio::test]
async fn logout_revokes_the_sessions_tokens_and_clears_the_session_id() {
    let web = web("/").await;
    alices_client(&web).await;
    let (first, _) = web.login("alice", "wonderland").await;
    let (second, _) = web.login("alice", "wonderland").await;
    let mut tokens = Vec::new();
    for cookie in [&first, &second] {
        let answer = web.get(&authorize_url(&web, "s"), Some(cookie)).await;
        let token = exchange(&web, &code_of(answer.location())).await;
        let body: serde_json::Value = serde_json::from_str(&token.body).unwrap();
        tokens.push(body["access_token"].as_str().unwrap().to_string());
    }
    // A code issued but not yet redeemed in the first session.
    let pending = web.get(&authorize_url(&web, "s"), Some(&first)).await;

    let answer = web.get("/hub/logout", Some(&first)).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let cleared = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("jupyterhub-session-id="))
        .expect("the session-id cookie is cleared");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("Path=/"),
        "{cleared}"
    );
    assert_eq!(web.db.lookup_token(&tokens[0], t0()).await.unwrap(), None);
    assert!(web
        .db
        .lookup_token(&tokens[1], t0())
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        exchange(&web, &code_of(pending.location())).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn under_a_base_url_and_https_the_cookie_and_callback_follow() {
    let mut s = settings("/jh/");
    s.secure_cookies = true;
    let web = web_with(s).await;
    alices_client(&web).await;
    let url = authorize_url(&web, "s");
    let answer = web.get(&url, None).await;
    assert!(
        answer
            .location()
            .starts_with("/jh/hub/login?next=/jh/hub/api/oauth2/authorize%3F"),
        "{}",
        answer.location()
    );
    let next = answer.location().split_once("next=").unwrap().1.to_string();
    let login = web.try_login("alice", "wonderland", Some(&next)).await;
    assert_eq!(login.location(), url);
    let set = login
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("jupyterhub-session-id="))
        .unwrap();
    assert!(set.contains("Path=/jh/") && set.contains("Secure"), "{set}");
    let cookie = login.cookie("batchhub-session").unwrap();
    let answer = web.get(&url, Some(&cookie)).await;
    assert!(
        answer
            .location()
            .starts_with("/jh/user/alice/oauth_callback?code="),
        "{}",
        answer.location()
    );
    assert_eq!(
        exchange(&web, &code_of(answer.location())).await.status,
        StatusCode::OK
    );
}
