//! Opening the database: URL → backend, the SQLite file (created 0600), the pool, pragmas,
//! then the schema as the caller's [`SchemaPolicy`] allows.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Executor};

use super::policy::{must_migrate, SchemaPolicy};
use super::{inspect, migrate, Backend, Db, DbError};

/// Connections per pool for SQLite. WAL lets readers run beside the one writer; more
/// connections than this only queue on the write lock.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Connections per pool for PostgreSQL: enough for the spawner, poller and API handlers to
/// overlap, well under PostgreSQL's default `max_connections` of 100.
const POSTGRES_MAX_CONNECTIONS: u32 = 10;

/// How long a SQLite writer waits for the write lock before failing with "database is
/// locked". Writes are single small statements, so 5 s means something is stuck.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// How long to wait for a free pooled connection (or a new one) before failing a call.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

impl Db {
    /// Connects to `url` and brings the schema up to date ([`SchemaPolicy::Upgrade`]).
    ///
    /// - `sqlite://path?mode=rwc` (`sqlite:///abs/path` for an absolute path): the file is
    ///   created with mode 0600 if missing, and tightened to 0600 if it is readable by others,
    ///   because it holds token hashes and session ids. WAL mode, foreign keys on, a busy
    ///   timeout, `synchronous=FULL` (a committed spawner transition survives power loss, not
    ///   only a killed process).
    /// - `postgres://user[:password]@host[:port]/database[?…]` (also `postgresql://`).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Db::connect_with(url, SchemaPolicy::Upgrade).await
    }

    /// Connects to `url` and does to its schema what `policy` allows; see [`Db::connect`]
    /// for the URLs. A database migrated by a newer hub is refused whatever the policy.
    pub async fn connect_with(url: &str, policy: SchemaPolicy) -> Result<Db, DbError> {
        let (pool, backend) = open_pool(url, policy).await?;
        let schema = async {
            let status = schema_status(&pool, backend).await?;
            if must_migrate(policy, backend, &status, url)? {
                migrate::run(&pool, backend).await?;
            }
            Ok(())
        };
        if let Err(e) = schema.await {
            pool.close().await;
            return Err(e);
        }
        Ok(Db {
            pool,
            backend,
            group: Default::default(),
        })
    }
}

/// A pool on `url` with its pragmas, the schema untouched. Only [`SchemaPolicy::Current`]
/// refuses to create a missing SQLite file.
pub(super) async fn open_pool(
    url: &str,
    policy: SchemaPolicy,
) -> Result<(AnyPool, Backend), DbError> {
    let backend = backend_of(url)?;
    sqlx::any::install_default_drivers();
    let options = match backend {
        Backend::Sqlite => {
            if let Some(path) = sqlite_file(url)? {
                if policy == SchemaPolicy::Current && !path.exists() {
                    return Err(DbError::File {
                        path,
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "no database there",
                        ),
                    });
                }
                prepare_sqlite_file(path).await?;
            }
            AnyPoolOptions::new()
                .max_connections(SQLITE_MAX_CONNECTIONS)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // Per-connection settings; journal_mode is set once below.
                        conn.execute(
                            format!(
                                "PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                                 PRAGMA synchronous = FULL;"
                            )
                            .as_str(),
                        )
                        .await?;
                        Ok(())
                    })
                })
        }
        Backend::Postgres => AnyPoolOptions::new().max_connections(POSTGRES_MAX_CONNECTIONS),
    };
    let pool = options
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect(url)
        .await
        .map_err(|source| DbError::Connect {
            url: redact_url(url),
            source,
        })?;
    if backend == Backend::Sqlite {
        // WAL is a property of the file and persists; it is set here, once, because
        // changing it takes a lock that the busy timeout does not wait for.
        if let Err(source) = pool.execute("PRAGMA journal_mode = WAL").await {
            pool.close().await;
            return Err(DbError::Connect {
                url: redact_url(url),
                source,
            });
        }
    }
    Ok((pool, backend))
}

/// The schema of the database behind `pool` against this binary's migrations.
pub(super) async fn schema_status(
    pool: &AnyPool,
    backend: Backend,
) -> Result<inspect::SchemaStatus, DbError> {
    let mut conn = pool.acquire().await.map_err(DbError::query(
        "get a connection to read the schema version",
    ))?;
    inspect::schema_status(&mut conn, backend).await
}

/// The backend a URL names.
pub(super) fn backend_of(url: &str) -> Result<Backend, DbError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(DbError::BadUrl {
            url: redact_url(url),
            reason: "expected sqlite://path or postgres://…",
        })
    }
}

/// The file a SQLite URL opens, or `None` for an in-memory database. Parsed by sqlx itself
/// so that we create exactly the file it will open.
pub(super) fn sqlite_file(url: &str) -> Result<Option<PathBuf>, DbError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url).map_err(|_| DbError::BadUrl {
        url: redact_url(url),
        reason: "not a valid SQLite URL",
    })?;
    Ok(Some(options.get_filename().to_path_buf()))
}

/// Creates the SQLite file 0600 before SQLite does (SQLite would use the umask), or
/// tightens an existing one. SQLite gives its `-wal` and `-shm` files the database file's
/// mode, so they follow.
async fn prepare_sqlite_file(path: PathBuf) -> Result<(), DbError> {
    let fail = |source| DbError::File {
        path: path.clone(),
        source,
    };
    tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .await
        .map_err(fail)?;
    let mode = tokio::fs::metadata(&path)
        .await
        .map_err(fail)?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tokio::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// A URL fit for logs and error messages: the password, if any, replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://hub:s3cret@db:5432/hub"),
            "postgres://hub:***@db:5432/hub"
        );
        assert_eq!(redact_url("postgres://hub@db/hub"), "postgres://hub@db/hub");
        assert_eq!(redact_url("sqlite://hub.sqlite"), "sqlite://hub.sqlite");
    }

    #[test]
    fn backends_by_scheme() {
        assert_eq!(backend_of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgresql://h/d").unwrap(), Backend::Postgres);
        assert!(matches!(
            backend_of("mysql://h/d"),
            Err(DbError::BadUrl { .. })
        ));
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_file("sqlite:///tmp/a.db?mode=rwc").unwrap(),
            Some(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:").unwrap(), None);
    }
}
