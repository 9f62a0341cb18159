//! Checks of schema upgrades on purpose (`hub db upgrade`) and of what each
//! [`SchemaPolicy`] does with an outdated or newer database, for every backend.

use std::os::unix::fs::PermissionsExt;

use super::super::inspect::{inspect, latest_version, Inspection};
use super::super::upgrade::{backup_path, upgrade};
use super::super::{Backend, Db, DbError, SchemaPolicy};
use super::t0;

/// Creates the database at `url` at migration 0001 only, as the first release left it,
/// with alice (an admin) in it.
pub(super) async fn create_old(url: &str) {
    let pool = super::super::create_at_version(url, 1).await;
    sqlx::query("INSERT INTO users (name, admin, created) VALUES ('alice', 1, 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

fn pending(inspection: Inspection) -> Vec<i64> {
    match inspection {
        Inspection::Schema(status) => status.pending,
        other => panic!("not inspected: {other:?}"),
    }
}

/// A database at migration 0001 is reported pending, refused by `hub serve`'s policy and
/// the copy's, and brought up to date by [`upgrade`] (a SQLite file backed up first, 0600,
/// holding the same users); a second upgrade finds nothing to do.
pub(super) async fn an_old_database_is_refused_then_upgraded(url: &str, backend: Backend) {
    create_old(url).await;
    let latest = latest_version(backend);
    assert_eq!(pending(inspect(url).await.unwrap()), vec![2]);
    for policy in [SchemaPolicy::CreateOnly, SchemaPolicy::Current] {
        let e = Db::connect_with(url, policy).await.unwrap_err();
        assert!(
            matches!(e, DbError::SchemaOutdated { version: 1, latest: l, .. } if l == latest),
            "{policy:?}: {e}"
        );
    }
    assert_eq!(
        pending(inspect(url).await.unwrap()),
        vec![2],
        "nothing applied"
    );

    let report = upgrade(url, t0()).await.unwrap();
    assert_eq!(report.applied, vec![2]);
    assert_eq!((report.before, report.after), (1, latest));
    match backend {
        Backend::Postgres => assert_eq!(report.backup, None),
        Backend::Sqlite => {
            let file = super::super::connect::sqlite_file(url).unwrap().unwrap();
            let backup = report.backup.clone().expect("a SQLite file is backed up");
            assert_eq!(backup, backup_path(&file, t0()));
            let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", backup.display());
            // A SQLite database as it was before: version 1, alice in it.
            let read = format!("sqlite://{}?mode=ro", backup.display());
            let pool = sqlx::AnyPool::connect(&read).await.unwrap();
            let users: Vec<String> = sqlx::query_scalar("SELECT name FROM users")
                .fetch_all(&pool)
                .await
                .unwrap();
            assert_eq!(users, ["alice"]);
            let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
                .fetch_all(&pool)
                .await
                .unwrap();
            assert_eq!(versions, [1]);
            pool.close().await;
        }
    }
    assert_eq!(pending(inspect(url).await.unwrap()), Vec::<i64>::new());
    let db = Db::connect_with(url, SchemaPolicy::CreateOnly)
        .await
        .unwrap();
    assert!(db.get_user("alice").await.unwrap().unwrap().admin);
    db.close().await;

    let again = upgrade(url, t0()).await.unwrap();
    assert_eq!(again.applied, Vec::<i64>::new());
    assert_eq!(again.backup, None);
}

/// A database migrated by a newer hub (a migration this binary does not know) is refused
/// by every policy and by [`upgrade`], and left as it was.
pub(super) async fn a_newer_database_is_refused_everywhere(db: Db, url: &str) {
    let bytes_literal = match db.backend() {
        Backend::Sqlite => "x'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    let success = match db.backend() {
        Backend::Sqlite => "1",
        Backend::Postgres => "TRUE",
    };
    sqlx::query(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', {success}, {bytes_literal}, 0)"
    ))
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
    for policy in [
        SchemaPolicy::Upgrade,
        SchemaPolicy::CreateOnly,
        SchemaPolicy::Current,
    ] {
        let e = Db::connect_with(url, policy).await.unwrap_err();
        assert!(
            matches!(e, DbError::SchemaTooNew { version: 99, .. }),
            "{policy:?}: {e}"
        );
    }
    let e = upgrade(url, t0()).await.unwrap_err();
    assert!(matches!(e, DbError::SchemaTooNew { .. }), "{e}");
    assert!(e.to_string().contains("newer hub"), "{e}");
}
