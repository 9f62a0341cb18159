//! Moving a running site from SQLite to PostgreSQL with `hub db copy`, as docs/deploy.md
//! tells operators to: a hub on SQLite with three running notebook servers and a user's
//! API token is stopped (SIGTERM; the proxy and the jobs keep running), its database copied
//! into a new PostgreSQL database, and the hub started on PostgreSQL. Every server is still
//! listed ready with the same job, reachable through the proxy; the token still works, a
//! new one too; no job was deleted or submitted.
//!
//! Needs a PostgreSQL server it may create databases on: `eval "$(.ci/postgres-up.sh)"`
//! (exports `BATCHHUB_TEST_POSTGRES_URL`), then `.ci/postgres-down.sh`.

use std::process::Command;
use std::time::Duration;

use batchhub_tests::hub_client::hub_api;
use batchhub_tests::pbs_hub::{singleuser, start, World};
use batchhub_tests::{bin, eventually, job_states};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};

const URL_VAR: &str = "BATCHHUB_TEST_POSTGRES_URL";
const USERS: [&str; 3] = ["alice", "bob", "carol"];

/// The PostgreSQL server's URL, or a failure saying how to get one: an ignored test asked
/// to run never passes without having run.
fn server_url() -> String {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{URL_VAR} is not set. Start a throwaway PostgreSQL with \
             `eval \"$(.ci/postgres-up.sh)\"`, run this test, then `.ci/postgres-down.sh`."
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
    let authority = base[scheme_end..].split('/').next().unwrap_or("");
    format!("{}{authority}/{database}{query}", &base[..scheme_end])
}

/// A new, empty PostgreSQL database for this test, dropped (with its connections) when
/// the guard goes, even when the test fails.
struct Database {
    server: String,
    name: String,
    url: String,
}

impl Database {
    async fn create() -> Database {
        let server = server_url();
        sqlx::any::install_default_drivers();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .subsec_nanos();
        let name = format!("bh_e2e_copy_{}_{nanos}", std::process::id());
        let mut admin = sqlx::AnyConnection::connect(&server)
            .await
            .expect("connect to the PostgreSQL server");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create the test database");
        admin.close().await.expect("close");
        let url = with_database(&server, &name);
        Database { server, name, url }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs outside async; a thread of its own runs the statement to completion.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = sqlx::AnyConnection::connect(&server)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "could not drop the test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

/// (user, job id) of every server with a job, from the database at `url`.
async fn server_jobs(url: &str) -> Vec<(String, String)> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("open {url}: {e}"));
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_name, job_id FROM servers WHERE job_id IS NOT NULL ORDER BY user_name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("read the servers");
    conn.close().await.expect("close");
    rows
}

/// Every user's default server listed ready by the hub, with its URL.
async fn ready_servers(world: &World) -> Option<Vec<(String, String)>> {
    let mut ready = Vec::new();
    for user in USERS {
        let (status, body) = world
            .api(reqwest::Method::GET, &format!("/users/{user}"), None)
            .await;
        let server = body.pointer("/servers/")?;
        if status != 200 || server["ready"] != Value::Bool(true) {
            return None;
        }
        ready.push((user.to_string(), server["url"].as_str()?.to_string()));
    }
    Some(ready)
}

/// `GET /hub/api/user` with `token`: the name it authenticates as.
async fn whoami(world: &World, token: &str) -> (u16, Value) {
    let api = format!("{}/hub/api", world.public);
    hub_api(&api, token, reqwest::Method::GET, "/user", None).await
}

