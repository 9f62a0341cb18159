//! The database: reachable with `hub.db_url`, and its migrations compared with this
//! binary's. Pending migrations are a WARN: `hub serve` applies them at start (back up the
//! database first); migrations from a newer hub or a failed one are a FAIL, as `hub serve`
//! refuses to start on them.

use super::Finding;
use crate::config::HubConfig;
use crate::db::inspect::{inspect, Inspection};
use crate::db::{redact_url, DbError};

const CHECK: &str = "database";

pub(super) async fn check(config: &HubConfig) -> Finding {
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
            } else if !status.pending.is_empty() {
                Finding::warn(
                    CHECK,
                    format!(
                        "{url} is reachable; {} migration(s) pending ({})",
                        status.pending.len(),
                        list(&status.pending)
                    ),
                    "back up the database; hub serve applies them at start",
                )
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
