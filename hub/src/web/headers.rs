//! Security headers on every response of the pages (and the API merged with them).
//!
//! The policy allows only what the pages use: the hub's own stylesheet and script (no
//! inline ones: see `assets`), `EventSource` to the hub's own progress stream, forms posting
//! to the hub, and framing by the hub's own origin only (`frame-ancestors 'self'`; JupyterLab
//! served under the same origin may embed hub pages).

use axum::http::{header, HeaderValue};
use axum::response::Response;

/// The Content-Security-Policy of every page.
pub(super) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'self'; \
object-src 'none'; frame-ancestors 'self'";

/// Adds the headers (replacing any a handler set).
pub(super) async fn add(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
