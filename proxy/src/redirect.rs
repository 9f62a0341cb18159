//! `--redirect-port`: a plain-HTTP listener that sends every request to the HTTPS site,
//! `301 Location: https://<host>[:port]<path>?<query>`.
//!
//! The host comes from the client's `Host` header, so it is checked before it is written
//! into a header: a name, an IPv4 address or a bracketed IPv6 address, with an optional
//! port, and nothing else (no user info, no spaces, no control characters). Anything else
//! is a 400.

use crate::body::Body;
use http::{header, HeaderValue, Request, Response, StatusCode};

/// The answer to `req` on the redirect listener: a 301 to the same path and query on
/// `https://` with `port` (left out when 443), or a 400 for a missing or malformed `Host`.
pub fn respond<B>(req: &Request<B>, port: u16) -> Response<Body> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    let path = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let location = host
        .and_then(host_name)
        .map(|name| location(name, port, path))
        .and_then(|text| HeaderValue::try_from(text).ok());
    let Some(location) = location else {
        tracing::debug!("redirect: refusing Host {host:?}");
        let mut res = Response::new(Body::full(&b"Bad Request: missing or malformed Host\n"[..]));
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return res;
    };
    let mut res = Response::new(Body::Empty);
    *res.status_mut() = StatusCode::MOVED_PERMANENTLY;
    res.headers_mut().insert(header::LOCATION, location);
    res
}

/// `https://name[:port]path`, the port left out when it is HTTPS's own.
pub fn location(name: &str, port: u16, path: &str) -> String {
    let path = if path.starts_with('/') { path } else { "/" };
    match port {
        443 => format!("https://{name}{path}"),
        _ => format!("https://{name}:{port}{path}"),
    }
}

/// The host of a `Host` value (its port dropped), if it is well formed.
pub fn host_name(host: &str) -> Option<&str> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ipv6 = !inside.is_empty()
            && inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        if !ipv6 {
            return None;
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (&host[..inside.len() + 2], port)
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    if let Some(port) = port {
        let digits =
            !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !digits || port.parse::<u16>().is_err() {
            return None;
        }
    }
    let plain = name.starts_with('[')
        || (!name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    plain.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_hosts_lose_their_port() {
        for (host, name) in [
            ("hub.example.org", "hub.example.org"),
            ("hub.example.org:80", "hub.example.org"),
            ("10.1.2.3:8080", "10.1.2.3"),
            ("[::1]", "[::1]"),
            ("[2001:db8::1]:80", "[2001:db8::1]"),
            ("localhost", "localhost"),
        ] {
            assert_eq!(host_name(host), Some(name), "{host}");
        }
    }

    #[test]
    fn malformed_hosts_are_refused() {
        for host in [
            "",
            ":80",
            "evil.org@hub",
            "hub.org:80:81",
            "hub.org:",
            "hub.org:99999",
            "hub.org:8a",
            "hub org",
            "hub.org/path",
            "[::1",
            "[::1]x",
            "[]",
            "[zz::1]",
            "hub.org\r\nSet-Cookie: a=b",
        ] {
            assert_eq!(host_name(host), None, "{host:?}");
        }
    }

    #[test]
    fn location_keeps_path_and_query_and_drops_443() {
        assert_eq!(
            location("hub.org", 443, "/hub/login?next=%2Fuser%2Fa"),
            "https://hub.org/hub/login?next=%2Fuser%2Fa"
        );
        assert_eq!(location("hub.org", 8443, "/"), "https://hub.org:8443/");
        assert_eq!(location("[::1]", 8443, "/x"), "https://[::1]:8443/x");
    }

    #[test]
    fn respond_redirects_or_refuses() {
        let req = Request::get("/user/a/lab?x=1")
            .header("host", "hub.org:80")
            .body(())
            .unwrap();
        let res = respond(&req, 443);
        assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
        assert_eq!(
            res.headers()[header::LOCATION],
            "https://hub.org/user/a/lab?x=1"
        );
        let req = Request::get("/").header("host", "a b").body(()).unwrap();
        assert_eq!(respond(&req, 443).status(), StatusCode::BAD_REQUEST);
        let req = Request::get("/").body(()).unwrap();
        assert_eq!(respond(&req, 443).status(), StatusCode::BAD_REQUEST);
    }
}
