//! The suite against a real PostgreSQL, one fresh database per check.
//!
//! Run with: `eval "$(.ci/postgres-up.sh)"` (exports `BATCHHUB_TEST_POSTGRES_URL`), then
//! `cargo test -p hub -- --ignored postgres`, then `.ci/postgres-down.sh`.

use sqlx::{Connection, Executor};

use super::super::{Backend, Db};
use super::{copy, suite, upgrade, Fixture};

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

/// A new, empty database of its own for the test `name`: the admin connection that created
/// it (to drop it), its name, and its URL.
async fn new_database(name: &str) -> (sqlx::AnyConnection, String, String) {
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
    (admin, database, url)
}

/// Drops what [`new_database`] made (`FORCE`, PostgreSQL 13+: a server backend may outlive
/// its closed client connection by a moment).
async fn drop_database(mut admin: sqlx::AnyConnection, database: String) {
    admin
        .execute(format!("DROP DATABASE {database} WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
}

/// A database of its own for the check `name`: the admin connection that created it,
/// its name (to drop it), and the fixture.
async fn setup(name: &str) -> (sqlx::AnyConnection, String, Fixture) {
    let (admin, database, url) = new_database(name).await;
    let db = Db::connect(&url)
        .await
        .expect("connect to the test database");
    assert_eq!(db.backend(), Backend::Postgres);
    (admin, database, Fixture { db, url })
}

/// Closes the check's pool and drops its database.
async fn teardown(admin: sqlx::AnyConnection, database: String, fixture: Fixture) {
    fixture.db.close().await;
    drop_database(admin, database).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
async fn postgres_copy_from_sqlite_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = |name: &str| format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    let (admin, database, url) = new_database("copy").await;
    copy::copy_there_and_back(&sqlite("first.sqlite"), &url, &sqlite("back.sqlite")).await;
    drop_database(admin, database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
async fn postgres_copy_knows_every_table_and_sequence() {
    let (admin, database, fixture) = setup("copy_tables").await;
    copy::the_copy_knows_every_table_and_column(&fixture.db, &fixture.url).await;
    // The copy carries one auto-numbering over: the token id's. Any other would collide.
    let numbered: Vec<String> = sqlx::query_scalar(
        "SELECT (table_name || '.' || column_name)::text FROM information_schema.columns \
         WHERE table_schema = current_schema() \
         AND (is_identity = 'YES' OR column_default LIKE 'nextval%')",
    )
    .fetch_all(fixture.db.pool())
    .await
    .unwrap();
    assert_eq!(numbered, ["api_tokens.id"]);
    teardown(admin, database, fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
async fn postgres_copy_refuses_an_outdated_source() {
    let (admin, database, url) = new_database("copy_old").await;
    upgrade::create_old(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let target = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("t.sqlite").display()
    );
    copy::an_outdated_source_is_refused(&url, &target).await;
    drop_database(admin, database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
async fn postgres_old_database_is_refused_then_upgraded() {
    let (admin, database, url) = new_database("upgrade_on_purpose").await;
    upgrade::an_old_database_is_refused_then_upgraded(&url, Backend::Postgres).await;
    drop_database(admin, database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
async fn postgres_newer_database_is_refused_everywhere() {
    let (admin, database, fixture) = setup("newer").await;
    upgrade::a_newer_database_is_refused_everywhere(fixture.db, &fixture.url).await;
    drop_database(admin, database).await;
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
