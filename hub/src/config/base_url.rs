//! The URL prefix the hub serves under, always `/` or `/a/b/`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A URL path prefix normalised to start and end with `/` (`"jupyterhub"` reads as
/// `/jupyterhub/`). Segments are non-empty, not `.` or `..`, and hold only characters that
/// need no escaping in a URL path, so the prefix can be joined to routes as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Reads and normalises a prefix; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim_matches('/');
        if trimmed.is_empty() {
            return Ok(BaseUrl("/".to_string()));
        }
        for segment in trimmed.split('/') {
            let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~');
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err(format!("{text:?} has an empty, `.` or `..` segment"));
            }
            if !segment.chars().all(plain) {
                return Err(format!(
                    "{text:?} may hold only letters, digits, `-`, `_`, `.`, `~` and `/`"
                ));
            }
        }
        Ok(BaseUrl(format!("/{trimmed}/")))
    }

    /// The prefix, e.g. `/jupyterhub/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `/`.
impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl("/".to_string())
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BaseUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        BaseUrl::parse(&s)
    }
}

impl From<BaseUrl> for String {
    fn from(b: BaseUrl) -> String {
        b.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised() {
        for (text, want) in [
            ("", "/"),
            ("/", "/"),
            ("jupyterhub", "/jupyterhub/"),
            ("/jupyterhub", "/jupyterhub/"),
            ("/a/b/", "/a/b/"),
        ] {
            assert_eq!(BaseUrl::parse(text).unwrap().as_str(), want, "{text:?}");
        }
    }

    #[test]
    fn unsafe_prefixes_are_refused() {
        for bad in ["/a//b/", "/../", "/a b/", "/a?b/", "/%2e/", "/a/./"] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
