//! [`ProxyClient`]: the route API calls the hub makes, as JupyterHub makes them — JSON
//! bodies, `Authorization: token …`, retried with exponential backoff on connection errors
//! and 5xx (a 4xx is an answer, not an outage).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::ca_file::{api_http_client, CaFileError};
use super::routespec::{from_api_path, to_api_path};

/// One route in the proxy's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Where it sends requests, e.g. `http://10.1.2.3:47405`.
    pub target: String,
    /// The data stored with it, less `target`, `jupyterhub` and `last_activity`
    /// (`{"user": "alice", "server_name": ""}`, `{"hub": true}`, …).
    pub data: Map<String, Value>,
    /// When traffic last went through it.
    pub last_activity: Option<DateTime<Utc>>,
}

/// Why a route API call failed.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The proxy could not be reached, or answered 5xx, until the retry budget ran out.
    #[error("the proxy's route API at {url} is unavailable: {reason}")]
    Unavailable {
        /// The API URL.
        url: String,
        /// The last failure.
        reason: String,
    },
    /// The proxy refused the call (4xx).
    #[error("the proxy refused {method} {url}: {status} {body}")]
    Refused {
        /// The method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// Its body, for the log.
        body: String,
    },
    /// The proxy answered something that is not a route table.
    #[error("the proxy's answer to {url} is not a route table: {reason}")]
    BadAnswer {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

impl ProxyError {
    /// Whether waiting may fix it (the proxy down or restarting).
    pub fn is_transient(&self) -> bool {
        matches!(self, ProxyError::Unavailable { .. })
    }
}

/// A client of one proxy's route API.
#[derive(Debug, Clone)]
pub struct ProxyClient {
    api_url: String,
    token: Option<String>,
    http: reqwest::Client,
    retry_for: Duration,
}

impl ProxyClient {
    /// A client of the API at `api_url` (e.g. `http://127.0.0.1:8001`), authenticating with
    /// `token`; each call gives up after `retry_for` of failures (JupyterHub: 30 s). An
    /// `https://` API is trusted by the system's roots.
    pub fn new(api_url: &str, token: Option<String>, retry_for: Duration) -> ProxyClient {
        let http = api_http_client(None).expect("an HTTP client without a CA file builds");
        ProxyClient {
            api_url: api_url.trim_end_matches('/').to_string(),
            token,
            http,
            retry_for,
        }
    }

    /// As [`ProxyClient::new`], trusting only the CAs of `ca_file` for an `https://` API
    /// when given (`proxy.api_ca_file`).
    pub fn with_ca_file(
        api_url: &str,
        token: Option<String>,
        retry_for: Duration,
        ca_file: Option<&Path>,
    ) -> Result<ProxyClient, CaFileError> {
        Ok(ProxyClient {
            http: api_http_client(ca_file)?,
            ..ProxyClient::new(api_url, token, retry_for)
        })
    }

    fn url(&self, spec: &str) -> String {
        let path = to_api_path(spec);
        // The root route is `/api/routes/`; others `/api/routes/user/alice`.
        format!("{}/api/routes{path}", self.api_url)
    }

    /// Adds (or replaces) the route `spec` → `target`, storing `data` with it.
    pub async fn add_route(
        &self,
        spec: &str,
        target: &str,
        data: &Map<String, Value>,
    ) -> Result<(), ProxyError> {
        let mut body = data.clone();
        body.insert("target".into(), Value::String(target.into()));
        body.insert("jupyterhub".into(), Value::Bool(true));
        let body = Value::Object(body).to_string();
        self.call("POST", &self.url(spec), Some(body))
            .await
            .map(drop)
    }

    /// Deletes the route `spec`; one that is not there is already deleted.
    pub async fn delete_route(&self, spec: &str) -> Result<(), ProxyError> {
        match self.call("DELETE", &self.url(spec), None).await {
            Err(ProxyError::Refused { status: 404, .. }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// The routes this hub manages (those stored with `jupyterhub: true`), keyed by spec.
    pub async fn routes(&self) -> Result<BTreeMap<String, Route>, ProxyError> {
        let url = format!("{}/api/routes", self.api_url);
        let text = self.call("GET", &url, None).await?;
        let bad = |reason: String| ProxyError::BadAnswer {
            url: url.clone(),
            reason,
        };
        let table: Map<String, Value> =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let mut routes = BTreeMap::new();
        for (path, value) in table {
            let Value::Object(mut data) = value else {
                return Err(bad(format!("route {path} is not an object")));
            };
            if data.remove("jupyterhub").is_none() {
                continue; // not ours: someone else's route, left alone
            }
            let Some(Value::String(target)) = data.remove("target") else {
                return Err(bad(format!("route {path} has no target")));
            };
            let last_activity = match data.remove("last_activity") {
                Some(Value::String(t)) => DateTime::parse_from_rfc3339(&t)
                    .ok()
                    .map(|t| t.with_timezone(&Utc)),
                _ => None,
            };
            routes.insert(
                from_api_path(&path),
                Route {
                    target,
                    data,
                    last_activity,
                },
            );
        }
        Ok(routes)
    }

    /// Whether the proxy answers its API with our token now (one try, no retry). Asks for
    /// routes inactive since 1970, an empty answer whatever the table holds.
    pub async fn ping(&self) -> Result<(), ProxyError> {
        let url = format!(
            "{}/api/routes?inactive_since=1970-01-01T00:00:00.000Z",
            self.api_url
        );
        match self.send("GET", &url, None).await {
            Ok((status, _)) if status < 300 => Ok(()),
            Ok((status, body)) => Err(ProxyError::Refused {
                method: "GET",
                url,
                status,
                body,
            }),
            Err(reason) => Err(ProxyError::Unavailable { url, reason }),
        }
    }

    /// One call, retried with exponential backoff (0.1 s doubling to 5 s) on connection
    /// errors and 5xx until `retry_for` has passed; the body of a 2xx.
    async fn call(
        &self,
        method: &'static str,
        url: &str,
        body: Option<String>,
    ) -> Result<String, ProxyError> {
        let started = tokio::time::Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            let failure = match self.send(method, url, body.clone()).await {
                Ok((status, text)) if status < 300 => return Ok(text),
                Ok((status, text)) if status < 500 => {
                    return Err(ProxyError::Refused {
                        method,
                        url: url.to_string(),
                        status,
                        body: text,
                    })
                }
                Ok((status, text)) => format!("{status} {text}"),
                Err(e) => e,
            };
            if started.elapsed() + wait > self.retry_for {
                return Err(ProxyError::Unavailable {
                    url: url.to_string(),
                    reason: failure,
                });
            }
            tracing::debug!("{method} {url}: {failure}; retrying in {wait:?}");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
        }
    }

    async fn send(
        &self,
        method: &'static str,
        url: &str,
        body: Option<String>,
    ) -> Result<(u16, String), String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut request = self.http.request(method, url);
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("token {token}"));
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(|e| {
            let chain = error_chain(&e);
            if chain.contains("certificate") {
                // The usual cause: proxy.api_ca_file is not the CA that signed it.
                format!(
                    "{chain} (the proxy's TLS certificate is not trusted: \
                     proxy.api_ca_file must hold the CA that signed it)"
                )
            } else {
                chain
            }
        })?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| error_chain(&e))?;
        Ok((status, text))
    }
}

