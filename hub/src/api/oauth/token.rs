//! `POST {base}hub/api/oauth2/token`: a notebook server exchanges an authorization code
//! for an access token. Form-urlencoded; the client authenticates with `client_id` and
//! `client_secret` in the body, HTTP Basic, or `Authorization: token <secret>` (singleuser
//! sends both the body and the token header, with the same secret). Errors are RFC 6749
//! JSON, never JupyterHub's `{"status","message"}`: the client's OAuth code reads
//! `error` and `error_description`.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};

use super::grant::TOKEN_LIFETIME;
use super::pkce::{self, Method};
use crate::api::auth::bearer;
use crate::api::ApiState;
use crate::db::{DbError, NewToken, TokenOwner};

/// The request's fields; all optional so that a missing one gets a precise error.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code_verifier: Option<String>,
}

/// An RFC 6749 §5.2 error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: Option<String>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: &str) -> Self {
        OAuthError {
            status,
            error,
            description: Some(description.to_string()),
        }
    }

    /// 401: unknown client, wrong secret or none.
    fn invalid_client(description: &str) -> Self {
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// 400: the code is unknown, used, expired, another client's, or does not match.
    fn invalid_grant(description: &str) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 400: a parameter is missing or malformed.
    fn invalid_request(description: &str) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 500: the database failed; logged, the client sees a plain text.
    fn db(error: DbError) -> Self {
        tracing::error!(%error, "database error at the OAuth token endpoint");
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Database error",
        )
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

/// RFC 6749 §5.1: token answers, good or bad, must not be cached.
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.error,
            error_description: self.description.as_deref(),
        };
        no_store((self.status, Json(body)).into_response())
    }
}

/// A successful answer (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
    token_type: &'static str,
    scope: String,
}

/// `Authorization: Basic base64(id:secret)`, each part form-urlencoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        let plus_as_space = s.replace('+', " ");
        percent_decode_str(&plus_as_space)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// The client id and secret the request authenticates with: the body's, else Basic's,
/// else (secret only) the `token`/`bearer` header.
fn client_credentials(
    headers: &HeaderMap,
    form: &TokenRequest,
) -> Result<(String, String), OAuthError> {
    let basic = basic_credentials(headers);
    let id = match (&form.client_id, &basic) {
        (Some(body), Some((header, _))) if body != header => {
            return Err(OAuthError::invalid_client(
                "client_id in the body and in the Authorization header differ",
            ))
        }
        (Some(id), _) | (None, Some((id, _))) => id.clone(),
        (None, None) => return Err(OAuthError::invalid_client("Missing client_id")),
    };
    let secret = form
        .client_secret
        .clone()
        .or_else(|| basic.map(|(_, secret)| secret))
        .or_else(|| bearer(headers).map(str::to_string))
        .ok_or_else(|| OAuthError::invalid_client("Missing client_secret"))?;
    Ok((id, secret))
}

/// `POST {base}hub/api/oauth2/token` with `grant_type=authorization_code`.
pub(crate) async fn token(
    State(state): State<ApiState>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            return OAuthError::invalid_request(&format!(
                "The body must be application/x-www-form-urlencoded: {rejection}"
            ))
            .into_response()
        }
    };
    match exchange(&state, &headers, &form).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(error) => {
            tracing::info!(error = error.error, description = ?error.description, "OAuth token request refused");
            error.into_response()
        }
    }
}

async fn exchange(
    state: &ApiState,
    headers: &HeaderMap,
    form: &TokenRequest,
) -> Result<TokenAnswer, OAuthError> {
    let (client_id, secret) = client_credentials(headers, form)?;
    let client = state
        .db
        .check_oauth_client(&client_id, &secret)
        .await
        .map_err(OAuthError::db)?
        .ok_or_else(|| OAuthError::invalid_client("Unknown client or wrong secret"))?;
    match form.grant_type.as_deref() {
        Some("authorization_code") => {}
        None => return Err(OAuthError::invalid_request("Missing grant_type")),
        Some(_) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only grant_type=authorization_code is supported",
            ))
        }
    }
    let Some(code) = form.code.as_deref() else {
        return Err(OAuthError::invalid_request("Missing code"));
    };
    let now = (state.clock)();
    // Redeemed first, checked after: a code presented with a wrong redirect URI or
    // verifier is spent too, so it cannot be tried again.
    let grant = state
        .db
        .consume_oauth_code(code, now)
        .await
        .map_err(OAuthError::db)?
        .ok_or_else(|| OAuthError::invalid_grant("Invalid, used or expired code"))?;
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "The code was issued to another client",
        ));
    }
    if let Some(uri) = &form.redirect_uri {
        if *uri != grant.redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request's",
            ));
        }
    }
    if let Some(challenge) = &grant.code_challenge {
        let Some(verifier) = form.code_verifier.as_deref() else {
            return Err(OAuthError::invalid_request("Missing code_verifier"));
        };
        // The authorize page stored a method it accepted; were the row to hold anything
        // else, S256 is the stricter reading.
        let method = Method::parse(grant.code_challenge_method.as_deref()).unwrap_or(Method::S256);
        if !pkce::verify(method, challenge, verifier) {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code challenge",
            ));
        }
    }
    let lifetime =
        chrono::Duration::from_std(TOKEN_LIFETIME).unwrap_or_else(|_| chrono::Duration::days(14));
    let new = NewToken {
        owner: TokenOwner::User(grant.user.clone()),
        scopes: grant.scopes.clone(),
        note: String::new(),
        expires_at: Some(now + lifetime),
        oauth_client: Some(client.client_id.clone()),
    };
    let (id, access_token) = match state
        .db
        .create_session_token(&new, grant.session_id.as_deref(), now)
        .await
    {
        Ok(created) => created,
        // The user or the client was deleted since the code was issued.
        Err(DbError::MissingReference { .. }) => {
            return Err(OAuthError::invalid_grant(
                "The user or client no longer exists",
            ))
        }
        Err(error) => return Err(OAuthError::db(error)),
    };
    tracing::info!(user = %grant.user, client = %client.client_id, token = %id, "issued an OAuth token");
    Ok(TokenAnswer {
        access_token,
        expires_in: TOKEN_LIFETIME.as_secs(),
        token_type: "Bearer",
        scope: grant.scopes.join(" "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_decoded() {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode("jupyterhub-user-a%20b:s3cr+et"));
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        assert_eq!(
            basic_credentials(&headers),
            Some(("jupyterhub-user-a b".into(), "s3cr et".into()))
        );
        headers.insert(header::AUTHORIZATION, "token abc".parse().unwrap());
        assert_eq!(basic_credentials(&headers), None);
        let form = TokenRequest {
            client_id: Some("c".into()),
            ..TokenRequest::default()
        };
        assert_eq!(
            client_credentials(&headers, &form),
            Ok(("c".into(), "abc".into()))
        );
    }
}
