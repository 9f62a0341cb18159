//! The database: reachable with `hub.db_url`, and its migrations compared with this
//! binary's. A new, empty database is a WARN (`hub serve` sets it up). Pending migrations on
//! an existing one are a FAIL, as `hub serve` refuses to start on them until `hub db
//! upgrade` ran — a WARN with `upgrade_db = true`, which applies them at start. Migrations
//! from a newer hub or a failed one are a FAIL: every command refuses them.

use std::path::Path;

use super::Finding;
use crate::config::HubConfig;
use crate::db::inspect::{inspect, Inspection};
use crate::db::{redact_url, DbError};

const CHECK: &str = "database";

pub(super) async fn check(config: &HubConfig, path: &Path) -> Finding {
    let url = redact_url(&config.hub.db_url);
    match inspect(&config.hub.db_url).await {
        Ok(Inspection::NotCreated { path }) => Finding::warn(
            CHECK,
            format!("{} does not exist yet", path.display()),
            "none needed if this is a new deployment: hub serve creates it (0600) and migrates it",
        ),
        Ok(Inspection::Schema(status)) => {
            let list = |v: &[i64]| {
                v.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !status.failed.is_empty() {
                Finding::fail(
                    CHECK,
                    format!(
                        "{url}: migration(s) {} failed half-way",
                        list(&status.failed)
                    ),
                    "restore the database from its backup, then start hub serve again",
                )
            } else if !status.unknown.is_empty() {
                Finding::fail(
                    CHECK,
                    format!(
                        "{url} has migration(s) {} this hub does not know: a newer hub migrated it",
                        list(&status.unknown)
                    ),
                    "run the newer hub, or restore the database from before the upgrade",
                )
            } else if status.is_new() {
                Finding::warn(
                    CHECK,
                    format!("{url} is reachable and empty"),
                    "none needed if this is a new deployment: hub serve sets up its schema",
                )
            } else if !status.pending.is_empty() {
                let message = format!(
                    "{url} is at schema version {}; {} migration(s) pending ({})",
                    status.version(),
                    status.pending.len(),
                    list(&status.pending)
                );
                let upgrade = format!(
                    "back up the database, then run `hub db upgrade -f {}`",
                    path.display()
                );
                if config.hub.upgrade_db {
                    Finding::warn(
                        CHECK,
                        message,
                        format!("{upgrade}, or let hub serve apply them (upgrade_db = true)"),
                    )
                } else {
                    Finding::fail(
                        CHECK,
                        format!("{message}: hub serve refuses to start"),
                        upgrade,
                    )
                }
            } else {
                Finding::ok(CHECK, format!("{url} is reachable and up to date"))
            }
        }
        Err(e) => {
            let mut cause = String::new();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                cause = format!("{cause}: {s}");
                source = s.source();
            }
            let fix = match &e {
                DbError::File { path, .. } => format!(
                    "create the directory of {} (writable by the hub's user), or correct hub.db_url",
                    path.display()
                ),
                DbError::BadUrl { .. } => {
                    "use sqlite:///path or postgresql://user@host/db in hub.db_url".to_string()
                }
                _ => "start the database, or correct host, port, user and password in hub.db_url"
                    .to_string(),
            };
            Finding::fail(CHECK, format!("{e}{cause}"), fix)
        }
    }
}
