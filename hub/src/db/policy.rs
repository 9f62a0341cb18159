//! [`SchemaPolicy`]: what a caller lets [`Db::connect_with`](super::Db::connect_with) do to
//! the schema it finds, and the pure decision that applies it.
//!
//! JupyterHub's rule, kept here: a hub creates the schema of a new database itself, but
//! does not migrate an existing one unless told to (`hub db upgrade`, or `[hub] upgrade_db`),
//! because a migration is the one step that cannot be undone without a backup.

use super::inspect::{latest_version, SchemaStatus};
use super::{Backend, DbError};

/// What may happen to the schema at connect. Every policy refuses a database migrated by a
/// newer hub, or one whose migration failed half-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPolicy {
    /// Apply every pending migration (`hub db upgrade`, `hub demo`, the tests).
    Upgrade,
    /// Create the schema of a new, empty database; refuse an existing one with pending
    /// migrations (`hub serve`).
    CreateOnly,
    /// Change nothing: the database must exist and be fully migrated (the source of
    /// `hub db copy`).
    Current,
}

/// Whether to run the migrations on a database in `status`, or why not to touch it.
pub(super) fn must_migrate(
    policy: SchemaPolicy,
    backend: Backend,
    status: &SchemaStatus,
    url: &str,
) -> Result<bool, DbError> {
    let url = super::redact_url(url);
    let latest = latest_version(backend);
    if !status.failed.is_empty() {
        return Err(DbError::SchemaFailed {
            url,
            failed: status.failed.clone(),
        });
    }
    if !status.unknown.is_empty() {
        return Err(DbError::SchemaTooNew {
            url,
            version: status.version(),
            latest,
        });
    }
    if status.pending.is_empty() {
        return Ok(false);
    }
    let allowed = match policy {
        SchemaPolicy::Upgrade => true,
        SchemaPolicy::CreateOnly => status.is_new(),
        SchemaPolicy::Current => false,
    };
    if allowed {
        Ok(true)
    } else {
        Err(DbError::SchemaOutdated {
            url,
            version: status.version(),
            latest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(applied: &[i64], pending: &[i64], unknown: &[i64]) -> SchemaStatus {
        SchemaStatus {
            backend: Some(Backend::Sqlite),
            applied: applied.to_vec(),
            pending: pending.to_vec(),
            unknown: unknown.to_vec(),
            failed: Vec::new(),
        }
    }

    const URL: &str = "postgres://hub:secret@db/hub";

    #[test]
    fn a_new_database_is_created_by_every_policy_but_current() {
        let new = status(&[], &[1, 2], &[]);
        assert!(must_migrate(SchemaPolicy::Upgrade, Backend::Sqlite, &new, URL).unwrap());
        assert!(must_migrate(SchemaPolicy::CreateOnly, Backend::Sqlite, &new, URL).unwrap());
        let e = must_migrate(SchemaPolicy::Current, Backend::Sqlite, &new, URL).unwrap_err();
        assert!(
            matches!(e, DbError::SchemaOutdated { version: 0, .. }),
            "{e}"
        );
    }

    #[test]
    fn an_old_database_is_migrated_only_by_upgrade() {
        let old = status(&[1], &[2], &[]);
        assert!(must_migrate(SchemaPolicy::Upgrade, Backend::Sqlite, &old, URL).unwrap());
        for policy in [SchemaPolicy::CreateOnly, SchemaPolicy::Current] {
            let e = must_migrate(policy, Backend::Sqlite, &old, URL).unwrap_err();
            let text = e.to_string();
            assert!(
                text.contains("schema version 1, this hub needs")
                    && text.contains("hub db upgrade")
                    && text.contains("hub:***@db"),
                "{text}"
            );
        }
    }

    #[test]
    fn an_up_to_date_database_is_left_alone() {
        let current = status(&[1, 2], &[], &[]);
        for policy in [
            SchemaPolicy::Upgrade,
            SchemaPolicy::CreateOnly,
            SchemaPolicy::Current,
        ] {
            assert!(!must_migrate(policy, Backend::Sqlite, &current, URL).unwrap());
        }
    }

    #[test]
    fn a_newer_or_half_migrated_database_is_refused_by_every_policy() {
        let newer = status(&[1, 2, 99], &[], &[99]);
        let mut failed = status(&[1], &[2], &[]);
        failed.failed = vec![2];
        for policy in [
            SchemaPolicy::Upgrade,
            SchemaPolicy::CreateOnly,
            SchemaPolicy::Current,
        ] {
            let e = must_migrate(policy, Backend::Sqlite, &newer, URL).unwrap_err();
            assert!(
                matches!(e, DbError::SchemaTooNew { version: 99, .. }),
                "{e}"
            );
            assert!(e.to_string().contains("newer hub"), "{e}");
            let e = must_migrate(policy, Backend::Sqlite, &failed, URL).unwrap_err();
            assert!(matches!(e, DbError::SchemaFailed { .. }), "{e}");
        }
    }
}
