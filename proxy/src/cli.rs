//! The command line, as configurable-http-proxy's for every flag JupyterHub passes and the
//! ones operators commonly use, plus certificate reloading and HSTS. Flags JupyterHub
//! passes only for setups we do not support (`--client-ssl-*`, unix sockets) are refused
//! with a clear message.

use crate::config::{BindAddr, Config, TlsFiles};
use crate::tls::ClientAuth;
use clap::{Parser, ValueEnum};
use http::{HeaderName, HeaderValue};
use std::path::PathBuf;
use std::time::Duration;

/// Log verbosity, as CHP names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Everything, including each proxied request.
    Debug,
    /// Route changes and API calls.
    Info,
    /// Client errors and refused API calls.
    Warn,
    /// Upstream failures only.
    Error,
}

impl LogLevel {
    /// The matching tracing level.
    pub fn as_tracing(self) -> tracing::Level {
        match self {
            Self::Debug => tracing::Level::DEBUG,
            Self::Info => tracing::Level::INFO,
            Self::Warn => tracing::Level::WARN,
            Self::Error => tracing::Level::ERROR,
        }
    }
}

/// `hub-proxy`: a configurable-http-proxy-compatible proxy.
#[derive(Debug, Parser)]
#[command(name = "hub-proxy", version, about, long_about = None)]
pub struct Args {
    /// Public-facing IP of the proxy ('' or '*' for all interfaces)
    #[arg(long, value_name = "IP", default_value = "")]
    pub ip: String,
    /// Public-facing port of the proxy
    #[arg(long, value_name = "N", default_value_t = 8000)]
    pub port: u16,
    /// Inward-facing IP for API requests
    #[arg(long, value_name = "IP", default_value = "localhost")]
    pub api_ip: String,
    /// Inward-facing port for API requests [default: port + 1]
    #[arg(long, value_name = "N")]
    pub api_port: Option<u16>,
    /// Default proxy target (proto://host[:port]), installed as the route '/'
    #[arg(long, value_name = "URL")]
    pub default_target: Option<String>,
    /// Server for proxy error pages: GET {error-target}/{code}?url={original url}
    #[arg(long, value_name = "URL")]
    pub error_target: Option<String>,
    /// Directory of {code}.html and error.html error pages
    #[arg(long, value_name = "DIR")]
    pub error_path: Option<PathBuf>,
    /// TLS private key (PEM) for the public listener
    #[arg(long, value_name = "FILE", requires = "ssl_cert")]
    pub ssl_key: Option<PathBuf>,
    /// TLS certificate chain (PEM) for the public listener
    #[arg(long, value_name = "FILE", requires = "ssl_key")]
    pub ssl_cert: Option<PathBuf>,
    /// Seconds between checks of the TLS files for a change (reloaded when changed;
    /// SIGHUP reloads at once); 0 checks only on SIGHUP
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub ssl_reload_interval: u64,
    /// Plain-HTTP port on --ip that redirects every request to HTTPS (needs --ssl-key/--ssl-cert)
    #[arg(long, value_name = "N", requires = "ssl_key")]
    pub redirect_port: Option<u16>,
    /// Port named in the redirect's Location [default: --port]
    #[arg(long, value_name = "N", requires = "redirect_port")]
    pub redirect_to: Option<u16>,
    /// Strict-Transport-Security max-age on TLS answers; 0 sends no header
    #[arg(long, value_name = "SECONDS", default_value_t = 31_536_000)]
    pub hsts_max_age: u64,
    /// Add includeSubDomains to the Strict-Transport-Security header
    #[arg(long)]
    pub hsts_include_subdomains: bool,
    /// TLS private key (PEM) for the API listener
    #[arg(long, value_name = "FILE", requires = "api_ssl_cert")]
    pub api_ssl_key: Option<PathBuf>,
    /// TLS certificate chain (PEM) for the API listener
    #[arg(long, value_name = "FILE", requires = "api_ssl_key")]
    pub api_ssl_cert: Option<PathBuf>,
    /// CA bundle (PEM) that API clients' certificates must chain to (with --api-ssl-request-cert
    /// or --api-ssl-reject-unauthorized)
    #[arg(long, value_name = "FILE", requires = "api_ssl_key")]
    pub api_ssl_ca: Option<PathBuf>,
    /// Ask API clients for a certificate; one they present must verify with --api-ssl-ca
    #[arg(long, requires = "api_ssl_ca")]
    pub api_ssl_request_cert: bool,
    /// Refuse API clients without a certificate that verifies with --api-ssl-ca
    #[arg(long, requires = "api_ssl_ca")]
    pub api_ssl_reject_unauthorized: bool,
    /// Log level
    #[arg(long, value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,
    /// Timeout (ms) after which the client connection of an unanswered request is dropped
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Timeout (ms) for the target's response headers; 504 when it passes
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub proxy_timeout: Option<u64>,
    /// Idle timeout (ms) of client keep-alive connections
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_alive_timeout: u64,
    /// Don't add 'X-Forwarded-*' headers to proxied requests
    #[arg(long)]
    pub no_x_forward: bool,
    /// Don't include the routing prefix in proxied requests
    #[arg(long)]
    pub no_include_prefix: bool,
    /// Don't prepend target paths to proxied requests
    #[arg(long)]
    pub no_prepend_path: bool,
    /// Use host routing (host as first level of path)
    #[arg(long)]
    pub host_routing: bool,
    /// IP for the metrics server
    #[arg(long, value_name = "IP", default_value = "")]
    pub metrics_ip: String,
    /// Port of the metrics server (no metrics server without it)
    #[arg(long, value_name = "N")]
    pub metrics_port: Option<u16>,
    /// Keep routes in this JSON file: written atomically on change, reloaded at start
    #[arg(long, value_name = "FILE")]
    pub routes_file: Option<PathBuf>,
    /// Write our PID to this file
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Extra header for proxied requests, 'Name: value' (repeatable)
    #[arg(long = "custom-header", value_name = "K:V", value_parser = parse_header)]
    pub custom_headers: Vec<(HeaderName, HeaderValue)>,
}

