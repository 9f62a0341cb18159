//! The built-in test server: what `hub-singleuser` serves when no Jupyter is installed (or
//! with `--builtin`), so a whole spawn can be tried on a cluster without Python.
//!
//! It is not Jupyter and says so. It answers `GET {prefix}api` like Jupyter's
//! (`{"version": …}`; the hub's readiness check needs any answer below 500), serves a small
//! page at `{prefix}`, and posts activity to the hub so the server is not culled as idle.
//! It does not check who calls it: it serves nothing but these two fixed texts.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

/// The label on everything the built-in server shows.
pub const LABEL: &str = "batchhub built-in test server — not Jupyter";

/// How long open connections may finish after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The answer to one request, by method and path alone.
pub fn respond(prefix: &str, method: &Method, path: &str) -> Response<Full<Bytes>> {
    let api = format!("{prefix}api");
    let is_api = path == api || path.strip_prefix(api.as_str()) == Some("/");
    let is_page = path == prefix || Some(path) == prefix.strip_suffix('/');
    if !is_api && !is_page {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
    }
    if is_api {
        let body = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "server": LABEL,
        });
        return Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a valid response");
    }
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{LABEL}</title></head>\n\
         <body><h1>{LABEL}</h1>\n<p>This server runs at <code>{}</code>. It answers the hub \
         and nothing else: install <code>jupyterhub-singleuser</code> on the compute nodes \
         for a real notebook server.</p></body></html>\n",
        escape_html(prefix)
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(page)))
        .expect("a valid response")
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .expect("a valid response")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Serves [`respond`] on `listener` until `shutdown` completes, then lets open connections
/// finish (for a few seconds at most).
pub async fn serve(
    listener: TcpListener,
    prefix: String,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: pass, not fatal.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let prefix = prefix.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let response = respond(&prefix, request.method(), request.uri().path());
            async move { Ok::<_, Infallible>(response) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
    }
    Ok(())
}

/// JupyterHub's activity body (protocol reference §1.3 b): the same time for the server
/// and the user, naive UTC ISO 8601 with a `Z`.
pub fn activity_body(server_name: &str, now: DateTime<Utc>) -> String {
    let stamp = now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    serde_json::json!({
        "servers": { server_name: { "last_activity": stamp } },
        "last_activity": stamp,
    })
    .to_string()
}

/// Where and how to post activity.
#[derive(Debug, Clone)]
pub struct Activity {
    /// `JUPYTERHUB_ACTIVITY_URL` or `{api}/users/{user}/activity`.
    pub url: String,
    /// The server's token.
    pub token: String,
    /// The server's name, `""` for the default server.
    pub server_name: String,
    /// Time between posts: often enough that the hub's idle culler sees the server alive.
    pub every: Duration,
}

/// Posts activity now and then every `activity.every`, with the time `now` gives, forever.
/// Failures are logged and the next post tried at its time: a hub that is away for a
/// while must not stop the server.
pub async fn keep_activity(activity: Activity, now: impl Fn() -> DateTime<Utc>) {
    let http = match super::hub_client::hub_client(&activity.url, Duration::from_secs(10)) {
        Ok(http) => http,
        Err(e) => {
            tracing::error!(error = %e, "cannot build an HTTP client; no activity will be sent");
            return;
        }
    };
    let mut ticks = tokio::time::interval(activity.every);
    // A post that took long must not be followed by a burst of catch-up posts.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let sent = http
            .post(&activity.url)
            .header(header::AUTHORIZATION, format!("token {}", activity.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(activity_body(&activity.server_name, now()))
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                tracing::warn!(status = %response.status(), url = %activity.url, "activity refused")
            }
            Err(e) => tracing::warn!(error = %e, url = %activity.url, "activity not sent"),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use http_body_util::BodyExt;

    use super::*;

    async fn text(response: Response<Full<Bytes>>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn answers_api_and_page_under_the_prefix() {
        let prefix = "/user/alice/";
        for path in ["/user/alice/api", "/user/alice/api/"] {
            let response = respond(prefix, &Method::GET, path);
            assert_eq!(response.status(), StatusCode::OK);
            let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
            assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        }
        for path in ["/user/alice/", "/user/alice"] {
            let response = respond(prefix, &Method::GET, path);
            assert_eq!(response.status(), StatusCode::OK);
            assert!(text(response).await.contains(LABEL));
        }
        for path in ["/", "/user/bob/api", "/user/alice/apix", "/user/alice/lab"] {
            assert_eq!(
                respond(prefix, &Method::GET, path).status(),
                StatusCode::NOT_FOUND
            );
        }
        assert_eq!(
            respond(prefix, &Method::POST, "/user/alice/api").status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[test]
    fn the_page_escapes_the_prefix() {
        let page = escape_html("/user/<b>&\"/");
        assert_eq!(page, "/user/&lt;b&gt;&amp;&quot;/");
    }

    #[test]
    fn activity_has_jupyterhubs_shape() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 17, 1, 17).unwrap()
            + chrono::Duration::microseconds(817_869);
        let body: serde_json::Value = serde_json::from_str(&activity_body("gpu1", now)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "servers": {"gpu1": {"last_activity": "2026-11-25T17:01:17.817869Z"}},
                "last_activity": "2026-11-25T17:01:17.817869Z",
            })
        );
    }
}
