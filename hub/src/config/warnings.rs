//! Settings that work but deserve a second look: `hub check-config` prints them, `hub
//! doctor` shows them as WARN and `hub serve` logs them. They never stop the hub.

use std::net::IpAddr;

use http::Uri;

use super::HubConfig;

/// A setting that works but deserves a second look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// What is the matter.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.message, self.fix)
    }
}

/// Every warning about `config`.
pub fn warnings(config: &HubConfig) -> Vec<ConfigWarning> {
    let mut out = Vec::new();
    let api_url = &config.proxy.api_url;
    if let Ok(uri) = api_url.parse::<Uri>() {
        let host = uri.host().unwrap_or_default();
        if uri.scheme_str() == Some("http") && !is_loopback(host) {
            out.push(ConfigWarning {
                message: format!(
                    "proxy.api_url {api_url:?} is plain HTTP to another host: the proxy's \
                     API token crosses the network in clear"
                ),
                fix: "serve the API over TLS (hub-proxy --api-ssl-key/--api-ssl-cert) and \
                      write https:// in proxy.api_url"
                    .into(),
            });
        }
        if uri.scheme_str() == Some("http") && config.proxy.api_ca_file.is_some() {
            out.push(ConfigWarning {
                message: format!(
                    "proxy.api_ca_file is not used: proxy.api_url {api_url:?} is not https://"
                ),
                fix: "write https:// in proxy.api_url, or remove proxy.api_ca_file".into(),
            });
        }
    }
    out
}

/// `localhost` or a loopback IP (`127.0.0.0/8`, `[::1]`).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_api(url: &str) -> HubConfig {
        let mut config = HubConfig::default();
        config.proxy.api_url = url.to_string();
        config
    }

    #[test]
    fn plain_http_to_another_host_is_a_warning_and_loopback_is_not() {
        for url in [
            "http://127.0.0.1:8001/",
            "http://localhost:8001",
            "http://[::1]:8001",
            "http://127.0.0.2:8001",
            "https://proxy.example.org:8001",
        ] {
            assert_eq!(warnings(&with_api(url)), Vec::new(), "{url}");
        }
        for url in ["http://10.0.0.5:8001", "http://proxy.example.org:8001/"] {
            let found = warnings(&with_api(url));
            assert_eq!(found.len(), 1, "{url}: {found:?}");
            assert!(found[0].message.contains("in clear"), "{found:?}");
        }
    }

    #[test]
    fn a_ca_file_with_plain_http_is_a_warning() {
        let mut config = with_api("http://127.0.0.1:8001");
        config.proxy.api_ca_file = Some("ca.pem".into());
        let found = warnings(&config);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("api_ca_file is not used"),
            "{found:?}"
        );
    }
}