/// `e` and its causes, `: `-separated: reqwest's own text hides the reason (a refused
/// connection, an untrusted certificate).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn client(server: &MockServer) -> ProxyClient {
        ProxyClient::new(&server.uri(), Some("s3cret".into()), Duration::from_secs(2))
    }

    #[tokio::test]
    async fn adding_a_route_posts_its_data_with_target_and_the_token() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/routes/user/alice"))
            .and(header("Authorization", "token s3cret"))
            .and(body_json(json!({
                "user": "alice", "server_name": "", "target": "http://10.0.0.5:47405", "jupyterhub": true
            })))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&server)
            .await;
        let data = json!({"user": "alice", "server_name": ""});
        client(&server)
            .add_route(
                "/user/alice/",
                "http://10.0.0.5:47405",
                data.as_object().unwrap(),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_root_route_is_posted_to_api_routes_slash() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/routes/"))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&server)
            .await;
        let data = json!({"hub": true});
        client(&server)
            .add_route("/", "http://127.0.0.1:8081", data.as_object().unwrap())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn listing_keeps_only_our_routes_with_their_data_and_activity() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/routes"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "/": {"hub": true, "target": "http://127.0.0.1:8081", "jupyterhub": true,
                      "last_activity": "2026-11-25T17:01:21.530Z"},
                "/user/alice": {"user": "alice", "server_name": "", "target": "http://10.0.0.5:47405",
                                "jupyterhub": true, "last_activity": "2026-11-25T17:01:21.696Z"},
                "/other": {"target": "http://127.0.0.1:9999"}
            })))
            .mount(&server)
            .await;
        let routes = client(&server).routes().await.unwrap();
        assert_eq!(routes.keys().collect::<Vec<_>>(), ["/", "/user/alice/"]);
        let alice = &routes["/user/alice/"];
        assert_eq!(alice.target, "http://10.0.0.5:47405");
        assert_eq!(
            alice.data,
            *json!({"user": "alice", "server_name": ""})
                .as_object()
                .unwrap()
        );
        assert_eq!(
            alice.last_activity.unwrap().to_rfc3339(),
            "2026-11-25T17:01:21.696+00:00"
        );
    }

    #[tokio::test]
    async fn outages_are_retried_and_refusals_are_not() {
        let server = MockServer::start().await;
        Mock::given(method("DELETE"))
            .and(path("/api/routes/user/bob"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path("/api/routes/user/bob"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        client(&server).delete_route("/user/bob/").await.unwrap();
        assert_eq!(server.received_requests().await.unwrap().len(), 3);

        let refused = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(403))
            .expect(1)
            .mount(&refused)
            .await;
        let err = client(&refused)
            .add_route("/user/bob/", "http://x:1", &Map::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ProxyError::Refused { status: 403, .. }),
            "{err}"
        );
        assert!(!err.is_transient());
    }

    #[tokio::test]
    async fn a_missing_route_is_already_deleted_and_a_dead_proxy_is_unavailable() {
        let server = MockServer::start().await;
        Mock::given(method("DELETE"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        client(&server).delete_route("/user/gone/").await.unwrap();

        let dead = ProxyClient::new("http://127.0.0.1:9", None, Duration::from_millis(300));
        let err = dead.routes().await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
    }
}
