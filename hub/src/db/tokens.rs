//! The `api_tokens` table: API tokens of users and services, stored as SHA-256 hashes.
//! The clear token is returned once, by [`Db::create_token`], and never stored.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::oauth::NewOAuthClient;
use super::secret::{hash_secret, new_secret};
use super::{column, json_column, optional_time_column, time_column, to_micros, Db, DbError};

/// Characters of the clear token kept for display, so a user can tell tokens apart.
const PREFIX_LEN: usize = 4;

/// A token's id. In the REST API it is written `a<number>` (JupyterHub's form), which is what
/// [`Display`](fmt::Display) and [`FromStr`] use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenId(pub i64);

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

impl FromStr for TokenId {
    type Err = ();

    /// Parses `a<number>`.
    fn from_str(s: &str) -> Result<Self, ()> {
        let digits = s.strip_prefix('a').ok_or(())?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        digits.parse().map(TokenId).map_err(|_| ())
    }
}

/// Who a token acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOwner {
    /// A hub user (deleting the user deletes the token).
    User(String),
    /// A service declared in the config (the idle culler, …).
    Service(String),
}

/// What to create a token with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Who it acts for.
    pub owner: TokenOwner,
    /// Its scopes, already resolved (e.g. `access:servers!server=alice/`).
    pub scopes: Vec<String>,
    /// A free-form note (`"Server at /user/alice/"` for a server's own token).
    pub note: String,
    /// When it stops working; `None` for never.
    pub expires_at: Option<DateTime<Utc>>,
    /// The OAuth client it was issued to, if any: deleting the client deletes the token.
    pub oauth_client: Option<String>,
}

/// A token as stored (never its clear value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id.
    pub id: TokenId,
    /// Who it acts for.
    pub owner: TokenOwner,
    /// The first characters of the clear token, for display.
    pub prefix: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// Its note.
    pub note: String,
    /// The OAuth client it was issued to, if any.
    pub oauth_client: Option<String>,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it expires, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used, if ever.
    pub last_activity: Option<DateTime<Utc>>,
    /// The JupyterHub session id of the login session it was issued in (OAuth tokens);
    /// logging out of that session revokes it.
    pub session_id: Option<String>,
}

impl TokenRecord {
    /// Whether the token no longer works at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

const COLUMNS: &str = "id, prefix, user_name, service_name, oauth_client_id, scopes, note, \
                       created, expires_at, last_activity, session_id";

fn from_row(row: &AnyRow) -> Result<TokenRecord, DbError> {
    let user: Option<String> = column(row, "api_tokens", "user_name")?;
    let service: Option<String> = column(row, "api_tokens", "service_name")?;
    let owner = match (user, service) {
        (Some(user), None) => TokenOwner::User(user),
        (None, Some(service)) => TokenOwner::Service(service),
        _ => {
            return Err(DbError::Corrupt {
                table: "api_tokens",
                column: "user_name",
                reason: "a token needs exactly one of user_name and service_name".to_string(),
            })
        }
    };
    Ok(TokenRecord {
        id: TokenId(column(row, "api_tokens", "id")?),
        owner,
        prefix: column(row, "api_tokens", "prefix")?,
        scopes: json_column(row, "api_tokens", "scopes")?,
        note: column(row, "api_tokens", "note")?,
        oauth_client: column(row, "api_tokens", "oauth_client_id")?,
        created: time_column(row, "api_tokens", "created")?,
        expires_at: optional_time_column(row, "api_tokens", "expires_at")?,
        last_activity: optional_time_column(row, "api_tokens", "last_activity")?,
        session_id: column(row, "api_tokens", "session_id")?,
    })
}

/// The (user_name, service_name) columns for an owner.
fn owner_columns(owner: &TokenOwner) -> (Option<&str>, Option<&str>) {
    match owner {
        TokenOwner::User(name) => (Some(name.as_str()), None),
        TokenOwner::Service(name) => (None, Some(name.as_str())),
    }
}

/// Inserts a token whose clear value is `clear` (only its hash is stored), issued in the
/// login session `session_id` if any.
pub(super) async fn insert_token<'e, E>(
    executor: E,
    new: &NewToken,
    clear: &str,
    session_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenId, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let (user, service) = owner_columns(&new.owner);
    let scopes = serde_json::to_string(&new.scopes).expect("a list of strings serializes");
    let row = sqlx::query(
        "INSERT INTO api_tokens \
           (hash, prefix, user_name, service_name, oauth_client_id, scopes, note, created, \
            expires_at, session_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(hash_secret(clear))
    .bind(clear[..PREFIX_LEN].to_string())
    .bind(user)
    .bind(service)
    .bind(new.oauth_client.as_deref())
    .bind(scopes)
    .bind(new.note.as_str())
    .bind(to_micros(now))
    .bind(new.expires_at.map(to_micros))
    .bind(session_id)
    .fetch_one(executor)
    .await
    .map_err(DbError::query("create a token"))?;
    let id: i64 = column(&row, "api_tokens", "id")?;
    Ok(TokenId(id))
}

impl Db {
    /// Creates a token and returns its id and the clear token, which exists nowhere else
    /// afterwards: show it once. [`DbError::MissingReference`] if the user or OAuth client
    /// does not exist.
    pub async fn create_token(
        &self,
        new: &NewToken,
        now: DateTime<Utc>,
    ) -> Result<(TokenId, String), DbError> {
        self.create_session_token(new, None, now).await
    }

