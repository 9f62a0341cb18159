//! `hub db status`, `hub db upgrade`, `hub db copy` and `hub serve`'s refusal of an
//! outdated database, run as real processes on SQLite files.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn hub() -> Command {
    Command::cargo_bin("hub").unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The first release's migration, as it is embedded in the binary (same file, so the same
/// checksum): a database made with only it is what that release left on disk.
const FIRST_MIGRATION: &str = include_str!("../src/db/migrations/sqlite/0001_initial.sql");

/// A SQLite database at `path` at schema version 1, holding alice; and a config naming it
/// (its secrets in the same directory, so `hub serve` gets as far as the database).
async fn old_site(dir: &Path) -> PathBuf {
    let migrations = dir.join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(migrations.join("0001_initial.sql"), FIRST_MIGRATION).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("hub.sqlite").display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO users (name, admin, created) VALUES ('alice', 1, 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let config = dir.join("hub.toml");
    let d = dir.display();
    std::fs::write(
        &config,
        format!(
            "[hub]\ndb_url = \"{url}\"\ncookie_secret_file = \"{d}/cookie_secret\"\n\
             hub_bind_url = \"http://127.0.0.1:0/\"\n\
             [proxy]\nauth_token_file = \"{d}/proxy_token\"\n"
        ),
    )
    .unwrap();
    config
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outdated_database_stops_serve_until_hub_db_upgrade_backs_it_up_and_migrates_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = old_site(dir.path()).await;

    let serve = hub().arg("serve").arg("-f").arg(&config).output().unwrap();
    assert!(!serve.status.success());
    let err = text(&serve.stderr);
    assert!(
        err.contains("is at schema version 1, this hub needs 2"),
        "{err}"
    );
    let command = format!("hub db upgrade -f {}", config.display());
    assert!(err.contains(&command), "{err}");
    assert!(err.contains("upgrade_db = true"), "{err}");

    let status = hub()
        .args(["db", "status", "-f"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    let out = text(&status.stdout);
    assert!(out.contains("version 1 (this hub: 2)"), "{out}");
    assert!(out.contains("pending   2"), "{out}");

    let upgrade = hub()
        .args(["db", "upgrade", "-f"])
        .arg(&config)
        .output()
        .unwrap();
    let out = text(&upgrade.stdout);
    assert!(upgrade.status.success(), "{out}{}", text(&upgrade.stderr));
    let written = backups(dir.path());
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(
        out.contains(&format!(
            "backed up to {} (mode 0600)",
            written[0].display()
        )),
        "{out}"
    );
    assert!(
        out.contains("applied migration(s) 2: schema version 1 -> 2"),
        "{out}"
    );

    let again = hub()
        .args(["db", "upgrade", "-f"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(
        text(&again.stdout).contains("already up to date (schema version 2)"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(
        backups(dir.path()).len(),
        1,
        "no backup when nothing is applied"
    );
    let status = hub()
        .args(["db", "status", "-f"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_db_copy_refuses_an_outdated_source_then_copies_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = old_site(dir.path()).await;
    let target = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("copy.sqlite").display()
    );
    let copy = || {
        hub()
            .args(["db", "copy", "-f"])
            .arg(&config)
            .args(["--to", &target])
            .output()
            .unwrap()
    };

    let refused = copy();
    assert!(!refused.status.success());
    let err = text(&refused.stderr);
    assert!(
        err.contains("schema version 1") && err.contains("hub db upgrade"),
        "{err}"
    );

    assert!(hub()
        .args(["db", "upgrade", "-f"])
        .arg(&config)
        .output()
        .unwrap()
        .status
        .success());
    let copied = copy();
    let out = text(&copied.stdout);
    assert!(copied.status.success(), "{out}{}", text(&copied.stderr));
    assert!(out.contains("users                 1 rows"), "{out}");
    assert!(
        out.contains("committed: 1 rows in 6 tables, schema version 2"),
        "{out}"
    );

    let twice = copy();
    assert!(!twice.status.success());
    let err = text(&twice.stderr);
    assert!(err.contains("is not empty (users: 1)"), "{err}");
}
