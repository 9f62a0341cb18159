//! Waiting for a reported notebook server to answer HTTP before it is routed, as
//! JupyterHub's `wait_up` does.
//!
//! `hub-singleuser` (and batchspawner's wrapper) report the port *before* the real
//! `jupyterhub-singleuser` has started listening on it: Python takes seconds to import
//! JupyterLab. Routing the server at the report would send the user's first request to a
//! closed port (a 503 from the proxy). So the hub asks `GET {url}{prefix}api` until anything
//! but a 5xx answers, and only then feeds the report to the state machine.

use std::time::Duration;

/// How long to wait between two attempts.
const RETRY: Duration = Duration::from_millis(200);
/// How long one attempt may take (a server that accepted but hangs is retried).
const ATTEMPT: Duration = Duration::from_secs(5);

/// The HTTP client the probes share (built once per hub, not once per report: a spawn
/// storm reports thousands of servers). It keeps no idle connection: each server is asked
/// until it answers once, and 2,000 pooled connections would be memory and descriptors
/// held for nothing.
pub(super) fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(ATTEMPT)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot build the probe client; using the defaults");
            reqwest::Client::new()
        })
}

/// Whether `url` (e.g. `http://node0088:50065/user/alice/api`) answered with a status below
/// 500 within `limit`, asked with `client` ([`probe_client`]: redirects are not followed, a
/// redirect is an answer).
pub(super) async fn answers_within(client: &reqwest::Client, url: &str, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match client.get(url).send().await {
            Ok(response) if response.status().as_u16() < 500 => return true,
            Ok(response) => {
                tracing::debug!(url, status = %response.status(), "server not ready yet");
            }
            Err(e) => tracing::debug!(url, error = %e, "server not answering yet"),
        }
        if tokio::time::Instant::now() + RETRY >= deadline {
            return false;
        }
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_comes_up_late_is_waited_for() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = format!("http://{addr}/user/alice/api");
        // Nothing listens yet; it starts after 600 ms and answers 302 (an answer).
        let server = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
            let app = axum::Router::new().route(
                "/user/alice/api",
                axum::routing::get(|| async {
                    (axum::http::StatusCode::FOUND, [("location", "/hub/login")])
                }),
            );
            axum::serve(listener, app).await.unwrap();
        });
        assert!(answers_within(&probe_client(), &url, Duration::from_secs(10)).await);
        server.abort();
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_given_up_on() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = format!("http://{addr}/user/alice/api");
        assert!(!answers_within(&probe_client(), &url, Duration::from_millis(500)).await);
    }

    #[tokio::test]
    async fn a_5xx_is_not_an_answer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route(
            "/user/alice/api",
            axum::routing::get(|| async { axum::http::StatusCode::BAD_GATEWAY }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let url = format!("http://{addr}/user/alice/api");
        assert!(!answers_within(&probe_client(), &url, Duration::from_millis(700)).await);
        server.abort();
    }
}
