//! Checks of `hub db copy` (and the schema list it knows) that every pair of backends must
//! pass; [`super::sqlite`] runs them SQLite → SQLite, [`super::postgres`] SQLite →
//! PostgreSQL → SQLite.

use std::collections::BTreeMap;

use drivers::JobId;
use serde_json::json;

use super::super::copy::{copy, read_table, schema_of, Value, TABLES};
use super::super::{
    Db, DbError, NewOAuthClient, NewOAuthCode, NewToken, SchemaPolicy, ServerState, TokenId,
    TokenOwner,
};
use super::{at, t0};

/// The secrets [`fill`] handed out, to check they still work after a copy.
pub(super) struct Filled {
    /// Clear API tokens still valid, with their ids.
    tokens: Vec<(TokenId, String)>,
    /// The id of the token revoked last: the highest ever handed out.
    revoked: TokenId,
    /// The clear session id of alice's login.
    session: String,
    /// A clear OAuth code not yet exchanged.
    code: String,
    /// The OAuth client's secret (its server's token).
    client_secret: String,
}

fn token(owner: TokenOwner, note: &str) -> NewToken {
    NewToken {
        owner,
        scopes: vec!["read:users".into(), "servers!user=alice".into()],
        note: note.into(),
        expires_at: None,
        oauth_client: None,
    }
}

fn job(id: &str) -> Option<JobId> {
    Some(JobId::new(id).unwrap())
}

/// A site's worth of rows in every table: users (one admin), servers in several states
/// (running with a job, host, port and spawner state; queued; starting; stopped), tokens of
/// users, a service, a server and a login session, an OAuth client with a pending code, a
/// session; and a revoked token, so the highest id ever handed out is not in the table.
pub(super) async fn fill(db: &Db) -> Filled {
    db.upsert_user("alice", true, t0()).await.unwrap();
    db.create_user("bob", false, at(1)).await.unwrap();
    db.create_user("carol", false, at(2)).await.unwrap();
    db.touch_user("alice", at(10)).await.unwrap();

    let running = ServerState {
        state: json!({"job_id": "101.pbs", "phase": "running", "queue": "workq"}),
        user_options: json!({"ncpus": 2, "mem": "4gb"}),
        job_id: job("101.pbs"),
        host: Some("node0001".into()),
        port: Some(54321),
        url: Some("http://node0001:54321/user/alice/".into()),
        started: Some(at(20)),
    };
    db.create_server("alice", "", at(3)).await.unwrap();
    db.put_server_state("alice", "", &running, at(20))
        .await
        .unwrap();
    db.touch_server("alice", "", at(30)).await.unwrap();
    let queued = ServerState {
        state: json!({"job_id": "102.pbs", "phase": "queued"}),
        user_options: json!({"ngpus": 1}),
        job_id: job("102.pbs"),
        ..ServerState::default()
    };
    db.create_server("alice", "gpu", at(4)).await.unwrap();
    db.put_server_state("alice", "gpu", &queued, at(21))
        .await
        .unwrap();
    let starting = ServerState {
        state: json!({"job_id": "103.pbs", "phase": "starting"}),
        job_id: job("103.pbs"),
        host: Some("node0002".into()),
        ..ServerState::default()
    };
    db.create_server("carol", "", at(5)).await.unwrap();
    db.put_server_state("carol", "", &starting, at(22))
        .await
        .unwrap();
    db.create_server("bob", "", at(6)).await.unwrap(); // stopped: no job

    let mut tokens = Vec::new();
    let alice = db
        .create_token(&token(TokenOwner::User("alice".into()), "cli"), t0())
        .await
        .unwrap();
    tokens.push(alice);
    let mut expiring = token(TokenOwner::User("bob".into()), "expires");
    expiring.expires_at = Some(at(86_400));
    tokens.push(db.create_token(&expiring, at(7)).await.unwrap());
    tokens.push(
        db.create_token(&token(TokenOwner::Service("culler".into()), ""), at(8))
            .await
            .unwrap(),
    );
    let client = NewOAuthClient {
        client_id: "jupyterhub-user-alice",
        redirect_uri: "/user/alice/oauth_callback",
        description: "Server at /user/alice/",
    };
    let server_token = db
        .create_server_credentials(
            &token(TokenOwner::User("alice".into()), "Server at /user/alice/"),
            &client,
            at(9),
        )
        .await
        .unwrap();
    let client_secret = server_token.1.clone();
    tokens.push(server_token);

    let (session, _) = db.create_session("alice", at(11), at(3600)).await.unwrap();
    let session_id = db.ensure_session_id(&session).await.unwrap().unwrap();
    let mut oauth = token(TokenOwner::User("alice".into()), "oauth");
    oauth.oauth_client = Some("jupyterhub-user-alice".into());
    tokens.push(
        db.create_session_token(&oauth, Some(&session_id), at(12))
            .await
            .unwrap(),
    );
    let code = db
        .create_oauth_code(
            &NewOAuthCode {
                client_id: "jupyterhub-user-alice".into(),
                user: "alice".into(),
                scopes: vec!["read:users:name!user=alice".into()],
                redirect_uri: "/user/alice/oauth_callback".into(),
                code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
                code_challenge_method: Some("S256".into()),
                expires_at: at(600),
                session_id: Some(session_id),
            },
            at(13),
        )
        .await
        .unwrap();

    let (revoked, _) = db
        .create_token(&token(TokenOwner::User("bob".into()), "revoked"), at(14))
        .await
        .unwrap();
    assert!(db.revoke_token(revoked).await.unwrap());
    Filled {
        tokens,
        revoked,
        session,
        code,
        client_secret,
    }
}

