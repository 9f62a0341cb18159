//! The proxy's REST API with the hub's token: `GET {proxy.api_url}/api/routes`.

use super::Finding;
use crate::config::HubConfig;
use crate::proxy_client::api_http_client;
use crate::proxy_client::client::error_chain;

const CHECK: &str = "proxy api";

pub(super) async fn check(config: &HubConfig) -> Finding {
    let proxy = &config.proxy;
    let token_file = &proxy.auth_token_file;
    let token = match std::fs::read_to_string(token_file) {
        Ok(text) => text.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Finding::warn(
                CHECK,
                format!(
                    "not asked: no token in {} yet (hub serve creates it)",
                    token_file.display()
                ),
                "start hub serve, then run the doctor again",
            )
        }
        Err(e) => {
            return Finding::fail(
                CHECK,
                format!("cannot read the token file {}: {e}", token_file.display()),
                "run the doctor as the hub's user",
            )
        }
    };
    let url = format!("{}/api/routes", proxy.api_url.trim_end_matches('/'));
    let client = match api_http_client(proxy.api_ca_file.as_deref()) {
        Ok(client) => client,
        Err(e) => {
            return Finding::fail(
                CHECK,
                error_chain(&e),
                "put the PEM certificate of the CA that signed hub-proxy's API certificate \
                 in proxy.api_ca_file",
            )
        }
    };
    let answer = client
        .get(&url)
        .header("Authorization", format!("token {token}"))
        .send()
        .await;
    match answer {
        Ok(response) => match response.status().as_u16() {
            200 => Finding::ok(CHECK, format!("{url} answers 200 with the token")),
            401 | 403 => Finding::fail(
                CHECK,
                format!(
                    "{url} answers {}: the token in {} is not the proxy's",
                    response.status(),
                    token_file.display()
                ),
                "restart hub-proxy with the token from that file (CONFIGPROXY_AUTH_TOKEN), \
                 or let hub serve start it",
            ),
            _ => Finding::fail(
                CHECK,
                format!("{url} answers {}: not hub-proxy's API?", response.status()),
                "point proxy.api_url at hub-proxy's API port (not its public port)",
            ),
        },
        // Before `is_connect`: reqwest counts a refused TLS handshake as a connect error.
        Err(e) if error_chain(&e).contains("certificate") => Finding::fail(
            CHECK,
            format!("{url}: {}", error_chain(&e)),
            "hub-proxy's API certificate must be signed by a CA in proxy.api_ca_file (or \
             the system's CAs without it) and name the host of proxy.api_url",
        ),
        Err(e) if e.is_connect() => {
            let message = format!("hub-proxy is not running at {}", proxy.api_url);
            if proxy.should_start {
                Finding::warn(
                    CHECK,
                    message,
                    "none if the hub is stopped: hub serve starts it (proxy.should_start)",
                )
            } else {
                Finding::fail(
                    CHECK,
                    message,
                    "start hub-proxy (proxy.should_start = false: the hub does not start it)",
                )
            }
        }
        Err(e) => Finding::fail(
            CHECK,
            format!("{url}: {}", error_chain(&e)),
            "check that proxy.api_url is hub-proxy's API address (https:// when it runs \
             with --api-ssl-cert, http:// otherwise)",
        ),
    }
}
