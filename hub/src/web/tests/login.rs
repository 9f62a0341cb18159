//! Login, logout, sessions, rate limiting, redirects and XSRF.

use super::*;

#[tokio::test]
async fn login_sets_a_signed_cookie_and_stores_only_the_session_hash() {
    let web = web("/").await;
    let answer = web.try_login("alice", "wonderland", None).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), "/hub/home");
    let set = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("batchhub-session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/;", "Max-Age=1209600"] {
        assert!(set.contains(attribute), "{attribute} missing in {set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    let value = set.split(';').next().unwrap().split_once('=').unwrap().1;
    let id = session_cookie::verify(SECRET, Purpose::Session, value).expect("signed");
    let session = web.db.lookup_session(id, t0()).await.unwrap().unwrap();
    assert_eq!(session.user, "alice");
    // The database holds the hash, not the id.
    let hashes: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(web.db.pool())
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0], id);
    // The user was recorded, and the cookie opens the home page.
    assert!(web.db.get_user("alice").await.unwrap().is_some());
    let cookie = set.split(';').next().unwrap();
    let home = web.get("/hub/home", Some(cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("alice"), "{}", home.body);
    assert!(home.body.contains("Logout"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_the_form_again() {
    let web = web("/").await;
    let answer = web.try_login("alice", "guess", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("Invalid username or password"));
    assert!(answer.body.contains("name=\"password\""));
    assert!(answer.cookie("batchhub-session").is_none());
    assert_eq!(web.auth_calls(), 1);
}

#[tokio::test]
async fn the_attempt_after_max_failures_gets_429_without_asking_the_authenticator() {
    let web = web("/").await;
    for _ in 0..5 {
        let answer = web.try_login("alice", "guess", None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(web.auth_calls(), 5);
    // Even the right password is not tried now.
    let answer = web.try_login("alice", "wonderland", None).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = answer.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(answer.body.contains("Too many failed login attempts"));
    assert_eq!(web.auth_calls(), 5);
    // The same address is blocked for another name too.
    let answer = web.try_login("bob", "builder", None).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(web.auth_calls(), 5);
}

#[tokio::test]
async fn an_unavailable_authenticator_is_a_503_not_a_wrong_password() {
    let web = web("/").await;
    let answer = web.try_login("broken", "x", None).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.body.contains("Login is unavailable"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("Invalid username or password"));
}

#[tokio::test]
async fn a_tampered_or_unknown_cookie_is_sent_to_login() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    assert_eq!(
        web.get("/hub/home", Some(&cookie)).await.status,
        StatusCode::OK
    );
    // Change the id: the signature no longer matches.
    let tampered = cookie.replacen("batchhub-session=", "batchhub-session=0", 1);
    let answer = web.get("/hub/home", Some(&tampered)).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), "/hub/login?next=/hub/home");
    // A well-signed id the database does not know.
    let forged = format!(
        "batchhub-session={}",
        session_cookie::sign(SECRET, Purpose::Session, "feedface")
    );
    let answer = web.get("/hub/home", Some(&forged)).await;
    assert_eq!(answer.location(), "/hub/login?next=/hub/home");
    // The right id signed with another secret.
    let id = cookie.split_once('=').unwrap().1.split('.').next().unwrap();
    let other = format!(
        "batchhub-session={}",
        session_cookie::sign(b"another secret, 32 bytes or more!!", Purpose::Session, id)
    );
    assert_eq!(
        web.get("/hub/home", Some(&other)).await.status,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn next_goes_only_to_local_paths() {
    let web = web("/").await;
    for (next, expected) in [
        ("%2F%2Fevil.com", "/hub/home"),
        ("http%3A%2F%2Fevil", "/hub/home"),
        ("%2F%5Cevil.com", "/hub/home"),
        ("%2Fhub%2Fspawn", "/hub/spawn"),
    ] {
        let answer = web.try_login("alice", "wonderland", Some(next)).await;
        assert_eq!(answer.status, StatusCode::FOUND);
        assert_eq!(answer.location(), expected, "next={next}");
    }
}

#[tokio::test]
async fn a_login_without_the_right_xsrf_is_refused_before_the_authenticator() {
    let web = web("/").await;
    let (cookie, token) = web.login_form().await;
    // No _xsrf field.
    let answer = web
        .post(
            "/hub/login",
            Some(&cookie),
            "username=alice&password=wonderland",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("Login form invalid or expired"));
    // The field without the cookie.
    let answer = web
        .post(
            "/hub/login",
            None,
            &format!("_xsrf={token}&username=alice&password=wonderland"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // A field that is not the cookie's token.
    let answer = web
        .post(
            "/hub/login",
            Some(&cookie),
            "_xsrf=0000&username=alice&password=wonderland",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // An unsigned cookie with a matching field.
    let answer = web
        .post(
            "/hub/login",
            Some("_xsrf=abcd"),
            "_xsrf=abcd&username=alice&password=wonderland",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(web.auth_calls(), 0);
}

#[tokio::test]
async fn users_outside_allowed_users_or_groups_are_refused() {
    let mut s = settings("/");
    s.allowed_users = BTreeSet::from(["alice".to_string()]);
    let web = web_with(s).await;
    let answer = web.try_login("bob", "builder", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("not allowed"), "{}", answer.body);
    assert!(answer.cookie("batchhub-session").is_none());
    assert_eq!(
        web.try_login("alice", "wonderland", None).await.status,
        StatusCode::FOUND
    );

    let mut s = settings("/");
    s.allowed_groups = BTreeSet::from(["no-such-group-batchhub".to_string()]);
    let web = web_with(s).await;
    let answer = web.try_login("alice", "wonderland", None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.cookie("batchhub-session").is_none());

    // The system's root is in its primary group (whatever this system calls it).
    let root = nix::unistd::User::from_name("root").unwrap().unwrap();
    let group = nix::unistd::Group::from_gid(root.gid).unwrap().unwrap();
    let mut s = settings("/");
    s.allowed_groups = BTreeSet::from([group.name, "no-such-group-batchhub".to_string()]);
    let web = web_with(s).await;
    assert_eq!(
        web.try_login("root", "rootpw", None).await.status,
        StatusCode::FOUND
    );
    assert_eq!(
        web.try_login("alice", "wonderland", None).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_clears_the_cookie() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    let answer = web.get("/hub/logout", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location(), "/hub/login");
    let cleared = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("batchhub-session="))
        .unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie no longer works.
    assert_eq!(
        web.get("/hub/home", Some(&cookie)).await.status,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn the_root_goes_home_or_to_login() {
    let web = web("/").await;
    assert_eq!(web.get("/", None).await.location(), "/hub/login");
    assert_eq!(web.get("/hub/", None).await.location(), "/hub/login");
    let (cookie, _) = web.login("alice", "wonderland").await;
    assert_eq!(web.get("/", Some(&cookie)).await.location(), "/hub/home");
    assert_eq!(web.get("/hub", Some(&cookie)).await.location(), "/hub/home");
    // Logged in, the login page sends on.
    let answer = web
        .get("/hub/login?next=%2Fhub%2Fadmin", Some(&cookie))
        .await;
    assert_eq!(answer.location(), "/hub/admin");
}

#[tokio::test]
async fn everything_lives_under_a_base_url() {
    let mut s = settings("/jupyter/");
    s.login_hint = Some("log in as <demo>".to_string());
    s.secure_cookies = true;
    let web = web_with(s).await;
    let page = web.get("/jupyter/hub/login", None).await;
    assert!(page.body.contains("action=\"/jupyter/hub/login\""));
    // The hint is shown, escaped.
    assert!(
        page.body.contains("log in as &lt;demo&gt;"),
        "{}",
        page.body
    );
    assert!(page.set_cookies()[0].contains("Path=/jupyter/hub/"));
    let answer = web.get("/jupyter/hub/home", None).await;
    assert_eq!(
        answer.location(),
        "/jupyter/hub/login?next=/jupyter/hub/home"
    );
    let answer = web
        .try_login("alice", "wonderland", Some("%2Fjupyter%2Fhub%2Fspawn"))
        .await;
    assert_eq!(answer.location(), "/jupyter/hub/spawn");
    let set = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("batchhub-session="))
        .unwrap();
    assert!(
        set.contains("Path=/jupyter/;") && set.ends_with("; Secure"),
        "{set}"
    );
    // A path outside the base URL is not followed.
    let answer = web
        .try_login("alice", "wonderland", Some("%2Fhub%2Fhome"))
        .await;
    assert_eq!(answer.location(), "/jupyter/hub/home");
    assert_eq!(
        web.get("/jupyter", None).await.location(),
        "/jupyter/hub/login"
    );
}
