//! The `users` table: who has logged in or been created, whether they are an admin, and
//! when they were last active.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::error::is_unique_violation;
use super::{column, optional_time_column, time_column, to_micros, Db, DbError};

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The login name, unique.
    pub name: String,
    /// Whether the user is a hub admin.
    pub admin: bool,
    /// When the row was created.
    pub created: DateTime<Utc>,
    /// When the user was last seen doing something, if ever.
    pub last_activity: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "name, admin, created, last_activity";

fn from_row(row: &AnyRow) -> Result<UserRecord, DbError> {
    Ok(UserRecord {
        name: column(row, "users", "name")?,
        admin: column::<i64>(row, "users", "admin")? != 0,
        created: time_column(row, "users", "created")?,
        last_activity: optional_time_column(row, "users", "last_activity")?,
    })
}

impl Db {
    /// Adds a new user; [`DbError::UserExists`] if the name is taken (the API's 409).
    pub async fn create_user(
        &self,
        name: &str,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, DbError> {
        let sql = format!(
            "INSERT INTO users (name, admin, created) VALUES ($1, $2, $3) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(name)
            .bind(i64::from(admin))
            .bind(to_micros(now))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    DbError::UserExists(name.to_string())
                } else {
                    DbError::query("create a user")(e)
                }
            })?;
        from_row(&row)
    }

    /// Adds the user if missing (created `now`), or sets `admin` on the existing one,
    /// keeping its creation time and activity. Used at login and for configured admins.
    pub async fn upsert_user(
        &self,
        name: &str,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, DbError> {
        let sql = format!(
            "INSERT INTO users (name, admin, created) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET admin = excluded.admin \
             RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(name)
            .bind(i64::from(admin))
            .bind(to_micros(now))
            .fetch_one(&self.pool)
            .await
            .map_err(DbError::query("upsert a user"))?;
        from_row(&row)
    }

    /// The user with this name, if any.
    pub async fn get_user(&self, name: &str) -> Result<Option<UserRecord>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE name = $1");
        let row = sqlx::query(&sql)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("read a user"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// One page of users, ordered by name (a stable order, so pages neither skip nor
    /// repeat while nobody is added).
    pub async fn list_users(&self, offset: u64, limit: u64) -> Result<Vec<UserRecord>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY name LIMIT $1 OFFSET $2");
        let rows = sqlx::query(&sql)
            .bind(clamp_i64(limit))
            .bind(clamp_i64(offset))
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("list users"))?;
        rows.iter().map(from_row).collect()
    }

    /// How many users there are (the `total` of a paginated list).
    pub async fn count_users(&self) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(DbError::query("count users"))?;
        let n: i64 = column(&row, "users", "n")?;
        Ok(n.max(0) as u64)
    }

    /// Records activity at `when`; an older time than the stored one is ignored, so
    /// reports arriving out of order never move activity backwards.
    /// [`DbError::NoSuchUser`] if there is no such user.
    pub async fn touch_user(&self, name: &str, when: DateTime<Utc>) -> Result<(), DbError> {
        let result = sqlx::query(
            "UPDATE users SET last_activity = $2 \
             WHERE name = $1 AND (last_activity IS NULL OR last_activity < $2)",
        )
        .bind(name)
        .bind(to_micros(when))
        .execute(&self.pool)
        .await
        .map_err(DbError::query("record user activity"))?;
        if result.rows_affected() == 0 && self.get_user(name).await?.is_none() {
            return Err(DbError::NoSuchUser(name.to_string()));
        }
        Ok(())
    }

    /// Deletes the user and, by cascade, their servers, tokens, OAuth codes and sessions.
    /// Returns whether the user existed. Stopping their jobs first is the caller's job.
    pub async fn delete_user(&self, name: &str) -> Result<bool, DbError> {
        let result = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete a user"))?;
        Ok(result.rows_affected() > 0)
    }
}

/// An offset or limit as SQL's signed integer; anything past `i64::MAX` means "all" anyway.
pub(super) fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