/// A user's server page through the proxy.
async fn server_page(world: &World, user: &str) -> (u16, String) {
    let response = reqwest::get(format!("{}/user/{user}/", world.public))
        .await
        .expect("the proxy answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: .ci/postgres-up.sh"]
async fn a_site_moved_from_sqlite_to_postgres_keeps_its_servers_jobs_and_tokens() {
    let database = Database::create().await;
    let (world, cluster, hub) = start(&singleuser(0), 4).await;

    // Three running servers and a user's API token, on SQLite.
    for (user, status) in USERS.iter().zip(world.create_and_start(&USERS).await) {
        assert!(status == 201 || status == 202, "{user}: {status}");
    }
    let before = eventually(
        Duration::from_secs(90),
        "every server is ready on SQLite",
        || ready_servers(&world),
    )
    .await;
    let (status, body) = world
        .api(
            reqwest::Method::POST,
            "/users/alice/tokens",
            Some(json!({ "note": "before the move" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("the clear token").to_string();
    assert_eq!(whoami(&world, &token).await.1["name"], "alice");
    let jobs = job_states(&cluster);
    assert_eq!(jobs.len(), USERS.len(), "{jobs:?}");
    assert!(jobs.iter().all(|(_, state)| state == "R"), "{jobs:?}");

    // Stop the hub (the proxy and the jobs keep running), copy, point the config at PostgreSQL.
    hub.stop();
    let config_path = world.path("hub.toml");
    let config = std::fs::read_to_string(&config_path).expect("the config");
    let sqlite_url = format!("sqlite://{}?mode=rwc", world.path("hub.sqlite").display());
    assert!(config.contains(&sqlite_url), "{config}");
    let sqlite_jobs = server_jobs(&sqlite_url).await;
    assert_eq!(sqlite_jobs.len(), USERS.len(), "{sqlite_jobs:?}");
    let copied = Command::new(bin("hub"))
        .args(["db", "copy", "-f"])
        .arg(&config_path)
        .args(["--to", &database.url])
        .output()
        .expect("hub db copy runs");
    let stdout = String::from_utf8_lossy(&copied.stdout);
    let stderr = String::from_utf8_lossy(&copied.stderr);
    assert!(
        copied.status.success(),
        "hub db copy failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("committed"), "{stdout}");
    for table in [
        "users",
        "servers",
        "api_tokens",
        "oauth_clients",
        "sessions",
    ] {
        assert!(stdout.contains(table), "{table} in:\n{stdout}");
    }
    assert_eq!(server_jobs(&database.url).await, sqlite_jobs);
    std::fs::write(&config_path, config.replace(&sqlite_url, &database.url))
        .expect("config written");

    // The hub on PostgreSQL: the same servers, jobs, routes and token.
    let mut hub = world.start_hub(&cluster);
    world.wait_up().await;
    let after = eventually(
        Duration::from_secs(60),
        "every server is listed ready again, on PostgreSQL",
        || ready_servers(&world),
    )
    .await;
    assert_eq!(after, before);
    assert!(hub.running(), "the hub on PostgreSQL runs\n{}", world.log());
    assert_eq!(
        server_jobs(&database.url).await,
        sqlite_jobs,
        "the same job ids"
    );
    for user in USERS {
        let (status, page) = server_page(&world, user).await;
        assert_eq!(status, 200, "{user}: {page:.300}");
        assert!(
            page.contains("batchhub built-in test server"),
            "{page:.300}"
        );
    }
    let routes = world.routes().await;
    for user in USERS {
        assert!(routes.get(format!("/user/{user}")).is_some(), "{routes}");
    }
    let (status, me) = whoami(&world, &token).await;
    assert_eq!((status, me["name"].clone()), (200, json!("alice")), "{me}");
    let (status, body) = world
        .api(
            reqwest::Method::POST,
            "/users/alice/tokens",
            Some(json!({ "note": "after the move" })),
        )
        .await;
    assert_eq!(
        status,
        201,
        "a new token on PostgreSQL: {body}\n{}",
        world.log()
    );
    let fresh = body["token"].as_str().expect("the clear token");
    assert_eq!(whoami(&world, fresh).await.1["name"], "alice");
    assert_ne!(body["id"], Value::Null);
    assert_eq!(job_states(&cluster), jobs, "no job deleted or submitted");
    let log = world.log();
    for word in ["cancelling", "qdel", "cancel failed"] {
        assert!(!log.contains(word), "the hub log says {word:?}:\n{log}");
    }
    hub.stop();
}
