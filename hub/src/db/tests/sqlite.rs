//! The suite against SQLite files in temp dirs, and checks of the file itself.

use std::os::unix::fs::PermissionsExt;

use sqlx::Row;

use super::super::{Backend, Db, DbError, NewToken, TokenOwner};
use super::{copy, suite, t0, upgrade, Fixture};

/// A fresh database in its own temp dir (kept alive by the returned guard).
async fn fresh() -> (tempfile::TempDir, Fixture) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hub.sqlite").display()
    );
    let db = Db::connect(&url).await.expect("connect to SQLite");
    assert_eq!(db.backend(), Backend::Sqlite);
    (dir, Fixture { db, url })
}

/// One `#[tokio::test]` per check of the suite.
macro_rules! sqlite_tests {
    ($($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (_dir, fixture) = fresh().await;
                suite::$check(&fixture).await;
                fixture.db.close().await;
            }
        )*
    };
}

for_each_check!(sqlite_tests);

#[tokio::test]
async fn the_file_and_its_wal_are_mode_0600() {
    let (dir, fixture) = fresh().await;
    fixture.db.upsert_user("alice", false, t0()).await.unwrap();
    for name in ["hub.sqlite", "hub.sqlite-wal", "hub.sqlite-shm"] {
        let path = dir.path().join(name);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} has mode {:o}", mode & 0o777);
    }
}

#[tokio::test]
async fn an_existing_file_readable_by_others_is_tightened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    db.close().await;
}

#[tokio::test]
async fn wal_and_foreign_keys_are_on() {
    let (_dir, fixture) = fresh().await;
    let row = sqlx::query("PRAGMA journal_mode")
        .fetch_one(fixture.db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>(0), "wal");
    let row = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(fixture.db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>(0), 1);
}

#[tokio::test]
async fn the_clear_token_is_nowhere_in_the_files() {
    let (dir, fixture) = fresh().await;
    let db = &fixture.db;
    db.upsert_user("alice", false, t0()).await.unwrap();
    let new = NewToken {
        owner: TokenOwner::User("alice".into()),
        scopes: vec!["read:users".into()],
        note: "cli".into(),
        expires_at: None,
        oauth_client: None,
    };
    let (_id, clear) = db.create_token(&new, t0()).await.unwrap();
    let (session, _) = db
        .create_session("alice", t0(), super::at(3600))
        .await
        .unwrap();
    db.close().await;
    let mut bytes = Vec::new();
    for name in ["hub.sqlite", "hub.sqlite-wal"] {
        if let Ok(b) = std::fs::read(dir.path().join(name)) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty());
    for secret in [&clear, &session] {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "a secret was written to the database file in clear");
    }
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let err = Db::connect("mysql://h/d").await.unwrap_err();
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_at_migration_0001_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("old.sqlite").display()
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    super::super::migrate::run_these(&pool, &super::super::migrate::SQLITE[..1])
        .await
        .unwrap();
    suite::upgrades_from_0001(pool, &url).await;
}

/// A SQLite URL for `name` in `dir` (created on first connect).
fn url_in(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join(name).display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_sqlite_to_sqlite_and_back() {
    let dir = tempfile::tempdir().unwrap();
    copy::copy_there_and_back(
        &url_in(&dir, "first.sqlite"),
        &url_in(&dir, "second.sqlite"),
        &url_in(&dir, "third.sqlite"),
    )
    .await;
}

#[tokio::test]
async fn copy_knows_every_sqlite_table() {
    let (_dir, fixture) = fresh().await;
    copy::the_copy_knows_every_table_and_column(&fixture.db, &fixture.url).await;
}

#[tokio::test]
async fn copy_refuses_an_outdated_or_missing_source() {
    let dir = tempfile::tempdir().unwrap();
    let (old, target) = (url_in(&dir, "old.sqlite"), url_in(&dir, "target.sqlite"));
    upgrade::create_old(&old).await;
    copy::an_outdated_source_is_refused(&old, &target).await;
    assert!(
        !dir.path().join("target.sqlite").exists(),
        "target untouched"
    );
    let e = super::super::copy::copy(&url_in(&dir, "missing.sqlite"), &target, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::File { .. }), "{e}");
    assert!(
        !dir.path().join("missing.sqlite").exists(),
        "no source created"
    );
}

#[tokio::test]
async fn copy_refuses_a_target_at_an_older_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (source, old) = (url_in(&dir, "source.sqlite"), url_in(&dir, "old.sqlite"));
    Db::connect(&source).await.unwrap().close().await;
    upgrade::create_old(&old).await;
    let e = super::super::copy::copy(&source, &old, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::TargetNotEmpty { .. }), "{e}");
    assert!(e.to_string().contains("older hub"), "{e}");
}

#[tokio::test]
async fn sqlite_old_database_is_refused_then_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    upgrade::an_old_database_is_refused_then_upgraded(&url_in(&dir, "hub.sqlite"), Backend::Sqlite)
        .await;
}

#[tokio::test]
async fn sqlite_newer_database_is_refused_everywhere() {
    let (_dir, fixture) = fresh().await;
    upgrade::a_newer_database_is_refused_everywhere(fixture.db, &fixture.url).await;
}
