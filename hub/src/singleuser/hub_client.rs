//! The HTTP client a job uses to reach the hub.

use std::time::Duration;

/// A client for requests to `hub_url` that give up after `timeout`. The system's root
/// certificates are read only when the hub is reached over HTTPS: parsing the whole store
/// took a quarter of a small job's start-up CPU, for nothing on a plain-HTTP hub API.
pub fn hub_client(hub_url: &str, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .tls_built_in_root_certs(needs_system_roots(hub_url))
        .build()
}

/// Whether requests to `url` can need a certificate checked: its scheme is HTTPS.
fn needs_system_roots(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_https_hub_needs_the_system_roots() {
        assert!(needs_system_roots("https://hub.example:8081/hub/api"));
        assert!(needs_system_roots("HTTPS://hub.example/hub/api"));
        assert!(!needs_system_roots("http://10.0.0.5:8081/hub/api"));
        assert!(!needs_system_roots("http"));
        assert!(!needs_system_roots(""));
    }

    #[tokio::test]
    async fn a_plain_http_hub_is_reached_without_them() {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .respond_with(wiremock::ResponseTemplate::new(204))
            .mount(&server)
            .await;
        let client = hub_client(&server.uri(), Duration::from_secs(5)).unwrap();
        let answer = client.get(server.uri()).send().await.unwrap();
        assert_eq!(answer.status(), 204);
    }
}
