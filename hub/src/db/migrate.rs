//! The schema, embedded in the binary and applied by sqlx's migrator when the caller's
//! [`SchemaPolicy`](super::SchemaPolicy) allows it. The migrator records what ran in
//! `_sqlx_migrations`, checks that applied migrations were not edited, and on PostgreSQL
//! takes a lock so two hubs starting at once do not race.
//!
//! A migration that adds a table or a column must add it to `copy::TABLES` too.
//!
//! One set per dialect because they differ in one place (the auto-numbered token id);
//! the two sets must keep the same version numbers and the same tables.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::AnyPool;

use super::{Backend, DbError};

/// (version, description, SQL) for SQLite, oldest first. Never edit an entry once released:
/// add a new one.
pub(super) const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "session ids",
        include_str!("migrations/sqlite/0002_session_ids.sql"),
    ),
];

/// The same migrations for PostgreSQL.
pub(super) const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "session ids",
        include_str!("migrations/postgres/0002_session_ids.sql"),
    ),
];

/// Migrations compiled into the binary, so a deployed hub needs no migrations directory.
#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(std::future::ready(Ok(migrations)))
    }
}

/// The versions of the migrations compiled in for `backend`, oldest first.
pub(super) fn versions(backend: Backend) -> Vec<i64> {
    let all = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    all.iter().map(|&(version, _, _)| version).collect()
}

/// Applies every migration the database has not seen yet.
pub(super) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), DbError> {
    let all = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    run_these(pool, all).await
}

/// Applies `migrations` (a prefix of one dialect's list): the tests build a database as an
/// older release left it, then check that [`run`] brings it up to date.
pub(super) async fn run_these(
    pool: &AnyPool,
    migrations: &'static [(i64, &'static str, &'static str)],
) -> Result<(), DbError> {
    let migrator = Migrator::new(Embedded(migrations))
        .await
        .map_err(DbError::Migrate)?;
    migrator.run(pool).await.map_err(DbError::Migrate)
}

/// Creates the database at `url` as an older release left it: only its first `count`
/// migrations applied. The pool is returned to put rows in; the upgrade tests use it.
#[cfg(test)]
pub(crate) async fn create_at_version(url: &str, count: usize) -> AnyPool {
    let (pool, backend) = super::connect::open_pool(url, super::SchemaPolicy::Upgrade)
        .await
        .expect("open the database");
    let all = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    run_these(&pool, &all[..count])
        .await
        .expect("apply the first migrations");
    pool
}
