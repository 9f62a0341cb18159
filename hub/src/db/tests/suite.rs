//! The checks every backend must pass. Each takes a fresh, empty database.

use drivers::JobId;
use serde_json::json;
use sqlx::Row;

use super::super::{
    Db, DbError, NewOAuthClient, NewOAuthCode, NewToken, ServerState, TokenId, TokenOwner,
};
use super::{at, t0, Fixture};

/// Calls `$runner!(check, …)` with every check below: the one list both runners use.
macro_rules! for_each_check {
    ($runner:ident) => {
        $runner!(
            users_create_get_upsert_delete,
            users_pagination,
            servers_keyed_by_user_and_name,
            server_state_round_trip_and_readoption,
            server_state_survives_reopening,
            tokens_round_trip,
            tokens_are_stored_only_hashed,
            oauth_clients_round_trip,
            server_credentials_are_one_commit,
            oauth_codes_are_single_use,
            oauth_codes_concurrent_consume,
            sessions_round_trip,
            session_ids_carry_to_codes_and_tokens,
            deleting_a_user_cascades,
        );
    };
}

pub(super) async fn users_create_get_upsert_delete(f: &Fixture) {
    let db = &f.db;
    let alice = db.create_user("alice", false, t0()).await.unwrap();
    assert_eq!(alice.name, "alice");
    assert!(!alice.admin);
    assert_eq!(alice.created, t0());
    assert_eq!(alice.last_activity, None);
    assert_eq!(db.get_user("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(db.get_user("bob").await.unwrap(), None);

    let err = db.create_user("alice", true, at(1)).await.unwrap_err();
    assert!(
        matches!(err, DbError::UserExists(ref n) if n == "alice"),
        "{err}"
    );

    // Upsert sets admin and keeps the creation time.
    let again = db.upsert_user("alice", true, at(5)).await.unwrap();
    assert!(again.admin);
    assert_eq!(again.created, t0());
    let bob = db.upsert_user("bob", false, at(6)).await.unwrap();
    assert_eq!(bob.created, at(6));

    // Activity moves forward only.
    db.touch_user("alice", at(60)).await.unwrap();
    db.touch_user("alice", at(30)).await.unwrap();
    let alice = db.get_user("alice").await.unwrap().unwrap();
    assert_eq!(alice.last_activity, Some(at(60)));
    let err = db.touch_user("carol", at(1)).await.unwrap_err();
    assert!(matches!(err, DbError::NoSuchUser(_)), "{err}");

    assert!(db.delete_user("alice").await.unwrap());
    assert!(!db.delete_user("alice").await.unwrap());
    assert_eq!(db.get_user("alice").await.unwrap(), None);
}

pub(super) async fn users_pagination(f: &Fixture) {
    let db = &f.db;
    for name in ["grace", "alice", "frank", "carol", "bob", "erin", "dave"] {
        db.create_user(name, false, t0()).await.unwrap();
    }
    assert_eq!(db.count_users().await.unwrap(), 7);
    let names = |page: Vec<super::super::UserRecord>| -> Vec<String> {
        page.into_iter().map(|u| u.name).collect()
    };
    assert_eq!(
        names(db.list_users(0, 3).await.unwrap()),
        ["alice", "bob", "carol"]
    );
    assert_eq!(
        names(db.list_users(3, 3).await.unwrap()),
        ["dave", "erin", "frank"]
    );
    assert_eq!(names(db.list_users(6, 3).await.unwrap()), ["grace"]);
    assert!(db.list_users(7, 3).await.unwrap().is_empty());
    assert_eq!(db.list_users(0, u64::MAX).await.unwrap().len(), 7);
    assert!(db.list_users(0, 0).await.unwrap().is_empty());
}

pub(super) async fn servers_keyed_by_user_and_name(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    db.create_user("bob", false, t0()).await.unwrap();
    let default = db.create_server("alice", "", t0()).await.unwrap();
    assert_eq!(default.name, "");
    assert_eq!(default.state, json!({}));
    assert_eq!(default.user_options, json!({}));
    assert_eq!(default.job_id, None);
    db.create_server("alice", "gpu1", at(1)).await.unwrap();
    // The same name for another user is a different server.
    db.create_server("bob", "gpu1", at(2)).await.unwrap();

    let err = db.create_server("alice", "gpu1", at(3)).await.unwrap_err();
    assert!(
        matches!(err, DbError::ServerExists { ref user, ref name } if user == "alice" && name == "gpu1"),
        "{err}"
    );
    assert!(
        err.to_string().contains("already has a server named"),
        "{err}"
    );
    let err = db.create_server("carol", "", at(3)).await.unwrap_err();
    assert!(
        matches!(err, DbError::NoSuchUser(ref n) if n == "carol"),
        "{err}"
    );

    let names: Vec<String> = db
        .list_servers("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["", "gpu1"]);

    assert!(db.touch_server("alice", "gpu1", at(50)).await.unwrap());
    assert!(db.touch_server("alice", "gpu1", at(40)).await.unwrap());
    assert!(!db.touch_server("alice", "nope", at(50)).await.unwrap());
    let gpu1 = db.get_server("alice", "gpu1").await.unwrap().unwrap();
    assert_eq!(gpu1.last_activity, Some(at(50)));

    assert!(db.delete_server("alice", "gpu1").await.unwrap());
    assert!(!db.delete_server("alice", "gpu1").await.unwrap());
    assert_eq!(db.get_server("alice", "gpu1").await.unwrap(), None);
    assert!(db.get_server("bob", "gpu1").await.unwrap().is_some());
}

/// A running server's state, as the spawner would persist it.
fn running(job: &str, port: u16) -> ServerState {
    ServerState {
        state: json!({"job_id": job, "phase": "running", "job_status": "R"}),
        user_options: json!({"queue": ["workq"], "ncpus": ["2"]}),
        job_id: Some(JobId::new(job).unwrap()),
        host: Some("node0042".into()),
        port: Some(port),
        url: Some(format!("http://node0042:{port}/user/alice/")),
        started: Some(at(10)),
    }
}

pub(super) async fn server_state_round_trip_and_readoption(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    db.create_user("bob", false, t0()).await.unwrap();

    // put_server_state creates a missing row...
    let submitted = ServerState {
        state: json!({"phase": "submitting"}),
        ..ServerState::default()
    };
    let row = db
        .put_server_state("alice", "", &submitted, at(1))
        .await
        .unwrap();
    assert_eq!(row.created, at(1));
    assert_eq!(row.state, json!({"phase": "submitting"}));
    assert!(db.servers_with_jobs().await.unwrap().is_empty());

    // ... and replaces the spawner's fields of an existing one, keeping created and activity.
    db.touch_server("alice", "", at(5)).await.unwrap();
    let state = running("7600424.pbs02", 47405);
    let row = db
        .put_server_state("alice", "", &state, at(20))
        .await
        .unwrap();
    assert_eq!(row.created, at(1));
    assert_eq!(row.last_activity, Some(at(5)));
    assert_eq!(row.state, state.state);
    assert_eq!(row.user_options, state.user_options);
    assert_eq!(row.job_id, state.job_id);
    assert_eq!(row.host, state.host);
    assert_eq!(row.port, Some(47405));
    assert_eq!(row.url, state.url);
    assert_eq!(row.started, Some(at(10)));
    assert_eq!(db.get_server("alice", "").await.unwrap(), Some(row.clone()));

    db.put_server_state("bob", "gpu", &running("7600425.pbs02", 50000), at(21))
        .await
        .unwrap();
    let adopted: Vec<(String, String)> = db
        .servers_with_jobs()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.user, s.job_id.unwrap().to_string()))
        .collect();
    assert_eq!(
        adopted,
        [
            ("alice".to_string(), "7600424.pbs02".to_string()),
            ("bob".to_string(), "7600425.pbs02".to_string())
        ]
    );

    // Clearing (the job ended): the state reads back empty and the server is not re-adopted.
    let cleared = db
        .put_server_state("alice", "", &ServerState::default(), at(30))
        .await
        .unwrap();
    assert_eq!(cleared.state, json!({}));
    assert_eq!(cleared.job_id, None);
    assert_eq!(cleared.port, None);
    assert_eq!(db.servers_with_jobs().await.unwrap().len(), 1);

    let err = db
        .put_server_state("carol", "", &submitted, at(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DbError::NoSuchUser(ref n) if n == "carol"),
        "{err}"
    );
}

/// The restart story: what was committed before the hub died is there after it restarts.
pub(super) async fn server_state_survives_reopening(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    let before = db
        .put_server_state("alice", "", &running("7600424.pbs02", 47405), at(20))
        .await
        .unwrap();
    let named = db
        .put_server_state("alice", "gpu1", &running("7600430.pbs02", 47406), at(21))
        .await
        .unwrap();
    db.close().await;

    // Connecting again also re-runs the migrator, which must find nothing to do.
    let reopened = Db::connect(&f.url).await.unwrap();
    assert_eq!(reopened.servers_with_jobs().await.unwrap(), [before, named]);
    reopened.close().await;
}

fn user_token(user: &str, expires_at: Option<chrono::DateTime<chrono::Utc>>) -> NewToken {
    NewToken {
        owner: TokenOwner::User(user.into()),
        scopes: vec![
            "read:users:name!user=alice".into(),
            "access:servers!server=alice/".into(),
        ],
        note: "my laptop".into(),
        expires_at,
        oauth_client: None,
    }
}

pub(super) async fn tokens_round_trip(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    let new = user_token("alice", Some(at(3600)));
    let (id, clear) = db.create_token(&new, t0()).await.unwrap();
    assert_eq!(clear.len(), 64);
    assert_eq!(id.to_string().parse::<TokenId>(), Ok(id));

    let found = db.lookup_token(&clear, at(1)).await.unwrap().unwrap();
    assert_eq!(found.id, id);
    assert_eq!(found.owner, TokenOwner::User("alice".into()));
    assert_eq!(found.prefix, clear[..4]);
    assert_eq!(found.scopes, new.scopes);
    assert_eq!(found.note, "my laptop");
    assert_eq!(found.created, t0());
    assert_eq!(found.expires_at, Some(at(3600)));
    assert_eq!(found.last_activity, None);
    assert_eq!(db.get_token(id).await.unwrap(), Some(found.clone()));

    // Wrong or expired tokens are not found.
    assert_eq!(db.lookup_token("nope", at(1)).await.unwrap(), None);
    assert_eq!(db.lookup_token(&clear[..63], at(1)).await.unwrap(), None);
    assert_eq!(db.lookup_token(&clear, at(3600)).await.unwrap(), None);

    db.touch_token(id, at(100)).await.unwrap();
    db.touch_token(id, at(50)).await.unwrap();
    let found = db.lookup_token(&clear, at(101)).await.unwrap().unwrap();
    assert_eq!(found.last_activity, Some(at(100)));

    // A service token, a never-expiring one, and listing by owner.
    let service = NewToken {
        owner: TokenOwner::Service("culler".into()),
        scopes: vec!["list:users".into()],
        note: String::new(),
        expires_at: None,
        oauth_client: None,
    };
    let (service_id, service_clear) = db.create_token(&service, t0()).await.unwrap();
    assert_ne!(service_id, id);
    let found = db
        .lookup_token(&service_clear, at(1_000_000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.owner, TokenOwner::Service("culler".into()));
    let (short_id, _) = db
        .create_token(&user_token("alice", Some(at(10))), t0())
        .await
        .unwrap();
    let listed: Vec<TokenId> = db
        .list_tokens(&TokenOwner::User("alice".into()), at(1))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [id, short_id]);
    let listed = db
        .list_tokens(&TokenOwner::User("alice".into()), at(20))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "the expired token is not listed");
    assert_eq!(db.delete_expired_tokens(at(20)).await.unwrap(), 1);
    assert_eq!(db.get_token(short_id).await.unwrap(), None);

    // Revoking.
    assert!(db.revoke_token(id).await.unwrap());
    assert!(!db.revoke_token(id).await.unwrap());
    assert_eq!(db.lookup_token(&clear, at(1)).await.unwrap(), None);

    // Ids are never reused after a revocation.
    let (next, _) = db
        .create_token(&user_token("alice", None), t0())
        .await
        .unwrap();
    assert!(next > service_id && next > short_id, "{next} reuses an id");

    // A token for nobody is refused.
    let err = db
        .create_token(&user_token("carol", None), t0())
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::MissingReference { .. }), "{err}");
}

