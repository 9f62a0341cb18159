//! Group commit of the spawner's transitions on SQLite.
//!
//! With `synchronous=FULL` every commit is an fsync of the WAL, and SQLite has one writer:
//! during a spawn storm the hub would go only as fast as one fsync per transition (about
//! six per spawn). Here a [`put`] queues its write, then waits for the leader's lock: whoever
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

use super::servers::{put_one, ServerRecord, ServerState};
use super::{Db, DbError};

/// At most this many writes go into one transaction: a bound on how long one commit holds
/// SQLite's write lock (a few ms of statements for 256 small upserts).
const MAX_BATCH: usize = 256;

/// One server's state to store.
#[derive(Debug, Clone)]
pub(super) struct Write {
    pub user: String,
    pub name: String,
    pub state: ServerState,
    pub now: DateTime<Utc>,
}

type Reply = oneshot::Sender<Result<ServerRecord, DbError>>;

/// The queue of writes waiting for a commit, and the commit leader's lock.
#[derive(Debug, Default)]
pub(super) struct Group {
    queue: Mutex<Vec<(Write, Reply)>>,
    leader: tokio::sync::Mutex<()>,
}

/// Stores `write` with whatever other writes are waiting; returns once it is committed.
pub(super) async fn put(db: &Db, write: Write) -> Result<ServerRecord, DbError> {
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
        // A failed statement (an unknown user) rolls back only itself on SQLite.
        results.push(put_one(&mut *tx, &write.user, &write.name, &write.state, write.now).await);
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
        let result = put_one(&db.pool, &write.user, &write.name, &write.state, write.now).await;
        let _ = reply.send(result);
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

    fn state(n: usize) -> ServerState {
        ServerState {
            state: serde_json::json!({ "n": n }),
            ..ServerState::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_are_each_committed_and_each_answered() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("h.sqlite").display()
        );
        let db = Arc::new(Db::connect(&url).await.unwrap());
        for i in 0..40 {
            db.create_user(&format!("u{i}"), false, at(0))
                .await
                .unwrap();
        }
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
}
