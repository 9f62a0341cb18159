//! TLS on the public listener: HTTP/2 and HTTP/1.1 by ALPN, with a generated certificate.

mod common;

use bytes::Bytes;
use common::{backend, config, start};
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use std::sync::Arc;
use tokio_rustls::TlsConnector;

fn tls_files(dir: &std::path::Path) -> (proxy::TlsFiles, rustls::RootCertStore) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    (proxy::TlsFiles { key, cert }, roots)
}

async fn connect(
    addr: std::net::SocketAddr,
    roots: rustls::RootCertStore,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake")
}

#[tokio::test]
async fn serves_http2_and_http1_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (files, roots) = tls_files(dir.path());
    let b = backend().await;
    let p = start(proxy::Config {
        tls: Some(files),
        ..config()
    })
    .await;
    p.add_route("/user/alice", &b.url()).await;

    // HTTP/2, as a browser would negotiate.
    let tls = connect(p.proxy, roots.clone(), &[b"h2", b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut h2, conn) = hyper::client::conn::http2::handshake::<_, _, Full<Bytes>>(
        TokioExecutor::new(),
        TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    for _ in 0..3 {
        let req = Request::get("https://localhost/user/alice/lab")
            .body(Full::default())
            .unwrap();
        let res = h2.send_request(req).await.unwrap();
        assert_eq!(res.status(), 200);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let e: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(e["uri"], "/user/alice/lab");
        assert_eq!(e["headers"]["host"], "localhost");
        assert_eq!(e["headers"]["x-forwarded-proto"], "https");
        assert_eq!(e["headers"]["x-forwarded-port"], "443");
    }

    // HTTP/1.1 only.
    let tls = connect(p.proxy, roots, &[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut h1, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/user/alice/tree")
        .header("host", "localhost:8443")
        .body(Full::default())
        .unwrap();
    let res = h1.send_request(req).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let e: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(e["headers"]["x-forwarded-port"], "8443");
    p.stop().await;
}

#[tokio::test]
async fn websocket_over_tls() {
    use futures_util::{SinkExt, StreamExt};
    let dir = tempfile::tempdir().unwrap();
    let (files, roots) = tls_files(dir.path());
    let ws_backend = common::ws_echo_backend().await;
    let p = start(proxy::Config {
        tls: Some(files),
        ..config()
    })
    .await;
    p.add_route("/", &format!("http://{ws_backend}")).await;
    let tls = connect(p.proxy, roots, &[b"http/1.1"]).await;
    let (mut ws, _) = tokio_tungstenite::client_async("wss://localhost/ws", tls)
        .await
        .expect("upgrade over TLS");
    ws.send(tokio_tungstenite::tungstenite::Message::text("over tls"))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap().into_text().unwrap(),
        "over tls"
    );
    p.stop().await;
}

#[tokio::test]
async fn unusable_tls_files_are_a_clear_start_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = proxy::TlsFiles {
        key: dir.path().join("nope.pem"),
        cert: dir.path().join("nope.pem"),
    };
    let err = proxy::Proxy::bind(proxy::Config {
        tls: Some(missing),
        ..config()
    })
    .await
    .expect_err("must refuse");
    assert!(err.to_string().contains("nope.pem"), "{err}");
}
