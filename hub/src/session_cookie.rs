//! The browser's login cookie and the pre-login XSRF cookie: values signed with
//! HMAC-SHA256 under the hub's cookie secret. One place for signing and checking, used by
//! the web pages ([`crate::web`]) and the REST API's cookie authentication
//! ([`crate::api::auth`]).
//!
//! A signed value is `<value>.<hex HMAC-SHA256(secret, purpose NUL value)>`. The purpose
//! (`session`, `xsrf`) is part of the MAC, so a value signed for one cookie is never
//! accepted as another.

use axum::http::{header, HeaderMap};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The session cookie's name; its value is the session id, signed.
pub const SESSION_COOKIE: &str = "batchhub-session";
/// The pre-login XSRF cookie's name (a signed random token, double-submitted by the form).
pub const XSRF_COOKIE: &str = "_xsrf";

/// What a signed value is for: part of the MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The login session id.
    Session,
    /// The pre-login XSRF token.
    Xsrf,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Session => b"session",
            Purpose::Xsrf => b"xsrf",
        }
    }
}

fn mac(secret: &[u8], purpose: Purpose, value: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(purpose.label());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// `value.signature`. `value` must not contain `.` or characters a cookie cannot hold (the
/// hub signs only hex secrets).
pub fn sign(secret: &[u8], purpose: Purpose, value: &str) -> String {
    format!("{value}.{}", hex(&mac(secret, purpose, value)))
}

/// The value of a signed `text` whose signature is right, compared in constant time.
pub fn verify<'a>(secret: &[u8], purpose: Purpose, text: &'a str) -> Option<&'a str> {
    let (value, signature) = text.rsplit_once('.')?;
    if value.is_empty() {
        return None;
    }
    let expected = hex(&mac(secret, purpose, value));
    bool::from(expected.as_bytes().ct_eq(signature.as_bytes())).then_some(value)
}

/// The first cookie called `name` in the request's `Cookie` headers.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// The session id carried by a request's verified session cookie, if any.
pub fn session_id<'a>(secret: &[u8], headers: &'a HeaderMap) -> Option<&'a str> {
    verify(
        secret,
        Purpose::Session,
        read_cookie(headers, SESSION_COOKIE)?,
    )
}

/// A new random token (the pre-login XSRF token): 32 bytes from the OS, as hex.
pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, on `path`; `max_age` in seconds (`0`
/// clears the cookie), none for a browser-session cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<u64>,
    secure: bool,
) -> String {
    let mut text = format!("{name}={value}; HttpOnly; SameSite=Lax; Path={path}");
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    text
}

/// Whether two tokens (XSRF) are equal, in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_value_verifies_and_a_changed_one_does_not() {
        let signed = sign(SECRET, Purpose::Session, "abc123");
        assert_eq!(verify(SECRET, Purpose::Session, &signed), Some("abc123"));
        // Another purpose, another secret, a changed value or signature: refused.
        assert_eq!(verify(SECRET, Purpose::Xsrf, &signed), None);
        assert_eq!(
            verify(
                b"another secret of 32 bytes......",
                Purpose::Session,
                &signed
            ),
            None
        );
        let tampered = signed.replacen("abc123", "abc124", 1);
        assert_eq!(verify(SECRET, Purpose::Session, &tampered), None);
        let mut cut = signed.clone();
        cut.pop();
        assert_eq!(verify(SECRET, Purpose::Session, &cut), None);
        assert_eq!(verify(SECRET, Purpose::Session, "abc123"), None);
        assert_eq!(verify(SECRET, Purpose::Session, ""), None);
    }

    #[test]
    fn cookies_are_found_by_name_among_several() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; _xsrf=x"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("batchhub-session=s.1"),
        );
        assert_eq!(read_cookie(&headers, "_xsrf"), Some("x"));
        assert_eq!(read_cookie(&headers, SESSION_COOKIE), Some("s.1"));
        assert_eq!(read_cookie(&headers, "b"), None);
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("", ""));
    }
}
