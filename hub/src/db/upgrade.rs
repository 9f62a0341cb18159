//! Upgrading a database's schema on purpose (`hub db upgrade`, or `hub serve` with
//! `[hub] upgrade_db = true`): a SQLite file is first backed up beside itself, then every
//! pending migration is applied. PostgreSQL is not backed up here: `pg_dump` is the
//! operator's tool, and the command says so.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sqlx::AnyPool;

use super::connect::{open_pool, schema_status, sqlite_file};
use super::policy::{must_migrate, SchemaPolicy};
use super::{migrate, Backend, DbError};

/// What [`upgrade`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeReport {
    /// Which engine it ran on.
    pub backend: Backend,
    /// The schema version found (0: a new database).
    pub before: i64,
    /// The schema version left.
    pub after: i64,
    /// The migrations applied, oldest first; empty when it was up to date.
    pub applied: Vec<i64>,
    /// The SQLite backup written before migrating, if any (none for a new or up-to-date
    /// database, nor for PostgreSQL).
    pub backup: Option<PathBuf>,
}

/// Brings the database at `url` up to this binary's schema. A SQLite file holding an older
/// schema is first copied, consistently (`VACUUM INTO`, which reads one snapshot even of a
/// WAL database in use), to `<file>.<now as YYYYMMDDTHHMMSSZ>.bak`, mode 0600. A database
/// migrated by a newer hub is refused. A missing SQLite file is created, as `hub serve`
/// would.
pub async fn upgrade(url: &str, now: DateTime<Utc>) -> Result<UpgradeReport, DbError> {
    let (pool, backend) = open_pool(url, SchemaPolicy::Upgrade).await?;
    let report = upgrade_pool(&pool, backend, url, now).await;
    pool.close().await;
    report
}

async fn upgrade_pool(
    pool: &AnyPool,
    backend: Backend,
    url: &str,
    now: DateTime<Utc>,
) -> Result<UpgradeReport, DbError> {
    let status = schema_status(pool, backend).await?;
    if !must_migrate(SchemaPolicy::Upgrade, backend, &status, url)? {
        return Ok(UpgradeReport {
            backend,
            before: status.version(),
            after: status.version(),
            applied: Vec::new(),
            backup: None,
        });
    }
    let backup = match (backend, sqlite_file(url)?) {
        // A new database has nothing worth keeping.
        (Backend::Sqlite, Some(file)) if !status.is_new() => {
            Some(backup_sqlite(pool, &file, now).await?)
        }
        _ => None,
    };
    migrate::run(pool, backend).await?;
    let after = schema_status(pool, backend).await?;
    Ok(UpgradeReport {
        backend,
        before: status.version(),
        after: after.version(),
        applied: status.pending,
        backup,
    })
}

/// Where the backup of `file` taken at `now` goes.
pub fn backup_path(file: &Path, now: DateTime<Utc>) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(format!(".{}.bak", now.format("%Y%m%dT%H%M%SZ")));
    PathBuf::from(name)
}

/// Writes a consistent copy of the database to [`backup_path`]. The file is created 0600
/// first (it holds token hashes), and never overwritten: `VACUUM INTO` accepts an empty file.
async fn backup_sqlite(
    pool: &AnyPool,
    file: &Path,
    now: DateTime<Utc>,
) -> Result<PathBuf, DbError> {
    let path = backup_path(file, now);
    let io_error = |source| DbError::File {
        path: path.clone(),
        source,
    };
    let Some(text) = path.to_str() else {
        return Err(io_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the backup's path is not UTF-8, which SQLite needs",
        )));
    };
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io_error)?;
    if let Err(source) = sqlx::query("VACUUM INTO $1").bind(text).execute(pool).await {
        // Leave no empty or partial file that looks like a backup.
        let _ = std::fs::remove_file(&path);
        return Err(DbError::Backup { path, source });
    }
    // The umask played no part (the file existed), but say it plainly.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io_error)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backups_sit_beside_the_file_named_by_utc_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 5, 7).unwrap();
        assert_eq!(
            backup_path(Path::new("/var/lib/batchhub/hub.sqlite"), now),
            PathBuf::from("/var/lib/batchhub/hub.sqlite.20261126T090507Z.bak")
        );
    }
}
