//! Looking at a database without changing it, for `hub doctor` and `hub db status`: can it be reached, and
//! which of this binary's migrations has it not seen yet. Nothing is created or migrated:
//! a SQLite file must exist and is only read.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::AnyConnection;
use sqlx::{ConnectOptions, Connection};

use super::connect::{backend_of, sqlite_file};
use super::{migrate, Backend, DbError};

/// How long reaching the database may take: a doctor run must not hang on a firewall.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`inspect`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspection {
    /// The SQLite file does not exist yet; its directory does, so `hub serve` creates it.
    NotCreated {
        /// The file.
        path: PathBuf,
    },
    /// The database answered; its migrations compared with this binary's.
    Schema(SchemaStatus),
}

/// The database's migrations against the ones compiled into this binary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Which engine answered.
    pub backend: Option<Backend>,
    /// The migrations the database records as applied, oldest first.
    pub applied: Vec<i64>,
    /// This binary's migrations the database has not applied (`hub db upgrade` applies them;
    /// `hub serve` only on a new database, or with `upgrade_db`).
    pub pending: Vec<i64>,
    /// Migrations the database records that this binary does not know: a newer hub
    /// migrated it, and this one refuses to start on it.
    pub unknown: Vec<i64>,
    /// Migrations recorded as failed half-way.
    pub failed: Vec<i64>,
}

impl SchemaStatus {
    /// The database's schema version: its newest applied migration, 0 for none.
    pub fn version(&self) -> i64 {
        self.applied.iter().copied().max().unwrap_or(0)
    }

    /// Whether no migration was ever applied: a new, empty database.
    pub fn is_new(&self) -> bool {
        self.applied.is_empty() && self.failed.is_empty()
    }
}

/// The schema version this binary brings a database of `backend` to.
pub fn latest_version(backend: Backend) -> i64 {
    migrate::versions(backend).into_iter().max().unwrap_or(0)
}

/// Reaches the database at `url` and compares its migrations with this binary's, changing
/// nothing.
pub async fn inspect(url: &str) -> Result<Inspection, DbError> {
    let backend = backend_of(url)?;
    sqlx::any::install_default_drivers();
    let target = match backend {
        Backend::Sqlite => match sqlite_file(url)? {
            Some(path) => {
                if !path.exists() {
                    let dir = path
                        .parent()
                        .filter(|d| !d.as_os_str().is_empty())
                        .unwrap_or(std::path::Path::new("."))
                        .to_path_buf();
                    if dir.is_dir() {
                        return Ok(Inspection::NotCreated { path });
                    }
                    return Err(DbError::File {
                        path,
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            format!("its directory {} does not exist", dir.display()),
                        ),
                    });
                }
                // `rw` never creates; read-only could not open a WAL file whose `-shm` is gone.
                format!("sqlite://{}?mode=rw", path.display())
            }
            None => url.to_string(),
        },
        Backend::Postgres => url.to_string(),
    };
    let connect_error = |source| DbError::Connect {
        url: super::redact_url(url),
        source,
    };
    let options: AnyConnectOptions = target.parse().map_err(connect_error)?;
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
        .await
        .map_err(|_| {
            connect_error(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            )))
        })?
        .map_err(connect_error)?;
    let status = schema_status(&mut conn, backend).await;
    let _ = conn.close().await;
    status.map(Inspection::Schema)
}

/// The migrations of the database behind `conn` compared with this binary's.
pub(super) async fn schema_status(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<SchemaStatus, DbError> {
    let exists_sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
        }
    };
    let tables: i64 = sqlx::query_scalar(exists_sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("look for the migrations table"))?;
    let (applied, failed): (Vec<i64>, Vec<i64>) = if tables == 0 {
        (Vec::new(), Vec::new())
    } else {
        let applied = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("read the applied migrations"))?;
        let failed = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE NOT success")
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::query("read the failed migrations"))?;
        (applied, failed)
    };
    Ok(compare(
        backend,
        migrate::versions(backend),
        &applied,
        &failed,
    ))
}

/// The pure comparison of the binary's versions with the database's.
fn compare(backend: Backend, known: Vec<i64>, applied: &[i64], failed: &[i64]) -> SchemaStatus {
    SchemaStatus {
        backend: Some(backend),
        applied: applied.to_vec(),
        pending: known
            .iter()
            .copied()
            .filter(|v| !applied.contains(v))
            .collect(),
        unknown: applied
            .iter()
            .copied()
            .filter(|v| !known.contains(v))
            .collect(),
        failed: failed.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_and_unknown_versions() {
        let status = compare(Backend::Sqlite, vec![1, 2, 3], &[1, 4], &[]);
        assert_eq!(status.pending, vec![2, 3]);
        assert_eq!(status.unknown, vec![4]);
    }

    #[tokio::test]
    async fn a_fresh_file_lacks_every_migration_and_a_migrated_one_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        let url = format!("sqlite://{}", path.display());
        assert_eq!(
            inspect(&url).await.unwrap(),
            Inspection::NotCreated { path: path.clone() }
        );
        std::fs::write(&path, b"").unwrap();
        let Inspection::Schema(fresh) = inspect(&url).await.unwrap() else {
            panic!("an existing file is opened");
        };
        assert_eq!(fresh.pending, migrate::versions(Backend::Sqlite));
        let db = super::super::Db::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        db.close().await;
        let Inspection::Schema(migrated) = inspect(&url).await.unwrap() else {
            panic!("an existing file is opened");
        };
        assert_eq!(migrated.pending, Vec::<i64>::new());
        assert_eq!(migrated.unknown, Vec::<i64>::new());
    }

    #[tokio::test]
    async fn a_file_in_a_missing_directory_or_a_closed_port_is_unreachable() {
        let e = inspect("sqlite:///nonexistent-doctor-dir/hub.sqlite")
            .await
            .unwrap_err();
        assert!(matches!(e, DbError::File { .. }), "{e:?}");
        let e = inspect("postgres://hub@127.0.0.1:1/hub").await.unwrap_err();
        assert!(matches!(e, DbError::Connect { .. }), "{e:?}");
    }
}
