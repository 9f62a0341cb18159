//! Error pages: a status, a title and a message the user can act on, in the shared layout.
//! Causes (database, authenticator) are logged where they happen; the page shows safe text.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::session::Viewer;
use super::templates;
use super::WebState;
use crate::db::DbError;

/// A page that refuses or fails: rendered once, answered as is.
#[derive(Debug)]
pub struct WebError(Box<Response>);

impl WebError {
    /// An error page.
    pub(super) fn page(
        state: &WebState,
        viewer: Option<&Viewer>,
        status: StatusCode,
        title: &str,
        message: &str,
    ) -> Self {
        let markup = templates::error_page(
            state.base(),
            viewer.map(Viewer::who),
            status,
            title,
            message,
        );
        WebError(Box::new(
            (status, Html(markup.into_string())).into_response(),
        ))
    }

    /// 403.
    pub(super) fn forbidden(state: &WebState, viewer: Option<&Viewer>, message: &str) -> Self {
        WebError::page(state, viewer, StatusCode::FORBIDDEN, "Forbidden", message)
    }

    /// 403 for a form whose `_xsrf` does not match the session's.
    pub(super) fn xsrf(state: &WebState, viewer: Option<&Viewer>) -> Self {
        WebError::forbidden(
            state,
            viewer,
            "XSRF check failed: the form is out of date or was not sent by this site. \
             Go back, reload the page and try again.",
        )
    }

    /// 404.
    pub(super) fn not_found(state: &WebState, viewer: Option<&Viewer>, message: &str) -> Self {
        WebError::page(state, viewer, StatusCode::NOT_FOUND, "Not found", message)
    }

    /// 503.
    pub(super) fn unavailable(state: &WebState, viewer: Option<&Viewer>, message: &str) -> Self {
        WebError::page(
            state,
            viewer,
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            message,
        )
    }

    /// 500 for a database failure: logged, the page says so plainly.
    pub(super) fn db(state: &WebState, viewer: Option<&Viewer>, error: DbError) -> Self {
        tracing::error!(%error, "database error in the web pages");
        WebError::page(
            state,
            viewer,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "The hub's database could not be reached. Try again in a moment.",
        )
    }

    /// A 302 to `location`.
    pub(super) fn redirect(location: &str) -> Self {
        WebError(Box::new(redirect(location)))
    }

    /// Adds `Retry-After: seconds`.
    pub(super) fn retry_after(mut self, seconds: u64) -> Self {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            self.0.headers_mut().insert(header::RETRY_AFTER, value);
        }
        self
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// A 302 to `location` (a path the hub built, or a `next` already checked).
pub(super) fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}