pub(super) async fn tokens_are_stored_only_hashed(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    let (_id, clear) = db
        .create_token(&user_token("alice", None), t0())
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT hash, prefix, user_name, service_name, oauth_client_id, scopes, note \
         FROM api_tokens",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    for i in 0..row.len() {
        let value: Option<String> = row.get(i);
        if let Some(value) = value {
            assert!(!value.contains(&clear), "column {i} holds the clear token");
        }
    }
    let hash: String = row.get("hash");
    assert_eq!(hash, super::super::secret::hash_secret(&clear));
}

pub(super) async fn server_credentials_are_one_commit(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    let token = NewToken {
        owner: TokenOwner::User("alice".to_string()),
        scopes: vec!["access:servers!server=alice/".to_string()],
        note: "Server at /user/alice/".to_string(),
        expires_at: None,
        oauth_client: None,
    };
    let client = NewOAuthClient {
        client_id: "jupyterhub-user-alice",
        redirect_uri: "/user/alice/oauth_callback",
        description: "Server at /user/alice/",
    };
    let (id, clear) = db
        .create_server_credentials(&token, &client, t0())
        .await
        .unwrap();
    let stored = db.lookup_token(&clear, t0()).await.unwrap().unwrap();
    assert_eq!(stored.id, id);
    // The token is the client's secret.
    let found = db
        .check_oauth_client("jupyterhub-user-alice", &clear)
        .await
        .unwrap();
    assert_eq!(found.unwrap().redirect_uri, "/user/alice/oauth_callback");
    // A token that cannot be stored (no such user) registers no client.
    let orphan = NewToken {
        owner: TokenOwner::User("nobody".to_string()),
        ..token
    };
    let other = NewOAuthClient {
        client_id: "jupyterhub-user-nobody",
        ..client
    };
    assert!(db
        .create_server_credentials(&orphan, &other, t0())
        .await
        .is_err());
    assert!(db
        .get_oauth_client("jupyterhub-user-nobody")
        .await
        .unwrap()
        .is_none());
}