fn parse_header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not 'Name: value'"))?;
    let name = HeaderName::try_from(name.trim()).map_err(|e| format!("header name: {e}"))?;
    let value = HeaderValue::try_from(value.trim()).map_err(|e| format!("header value: {e}"))?;
    Ok((name, value))
}

impl Args {
    /// The configuration these flags describe, with the API token (from
    /// `CONFIGPROXY_AUTH_TOKEN`, read by the binary) passed in. An empty token means none.
    pub fn into_config(self, auth_token: Option<String>) -> Config {
        let defaults = Config::default();
        let api_port = self.api_port.unwrap_or(match self.port {
            0 => 0,
            p => p.saturating_add(1),
        });
        Config {
            proxy_bind: BindAddr {
                host: self.ip,
                port: self.port,
            },
            api_bind: BindAddr {
                host: self.api_ip,
                port: api_port,
            },
            metrics_bind: self.metrics_port.map(|port| BindAddr {
                host: self.metrics_ip,
                port,
            }),
            auth_token: auth_token.filter(|t| !t.is_empty()),
            default_target: self.default_target,
            error_target: self.error_target,
            error_path: self.error_path,
            tls: match (self.ssl_key, self.ssl_cert) {
                (Some(key), Some(cert)) => Some(TlsFiles { key, cert }),
                _ => None,
            },
            api_tls: match (self.api_ssl_key, self.api_ssl_cert) {
                (Some(key), Some(cert)) => Some(TlsFiles { key, cert }),
                _ => None,
            },
            api_client_auth: match self.api_ssl_ca {
                Some(ca) if self.api_ssl_request_cert || self.api_ssl_reject_unauthorized => {
                    Some(ClientAuth {
                        ca,
                        required: self.api_ssl_reject_unauthorized,
                    })
                }
                _ => None,
            },
            tls_reload_interval: match self.ssl_reload_interval {
                0 => None,
                s => Some(Duration::from_secs(s)),
            },
            redirect_port: self.redirect_port,
            redirect_to: self.redirect_to,
            hsts_max_age: self.hsts_max_age,
            hsts_include_subdomains: self.hsts_include_subdomains,
            x_forward: !self.no_x_forward,
            include_prefix: !self.no_include_prefix,
            prepend_path: !self.no_prepend_path,
            host_routing: self.host_routing,
            timeout: self.timeout.map(Duration::from_millis),
            proxy_timeout: self.proxy_timeout.map(Duration::from_millis),
            keep_alive_timeout: Duration::from_millis(self.keep_alive_timeout),
            routes_file: self.routes_file,
            custom_headers: self.custom_headers,
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("hub-proxy").chain(args.iter().copied()))
    }