/// Every row of every table, read as the copy reads them. Fails if the database holds a
/// table the copy does not know, so that a comparison of two dumps covers everything.
pub(super) async fn dump(url: &str) -> BTreeMap<&'static str, Vec<Vec<Value>>> {
    let db = Db::connect_with(url, SchemaPolicy::Current).await.unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let tables: Vec<String> = schema_of(&mut conn, db.backend())
        .await
        .unwrap()
        .into_keys()
        .collect();
    let mut known: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    known.sort();
    assert_eq!(tables, known, "the copy's table list is the schema's");
    let mut all = BTreeMap::new();
    for table in TABLES {
        all.insert(table.name, read_table(&mut conn, table).await.unwrap());
    }
    drop(conn);
    db.close().await;
    all
}

/// The table list the copy knows is exactly a freshly migrated database's, columns and
/// their types included, so a new migration cannot add a table the copy skips.
pub(super) async fn the_copy_knows_every_table_and_column(db: &Db, url: &str) {
    let mut conn = db.pool().acquire().await.unwrap();
    let schema = schema_of(&mut conn, db.backend()).await.unwrap();
    let mut expected = BTreeMap::new();
    for table in TABLES {
        let mut columns: Vec<(String, Option<super::super::copy::Kind>)> = table
            .columns
            .iter()
            .map(|&(name, kind)| (name.to_string(), Some(kind)))
            .collect();
        columns.sort();
        expected.insert(table.name.to_string(), columns);
    }
    assert_eq!(schema, expected);
    super::super::copy::check_schema(&mut conn, db.backend(), url)
        .await
        .unwrap();
    // And a table the copy does not know is refused, not skipped.
    sqlx::query("CREATE TABLE groups (name TEXT PRIMARY KEY)")
        .execute(&mut *conn)
        .await
        .unwrap();
    let e = super::super::copy::check_schema(&mut conn, db.backend(), url)
        .await
        .unwrap_err();
    assert!(
        matches!(e, DbError::UnexpectedSchema { ref detail, .. } if detail.contains("groups")),
        "{e}"
    );
    sqlx::query("DROP TABLE groups")
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// Copies `first` (filled) to `second`, then `second` to `third`: every row of every table
/// arrives unchanged, tokens, sessions and OAuth codes still work by their clear values, and
/// a token created after a copy gets a fresh id above every id the source handed out.
pub(super) async fn copy_there_and_back(first: &str, second: &str, third: &str) {
    let db = Db::connect(first).await.unwrap();
    let filled = fill(&db).await;
    db.close().await;
    let source = dump(first).await;
    for (table, rows) in &source {
        assert!(
            !rows.is_empty(),
            "{table} has rows, so comparing it means something"
        );
    }

    let mut heard = Vec::new();
    let report = copy(first, second, |table, rows| {
        heard.push((table.to_string(), rows))
    })
    .await
    .unwrap();
    let expected: Vec<(String, u64)> = TABLES
        .iter()
        .map(|t| (t.name.to_string(), source[t.name].len() as u64))
        .collect();
    assert_eq!(
        heard, expected,
        "progress: every table, in order, with its count"
    );
    assert_eq!(report.last_token_id, filled.revoked.0);
    assert_eq!(
        dump(second).await,
        source,
        "every row of every table arrived"
    );

    let db = Db::connect_with(second, SchemaPolicy::CreateOnly)
        .await
        .unwrap();
    let alice = db.get_user("alice").await.unwrap().unwrap();
    assert!(alice.admin);
    assert_eq!(alice.last_activity, Some(at(10)));
    let server = db.get_server("alice", "").await.unwrap().unwrap();
    assert_eq!(server.job_id, job("101.pbs"));
    assert_eq!(server.port, Some(54321));
    assert_eq!(server.state["phase"], "running");
    let with_jobs: Vec<String> = db
        .servers_with_jobs()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|s| s.job_id.map(|j| j.to_string()))
        .collect();
    assert_eq!(with_jobs.len(), 3, "{with_jobs:?}");
    for (id, clear) in &filled.tokens {
        let found = db.lookup_token(clear, at(60)).await.unwrap();
        assert_eq!(found.map(|t| t.id), Some(*id), "token {id} authenticates");
    }
    assert!(db
        .lookup_session(&filled.session, at(60))
        .await
        .unwrap()
        .is_some());
    assert!(db
        .check_oauth_client("jupyterhub-user-alice", &filled.client_secret)
        .await
        .unwrap()
        .is_some());
    let new = token(TokenOwner::User("carol".into()), "after the copy");
    let (after, clear) = db.create_token(&new, at(70)).await.unwrap();
    assert!(
        after.0 > filled.revoked.0,
        "a new token's id {after} is above every id the source handed out ({})",
        filled.revoked
    );
    assert_eq!(
        db.lookup_token(&clear, at(70)).await.unwrap().map(|t| t.id),
        Some(after)
    );
    db.close().await;

    // A target holding rows is refused, and left as it was.
    let before = dump(second).await;
    let e = copy(first, second, |_, _| {}).await.unwrap_err();
    assert!(matches!(e, DbError::TargetNotEmpty { .. }), "{e}");
    assert!(e.to_string().contains("users: 3"), "{e}");
    assert_eq!(dump(second).await, before);

    // And back: the new token comes along, and numbering continues after it.
    copy(second, third, |_, _| {}).await.unwrap();
    assert_eq!(dump(third).await, before);
    let db = Db::connect(third).await.unwrap();
    assert!(db
        .consume_oauth_code(&filled.code, at(80))
        .await
        .unwrap()
        .is_some());
    let (next, _) = db.create_token(&new, at(90)).await.unwrap();
    assert!(next.0 > after.0, "{next} after {after}");
    db.close().await;
}

/// A source at an older schema is refused (upgrade it first) and not migrated; the target
/// is not touched.
pub(super) async fn an_outdated_source_is_refused(old: &str, target: &str) {
    let e = copy(old, target, |_, _| {}).await.unwrap_err();
    assert!(
        matches!(e, DbError::SchemaOutdated { version: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("hub db upgrade"), "{e}");
}