pub(super) async fn oauth_clients_round_trip(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    let client = db
        .upsert_oauth_client(
            "jupyterhub-user-alice",
            "secret-1",
            "/user/alice/oauth_callback",
            "Server at /user/alice/",
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(client.client_id, "jupyterhub-user-alice");
    assert_eq!(client.redirect_uri, "/user/alice/oauth_callback");
    assert_eq!(
        db.get_oauth_client("jupyterhub-user-alice").await.unwrap(),
        Some(client.clone())
    );
    assert_eq!(
        db.check_oauth_client("jupyterhub-user-alice", "secret-1")
            .await
            .unwrap(),
        Some(client.clone())
    );
    assert_eq!(
        db.check_oauth_client("jupyterhub-user-alice", "wrong")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.check_oauth_client("nobody", "secret-1").await.unwrap(),
        None
    );
    let stored: String = sqlx::query("SELECT secret_hash FROM oauth_clients")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    assert!(!stored.contains("secret-1"));

    // A new spawn gives a new secret; the old one stops working.
    db.upsert_oauth_client(
        "jupyterhub-user-alice",
        "secret-2",
        "/user/alice/oauth_callback",
        "Server at /user/alice/",
        at(60),
    )
    .await
    .unwrap();
    assert_eq!(
        db.check_oauth_client("jupyterhub-user-alice", "secret-1")
            .await
            .unwrap(),
        None
    );
    assert!(db
        .check_oauth_client("jupyterhub-user-alice", "secret-2")
        .await
        .unwrap()
        .is_some());

    // Deleting the client deletes the tokens issued to it and its codes.
    let mut issued = user_token("alice", None);
    issued.oauth_client = Some("jupyterhub-user-alice".into());
    let (token_id, _) = db.create_token(&issued, t0()).await.unwrap();
    let (own_id, _) = db
        .create_token(&user_token("alice", None), t0())
        .await
        .unwrap();
    let code = db
        .create_oauth_code(&new_code(at(300)), t0())
        .await
        .unwrap();
    assert!(db
        .delete_oauth_client("jupyterhub-user-alice")
        .await
        .unwrap());
    assert!(!db
        .delete_oauth_client("jupyterhub-user-alice")
        .await
        .unwrap());
    assert_eq!(db.get_token(token_id).await.unwrap(), None);
    assert!(db.get_token(own_id).await.unwrap().is_some());
    assert_eq!(db.consume_oauth_code(&code, at(1)).await.unwrap(), None);
}

fn new_code(expires_at: chrono::DateTime<chrono::Utc>) -> NewOAuthCode {
    NewOAuthCode {
        client_id: "jupyterhub-user-alice".into(),
        user: "alice".into(),
        scopes: vec!["access:servers!server=alice/".into()],
        redirect_uri: "/user/alice/oauth_callback".into(),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        code_challenge_method: Some("S256".into()),
        expires_at,
        session_id: Some("0123456789abcdef0123456789abcdef".into()),
    }
}

async fn with_client(db: &Db) {
    db.create_user("alice", false, t0()).await.unwrap();
    db.upsert_oauth_client(
        "jupyterhub-user-alice",
        "s",
        "/user/alice/oauth_callback",
        "",
        t0(),
    )
    .await
    .unwrap();
}

pub(super) async fn oauth_codes_are_single_use(f: &Fixture) {
    let db = &f.db;
    with_client(db).await;
    let new = new_code(at(300));
    let code = db.create_oauth_code(&new, t0()).await.unwrap();
    assert_eq!(code.len(), 64);
    let stored: String = sqlx::query("SELECT code_hash FROM oauth_codes")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, code);

    let got = db.consume_oauth_code(&code, at(10)).await.unwrap().unwrap();
    assert_eq!(got.client_id, new.client_id);
    assert_eq!(got.user, "alice");
    assert_eq!(got.scopes, new.scopes);
    assert_eq!(got.redirect_uri, new.redirect_uri);
    assert_eq!(got.code_challenge, new.code_challenge);
    assert_eq!(got.code_challenge_method, new.code_challenge_method);
    assert_eq!(got.created, t0());
    assert_eq!(got.expires_at, at(300));
    assert_eq!(got.session_id, new.session_id);
    assert_eq!(db.consume_oauth_code(&code, at(11)).await.unwrap(), None);

    // An expired code is refused (and gone); an unknown one too.
    let late = db.create_oauth_code(&new, t0()).await.unwrap();
    assert_eq!(db.consume_oauth_code(&late, at(300)).await.unwrap(), None);
    assert_eq!(db.consume_oauth_code(&late, at(1)).await.unwrap(), None);
    assert_eq!(db.consume_oauth_code("nope", at(1)).await.unwrap(), None);

    let _old = db.create_oauth_code(&new_code(at(5)), t0()).await.unwrap();
    let _new = db
        .create_oauth_code(&new_code(at(500)), t0())
        .await
        .unwrap();
    assert_eq!(db.delete_expired_oauth_codes(at(10)).await.unwrap(), 1);

    let mut unknown = new_code(at(300));
    unknown.client_id = "nobody".into();
    let err = db.create_oauth_code(&unknown, t0()).await.unwrap_err();
    assert!(matches!(err, DbError::MissingReference { .. }), "{err}");
}

