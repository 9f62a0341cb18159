//! The data plane: match a request to a route and relay it to the route's upstream.
//!
//! Requests stream both ways (the request body is handed to the upstream connection as it
//! arrives, the response body to the client), upstream connections come from a keep-alive
//! pool, and upgrades are handed to [`crate::websocket`].

use crate::app::{App, ConnInfo};
use crate::body::Body;
use crate::errors::{chain, classify_upstream, Culprit, FailureKind};
use crate::headers;
use crate::routes::{path, Route, Target};
use crate::time::now_millis;
use crate::within::within;
use crate::{error_page, websocket};
use http::{header, HeaderValue, Request, Response, StatusCode, Uri, Version};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Instant;

/// Returned to hyper to drop the client connection without a response (`--timeout`).
#[derive(Debug, thiserror::Error)]
#[error("no response from {target} within --timeout; dropping the client connection")]
pub struct DropConnection {
    target: String,
}

/// A matched route and how many leading path segments its key covers.
#[derive(Debug)]
pub struct Matched {
    /// The route.
    pub route: Arc<Route>,
    /// Segments of the request path covered by the route key (the host segment excluded).
    pub prefix_segments: usize,
}

/// Handles one request on the public listener.
pub async fn handle(
    app: Arc<App>,
    req: Request<Incoming>,
    conn: ConnInfo,
) -> Result<Response<Body>, DropConnection> {
    if req.uri().path() == "/_chp_healthz" {
        let mut res = Response::new(Body::full(&b"{\"status\":\"OK\"}"[..]));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(res);
    }
    let Some(matched) = route_for(&app, &req) else {
        app.metrics.failure(FailureKind::NoRoute);
        tracing::warn!("404 {} {} no route", req.method(), req.uri().path());
        let url = original_url(&req);
        return Ok(if headers::is_upgrade(req.headers()) {
            error_page::bare(StatusCode::NOT_FOUND)
        } else {
            Box::pin(error_page::respond(&app, StatusCode::NOT_FOUND, &url)).await
        });
    };
    if headers::is_upgrade(req.headers()) && req.version() == Version::HTTP_11 {
        return Ok(Box::pin(websocket::forward(app, req, conn, matched)).await);
    }
    forward_http(app, req, conn, matched).await
}

/// The client's request target as it sent it (path and query).
fn original_url<B>(req: &Request<B>) -> String {
    original_url_of(req.uri())
}

fn original_url_of(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned())
}

/// The host the client asked for: `Host`, or the URI authority (HTTP/2).
pub fn request_host<B>(req: &Request<B>) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// Longest-prefix match on the URL-decoded path (with `/host` in front under host routing).
fn route_for<B>(app: &App, req: &Request<B>) -> Option<Matched> {
    let decoded = percent_decode_str(req.uri().path()).decode_utf8_lossy();
    let key = if app.config.host_routing {
        let host = request_host(req).unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        path::route_key(&format!("/{host}{decoded}")).into()
    } else {
        match decoded {
            Cow::Borrowed(p) => path::route_key_cow(p),
            Cow::Owned(p) => path::route_key(&p).into(),
        }
    };
    let (depth, route) = app.routes.lookup(&key)?;
    Some(Matched {
        route,
        prefix_segments: if app.config.host_routing {
            depth.saturating_sub(1)
        } else {
            depth
        },
    })
}

/// The path and query to request from the upstream: the client's, less the route prefix
/// under `--no-include-prefix`, after the target's own path unless `--no-prepend-path`.
pub fn upstream_path(app: &App, target: &Target, original: &str, prefix_segments: usize) -> String {
    let (path, query) = match original.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (original, None),
    };
    let path = if app.config.include_prefix {
        path
    } else {
        strip_segments(path, prefix_segments)
    };
    let base = if app.config.prepend_path {
        target.base_path()
    } else {
        ""
    };
    let mut out = String::with_capacity(base.len() + original.len() + 1);
    out.push_str(base);
    if !path.starts_with('/') {
        out.push('/');
    }
    out.push_str(path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// `path` without its first `n` segments: `/user/alice/lab`, 2 → `/lab`.
fn strip_segments(path: &str, n: usize) -> &str {
    let mut rest = path;
    for _ in 0..n {
        let trimmed = rest.trim_start_matches('/');
        rest = trimmed.find('/').map_or("", |i| &trimmed[i..]);
    }
    rest
}

/// How the rewritten request names its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriForm {
    /// `http://host:port/path` (the shared pool routes on it).
    Absolute,
    /// `/path`, for a connection already made to the target.
    Origin,
}

