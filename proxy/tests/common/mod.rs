//! Shared test fixtures: a running proxy on 127.0.0.1:0, a scriptable backend, clients.
#![allow(dead_code)] // each test binary uses a different subset

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use proxy::{App, Config, Proxy};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub mod certs;

pub const TOKEN: &str = "secret-token";

/// A proxy serving on loopback.
pub struct Running {
    pub proxy: SocketAddr,
    pub api: SocketAddr,
    pub metrics: Option<SocketAddr>,
    pub redirect: Option<SocketAddr>,
    pub app: Arc<App>,
    pub reloader: proxy::tls::Reloader,
    pub shutdown: CancellationToken,
    pub handle: JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle.await.expect("serve task");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.proxy)
    }

    /// An API call with the test token.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, String) {
        api_call(self.api, method, path, body, Some(TOKEN)).await
    }

    /// Adds a route, asserting 201.
    pub async fn add_route(&self, path: &str, target: &str) {
        let body = format!("{{\"target\": \"{target}\", \"jupyterhub\": true}}");
        let (status, text) = self
            .api(Method::POST, &format!("/api/routes{path}"), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }
}

/// A test configuration with the test token.
pub fn config() -> Config {
    Config {
        auth_token: Some(TOKEN.into()),
        ..Config::for_tests()
    }
}

pub async fn start(config: Config) -> Running {
    let p = Proxy::bind(config).await.expect("bind");
    let (proxy, api, metrics) = (p.proxy_addr(), p.api_addr(), p.metrics_addr());
    let redirect = p.redirect_addr();
    let app = Arc::clone(p.app());
    let reloader = p.reloader();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(p.serve(shutdown.clone()));
    Running {
        proxy,
        api,
        metrics,
        redirect,
        app,
        reloader,
        shutdown,
        handle,
    }
}

pub type TestClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

pub async fn send(req: Request<Full<Bytes>>) -> (StatusCode, HeaderMap, String) {
    let res = client().request(req).await.expect("request");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

pub async fn get(url: &str) -> (StatusCode, HeaderMap, String) {
    send(Request::get(url).body(Full::default()).unwrap()).await
}

pub async fn api_call(
    api: SocketAddr,
    method: Method,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{api}{path}"))
        // What JupyterHub's aiohttp client sends.
        .header("content-type", "text/plain; charset=utf-8");
    if let Some(t) = token {
        req = req.header("authorization", format!("token {t}"));
    }
    let req = req.body(Full::from(body.unwrap_or("").to_owned())).unwrap();
    let (status, _, body) = send(req).await;
    (status, body)
}

/// A backend that echoes each request as JSON (`method`, `uri`, `headers`, `body_len`).
/// `/status/N` answers N; `/slow` waits for [`Backend::release`]; `/lockstep` reports each
/// body frame on `frames` as it arrives; `…/sts` answers with its own
/// `Strict-Transport-Security: max-age=5`.
pub struct Backend {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub release: Arc<Notify>,
    pub arrived: Arc<Notify>,
    pub frames: tokio::sync::Mutex<mpsc::UnboundedReceiver<usize>>,
}

impl Backend {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

pub async fn backend() -> Backend {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(Notify::new());
    let arrived = Arc::new(Notify::new());
    let (tx, rx) = mpsc::unbounded_channel();
    let (c, r, a) = (
        Arc::clone(&connections),
        Arc::clone(&release),
        Arc::clone(&arrived),
    );
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            c.fetch_add(1, Ordering::SeqCst);
            let (r, a, tx) = (Arc::clone(&r), Arc::clone(&a), tx.clone());
            tokio::spawn(async move {
                let svc =
                    service_fn(move |req| echo(req, Arc::clone(&r), Arc::clone(&a), tx.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Backend {
        addr,
        connections,
        release,
        arrived,
        frames: tokio::sync::Mutex::new(rx),
    }
}

async fn echo(
    req: Request<Incoming>,
    release: Arc<Notify>,
    arrived: Arc<Notify>,
    frames: mpsc::UnboundedSender<usize>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    if let Some((_, code)) = path.split_once("/status/") {
        let mut res = Response::new(Full::from(format!("status {code}")));
        *res.status_mut() = StatusCode::from_u16(code.parse().unwrap()).unwrap();
        return Ok(res);
    }
    if path.ends_with("/slow") {
        arrived.notify_one();
        release.notified().await;
    }
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
        .collect();
    let mut body = req.into_body();
    let mut body_len = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        if let Some(d) = frame.data_ref() {
            body_len += d.len();
            if path.ends_with("/lockstep") {
                let _ = frames.send(d.len());
            }
        }
    }
    let json =
        serde_json::json!({"method": method, "uri": uri, "headers": headers, "body_len": body_len});
    let mut res = Response::new(Full::from(json.to_string()));
    if path.ends_with("/sts") {
        res.headers_mut().insert(
            http::header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static("max-age=5"),
        );
    }
    Ok(res)
}

/// A WebSocket echo server (tungstenite) on loopback.
pub async fn ws_echo_backend() -> SocketAddr {
    use futures_util::{SinkExt, StreamExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_close() {
                        break;
                    }
                    if ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// An address nothing listens on (bound, then released).
pub async fn dead_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}