pub(super) async fn oauth_codes_concurrent_consume(f: &Fixture) {
    let db = &f.db;
    with_client(db).await;
    for _ in 0..20 {
        let code = db
            .create_oauth_code(&new_code(at(300)), t0())
            .await
            .unwrap();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let db = db.clone();
                let code = code.clone();
                tokio::spawn(async move { db.consume_oauth_code(&code, at(1)).await })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            if task.await.unwrap().unwrap().is_some() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "a code was redeemed {winners} times");
    }
}

pub(super) async fn sessions_round_trip(f: &Fixture) {
    let db = &f.db;
    db.create_user("alice", false, t0()).await.unwrap();
    let (id, record) = db.create_session("alice", t0(), at(3600)).await.unwrap();
    assert_eq!(record.user, "alice");
    assert_eq!(record.created, t0());
    assert_eq!(record.expires_at, at(3600));
    assert_eq!(record.xsrf_token.len(), 64);
    assert_ne!(record.xsrf_token, id);
    assert_eq!(
        db.lookup_session(&id, at(1)).await.unwrap(),
        Some(record.clone())
    );
    assert_eq!(db.lookup_session(&id, at(3600)).await.unwrap(), None);
    assert_eq!(db.lookup_session("nope", at(1)).await.unwrap(), None);
    let stored: String = sqlx::query("SELECT id_hash FROM sessions")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, id);

    assert!(db.delete_session(&id).await.unwrap());
    assert!(!db.delete_session(&id).await.unwrap());
    assert_eq!(db.lookup_session(&id, at(1)).await.unwrap(), None);

    db.create_session("alice", t0(), at(10)).await.unwrap();
    let (live, _) = db.create_session("alice", t0(), at(1000)).await.unwrap();
    assert_eq!(db.expire_sessions(at(10)).await.unwrap(), 1);
    assert!(db.lookup_session(&live, at(11)).await.unwrap().is_some());
    assert_eq!(db.delete_user_sessions("alice").await.unwrap(), 1);

    let err = db.create_session("carol", t0(), at(10)).await.unwrap_err();
    assert!(
        matches!(err, DbError::NoSuchUser(ref n) if n == "carol"),
        "{err}"
    );
}

