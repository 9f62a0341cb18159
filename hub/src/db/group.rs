//! Group commit of the spawner's writes on SQLite: its transitions, and each new server's
//! credentials (its API token and OAuth client).
//!
//! With `synchronous=FULL` every commit is an fsync of the WAL, and SQLite has one writer:
//! during a spawn storm the hub would go only as fast as one fsync per transition (about
//! six per spawn). Worse, writers on other connections wait for the lock in SQLite's busy
//! handler, which sleeps: a storm of 200 spawns, each writing its credentials in a
//! transaction of its own beside the grouped transitions, took 5.6 s to answer its start
//! requests, nearly all of it waiting. Here a [`put`] queues its write, then waits for the leader's lock: whoever
//! holds it commits everything queued so far in one transaction. Writes that arrive during
//! a commit go together in the next one. Each caller is answered only once its row is
//! committed, so "persisted before it acts" holds as before; a lone write is committed at
//! once, as before.
//!
//! The commit runs in its own task, so a caller that goes away mid-commit (a closed HTTP
//! request) rolls back nobody's write. If the grouped commit fails as a whole, each write is
//! tried again on its own, so that every caller gets its own error.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use sqlx::Acquire;

use super::oauth::{upsert_client, NewOAuthClient};
use super::servers::{put_one, ServerRecord, ServerState};
use super::tokens::{insert_token, NewToken, TokenId};
use super::{Db, DbError};

/// At most this many writes go into one transaction: a bound on how long one commit holds
/// SQLite's write lock (a few ms of statements for 256 small upserts).
const MAX_BATCH: usize = 256;

/// One write to store.
#[derive(Debug, Clone)]
pub(super) enum Write {
    /// One server's state.
    State {
        user: String,
        name: String,
        state: ServerState,
        now: DateTime<Utc>,
    },
    /// A server's credentials: its token (clear value `clear`) and its OAuth client with
    /// that token as the secret, both or neither.
    Credentials {
        token: NewToken,
        clear: String,
        client_id: String,
        redirect_uri: String,
        description: String,
        now: DateTime<Utc>,
    },
}

/// What a committed write gives back.
#[derive(Debug)]
pub(super) enum Written {
    /// The server's row as stored (boxed: a row is large, a token id small).
    State(Box<ServerRecord>),
    /// The token's id.
    Credentials(TokenId),
}

type Reply = oneshot::Sender<Result<Written, DbError>>;

/// The queue of writes waiting for a commit, and the commit leader's lock.
#[derive(Debug, Default)]
pub(super) struct Group {
    queue: Mutex<Vec<(Write, Reply)>>,
    leader: tokio::sync::Mutex<()>,
}