/// Rewrites a client request's head for the upstream.
pub fn upstream_request<B>(
    app: &App,
    req: Request<B>,
    conn: &ConnInfo,
    matched: &Matched,
    keep_upgrade: bool,
    form: UriForm,
) -> Result<Request<B>, http::Error> {
    let (mut parts, body) = req.into_parts();
    let target = matched.route.target();
    let original = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let path = upstream_path(app, target, original, matched.prefix_segments);
    // Keep the client's Host (CHP does not change the origin); HTTP/2 clients send none.
    if !parts.headers.contains_key(header::HOST) {
        let authority = parts.uri.authority().unwrap_or(target.authority());
        if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
            parts.headers.insert(header::HOST, v);
        }
    }
    let upgrade = keep_upgrade.then(|| {
        (
            parts.headers.get(header::CONNECTION).cloned(),
            parts.headers.get(header::UPGRADE).cloned(),
        )
    });
    headers::strip_hop_by_hop(&mut parts.headers);
    if let Some((connection, upgrade)) = upgrade {
        if let (Some(c), Some(u)) = (connection, upgrade) {
            parts.headers.insert(header::CONNECTION, c);
            parts.headers.insert(header::UPGRADE, u);
        }
    }
    if app.config.x_forward {
        // A cheap clone (shared bytes) that frees the map for the inserts.
        let host = parts.headers.get(header::HOST).cloned();
        let host = host.as_ref().and_then(|h| h.to_str().ok());
        headers::add_forwarded(&mut parts.headers, conn.remote, conn.tls, host);
    }
    for (name, value) in &app.config.custom_headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    parts.uri = match form {
        UriForm::Absolute => Uri::builder()
            .scheme("http")
            .authority(target.authority().clone())
            .path_and_query(path)
            .build()?,
        UriForm::Origin => Uri::try_from(path)?,
    };
    parts.version = Version::HTTP_11;
    Ok(Request::from_parts(parts, body))
}

async fn forward_http(
    app: Arc<App>,
    req: Request<Incoming>,
    conn: ConnInfo,
    matched: Matched,
) -> Result<Response<Body>, DropConnection> {
    let started = Instant::now();
    // Shared bytes, not a copy: kept for log lines and error pages.
    let original = req.uri().clone();
    let url = || original_url_of(&original);
    let method = req.method().clone();
    let route = Arc::clone(&matched.route);
    let authority = route.target().authority();
    let req = req.map(|b| {
        if http_body::Body::is_end_stream(&b) {
            Body::Empty
        } else {
            Body::relay(b, Culprit::Client, Some(Arc::clone(&route)))
        }
    });
    let form = match conn.upstream {
        Some(_) => UriForm::Origin,
        None => UriForm::Absolute,
    };
    let up = match upstream_request(&app, req, &conn, &matched, false, form) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("500 {method} {}: cannot build upstream request: {e}", url());
            return Ok(error_page::builtin(StatusCode::INTERNAL_SERVER_ERROR));
        }
    };
    let send = async {
        match &conn.upstream {
            Some(pinned) => pinned
                .send(authority, app.config.connect_timeout, up)
                .await
                .map_err(|e| (e.kind(), Box::new(e) as Box<dyn StdError + Send + Sync>)),
            None => app
                .client
                .request(up)
                .await
                .map_err(|e| (classify_upstream(&e), Box::new(e) as _)),
        }
    };
    let sent = within(app.config.timeout, within(app.config.proxy_timeout, send)).await;
    if matches!(sent, Err(()) | Ok(Err(()))) {
        // The upstream connection is mid-exchange: unusable for the next request.
        if let Some(pinned) = &conn.upstream {
            pinned.reset();
        }
    }
    let failure = match sent {
        Err(()) => {
            return Err(DropConnection {
                target: authority.to_string(),
            })
        }
        Ok(Err(())) => {
            tracing::error!(
                "504 {method} {}: no response from {authority} within --proxy-timeout",
                url()
            );
            FailureKind::ResponseTimeout
        }
        Ok(Ok(Err((kind, e)))) => {
            if kind.culprit() == Culprit::Client {
                tracing::debug!("{method} {}: client went away: {}", url(), chain(&*e));
            } else {
                tracing::error!(
                    "{} {method} {}: {authority}: {}",
                    kind.status().as_u16(),
                    url(),
                    chain(&*e)
                );
            }
            kind
        }
        Ok(Ok(Ok(res))) => {
            let (mut parts, body) = res.into_parts();
            headers::strip_hop_by_hop(&mut parts.headers);
            let ok = parts.status.as_u16() < 300;
            if ok {
                route.touch(now_millis());
            }
            app.metrics
                .response(parts.status.as_u16(), started.elapsed());
            tracing::debug!(
                "{} {method} {} -> {authority}",
                parts.status.as_u16(),
                url()
            );
            let body = Body::relay(body, Culprit::Upstream, ok.then_some(Arc::clone(&route)));
            return Ok(Response::from_parts(parts, body));
        }
    };
    app.metrics.failure(failure);
    Ok(Box::pin(error_page::respond(&app, failure.status(), &url())).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_segments_removes_whole_leading_segments() {
        assert_eq!(strip_segments("/user/alice/lab", 2), "/lab");
        assert_eq!(strip_segments("/user/alice/lab/", 2), "/lab/");
        assert_eq!(strip_segments("/user/alice", 2), "");
        assert_eq!(strip_segments("/user/alice/", 2), "/");
        assert_eq!(strip_segments("/a/b", 0), "/a/b");
        assert_eq!(strip_segments("/a", 1), "");
    }

    #[test]
    fn upstream_path_honours_prefix_and_prepend_flags() {
        let target = Target::parse("http://h:1/base").unwrap();
        let mut app = App::new(crate::Config::for_tests(), Default::default());
        assert_eq!(
            upstream_path(&app, &target, "/user/a/x?q=1", 2),
            "/base/user/a/x?q=1"
        );
        app.config.include_prefix = false;
        assert_eq!(
            upstream_path(&app, &target, "/user/a/x?q=1", 2),
            "/base/x?q=1"
        );
        assert_eq!(upstream_path(&app, &target, "/user/a", 2), "/base/");
        app.config.prepend_path = false;
        assert_eq!(upstream_path(&app, &target, "/user/a/x", 2), "/x");
    }
}