pub(super) async fn deleting_a_user_cascades(f: &Fixture) {
    let db = &f.db;
    with_client(db).await;
    db.create_user("bob", false, t0()).await.unwrap();
    db.put_server_state("alice", "", &running("1.pbs", 40000), t0())
        .await
        .unwrap();
    let (token, _) = db
        .create_token(&user_token("alice", None), t0())
        .await
        .unwrap();
    let code = db
        .create_oauth_code(&new_code(at(300)), t0())
        .await
        .unwrap();
    let (session, _) = db.create_session("alice", t0(), at(300)).await.unwrap();
    let (bob_session, _) = db.create_session("bob", t0(), at(300)).await.unwrap();

    assert!(db.delete_user("alice").await.unwrap());
    assert_eq!(db.get_server("alice", "").await.unwrap(), None);
    assert!(db.servers_with_jobs().await.unwrap().is_empty());
    assert_eq!(db.get_token(token).await.unwrap(), None);
    assert_eq!(db.consume_oauth_code(&code, at(1)).await.unwrap(), None);
    assert_eq!(db.lookup_session(&session, at(1)).await.unwrap(), None);
    assert!(db
        .lookup_session(&bob_session, at(1))
        .await
        .unwrap()
        .is_some());
    // The OAuth client belongs to the server, not the user: removing it is the caller's job.
    assert!(db
        .get_oauth_client("jupyterhub-user-alice")
        .await
        .unwrap()
        .is_some());
}