/// Stores `write` with whatever other writes are waiting; returns once it is committed.
pub(super) async fn put(db: &Db, write: Write) -> Result<Written, DbError> {
    let (reply, mut answer) = oneshot::channel();
    lock(&db.group.queue).push((write, reply));
    loop {
        let _leader = db.group.leader.lock().await;
        // The previous leader may have committed ours already.
        match answer.try_recv() {
            Ok(result) => return result,
            Err(oneshot::error::TryRecvError::Closed) => return Err(DbError::GroupCommitLost),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let batch: Vec<(Write, Reply)> = {
            let mut queue = lock(&db.group.queue);
            let take = queue.len().min(MAX_BATCH);
            queue.drain(..take).collect()
        };
        let task_db = db.clone();
        // Its own task: dropping this caller must not abandon the others' writes.
        let _ = tokio::spawn(async move { commit(&task_db, batch).await }).await;
        // Ours was in that batch unless more than `MAX_BATCH` were queued before it.
    }
}

/// Commits `batch` in one transaction and answers each write; on a failed begin or commit,
/// each write on its own.
async fn commit(db: &Db, batch: Vec<(Write, Reply)>) {
    if batch.len() <= 1 {
        return alone(db, batch).await;
    }
    let Ok(mut tx) = db.pool.begin().await else {
        return alone(db, batch).await;
    };
    let mut results = Vec::with_capacity(batch.len());
    for (write, _) in &batch {
        // A failed statement (an unknown user) rolls back only itself on SQLite; the two
        // statements of a server's credentials share a savepoint, so that a failure rolls
        // back both.
        let result = match write {
            Write::State { .. } => apply(&mut tx, write).await,
            Write::Credentials { .. } => match tx.begin().await {
                Ok(mut savepoint) => {
                    let result = apply(&mut savepoint, write).await;
                    match result {
                        Ok(written) => savepoint
                            .commit()
                            .await
                            .map(|()| written)
                            .map_err(DbError::query("release a server's credentials' savepoint")),
                        // Dropped: rolled back to the savepoint.
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(DbError::query("open a savepoint")(e)),
            },
        };
        results.push(result);
    }
    if tx.commit().await.is_err() {
        return alone(db, batch).await;
    }
    for ((_, reply), result) in batch.into_iter().zip(results) {
        // The caller may have gone away; its write is stored all the same.
        let _ = reply.send(result);
    }
}

/// Each write in its own transaction, each answered with its own result.
async fn alone(db: &Db, batch: Vec<(Write, Reply)>) {
    for (write, reply) in batch {
        let result = match db.pool.begin().await {
            Ok(mut tx) => match apply(&mut tx, &write).await {
                Ok(written) => tx
                    .commit()
                    .await
                    .map(|()| written)
                    .map_err(DbError::query("commit a write")),
                Err(e) => Err(e),
            },
            Err(e) => Err(DbError::query("begin a transaction")(e)),
        };
        let _ = reply.send(result);
    }
}

/// Runs `write`'s statements on `conn` (inside a transaction the caller commits).
async fn apply(conn: &mut sqlx::AnyConnection, write: &Write) -> Result<Written, DbError> {
    match write {
        Write::State {
            user,
            name,
            state,
            now,
        } => put_one(&mut *conn, user, name, state, *now)
            .await
            .map(|record| Written::State(Box::new(record))),
        Write::Credentials {
            token,
            clear,
            client_id,
            redirect_uri,
            description,
            now,
        } => {
            let id = insert_token(&mut *conn, token, clear, None, *now).await?;
            let client = NewOAuthClient {
                client_id,
                redirect_uri,
                description,
            };
            upsert_client(&mut *conn, &client, clear, *now).await?;
            Ok(Written::Credentials(id))
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    /// A SQLite database in a temporary directory (kept alive by the first element) with
    /// users `u0`…; its URL, to open it again.
    async fn database_with_users(count: usize) -> (tempfile::TempDir, String, Arc<Db>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("h.sqlite").display()
        );
        let db = Arc::new(Db::connect(&url).await.unwrap());
        for i in 0..count {
            db.create_user(&format!("u{i}"), false, at(0))
                .await
                .unwrap();
        }
        (dir, url, db)
    }

    fn state(n: usize) -> ServerState {
        ServerState {
            state: serde_json::json!({ "n": n }),
            ..ServerState::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_are_each_committed_and_each_answered() {
        let (_dir, url, db) = database_with_users(40).await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..40 {
            let db = db.clone();
            tasks.spawn(async move {
                let user = format!("u{i}");
                db.put_server_state(&user, "", &state(i), at(1)).await
            });
        }
        // Among them, a write for a user who does not exist fails alone.
        let stranger = {
            let db = db.clone();
            tokio::spawn(async move { db.put_server_state("nobody", "", &state(99), at(1)).await })
        };
        let mut stored = 0;
        while let Some(result) = tasks.join_next().await {
            let record = result.unwrap().unwrap();
            assert_eq!(
                record.state["n"],
                serde_json::json!(record.user[1..].parse::<usize>().unwrap())
            );
            stored += 1;
        }
        assert_eq!(stored, 40);
        let err = stranger.await.unwrap().unwrap_err();
        assert!(
            matches!(err, DbError::NoSuchUser(ref n) if n == "nobody"),
            "{err}"
        );

        // Durable: read back through a new connection.
        db.close().await;
        let again = Db::connect(&url).await.unwrap();
        for i in 0..40 {
            let record = again
                .get_server(&format!("u{i}"), "")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(record.state, state(i).state);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn credentials_and_states_share_commits_and_fail_alone() {
        use crate::db::tokens::TokenOwner;

        let (_dir, url, db) = database_with_users(30).await;
        let credentials = |user: String| {
            let db = db.clone();
            async move {
                let token = NewToken {
                    owner: TokenOwner::User(user.clone()),
                    scopes: vec![format!("access:servers!server={user}/")],
                    note: format!("Server at /user/{user}/"),
                    expires_at: None,
                    oauth_client: None,
                };
                let client_id = format!("jupyterhub-user-{user}");
                let redirect = format!("/user/{user}/oauth_callback");
                let client = NewOAuthClient {
                    client_id: &client_id,
                    redirect_uri: &redirect,
                    description: "a server",
                };
                db.create_server_credentials(&token, &client, at(1)).await
            }
        };
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..30 {
            let (db, user) = (db.clone(), format!("u{i}"));
            tasks.spawn(credentials(user.clone()));
            tasks.spawn(async move {
                db.put_server_state(&user, "", &state(i), at(1))
                    .await
                    .map(|_| (crate::db::tokens::TokenId(0), String::new()))
            });
        }
        // Among them, credentials for a user who does not exist fail alone, leaving no
        // client behind.
        let stranger = tokio::spawn(credentials("nobody".to_string()));
        let mut tokens = Vec::new();
        while let Some(result) = tasks.join_next().await {
            let (_, clear) = result.unwrap().unwrap();
            if !clear.is_empty() {
                tokens.push(clear);
            }
        }
        assert_eq!(tokens.len(), 30);
        assert!(stranger.await.unwrap().is_err());

        // Durable, and each token is its own client's secret.
        db.close().await;
        let again = Db::connect(&url).await.unwrap();
        for clear in &tokens {
            let token = again.lookup_token(clear, at(2)).await.unwrap().unwrap();
            let TokenOwner::User(user) = token.owner else {
                panic!("a user's token")
            };
            let client = again
                .check_oauth_client(&format!("jupyterhub-user-{user}"), clear)
                .await
                .unwrap();
            assert!(client.is_some(), "{user}'s client has its token as secret");
            let record = again.get_server(&user, "").await.unwrap().unwrap();
            assert_eq!(
                record.state,
                state(user[1..].parse().unwrap()).state,
                "{user}'s state"
            );
        }
        assert!(again
            .get_oauth_client("jupyterhub-user-nobody")
            .await
            .unwrap()
            .is_none());
    }
}
