//! PKCE (RFC 7636): the challenge an authorization request carries and the check of the
//! verifier at the token exchange. `jupyterhub-singleuser` always sends `S256`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How a code challenge was derived from the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `base64url-no-pad(sha256(verifier))`.
    S256,
    /// The verifier itself (RFC 7636 allows it; the default when no method is named).
    Plain,
}

impl Method {
    /// The method named in an authorization request: `S256`, `plain`, or none (then
    /// `plain`, RFC 7636 §4.3). `None` for any other name.
    pub fn parse(name: Option<&str>) -> Option<Method> {
        match name {
            None | Some("plain") => Some(Method::Plain),
            Some("S256") => Some(Method::S256),
            Some(_) => None,
        }
    }

    /// The name as stored with the code and sent on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Method::S256 => "S256",
            Method::Plain => "plain",
        }
    }
}

/// Whether `text` has the form of a verifier or challenge: 43 to 128 characters from
/// `A-Z a-z 0-9 - . _ ~` (RFC 7636 §4.1, §4.2).
pub fn well_formed(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of `verifier`.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` answers `challenge` under `method`, compared in constant time.
pub fn verify(method: Method, challenge: &str, verifier: &str) -> bool {
    if !well_formed(verifier) {
        return false;
    }
    let expected = match method {
        Method::S256 => s256(verifier),
        Method::Plain => verifier.to_string(),
    };
    bool::from(expected.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636, appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_matches_the_rfc_example() {
        assert_eq!(s256(VERIFIER), CHALLENGE);
        assert!(verify(Method::S256, CHALLENGE, VERIFIER));
        assert!(!verify(
            Method::S256,
            CHALLENGE,
            &VERIFIER.replace('d', "e")
        ));
        assert!(
            !verify(Method::S256, VERIFIER, VERIFIER),
            "S256 is not plain"
        );
    }

    #[test]
    fn plain_is_equality() {
        assert!(verify(Method::Plain, VERIFIER, VERIFIER));
        assert!(!verify(Method::Plain, CHALLENGE, VERIFIER));
    }

    #[test]
    fn methods_and_forms() {
        assert_eq!(Method::parse(Some("S256")), Some(Method::S256));
        assert_eq!(Method::parse(Some("plain")), Some(Method::Plain));
        assert_eq!(Method::parse(None), Some(Method::Plain));
        assert_eq!(Method::parse(Some("s256")), None);
        assert!(well_formed(VERIFIER));
        assert!(!well_formed("short"));
        assert!(!well_formed(&"a".repeat(129)));
        assert!(!well_formed(&format!("{}+", &VERIFIER[..43])));
        // A short verifier is refused even when it equals the challenge.
        assert!(!verify(Method::Plain, "short", "short"));
    }
}