pub(super) async fn session_ids_carry_to_codes_and_tokens(f: &Fixture) {
    let db = &f.db;
    with_client(db).await;
    let (id, record) = db.create_session("alice", t0(), at(3600)).await.unwrap();
    let session_id = record
        .session_id
        .clone()
        .expect("a new session has a session id");
    assert_eq!(session_id.len(), 32);
    assert_eq!(
        db.ensure_session_id(&id).await.unwrap(),
        Some(session_id.clone())
    );
    assert_eq!(db.ensure_session_id("nope").await.unwrap(), None);
    let (other, other_record) = db.create_session("alice", t0(), at(3600)).await.unwrap();
    assert_ne!(other_record.session_id, record.session_id);

    // Two tokens of this session, one of another, one of none.
    let mut issued = user_token("alice", Some(at(600)));
    issued.oauth_client = Some("jupyterhub-user-alice".into());
    let (a, _) = db
        .create_session_token(&issued, Some(&session_id), t0())
        .await
        .unwrap();
    let (b, _) = db
        .create_session_token(&issued, Some(&session_id), t0())
        .await
        .unwrap();
    let other_id = other_record.session_id.clone().unwrap();
    let (c, _) = db
        .create_session_token(&issued, Some(&other_id), t0())
        .await
        .unwrap();
    let (d, _) = db
        .create_token(&user_token("alice", None), t0())
        .await
        .unwrap();
    assert_eq!(
        db.get_token(a)
            .await
            .unwrap()
            .unwrap()
            .session_id
            .as_deref(),
        Some(session_id.as_str())
    );
    assert_eq!(db.get_token(d).await.unwrap().unwrap().session_id, None);
    let mut code = new_code(at(300));
    code.session_id = Some(session_id.clone());
    let clear_code = db.create_oauth_code(&code, t0()).await.unwrap();

    // Logout of the first session: its tokens and codes go, the others stay.
    assert_eq!(db.revoke_session_tokens(&session_id).await.unwrap(), 2);
    assert_eq!(db.delete_session_oauth_codes(&session_id).await.unwrap(), 1);
    assert_eq!(db.get_token(a).await.unwrap(), None);
    assert_eq!(db.get_token(b).await.unwrap(), None);
    assert!(db.get_token(c).await.unwrap().is_some());
    assert!(db.get_token(d).await.unwrap().is_some());
    assert_eq!(
        db.consume_oauth_code(&clear_code, at(1)).await.unwrap(),
        None
    );
    assert!(db.lookup_session(&other, at(1)).await.unwrap().is_some());
}