    /// Like [`Db::create_token`], for a token issued in the login session whose JupyterHub
    /// session id is `session_id` (an OAuth token): [`Db::revoke_session_tokens`] at logout
    /// revokes it.
    pub async fn create_session_token(
        &self,
        new: &NewToken,
        session_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(TokenId, String), DbError> {
        let clear = new_secret();
        let id = insert_token(&self.pool, new, &clear, session_id, now).await?;
        Ok((id, clear))
    }

    /// A notebook server's credentials in one transaction (one commit, not two): its API
    /// token `new`, and its OAuth client `client` registered with that token as the secret
    /// (`jupyterhub-singleuser` logs users in through the hub's OAuth with it). Returns the
    /// token's id and clear value.
    ///
    /// On SQLite they are committed with the spawner's other writes (group commit, see
    /// `group`), as one all-or-nothing part of the grouped transaction.
    pub async fn create_server_credentials(
        &self,
        new: &NewToken,
        client: &NewOAuthClient<'_>,
        now: DateTime<Utc>,
    ) -> Result<(TokenId, String), DbError> {
        let clear = new_secret();
        if self.backend == super::Backend::Sqlite {
            let write = super::group::Write::Credentials {
                token: new.clone(),
                clear: clear.clone(),
                client_id: client.client_id.to_string(),
                redirect_uri: client.redirect_uri.to_string(),
                description: client.description.to_string(),
                now,
            };
            return match super::group::put(self, write).await? {
                super::group::Written::Credentials(id) => Ok((id, clear)),
                super::group::Written::State(_) => {
                    unreachable!("a credentials write is answered with its token id")
                }
            };
        }
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(DbError::query("begin a transaction"))?;
        let id = insert_token(&mut *tx, new, &clear, None, now).await?;
        super::oauth::upsert_client(&mut *tx, client, &clear, now).await?;
        tx.commit()
            .await
            .map_err(DbError::query("commit a server's credentials"))?;
        Ok((id, clear))
    }

    /// The token whose clear value is `clear`, if it exists and has not expired at `now`.
    /// Looked up by hash: the clear value is never compared or stored.
    pub async fn lookup_token(
        &self,
        clear: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenRecord>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = $1");
        let row = sqlx::query(&sql)
            .bind(hash_secret(clear))
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("look up a token"))?;
        let token = row.as_ref().map(from_row).transpose()?;
        Ok(token.filter(|t| !t.is_expired(now)))
    }

    /// The token with this id, expired or not (the API checks its owner before showing it).
    pub async fn get_token(&self, id: TokenId) -> Result<Option<TokenRecord>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("read a token"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// The owner's tokens that have not expired at `now`, by id.
    pub async fn list_tokens(
        &self,
        owner: &TokenOwner,
        now: DateTime<Utc>,
    ) -> Result<Vec<TokenRecord>, DbError> {
        let (user, service) = owner_columns(owner);
        let sql = format!(
            "SELECT {COLUMNS} FROM api_tokens \
             WHERE (user_name = $1 OR service_name = $2) \
               AND (expires_at IS NULL OR expires_at > $3) \
             ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(user)
            .bind(service)
            .bind(to_micros(now))
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("list tokens"))?;
        rows.iter().map(from_row).collect()
    }

    /// Deletes a token; returns whether it existed.
    pub async fn revoke_token(&self, id: TokenId) -> Result<bool, DbError> {
        let result = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("revoke a token"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Deletes `user`'s tokens whose note is `note` (a server's own token is noted
    /// "Server at /user/alice/"); returns how many.
    pub async fn revoke_user_tokens_noted(&self, user: &str, note: &str) -> Result<u64, DbError> {
        let result = sqlx::query("DELETE FROM api_tokens WHERE user_name = $1 AND note = $2")
            .bind(user)
            .bind(note)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("revoke a server's tokens"))?;
        Ok(result.rows_affected())
    }

    /// Deletes every token issued in the login session whose JupyterHub session id is
    /// `session_id` (logout); returns how many.
    pub async fn revoke_session_tokens(&self, session_id: &str) -> Result<u64, DbError> {
        let result = sqlx::query("DELETE FROM api_tokens WHERE session_id = $1")
            .bind(session_id)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("revoke a session's tokens"))?;
        Ok(result.rows_affected())
    }

    /// Records that a token was used at `when` (an older time is ignored).
    pub async fn touch_token(&self, id: TokenId, when: DateTime<Utc>) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE api_tokens SET last_activity = $2 \
             WHERE id = $1 AND (last_activity IS NULL OR last_activity < $2)",
        )
        .bind(id.0)
        .bind(to_micros(when))
        .execute(&self.pool)
        .await
        .map_err(DbError::query("record token use"))?;
        Ok(())
    }

    /// Deletes every token expired at `now`; returns how many.
    pub async fn delete_expired_tokens(&self, now: DateTime<Utc>) -> Result<u64, DbError> {
        let result = sqlx::query("DELETE FROM api_tokens WHERE expires_at <= $1")
            .bind(to_micros(now))
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete expired tokens"))?;
        Ok(result.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_read_and_print_as_a_number() {
        assert_eq!(TokenId(3).to_string(), "a3");
        assert_eq!("a42".parse::<TokenId>(), Ok(TokenId(42)));
        for bad in ["42", "a", "a-1", "a+1", "b3", "a1x"] {
            assert!(bad.parse::<TokenId>().is_err(), "{bad}");
        }
    }
}
