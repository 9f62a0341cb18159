//! Error responses for failed proxied requests: fetched from `--error-target`
//! (`GET {target}/{code}?url={original url}`, as configurable-http-proxy does, so the
//! JupyterHub's own error page is shown), read from `--error-path`, or built in.

use crate::app::App;
use crate::body::Body;
use crate::errors::{chain, Culprit};
use http::{header, HeaderValue, Request, Response, StatusCode, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What `URLSearchParams` leaves unescaped in a query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// The error page for `status` on the request whose original URL was `url`.
pub async fn respond(app: &App, status: StatusCode, url: &str) -> Response<Body> {
    if let Some(target) = &app.config.error_target {
        match fetch(app, target, status, url).await {
            Ok(res) => return res,
            Err(e) => tracing::error!("Failed to get custom error page: {e}"),
        }
    } else if let Some(dir) = &app.config.error_path {
        for name in [format!("{}.html", status.as_u16()), "error.html".to_owned()] {
            if let Ok(page) = tokio::fs::read(dir.join(&name)).await {
                return html(status, page);
            }
        }
        tracing::error!("No error file for {} in {}", status.as_u16(), dir.display());
    }
    builtin(status)
}

/// `GET {target}/{code}?url=…`, relayed with the original status.
async fn fetch(
    app: &App,
    target: &str,
    status: StatusCode,
    url: &str,
) -> Result<Response<Body>, String> {
    let sep = if target.ends_with('/') { "" } else { "/" };
    let uri: Uri = format!(
        "{target}{sep}{}?url={}",
        status.as_u16(),
        utf8_percent_encode(url, QUERY_VALUE)
    )
    .parse()
    .map_err(|e| format!("bad error target URL: {e}"))?;
    tracing::debug!("Requesting custom error page: {uri}");
    let req = Request::get(uri)
        .body(Body::Empty)
        .map_err(|e| e.to_string())?;
    let res = tokio::time::timeout(app.config.connect_timeout, app.client.request(req))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| chain(&e))?;
    let (parts, body) = res.into_parts();
    let mut out = Response::new(Body::relay(body, Culprit::Upstream, None));
    *out.status_mut() = status;
    for key in [header::CONTENT_TYPE, header::CONTENT_ENCODING] {
        if let Some(v) = parts.headers.get(&key) {
            out.headers_mut().insert(key, v.clone());
        }
    }
    Ok(out)
}

fn html(status: StatusCode, page: Vec<u8>) -> Response<Body> {
    let mut res = Response::new(Body::full(page));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

/// A small self-contained page naming the status.
pub fn builtin(status: StatusCode) -> Response<Body> {
    let reason = status.canonical_reason().unwrap_or("Error");
    let hint = match status.as_u16() {
        404 => "No route matches this address.",
        503 => "The server for this address is not running or not reachable.",
        504 => "The server for this address did not answer in time.",
        502 => "The server for this address sent an invalid response.",
        _ => "The request could not be proxied.",
    };
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{code} {reason}</title></head>\
         <body><h1>{code} {reason}</h1><p>{hint}</p></body></html>\n",
        code = status.as_u16()
    );
    html(status, page.into_bytes())
}

/// A bare status with no body: what a failed WebSocket upgrade gets.
pub fn bare(status: StatusCode) -> Response<Body> {
    let mut res = Response::new(Body::Empty);
    *res.status_mut() = status;
    res
}
