//! The API's error: JupyterHub's JSON body `{"status": code, "message": "…"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::control::ControlError;
use crate::db::DbError;

/// A refusal or failure, answered as JupyterHub answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What the client is told; `None` is sent as `null` (JupyterHub does that on `/api/user`).
    pub message: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    status: u16,
    message: Option<&'a str>,
}

impl ApiError {
    /// An error with a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: Some(message.into()),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 with JupyterHub's text for a resource the caller may not see or that is missing.
    pub fn not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "No access to resources or resources not found",
        )
    }

    /// 403 for a request without a valid token.
    pub fn no_credentials() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "Missing or invalid credentials.")
    }

    /// 500 for a database failure: the cause is logged, the client sees a plain text.
    pub fn db(error: DbError) -> Self {
        tracing::error!(%error, "database error in the REST API");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Database error")
    }
}

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        let status = match &error {
            ControlError::NoSuchServer { .. } => StatusCode::NOT_FOUND,
            ControlError::AlreadyActive(_)
            | ControlError::NamedServerLimit(_)
            | ControlError::InvalidOptions(_) => StatusCode::BAD_REQUEST,
            ControlError::NotExpectingReport(_) => StatusCode::CONFLICT,
            ControlError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            status: self.status.as_u16(),
            message: self.message.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}
