//! Header rewriting between client and upstream: hop-by-hop headers are the connection's
//! own and are dropped; `X-Forwarded-*` tell the upstream who the client was.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::net::SocketAddr;

/// Hop-by-hop headers (RFC 9110 §7.6.1) plus the de-facto ones.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes hop-by-hop headers, including any the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    if let Some(conn) = headers.get(header::CONNECTION) {
        if let Ok(listed) = conn.to_str() {
            let named: Vec<HeaderName> = listed
                .split(',')
                .filter_map(|t| HeaderName::try_from(t.trim()).ok())
                .collect();
            for name in named {
                headers.remove(name);
            }
        }
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Adds `X-Forwarded-For`, `-Port`, `-Proto` (appending to values an earlier proxy set)
/// and `X-Forwarded-Host` (kept if already set), as node-http-proxy's `xfwd` does.
pub fn add_forwarded(headers: &mut HeaderMap, client: SocketAddr, tls: bool, host: Option<&str>) {
    let proto = if tls { "https" } else { "http" };
    let port = host
        .and_then(|h| h.rsplit_once(':'))
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .unwrap_or(if tls { 443 } else { 80 });
    append(headers, "x-forwarded-for", client.ip());
    append(headers, "x-forwarded-port", port);
    append(headers, "x-forwarded-proto", proto);
    if !headers.contains_key("x-forwarded-host") {
        if let Some(v) = host.and_then(|h| HeaderValue::from_str(h).ok()) {
            headers.insert(HeaderName::from_static("x-forwarded-host"), v);
        }
    }
}

/// Sets `name` to `value`, after the value an earlier proxy set if any. One allocation:
/// the string is formatted once and handed to the header value without a copy.
fn append(headers: &mut HeaderMap, name: &'static str, value: impl std::fmt::Display) {
    use std::fmt::Write;
    let name = HeaderName::from_static(name);
    let mut joined = String::with_capacity(24);
    if let Some(prev) = headers.get(&name).and_then(|v| v.to_str().ok()) {
        if !prev.is_empty() {
            joined.push_str(prev);
            joined.push(',');
        }
    }
    let _ = write!(joined, "{value}");
    if let Ok(v) = HeaderValue::try_from(joined) {
        headers.insert(name, v);
    }
}

/// True for an HTTP/1.1 upgrade request (`Connection: upgrade` plus `Upgrade`).
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_hop_by_hop_and_connection_listed_headers() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "keep-alive, x-private".parse().unwrap());
        h.insert("x-private", "1".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        h.insert("x-kept", "1".parse().unwrap());
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }

    #[test]
    fn forwarded_headers_append_like_xfwd() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "10.0.0.1".parse().unwrap());
        let client: SocketAddr = "192.0.2.7:5555".parse().unwrap();
        add_forwarded(&mut h, client, false, Some("hub.example:8000"));
        assert_eq!(h["x-forwarded-for"], "10.0.0.1,192.0.2.7");
        assert_eq!(h["x-forwarded-port"], "8000");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-host"], "hub.example:8000");
        let mut h = HeaderMap::new();
        add_forwarded(&mut h, client, true, Some("hub.example"));
        assert_eq!(h["x-forwarded-port"], "443");
        assert_eq!(h["x-forwarded-proto"], "https");
    }

    #[test]
    fn recognises_upgrades() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "keep-alive, Upgrade".parse().unwrap());
        assert!(!is_upgrade(&h));
        h.insert(header::UPGRADE, "websocket".parse().unwrap());
        assert!(is_upgrade(&h));
    }
}
