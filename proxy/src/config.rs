//! Everything the proxy is told, as typed values. The command line ([`crate::cli`]) builds
//! it; library code never reads the environment.

use crate::tls::ClientAuth;
use http::{HeaderName, HeaderValue};
use std::path::PathBuf;
use std::time::Duration;

/// Where to listen: a host name or IP (empty means every IPv4 interface) and a port
/// (0 picks a free one, which tests use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindAddr {
    /// Host or IP literal; `""` and `"*"` mean all interfaces.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl BindAddr {
    /// `127.0.0.1:0`, for tests.
    pub fn loopback_any_port() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
        }
    }
}

/// PEM files for a listener (the public one or the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
}

/// Proxy configuration. Defaults follow configurable-http-proxy where it has one.
#[derive(Debug, Clone)]
pub struct Config {
    /// Public listener (`--ip`, `--port`).
    pub proxy_bind: BindAddr,
    /// Route API listener (`--api-ip`, `--api-port`).
    pub api_bind: BindAddr,
    /// Prometheus listener (`--metrics-ip`, `--metrics-port`); none by default.
    pub metrics_bind: Option<BindAddr>,
    /// API token (`CONFIGPROXY_AUTH_TOKEN`); `None` leaves the API open, as CHP does.
    pub auth_token: Option<String>,
    /// Installed as the `/` route at start (`--default-target`).
    pub default_target: Option<String>,
    /// `GET {error_target}/{code}?url=…` renders error pages (`--error-target`).
    pub error_target: Option<String>,
    /// Directory of `{code}.html` / `error.html` pages (`--error-path`).
    pub error_path: Option<PathBuf>,
    /// TLS on the public listener (`--ssl-key`, `--ssl-cert`).
    pub tls: Option<TlsFiles>,
    /// TLS on the route API (`--api-ssl-key`, `--api-ssl-cert`), for a hub on another host.
    pub api_tls: Option<TlsFiles>,
    /// Client certificates the API asks for (`--api-ssl-ca` with `--api-ssl-request-cert`
    /// or `--api-ssl-reject-unauthorized`); needs `api_tls`.
    pub api_client_auth: Option<ClientAuth>,
    /// How often the TLS files are checked for a change and reloaded if changed
    /// (`--ssl-reload-interval`; `None`: on SIGHUP only). A renewal is due days before
    /// expiry, so seconds of delay do not matter, and metadata reads cost nothing.
    pub tls_reload_interval: Option<Duration>,
    /// A plain-HTTP listener on the public IP that redirects every request to HTTPS
    /// (`--redirect-port`); needs `tls`.
    pub redirect_port: Option<u16>,
    /// The port the redirect's `Location` names (`--redirect-to`); `None`: the public
    /// listener's port.
    pub redirect_to: Option<u16>,
    /// `Strict-Transport-Security: max-age=…` on every TLS answer of the public listener
    /// (`--hsts-max-age`); 0: no header. A year is what browsers' preload lists ask for.
    pub hsts_max_age: u64,
    /// Add `; includeSubDomains` to the HSTS header (`--hsts-include-subdomains`).
    pub hsts_include_subdomains: bool,
    /// Add `X-Forwarded-For/-Port/-Proto/-Host` (off with `--no-x-forward`).
    pub x_forward: bool,
    /// Forward the full path, route prefix included (off with `--no-include-prefix`).
    pub include_prefix: bool,
    /// Prepend a target's own path to forwarded paths (off with `--no-prepend-path`).
    pub prepend_path: bool,
    /// Route on `/host/path` instead of `/path` (`--host-routing`).
    pub host_routing: bool,
    /// Drop the client connection when an upstream has not answered within this
    /// (`--timeout`, CHP's "drops connection for a request").
    pub timeout: Option<Duration>,
    /// Answer 504 when an upstream has not sent response headers within this
    /// (`--proxy-timeout`).
    pub proxy_timeout: Option<Duration>,
    /// How long an idle client keep-alive connection is kept (`--keep-alive-timeout`);
    /// CHP (Node) defaults to 5 s.
    pub keep_alive_timeout: Duration,
    /// Upper bound on a TCP connect to an upstream. A powered-off compute node drops SYNs,
    /// and without a bound the OS would make the user wait about two minutes for a 503.
    pub connect_timeout: Duration,
    /// How long idle upstream connections stay in the shared pool (HTTP/2 clients and the
    /// error target; an HTTP/1.1 client connection keeps its own upstream connection for
    /// as long as it lives, see [`crate::upstream`]). Notebook servers keep theirs for
    /// longer, so reusing within this window is safe and saves a handshake per request.
    pub upstream_idle_timeout: Duration,
    /// On shutdown, how long in-flight requests may take to finish before connections are
    /// closed. Long enough for a page load, short enough for a service manager's stop.
    pub shutdown_grace: Duration,
    /// Largest API request body accepted. A route is a few hundred bytes; this bounds
    /// what an API client can make the proxy buffer.
    pub max_api_body: usize,
    /// `--routes-file`: routes survive restarts when set.
    pub routes_file: Option<PathBuf>,
    /// Extra request headers sent upstream (`--custom-header`).
    pub custom_headers: Vec<(HeaderName, HeaderValue)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            proxy_bind: BindAddr {
                host: String::new(),
                port: 8000,
            },
            api_bind: BindAddr {
                host: "localhost".into(),
                port: 8001,
            },
            metrics_bind: None,
            auth_token: None,
            default_target: None,
            error_target: None,
            error_path: None,
            tls: None,
            api_tls: None,
            api_client_auth: None,
            tls_reload_interval: Some(Duration::from_secs(10)),
            redirect_port: None,
            redirect_to: None,
            hsts_max_age: 31_536_000,
            hsts_include_subdomains: false,
            x_forward: true,
            include_prefix: true,
            prepend_path: true,
            host_routing: false,
            timeout: None,
            proxy_timeout: None,
            keep_alive_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(20),
            upstream_idle_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            max_api_body: 1 << 20,
            routes_file: None,
            custom_headers: Vec::new(),
        }
    }
}

impl Config {
    /// A configuration for tests: every listener on `127.0.0.1:0`, no token.
    pub fn for_tests() -> Self {
        Self {
            proxy_bind: BindAddr::loopback_any_port(),
            api_bind: BindAddr::loopback_any_port(),
            ..Self::default()
        }
    }
}