/// Upgrading a database that only has migration 0001 (what the first release created),
/// with a row in every table: the rows survive, an old session gets a session id when
/// first asked, old tokens and codes have none. `pool` holds such a database at `url`.
pub(super) async fn upgrades_from_0001(pool: sqlx::AnyPool, url: &str) {
    let statements = [
        "INSERT INTO users (name, admin, created) VALUES ('alice', 0, 1)",
        "INSERT INTO oauth_clients (client_id, secret_hash, redirect_uri, description, created) \
         VALUES ('jupyterhub-user-alice', 'h', '/user/alice/oauth_callback', '', 1)",
        "INSERT INTO api_tokens (hash, prefix, user_name, oauth_client_id, scopes, created) \
         VALUES ('tokenhash', 'abcd', 'alice', 'jupyterhub-user-alice', '[]', 1)",
        "INSERT INTO oauth_codes (code_hash, client_id, user_name, scopes, redirect_uri, \
           created, expires_at) \
         VALUES ('codehash', 'jupyterhub-user-alice', 'alice', '[]', '/cb', 1, 9999999999999999)",
    ];
    for sql in statements {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    // A session as 0001 stored it, whose clear id is "old-session".
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_name, xsrf_token, created, expires_at) \
         VALUES ($1, 'alice', 'x', 1, 9999999999999999)",
    )
    .bind(crate::db::secret::hash_secret("old-session"))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let db = Db::connect(url).await.expect("the 0001 database upgrades");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(versions, [1, 2]);
    let session = db
        .lookup_session("old-session", t0())
        .await
        .unwrap()
        .expect("the old session is kept");
    assert_eq!(session.user, "alice");
    assert_eq!(session.session_id, None);
    let given = db.ensure_session_id("old-session").await.unwrap().unwrap();
    assert_eq!(given.len(), 32);
    let session = db
        .lookup_session("old-session", t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.session_id, Some(given));
    let tokens = db
        .list_tokens(&TokenOwner::User("alice".into()), t0())
        .await
        .unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].session_id, None);
    assert_eq!(
        tokens[0].oauth_client.as_deref(),
        Some("jupyterhub-user-alice")
    );
    let codes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM oauth_codes WHERE session_id IS NULL")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(codes, 1);
    // New rows get session ids.
    let (_, fresh) = db.create_session("alice", t0(), at(60)).await.unwrap();
    assert!(fresh.session_id.is_some());
    db.close().await;
}