    #[test]
    fn accepts_exactly_what_jupyterhub_passes() {
        let args = parse(&[
            "--ip",
            "127.0.0.1",
            "--port",
            "19000",
            "--api-ip",
            "127.0.0.1",
            "--api-port",
            "19001",
            "--error-target",
            "http://127.0.0.1:19081/hub/error",
            "--log-level",
            "info",
        ])
        .unwrap();
        let c = args.into_config(Some("tok".into()));
        assert_eq!(
            c.proxy_bind,
            BindAddr {
                host: "127.0.0.1".into(),
                port: 19000
            }
        );
        assert_eq!(c.api_bind.port, 19001);
        assert_eq!(
            c.error_target.as_deref(),
            Some("http://127.0.0.1:19081/hub/error")
        );
        assert_eq!(c.auth_token.as_deref(), Some("tok"));
        assert!(c.x_forward && c.include_prefix && !c.host_routing);
    }

    #[test]
    fn api_port_defaults_to_port_plus_one_and_empty_token_is_none() {
        let c = parse(&["--port", "9000"])
            .unwrap()
            .into_config(Some(String::new()));
        assert_eq!(c.api_bind.port, 9001);
        assert_eq!(c.api_bind.host, "localhost");
        assert_eq!(c.auth_token, None);
    }

    #[test]
    fn operator_flags_map_to_config() {
        let c = parse(&[
            "--no-x-forward",
            "--no-include-prefix",
            "--host-routing",
            "--timeout",
            "1500",
            "--proxy-timeout",
            "2000",
            "--keep-alive-timeout",
            "7000",
            "--metrics-port",
            "9100",
            "--ssl-key",
            "k.pem",
            "--ssl-cert",
            "c.pem",
            "--custom-header",
            "X-A: b",
            "--default-target",
            "http://127.0.0.1:1",
        ])
        .unwrap()
        .into_config(None);
        assert!(!c.x_forward && !c.include_prefix && c.host_routing);
        assert_eq!(c.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(c.proxy_timeout, Some(Duration::from_millis(2000)));
        assert_eq!(c.keep_alive_timeout, Duration::from_millis(7000));
        assert_eq!(c.metrics_bind.map(|b| b.port), Some(9100));
        assert!(c.tls.is_some());
        assert_eq!(c.custom_headers[0].0, "x-a");
        assert_eq!(c.default_target.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn tls_flags_map_to_config() {
        let c = parse(&[
            "--ssl-key",
            "k.pem",
            "--ssl-cert",
            "c.pem",
            "--redirect-port",
            "80",
            "--redirect-to",
            "443",
            "--hsts-max-age",
            "600",
            "--hsts-include-subdomains",
            "--ssl-reload-interval",
            "0",
            "--api-ssl-key",
            "ak.pem",
            "--api-ssl-cert",
            "ac.pem",
            "--api-ssl-ca",
            "ca.pem",
            "--api-ssl-request-cert",
            "--api-ssl-reject-unauthorized",
        ])
        .unwrap()
        .into_config(None);
        assert_eq!((c.redirect_port, c.redirect_to), (Some(80), Some(443)));
        assert_eq!(c.hsts_max_age, 600);
        assert!(c.hsts_include_subdomains);
        assert_eq!(c.tls_reload_interval, None);
        assert_eq!(
            c.api_tls,
            Some(TlsFiles {
                key: "ak.pem".into(),
                cert: "ac.pem".into()
            })
        );
        assert_eq!(
            c.api_client_auth,
            Some(ClientAuth {
                ca: "ca.pem".into(),
                required: true
            })
        );

        let c = parse(&[]).unwrap().into_config(None);
        assert_eq!(c.tls_reload_interval, Some(Duration::from_secs(10)));
        assert_eq!(c.hsts_max_age, 31_536_000);
        assert!(c.api_tls.is_none() && c.api_client_auth.is_none() && c.redirect_port.is_none());
    }

    #[test]
    fn unknown_flags_and_bad_values_are_clear_errors() {
        for (args, needle) in [
            (&["--frobnicate"][..], "--frobnicate"),
            (&["--port", "http"][..], "--port"),
            (&["--port", "70000"][..], "70000"),
            (&["--log-level", "loud"][..], "loud"),
            (&["--timeout", "0"][..], "--timeout"),
            (&["--ssl-key", "k.pem"][..], "--ssl-cert"),
            (&["--custom-header", "novalue"][..], "Name: value"),
            (&["--api-ssl-key", "k.pem"][..], "--api-ssl-cert"),
            (&["--client-ssl-key", "k.pem"][..], "--client-ssl-key"),
            (&["--redirect-port", "80"][..], "--ssl-key"),
            (&["--redirect-to", "443"][..], "--redirect-port"),
            (
                &[
                    "--api-ssl-key",
                    "k",
                    "--api-ssl-cert",
                    "c",
                    "--api-ssl-request-cert",
                ][..],
                "--api-ssl-ca",
            ),
        ] {
            let err = parse(args).expect_err("must be refused").to_string();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}
