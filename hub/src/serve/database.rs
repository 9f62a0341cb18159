//! Opening the hub's database at start: a new one is set up, an existing one with pending
//! migrations is refused unless `[hub] upgrade_db` says to upgrade it (as `hub db upgrade`
//! would: a SQLite file is backed up first).

use anyhow::Context;
use chrono::Utc;

use crate::config::HubSection;
use crate::db::{redact_url, upgrade, Db, SchemaPolicy};

/// The database `hub` names, its schema set up if new. An existing one with pending
/// migrations is refused ([`DbError::SchemaOutdated`](crate::db::DbError::SchemaOutdated),
/// in the error's chain) unless `upgrade_db` is set.
pub(super) async fn open(hub: &HubSection) -> anyhow::Result<Db> {
    let url = &hub.db_url;
    if hub.upgrade_db {
        let report = upgrade::upgrade(url, Utc::now())
            .await
            .with_context(|| format!("upgrading the database {}", redact_url(url)))?;
        if !report.applied.is_empty() {
            tracing::warn!(
                database = %redact_url(url),
                from = report.before,
                to = report.after,
                backup = ?report.backup,
                "upgrade_db: applied schema migrations {:?}",
                report.applied
            );
        }
    }
    Db::connect_with(url, SchemaPolicy::CreateOnly)
        .await
        .with_context(|| format!("database {}", redact_url(url)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DbError;

    /// A SQLite database at migration 0001 holding alice, and a `[hub]` naming it.
    async fn old_database(dir: &std::path::Path) -> HubSection {
        let url = format!("sqlite://{}?mode=rwc", dir.join("hub.sqlite").display());
        let pool = crate::db::create_at_version(&url, 1).await;
        sqlx::query("INSERT INTO users (name, admin, created) VALUES ('alice', 1, 0)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        HubSection {
            db_url: url,
            ..HubSection::default()
        }
    }

    #[tokio::test]
    async fn an_outdated_database_is_refused_saying_what_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let hub = old_database(dir.path()).await;
        let e = open(&hub).await.unwrap_err();
        let outdated = e
            .chain()
            .find_map(|c| c.downcast_ref::<DbError>())
            .expect("a database error in the chain");
        assert!(
            matches!(outdated, DbError::SchemaOutdated { version: 1, .. }),
            "{outdated}"
        );
        assert!(format!("{e:#}").contains("hub db upgrade"), "{e:#}");
        // Nothing was migrated, and no backup written.
        let crate::db::inspect::Inspection::Schema(status) =
            crate::db::inspect::inspect(&hub.db_url).await.unwrap()
        else {
            panic!("the file exists");
        };
        assert_eq!(status.pending, vec![2]);
        let backups = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|f| {
                let name = f.as_ref().unwrap().file_name();
                name.to_string_lossy().ends_with(".bak")
            })
            .count();
        assert_eq!(backups, 0);
        assert!(open(&hub).await.is_err(), "still refused");
    }

    #[tokio::test]
    async fn upgrade_db_backs_up_and_upgrades_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut hub = old_database(dir.path()).await;
        hub.upgrade_db = true;
        let db = open(&hub).await.unwrap();
        assert!(db.get_user("alice").await.unwrap().unwrap().admin);
        db.close().await;
        let backups: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("hub.sqlite.") && name.ends_with(".bak"))
            .collect();
        assert_eq!(backups.len(), 1, "{backups:?}");
    }

    #[tokio::test]
    async fn a_new_database_is_set_up_without_upgrade_db() {
        let dir = tempfile::tempdir().unwrap();
        let hub = HubSection {
            db_url: format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("new.sqlite").display()
            ),
            ..HubSection::default()
        };
        let db = open(&hub).await.unwrap();
        db.create_user("bob", false, Utc::now()).await.unwrap();
        db.close().await;
        // And opened again, up to date.
        open(&hub).await.unwrap().close().await;
    }
}
