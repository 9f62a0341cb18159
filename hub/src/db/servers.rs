//! The `servers` table: each user's servers, keyed by (user, name), with what the spawner
//! persisted at its last transition. The spawner writes before it acts, so after a crash
//! [`Db::servers_with_jobs`] lists every batch job the hub may still own.

use chrono::{DateTime, Utc};
use drivers::JobId;
use sqlx::any::AnyRow;

use super::error::is_unique_violation;
use super::{column, json_column, optional_time_column, time_column, to_micros, Db, DbError};

/// A server as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRecord {
    /// The owner's name.
    pub user: String,
    /// The server's name; `""` is the user's default server.
    pub name: String,
    /// The spawner's persisted state, opaque here (`{}` when there is none).
    pub state: serde_json::Value,
    /// The options the server was (or will be) started with.
    pub user_options: serde_json::Value,
    /// The batch job running the server, once submitted.
    pub job_id: Option<JobId>,
    /// The host the notebook server reported.
    pub host: Option<String>,
    /// The port the notebook server reported.
    pub port: Option<u16>,
    /// The URL the proxy routes to, once known.
    pub url: Option<String>,
    /// When the row was created.
    pub created: DateTime<Utc>,
    /// When the current run started, if one is running or pending.
    pub started: Option<DateTime<Utc>>,
    /// The last activity reported for this server.
    pub last_activity: Option<DateTime<Utc>>,
}

/// What the spawner persists at a transition: every field is written, replacing the old
/// values (write `ServerState::default()` to clear a stopped server).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerState {
    /// The spawner's state, opaque here; `Null` is stored as `{}`.
    pub state: serde_json::Value,
    /// The options of the current run; `Null` is stored as `{}`.
    pub user_options: serde_json::Value,
    /// The batch job, once `qsub` has answered.
    pub job_id: Option<JobId>,
    /// The reported host.
    pub host: Option<String>,
    /// The reported port.
    pub port: Option<u16>,
    /// The URL to route to.
    pub url: Option<String>,
    /// When the current run started.
    pub started: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "user_name, name, state, user_options, job_id, host, port, url, created, started, last_activity";

fn from_row(row: &AnyRow) -> Result<ServerRecord, DbError> {
    let job_id: Option<String> = column(row, "servers", "job_id")?;
    let job_id = job_id
        .map(|id| {
            JobId::new(id).map_err(|e| DbError::Corrupt {
                table: "servers",
                column: "job_id",
                reason: e.to_string(),
            })
        })
        .transpose()?;
    let port: Option<i64> = column(row, "servers", "port")?;
    let port = port
        .map(|p| {
            u16::try_from(p).map_err(|_| DbError::Corrupt {
                table: "servers",
                column: "port",
                reason: format!("{p} is not a port"),
            })
        })
        .transpose()?;
    Ok(ServerRecord {
        user: column(row, "servers", "user_name")?,
        name: column(row, "servers", "name")?,
        state: json_column(row, "servers", "state")?,
        user_options: json_column(row, "servers", "user_options")?,
        job_id,
        host: column(row, "servers", "host")?,
        port,
        url: column(row, "servers", "url")?,
        created: time_column(row, "servers", "created")?,
        started: optional_time_column(row, "servers", "started")?,
        last_activity: optional_time_column(row, "servers", "last_activity")?,
    })
}

/// JSON as stored: `Null` becomes `{}` so a cleared state reads back as an empty object.
fn json_text(value: &serde_json::Value) -> String {
    if value.is_null() {
        "{}".to_string()
    } else {
        value.to_string()
    }
}

