//! A route's upstream, parsed once when the route is added.

use http::uri::{Authority, Scheme};
use http::Uri;

/// Why a posted `target` cannot be proxied to.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Not a URL at all.
    #[error("target {target:?} is not a URL")]
    NotAUrl {
        /// The target as posted.
        target: String,
        /// Why the URI parser refused it.
        #[source]
        source: http::uri::InvalidUri,
    },
    /// A scheme other than `http` (TLS to upstreams is not supported).
    #[error("target {target:?}: only http:// targets are supported")]
    UnsupportedScheme {
        /// The target as posted.
        target: String,
    },
    /// No `host[:port]`.
    #[error("target {target:?} has no host")]
    NoHost {
        /// The target as posted.
        target: String,
    },
}

/// An upstream: `http://authority` plus an optional base path prepended to forwarded paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    authority: Authority,
    /// The target's path without trailing slashes; empty for `http://host:port[/]`.
    base_path: String,
}

impl Target {
    /// Parses `http://host[:port][/base]`.
    pub fn parse(target: &str) -> Result<Self, TargetError> {
        let uri: Uri = target.parse().map_err(|source| TargetError::NotAUrl {
            target: target.to_owned(),
            source,
        })?;
        if uri.scheme() != Some(&Scheme::HTTP) {
            return Err(TargetError::UnsupportedScheme {
                target: target.to_owned(),
            });
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| TargetError::NoHost {
                target: target.to_owned(),
            })?;
        if authority.host().is_empty() {
            return Err(TargetError::NoHost {
                target: target.to_owned(),
            });
        }
        Ok(Self {
            authority,
            base_path: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// `host[:port]`.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The target's own path, without a trailing slash (empty if none).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }
}

impl std::fmt::Display for Target {
    /// `http://host[:port][/base]`, as it forwards.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.authority, self.base_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_base_path() {
        let t = Target::parse("http://127.0.0.1:8081").unwrap();
        assert_eq!(t.authority().as_str(), "127.0.0.1:8081");
        assert_eq!(t.base_path(), "");
        assert_eq!(t.to_string(), "http://127.0.0.1:8081");
        let t = Target::parse("http://localhost:46807/base/").unwrap();
        assert_eq!(t.base_path(), "/base");
        assert_eq!(t.to_string(), "http://localhost:46807/base");
    }

    #[test]
    fn refuses_what_it_cannot_proxy_to() {
        assert!(matches!(
            Target::parse("https://x:1"),
            Err(TargetError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            Target::parse("not a url"),
            Err(TargetError::NotAUrl { .. })
        ));
        assert!(Target::parse("/relative").is_err());
    }
}
