//! Who is logged in: the signed session cookie, looked up in the database. A page that needs
//! a user takes a [`Viewer`]; without a valid session it redirects to the login page with
//! `next` set to the page asked for.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::error::WebError;
use super::WebState;
use crate::db::UserRecord;
use crate::session_cookie;

/// What is escaped in a `next=` query value: everything but unreserved characters and `/`.
pub(super) const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The logged-in user of a request.
#[derive(Debug, Clone)]
pub(super) struct Viewer {
    /// The session's id, in clear (for logout).
    pub session_id: String,
    /// The user.
    pub user: UserRecord,
    /// Admin by config or by the database's flag.
    pub admin: bool,
    /// The session's XSRF token: every POST form carries it as `_xsrf`.
    pub xsrf: String,
}

impl Viewer {
    /// The name and admin flag, for the page header.
    pub fn who(&self) -> (&str, bool) {
        (&self.user.name, self.admin)
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.user.name
    }

    /// Checks a form's `_xsrf` against the session's.
    pub fn check_xsrf(&self, state: &WebState, sent: Option<&str>) -> Result<(), WebError> {
        if session_cookie::same_token(sent.unwrap_or_default(), &self.xsrf) {
            Ok(())
        } else {
            Err(WebError::xsrf(state, Some(self)))
        }
    }
}

/// The viewer of a request with a valid, unexpired session, if any.
pub(super) async fn current(
    state: &WebState,
    headers: &HeaderMap,
) -> Result<Option<Viewer>, WebError> {
    let secret = &state.settings().cookie_secret;
    let Some(id) = session_cookie::session_id(secret, headers) else {
        return Ok(None);
    };
    let db = state.db();
    let Some(session) = db
        .lookup_session(id, state.now())
        .await
        .map_err(|e| WebError::db(state, None, e))?
    else {
        return Ok(None);
    };
    let Some(user) = db
        .get_user(&session.user)
        .await
        .map_err(|e| WebError::db(state, None, e))?
    else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        session_id: id.to_string(),
        admin: state.is_admin(&user),
        user,
        xsrf: session.xsrf_token,
    }))
}

/// The login page's URL with `next` set to `next`.
pub(super) fn login_url(state: &WebState, next: &str) -> String {
    format!(
        "{}?next={}",
        state.hub_url("/login"),
        utf8_percent_encode(next, QUERY_VALUE)
    )
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        match current(state, &parts.headers).await? {
            Some(viewer) => Ok(viewer),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.path().to_string(), |pq| pq.to_string());
                Err(WebError::redirect(&login_url(state, &next)))
            }
        }
    }
}
