//! The route API, as configurable-http-proxy serves it on its API port:
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/routes[?inactive_since=ISO]` (also `/api/routes/`) | 200, every route (400 for a bad date) |
//! | `GET /api/routes/<path>` | 200, that route; 404 |
//! | `POST /api/routes/<path>` `{"target": "http://…", …}` | 201; 400 without a string target or for bad JSON |
//! | `DELETE /api/routes/<path>` | 204; 404 |
//! | other methods | 405 |
//! | a bad or missing `Authorization: token …` | 403, empty |
//!
//! Bodies are JSON whatever the `Content-Type` (JupyterHub sends `text/plain`). Paths are
//! percent-decoded and normalised (`/user/alice/` and `/user/alice` are one route; the
//! root is `/api/routes/`). Every posted key is kept and returned with `last_activity`.

use crate::app::App;
use crate::body::Body;
use crate::metrics::ApiMethod;
use crate::routes::json::push_str as push_json_str;
use crate::routes::path::route_key;
use crate::routes::{Route, RouteError};
use crate::time::{now_millis, parse_timestamp};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;
use std::convert::Infallible;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Handles one request on the API listener.
pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    // Shared bytes, not a copy: a route add should cost little more than the round trip.
    let uri = req.uri().clone();
    let res = route_request(&app, req).await;
    let code = res.status().as_u16();
    if code < 400 {
        tracing::info!("{code} {method} {}", uri.path());
    } else {
        tracing::warn!("{code} {method} {}", uri.path());
    }
    Ok(res)
}

async fn route_request(app: &App, req: Request<Incoming>) -> Response<Body> {
    let Some(rest) = req.uri().path().strip_prefix("/api/routes") else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    if !rest.is_empty() && !rest.starts_with('/') {
        return text(StatusCode::NOT_FOUND, "Not Found");
    }
    let route_path = percent_decode_str(rest).decode_utf8_lossy().into_owned();
    let method = match *req.method() {
        Method::GET => ApiMethod::Get,
        Method::POST => ApiMethod::Post,
        Method::DELETE => ApiMethod::Delete,
        _ => ApiMethod::Other,
    };
    app.metrics.api_request(method);
    if let ApiMethod::Other = method {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method not supported");
    }
    if !authorized(app.config.auth_token.as_deref(), req.headers()) {
        return status(StatusCode::FORBIDDEN);
    }
    match method {
        ApiMethod::Get if route_path.is_empty() || route_path == "/" => {
            list(app, req.uri().query().unwrap_or(""))
        }
        ApiMethod::Get => match app.routes.get(&route_key(&route_path)) {
            Some(route) => json(route.to_json()),
            None => status(StatusCode::NOT_FOUND),
        },
        ApiMethod::Post => add(app, &route_path, req.into_body()).await,
        ApiMethod::Delete => {
            if app.routes.remove(&route_path) {
                tracing::info!("Removed route {}", route_key(&route_path));
                status(StatusCode::NO_CONTENT)
            } else {
                status(StatusCode::NOT_FOUND)
            }
        }
        ApiMethod::Other => text(StatusCode::METHOD_NOT_ALLOWED, "Method not supported"),
    }
}

/// `Authorization: token <t>`, compared in constant time. No configured token: open API.
fn authorized(expected: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // CHP matches /token\s+(\S+)/ anywhere in the header.
            let at = v.find("token")?;
            let after = &v[at + "token".len()..];
            let trimmed = after.trim_start();
            (trimmed.len() < after.len()).then(|| trimmed.split_whitespace().next())?
        })
        .unwrap_or("");
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

async fn add(app: &App, path: &str, body: Incoming) -> Response<Body> {
    let bytes = match Limited::new(body, app.config.max_api_body).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return text(StatusCode::PAYLOAD_TOO_LARGE, "Body too large");
            }
            return text(StatusCode::BAD_REQUEST, "Body could not be read");
        }
    };
    let key = route_key(path);
    // With host routing the first path segment is the host, which the route also records.
    let host = (app.config.host_routing && key != "/")
        .then(|| key[1..].split('/').next().unwrap_or_default());
    match Route::from_json(&bytes, host.map(|h| ("host", h)), now_millis()) {
        Ok(route) => {
            tracing::info!("Adding route {key} -> {}", route.target());
            app.routes.add_key(key, route);
            status(StatusCode::CREATED)
        }
        Err(RouteError::Json(e)) => text(
            StatusCode::BAD_REQUEST,
            &format!("Body not valid JSON: {e}"),
        ),
        Err(e) => {
            tracing::warn!("Bad POST data for {key}: {e}");
            text(StatusCode::BAD_REQUEST, &e.to_string())
        }
    }
}

fn list(app: &App, query: &str) -> Response<Body> {
    let mut since = None;
    for (k, v) in form_pairs(query) {
        if k == "inactiveSince" || (k == "inactive_since" && since.is_none()) {
            match parse_timestamp(&v) {
                Some(t) => since = Some(t),
                None => {
                    return text(
                        StatusCode::BAD_REQUEST,
                        &format!("Invalid datestamp '{v}' must be ISO8601."),
                    )
                }
            }
        }
    }
    json(render_routes(&app.routes.list(), since))
}

/// The routes as a JSON object, only those inactive since `since` if given.
pub fn render_routes(routes: &[(Arc<str>, Arc<Route>)], since: Option<i64>) -> String {
    let mut out = String::with_capacity(64 + routes.len() * 160);
    out.push('{');
    let mut first = true;
    for (key, route) in routes {
        if since.is_some_and(|t| route.last_activity() >= t) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        push_json_str(&mut out, key);
        out.push(':');
        route.write_json(&mut out);
    }
    out.push('}');
    out
}

/// `a=1&b=x%20y` → pairs, decoded (`+` is a space, as in forms).
fn form_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (dec(k), dec(v))
    })
}

fn status(code: StatusCode) -> Response<Body> {
    let mut res = Response::new(Body::Empty);
    *res.status_mut() = code;
    res
}

fn text(code: StatusCode, msg: &str) -> Response<Body> {
    let mut res = Response::new(Body::full(msg.to_owned()));
    *res.status_mut() = code;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn json(body: String) -> Response<Body> {
    let mut res = Response::new(Body::full(body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn token_header_is_parsed_like_chp() {
        assert!(authorized(Some("abc"), &auth("token abc")));
        assert!(authorized(Some("abc"), &auth("token   abc")));
        assert!(!authorized(Some("abc"), &auth("token abcd")));
        assert!(!authorized(Some("abc"), &auth("tokenabc")));
        assert!(!authorized(Some("abc"), &auth("Bearer abc")));
        assert!(!authorized(Some("abc"), &HeaderMap::new()));
        assert!(authorized(None, &HeaderMap::new()));
    }

    #[test]
    fn form_pairs_decode() {
        let v: Vec<_> = form_pairs("a=1&inactive_since=2026-11-25T17%3A01%3A21Z&x").collect();
        assert_eq!(
            v[1],
            ("inactive_since".into(), "2026-11-25T17:01:21Z".into())
        );
        assert_eq!(v[2], ("x".into(), String::new()));
    }
}
