//! `Strict-Transport-Security` on the public listener's TLS answers: once a browser has
//! seen it, it never tries plain HTTP for the site again, so a network attacker cannot
//! strip TLS from a later visit. Never sent over plain HTTP (RFC 6797 §7.2: a browser
//! ignores it there, and it would only mislead).

use crate::config::Config;
use http::header::{HeaderMap, HeaderValue, STRICT_TRANSPORT_SECURITY};

/// The header's value for `config`, or `None` when it is off (`--hsts-max-age 0`).
pub fn value(config: &Config) -> Option<HeaderValue> {
    if config.hsts_max_age == 0 {
        return None;
    }
    let mut text = format!("max-age={}", config.hsts_max_age);
    if config.hsts_include_subdomains {
        text.push_str("; includeSubDomains");
    }
    HeaderValue::try_from(text).ok()
}

/// Adds the header unless the upstream already chose its own.
pub fn add(headers: &mut HeaderMap, value: &HeaderValue) {
    if !headers.contains_key(STRICT_TRANSPORT_SECURITY) {
        headers.insert(STRICT_TRANSPORT_SECURITY, value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_follows_the_settings_and_zero_turns_it_off() {
        let mut config = Config::default();
        assert_eq!(value(&config).unwrap(), "max-age=31536000");
        config.hsts_include_subdomains = true;
        config.hsts_max_age = 600;
        assert_eq!(value(&config).unwrap(), "max-age=600; includeSubDomains");
        config.hsts_max_age = 0;
        assert_eq!(value(&config), None);
    }

    #[test]
    fn an_upstream_header_is_kept() {
        let ours = HeaderValue::from_static("max-age=31536000");
        let mut headers = HeaderMap::new();
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=5"),
        );
        add(&mut headers, &ours);
        assert_eq!(headers[STRICT_TRANSPORT_SECURITY], "max-age=5");
        let mut headers = HeaderMap::new();
        add(&mut headers, &ours);
        assert_eq!(headers[STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    }
}
