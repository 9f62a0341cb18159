//! The OAuth provider's tables: `oauth_clients` (one per notebook server, secret hashed) and
//! `oauth_codes` (authorization codes, hashed, single use).

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::secret::{hash_secret, new_secret};
use super::{column, json_column, time_column, to_micros, Db, DbError};

/// An OAuth client as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// E.g. `jupyterhub-user-alice`.
    pub client_id: String,
    /// The one redirect URI accepted, compared exactly.
    pub redirect_uri: String,
    /// Shown on the authorization page.
    pub description: String,
    /// When it was registered.
    pub created: DateTime<Utc>,
}

/// What to issue an authorization code with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOAuthCode {
    /// The client the code is for.
    pub client_id: String,
    /// The user who authorized it.
    pub user: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// The redirect URI of the request, checked again at exchange.
    pub redirect_uri: String,
    /// PKCE: the code challenge, if the client sent one.
    pub code_challenge: Option<String>,
    /// PKCE: `S256` or `plain`, if a challenge was sent.
    pub code_challenge_method: Option<String>,
    /// When the code stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// The JupyterHub session id of the login session that authorized it; the token it
    /// becomes carries it.
    pub session_id: Option<String>,
}

/// An authorization code, as handed back by [`Db::consume_oauth_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthCode {
    /// The client the code was issued to.
    pub client_id: String,
    /// The user who authorized it.
    pub user: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// The redirect URI it was issued for.
    pub redirect_uri: String,
    /// PKCE: the code challenge, if any.
    pub code_challenge: Option<String>,
    /// PKCE: the challenge method, if any.
    pub code_challenge_method: Option<String>,
    /// When it was issued.
    pub created: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The JupyterHub session id of the login session that authorized it.
    pub session_id: Option<String>,
}

const CLIENT_COLUMNS: &str = "client_id, redirect_uri, description, created";

fn client_from_row(row: &AnyRow) -> Result<OAuthClient, DbError> {
    Ok(OAuthClient {
        client_id: column(row, "oauth_clients", "client_id")?,
        redirect_uri: column(row, "oauth_clients", "redirect_uri")?,
        description: column(row, "oauth_clients", "description")?,
        created: time_column(row, "oauth_clients", "created")?,
    })
}

const CODE_COLUMNS: &str = "client_id, user_name, scopes, redirect_uri, code_challenge, \
                            code_challenge_method, created, expires_at, session_id";

fn code_from_row(row: &AnyRow) -> Result<OAuthCode, DbError> {
    Ok(OAuthCode {
        client_id: column(row, "oauth_codes", "client_id")?,
        user: column(row, "oauth_codes", "user_name")?,
        scopes: json_column(row, "oauth_codes", "scopes")?,
        redirect_uri: column(row, "oauth_codes", "redirect_uri")?,
        code_challenge: column(row, "oauth_codes", "code_challenge")?,
        code_challenge_method: column(row, "oauth_codes", "code_challenge_method")?,
        created: time_column(row, "oauth_codes", "created")?,
        expires_at: time_column(row, "oauth_codes", "expires_at")?,
        session_id: column(row, "oauth_codes", "session_id")?,
    })
}

/// A client to register (its secret is given apart: it is a token made with it).
#[derive(Debug, Clone, Copy)]
pub struct NewOAuthClient<'a> {
    /// E.g. `jupyterhub-user-alice`.
    pub client_id: &'a str,
    /// The one redirect URI accepted.
    pub redirect_uri: &'a str,
    /// Shown on the authorization page.
    pub description: &'a str,
}

/// Registers `client` with `secret`, or replaces its secret, redirect URI and description.
pub(super) async fn upsert_client<'e, E>(
    executor: E,
    client: &NewOAuthClient<'_>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<OAuthClient, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "INSERT INTO oauth_clients (client_id, secret_hash, redirect_uri, description, created) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash, \
           redirect_uri = excluded.redirect_uri, description = excluded.description \
         RETURNING {CLIENT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(client.client_id)
        .bind(hash_secret(secret))
        .bind(client.redirect_uri)
        .bind(client.description)
        .bind(to_micros(now))
        .fetch_one(executor)
        .await
        .map_err(DbError::query("register an OAuth client"))?;
    client_from_row(&row)
}