impl Db {
    /// Adds a stopped server named `name` for `user` (the API's PUT of a named server).
    /// [`DbError::ServerExists`] if the user already has one by that name,
    /// [`DbError::NoSuchUser`] if the user does not exist.
    pub async fn create_server(
        &self,
        user: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<ServerRecord, DbError> {
        let sql = format!(
            "INSERT INTO servers (user_name, name, created) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(user)
            .bind(name)
            .bind(to_micros(now))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    DbError::ServerExists {
                        user: user.to_string(),
                        name: name.to_string(),
                    }
                } else {
                    no_such_user(user, DbError::query("create a server")(e))
                }
            })?;
        from_row(&row)
    }

    /// Persists the spawner's state for `user`'s server `name`, creating the row if needed
    /// (created `now`), and returns once the write is committed: durable before the
    /// spawner goes on to act (`qsub`, `qdel`, routing). `last_activity` is kept.
    /// [`DbError::NoSuchUser`] if the user does not exist.
    ///
    /// On SQLite, calls that arrive while another commit is in progress are committed
    /// together in the next transaction (group commit, see `group`): one fsync for many
    /// servers' transitions in a spawn storm, each caller still answered only once its row
    /// is durable.
    pub async fn put_server_state(
        &self,
        user: &str,
        name: &str,
        state: &ServerState,
        now: DateTime<Utc>,
    ) -> Result<ServerRecord, DbError> {
        match self.backend {
            super::Backend::Sqlite => {
                let write = super::group::Write::State {
                    user: user.to_string(),
                    name: name.to_string(),
                    state: state.clone(),
                    now,
                };
                match super::group::put(self, write).await? {
                    super::group::Written::State(record) => Ok(*record),
                    super::group::Written::Credentials(_) => {
                        unreachable!("a state write is answered with its row")
                    }
                }
            }
            // PostgreSQL aborts a transaction at its first failed statement, and commits
            // concurrent transactions in parallel anyway: one transaction per write.
            super::Backend::Postgres => put_one(&self.pool, user, name, state, now).await,
        }
    }

    /// `user`'s server `name`, if it exists.
    pub async fn get_server(
        &self,
        user: &str,
        name: &str,
    ) -> Result<Option<ServerRecord>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM servers WHERE user_name = $1 AND name = $2");
        let row = sqlx::query(&sql)
            .bind(user)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("read a server"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// All of `user`'s servers, by name (the default server `""` first).
    pub async fn list_servers(&self, user: &str) -> Result<Vec<ServerRecord>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM servers WHERE user_name = $1 ORDER BY name");
        let rows = sqlx::query(&sql)
            .bind(user)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("list servers"))?;
        rows.iter().map(from_row).collect()
    }

    /// Every server that has a batch job recorded, by user then name: what a starting hub
    /// re-adopts (asks the scheduler about, then resumes tracking or clears).
    pub async fn servers_with_jobs(&self) -> Result<Vec<ServerRecord>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM servers WHERE job_id IS NOT NULL ORDER BY user_name, name"
        );
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("list servers with jobs"))?;
        rows.iter().map(from_row).collect()
    }

    /// Records activity on a server at `when` (ignored if older than what is stored).
    /// Returns whether the server exists.
    pub async fn touch_server(
        &self,
        user: &str,
        name: &str,
        when: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        sqlx::query(
            "UPDATE servers SET last_activity = $3 \
             WHERE user_name = $1 AND name = $2 \
               AND (last_activity IS NULL OR last_activity < $3)",
        )
        .bind(user)
        .bind(name)
        .bind(to_micros(when))
        .execute(&self.pool)
        .await
        .map_err(DbError::query("record server activity"))?;
        Ok(self.get_server(user, name).await?.is_some())
    }

    /// Removes `user`'s server `name`; returns whether it existed. Cancelling its job first
    /// is the caller's job.
    pub async fn delete_server(&self, user: &str, name: &str) -> Result<bool, DbError> {
        let result = sqlx::query("DELETE FROM servers WHERE user_name = $1 AND name = $2")
            .bind(user)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete a server"))?;
        Ok(result.rows_affected() > 0)
    }
}

/// A foreign-key failure on a server row can only mean the user is missing.
/// The upsert of one server's state, on `executor` (the pool, or a group's transaction).
pub(super) async fn put_one<'e, E>(
    executor: E,
    user: &str,
    name: &str,
    state: &ServerState,
    now: DateTime<Utc>,
) -> Result<ServerRecord, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "INSERT INTO servers \
           (user_name, name, state, user_options, job_id, host, port, url, started, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (user_name, name) DO UPDATE SET \
           state = excluded.state, user_options = excluded.user_options, \
           job_id = excluded.job_id, host = excluded.host, port = excluded.port, \
           url = excluded.url, started = excluded.started \
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(user)
        .bind(name)
        .bind(json_text(&state.state))
        .bind(json_text(&state.user_options))
        .bind(state.job_id.as_ref().map(|id| id.as_str().to_string()))
        .bind(state.host.clone())
        .bind(state.port.map(i64::from))
        .bind(state.url.clone())
        .bind(state.started.map(to_micros))
        .bind(to_micros(now))
        .fetch_one(executor)
        .await
        .map_err(|e| no_such_user(user, DbError::query("store server state")(e)))?;
    from_row(&row)
}

fn no_such_user(user: &str, err: DbError) -> DbError {
    match err {
        DbError::MissingReference { .. } => DbError::NoSuchUser(user.to_string()),
        other => other,
    }
}
