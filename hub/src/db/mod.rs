//! The hub database: users, servers with the spawner's persisted state, hashed API tokens,
//! OAuth clients and codes, and login sessions.
//!
//! [`Db::connect`] takes a URL: `sqlite://path?mode=rwc` (the default deployment: one file,
//! WAL, created 0600) or `postgres://…`. Both go through sqlx's `Any` driver with runtime
//! queries (no database is needed at build time). What happens to the schema at connect is
//! the caller's [`SchemaPolicy`]: the tests and `hub db upgrade` migrate, `hub serve` sets up
//! a new database but refuses an existing one with pending migrations, and every caller
//! refuses a database migrated by a newer hub.
//! Every call is async and never blocks the event loop: PostgreSQL is spoken over async
//! sockets and sqlx runs each SQLite connection on its own worker thread.
//!
//! Layout: [`error`] (the [`DbError`] type), `connect` (URLs, SQLite file, pool, pragmas),
//! `migrate` (the embedded schema, one set per dialect), `policy` ([`SchemaPolicy`] and the
//! decision to migrate or refuse), [`inspect`] (reachability and pending migrations,
//! changing nothing: `hub doctor`, `hub db status`), [`upgrade`] (`hub db upgrade`: back up a
//! SQLite file, then migrate), [`copy`] (`hub db copy`: every table into an empty database),
//! `secret` (random secrets and their hashes), and one file per table family — [`users`],
//! [`servers`], [`tokens`], [`oauth`], [`sessions`] — each adding its repository methods to
//! [`Db`]. A migration that adds a table or column must add it to [`copy`]'s table list
//! too; the copy refuses a schema it does not know, and its tests compare the two.
//!
//! Conventions:
//! - Times are passed in (`now`) rather than read from the clock, so callers and tests
//!   decide what time it is; they are stored as microseconds since the epoch, UTC.
//! - Secrets (API tokens, OAuth client secrets and codes, session ids) are stored only as
//!   SHA-256 hashes and looked up by hash; the clear value is returned once, at creation.
//! - JSON the database does not interpret (spawner state, user options, scopes) is stored
//!   as text.

mod connect;
pub mod copy;
pub mod error;
mod group;
pub mod inspect;
mod migrate;
pub mod oauth;
mod policy;
mod secret;
pub mod servers;
pub mod sessions;
pub mod tokens;
pub mod upgrade;
pub mod users;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

pub use connect::redact_url;
pub use error::DbError;
#[cfg(test)]
pub(crate) use migrate::create_at_version;
pub use oauth::{NewOAuthClient, NewOAuthCode, OAuthClient, OAuthCode};
pub use policy::SchemaPolicy;
pub use servers::{ServerRecord, ServerState};
pub use sessions::SessionRecord;
pub use tokens::{NewToken, TokenId, TokenOwner, TokenRecord};
pub use users::UserRecord;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if any (`sqlite:…`, `postgres://…`,
    /// `postgresql://…`).
    pub fn of_url(url: &str) -> Option<Backend> {
        connect::backend_of(url).ok()
    }
}

/// A handle to the hub database: a connection pool. Cheap to clone; clones share the pool.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's group commit of server states (see `group`).
    group: std::sync::Arc<group::Group>,
}

impl Db {
    /// Which engine this database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection, waiting for running queries to finish. Afterwards every call
    /// fails; a SQLite file is checkpointed and left consistent.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for tests that look at raw rows.
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Converts a time to what the database stores: microseconds since the epoch.
fn to_micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// Reads a column, calling an unreadable value (wrong type, NULL where none is allowed)
/// corrupt rather than a connection problem.
fn column<'r, T>(row: &'r AnyRow, table: &'static str, column: &'static str) -> Result<T, DbError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(|e| DbError::Corrupt {
        table,
        column,
        reason: e.to_string(),
    })
}

/// Reads a time column (microseconds since the epoch).
fn time_column(
    row: &AnyRow,
    table: &'static str,
    name: &'static str,
) -> Result<DateTime<Utc>, DbError> {
    let micros: i64 = column(row, table, name)?;
    from_micros(micros, table, name)
}

/// Reads a nullable time column.
fn optional_time_column(
    row: &AnyRow,
    table: &'static str,
    name: &'static str,
) -> Result<Option<DateTime<Utc>>, DbError> {
    let micros: Option<i64> = column(row, table, name)?;
    micros.map(|m| from_micros(m, table, name)).transpose()
}

fn from_micros(
    micros: i64,
    table: &'static str,
    column: &'static str,
) -> Result<DateTime<Utc>, DbError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| DbError::Corrupt {
        table,
        column,
        reason: format!("{micros} µs is not a representable time"),
    })
}

/// Reads a TEXT column holding JSON.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    table: &'static str,
    name: &'static str,
) -> Result<T, DbError> {
    let text: String = column(row, table, name)?;
    serde_json::from_str(&text).map_err(|e| DbError::Corrupt {
        table,
        column: name,
        reason: e.to_string(),
    })
}
