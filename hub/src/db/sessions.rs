//! The `sessions` table: browser login sessions. The cookie carries the session id; the
//! database keeps its hash, the user, the expiry, the session's XSRF token and its
//! JupyterHub session id (the plain `jupyterhub-session-id` cookie, which OAuth codes and
//! tokens issued in the session carry, so logout can revoke them).

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::secret::{hash_secret, new_secret, new_session_id};
use super::{column, time_column, to_micros, Db, DbError};

/// A login session as stored (never its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The logged-in user.
    pub user: String,
    /// The XSRF token forms and cookie-authenticated API calls must echo. Not a credential
    /// by itself (it is useless without the session cookie), so it is stored as is.
    pub xsrf_token: String,
    /// When the user logged in.
    pub created: DateTime<Utc>,
    /// When the session stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// JupyterHub's session id (uuid4 hex), shown to single-user servers in the plain
    /// `jupyterhub-session-id` cookie. `None` only for a session started before the hub
    /// knew about it ([`Db::ensure_session_id`] gives it one).
    pub session_id: Option<String>,
}

const COLUMNS: &str = "user_name, xsrf_token, created, expires_at, session_id";

fn from_row(row: &AnyRow) -> Result<SessionRecord, DbError> {
    Ok(SessionRecord {
        user: column(row, "sessions", "user_name")?,
        xsrf_token: column(row, "sessions", "xsrf_token")?,
        created: time_column(row, "sessions", "created")?,
        expires_at: time_column(row, "sessions", "expires_at")?,
        session_id: column(row, "sessions", "session_id")?,
    })
}

impl Db {
    /// Starts a session for `user` and returns its id in clear (for the cookie; only its
    /// hash is stored) with the stored record, which holds a new JupyterHub session id.
    /// [`DbError::NoSuchUser`] if there is no such user.
    pub async fn create_session(
        &self,
        user: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(String, SessionRecord), DbError> {
        let id = new_secret();
        let sql = format!(
            "INSERT INTO sessions (id_hash, user_name, xsrf_token, created, expires_at, session_id) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(hash_secret(&id))
            .bind(user)
            .bind(new_secret())
            .bind(to_micros(now))
            .bind(to_micros(expires_at))
            .bind(new_session_id())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| match DbError::query("create a session")(e) {
                DbError::MissingReference { .. } => DbError::NoSuchUser(user.to_string()),
                other => other,
            })?;
        Ok((id, from_row(&row)?))
    }

    /// The session whose id is `id`, if it exists and has not expired at `now`.
    pub async fn lookup_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id_hash = $1 AND expires_at > $2");
        let row = sqlx::query(&sql)
            .bind(hash_secret(id))
            .bind(to_micros(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("look up a session"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// The JupyterHub session id of the session whose id is `id`, giving it one first if it
    /// has none (a session started before the hub kept them). `None` if there is no such
    /// session. Of two concurrent callers both get the same id: only a NULL is overwritten.
    pub async fn ensure_session_id(&self, id: &str) -> Result<Option<String>, DbError> {
        sqlx::query(
            "UPDATE sessions SET session_id = $2 WHERE id_hash = $1 AND session_id IS NULL",
        )
        .bind(hash_secret(id))
        .bind(new_session_id())
        .execute(&self.pool)
        .await
        .map_err(DbError::query("give a session its session id"))?;
        let session_id: Option<Option<String>> =
            sqlx::query_scalar("SELECT session_id FROM sessions WHERE id_hash = $1")
                .bind(hash_secret(id))
                .fetch_optional(&self.pool)
                .await
                .map_err(DbError::query("read a session's session id"))?;
        Ok(session_id.flatten())
    }

    /// Ends a session (logout); returns whether it existed.
    pub async fn delete_session(&self, id: &str) -> Result<bool, DbError> {
        let result = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(hash_secret(id))
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete a session"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Ends every session of `user` (logout everywhere, password change); returns how many.
    pub async fn delete_user_sessions(&self, user: &str) -> Result<u64, DbError> {
        let result = sqlx::query("DELETE FROM sessions WHERE user_name = $1")
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete a user's sessions"))?;
        Ok(result.rows_affected())
    }

    /// Deletes every session expired at `now`; returns how many.
    pub async fn expire_sessions(&self, now: DateTime<Utc>) -> Result<u64, DbError> {
        let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_micros(now))
            .execute(&self.pool)
            .await
            .map_err(DbError::query("expire sessions"))?;
        Ok(result.rows_affected())
    }
}