impl Db {
    /// Registers a client, or replaces its secret, redirect URI and description (a server
    /// gets a new secret, its API token, at every spawn). Only the secret's hash is stored.
    pub async fn upsert_oauth_client(
        &self,
        client_id: &str,
        secret: &str,
        redirect_uri: &str,
        description: &str,
        now: DateTime<Utc>,
    ) -> Result<OAuthClient, DbError> {
        let client = NewOAuthClient {
            client_id,
            redirect_uri,
            description,
        };
        upsert_client(&self.pool, &client, secret, now).await
    }

    /// The client with this id, if registered.
    pub async fn get_oauth_client(&self, client_id: &str) -> Result<Option<OAuthClient>, DbError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1");
        let row = sqlx::query(&sql)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("read an OAuth client"))?;
        row.as_ref().map(client_from_row).transpose()
    }

    /// The client, if `secret` is its secret (compared by hash); `None` for an unknown
    /// client or a wrong secret alike.
    pub async fn check_oauth_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<Option<OAuthClient>, DbError> {
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1 AND secret_hash = $2"
        );
        let row = sqlx::query(&sql)
            .bind(client_id)
            .bind(hash_secret(secret))
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("check an OAuth client secret"))?;
        row.as_ref().map(client_from_row).transpose()
    }

    /// Deletes a client and, by cascade, its codes and the tokens issued to it. Returns
    /// whether it existed.
    pub async fn delete_oauth_client(&self, client_id: &str) -> Result<bool, DbError> {
        let result = sqlx::query("DELETE FROM oauth_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete an OAuth client"))?;
        Ok(result.rows_affected() > 0)
    }

    /// Issues an authorization code and returns it in clear (only its hash is stored).
    /// [`DbError::MissingReference`] if the client or user does not exist.
    pub async fn create_oauth_code(
        &self,
        new: &NewOAuthCode,
        now: DateTime<Utc>,
    ) -> Result<String, DbError> {
        let code = new_secret();
        let scopes = serde_json::to_string(&new.scopes).expect("a list of strings serializes");
        sqlx::query(
            "INSERT INTO oauth_codes \
               (code_hash, client_id, user_name, scopes, redirect_uri, code_challenge, \
                code_challenge_method, created, expires_at, session_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(hash_secret(&code))
        .bind(new.client_id.as_str())
        .bind(new.user.as_str())
        .bind(scopes)
        .bind(new.redirect_uri.as_str())
        .bind(new.code_challenge.as_deref())
        .bind(new.code_challenge_method.as_deref())
        .bind(to_micros(now))
        .bind(to_micros(new.expires_at))
        .bind(new.session_id.as_deref())
        .execute(&self.pool)
        .await
        .map_err(DbError::query("create an OAuth code"))?;
        Ok(code)
    }

    /// Redeems a code: deletes it and returns what it granted, if it existed and has not
    /// expired at `now`. One `DELETE … RETURNING` statement, so of two concurrent redeemers
    /// exactly one gets the code; an unknown, used or expired code gives `None`.
    pub async fn consume_oauth_code(
        &self,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthCode>, DbError> {
        let sql = format!("DELETE FROM oauth_codes WHERE code_hash = $1 RETURNING {CODE_COLUMNS}");
        let row = sqlx::query(&sql)
            .bind(hash_secret(code))
            .fetch_optional(&self.pool)
            .await
            .map_err(DbError::query("redeem an OAuth code"))?;
        let code = row.as_ref().map(code_from_row).transpose()?;
        Ok(code.filter(|c| c.expires_at > now))
    }

    /// Deletes the codes issued in the login session whose JupyterHub session id is
    /// `session_id` (logout: a code not yet redeemed must not become a token afterwards);
    /// returns how many.
    pub async fn delete_session_oauth_codes(&self, session_id: &str) -> Result<u64, DbError> {
        let result = sqlx::query("DELETE FROM oauth_codes WHERE session_id = $1")
            .bind(session_id)
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete a session's OAuth codes"))?;
        Ok(result.rows_affected())
    }

    /// Deletes every code expired at `now`; returns how many.
    pub async fn delete_expired_oauth_codes(&self, now: DateTime<Utc>) -> Result<u64, DbError> {
        let result = sqlx::query("DELETE FROM oauth_codes WHERE expires_at <= $1")
            .bind(to_micros(now))
            .execute(&self.pool)
            .await
            .map_err(DbError::query("delete expired OAuth codes"))?;
        Ok(result.rows_affected())
    }
}
