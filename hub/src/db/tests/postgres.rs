//! The suite against a real PostgreSQL, one fresh database per check.
//!
//! Run with: `eval "$(.ci/postgres-up.sh)"` (exports `BATCHHUB_TEST_POSTGRES_URL`), then
//! `cargo test -p hub -- --ignored postgres`, then `.ci/postgres-down.sh`.

use sqlx::{Connection, Executor};

use super::super::{Backend, Db};
use super::{suite, Fixture};

/// Where the URL of a PostgreSQL database we may create databases from is read.
const URL_VAR: &str = "BATCHHUB_TEST_POSTGRES_URL";

/// The server's URL, or a failure saying how to get one: an ignored test that is asked to
/// run must never pass without having run.
fn server_url() -> String {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{URL_VAR} is not set. Start a throwaway PostgreSQL with \
             `eval \"$(.ci/postgres-up.sh)\"` (it prints `export {URL_VAR}=…`), run \
             `cargo test -p hub -- --ignored postgres`, then `.ci/postgres-down.sh`."
        ),
    }
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_and_path = &base[scheme_end..];
    let authority = host_and_path.split('/').next().unwrap_or("");
    format!("{}{authority}/{database}{query}", &base[..scheme_end])
}

/// A database of its own for the check `name`: the admin connection that created it,
/// its name (to drop it), and the fixture.
async fn setup(name: &str) -> (sqlx::AnyConnection, String, Fixture) {
    let server = server_url();
    sqlx::any::install_default_drivers();
    let mut database = format!("bh_{name}_{}", std::process::id());
    database.truncate(63); // PostgreSQL's identifier limit
    let mut admin = sqlx::AnyConnection::connect(&server)
        .await
        .expect("connect to the PostgreSQL server");
    admin
        .execute(format!("DROP DATABASE IF EXISTS {database}").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap();
    let url = with_database(&server, &database);
    let db = Db::connect(&url)
        .await
        .expect("connect to the test database");
    assert_eq!(db.backend(), Backend::Postgres);
    (admin, database, Fixture { db, url })
}

/// Closes the check's pool and drops its database (`FORCE`, PostgreSQL 13+: a server
/// backend may outlive its closed client connection by a moment).
async fn teardown(mut admin: sqlx::AnyConnection, database: String, fixture: Fixture) {
    fixture.db.close().await;
    admin
        .execute(format!("DROP DATABASE {database} WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
}

/// One ignored test per check of the suite.
macro_rules! postgres_tests {
    ($($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
            async fn $check() {
                let (admin, database, fixture) = setup(stringify!($check)).await;
                suite::$check(&fixture).await;
                teardown(admin, database, fixture).await;
            }
        )*
    };
}

// A module so the test names read `…::postgres::pg::users_…` and filter on "postgres".
mod pg {
    use super::*;
    for_each_check!(postgres_tests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
async fn postgres_database_at_migration_0001_upgrades() {
    let server = server_url();
    sqlx::any::install_default_drivers();
    let database = format!("bh_upgrade_{}", std::process::id());
    let mut admin = sqlx::AnyConnection::connect(&server)
        .await
        .expect("connect to the PostgreSQL server");
    admin
        .execute(format!("DROP DATABASE IF EXISTS {database}").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap();
    let url = with_database(&server, &database);
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    super::super::migrate::run_these(&pool, &super::super::migrate::POSTGRES[..1])
        .await
        .unwrap();
    suite::upgrades_from_0001(pool, &url).await;
    admin
        .execute(format!("DROP DATABASE {database} WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
}

#[test]
fn database_names_are_swapped_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5433/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5433/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
        "postgres://u:p@h/t2?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
}
