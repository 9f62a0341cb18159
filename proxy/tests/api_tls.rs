//! The route API over TLS (`--api-ssl-key/--api-ssl-cert`), so a hub on another host can
//! drive the proxy, with client certificates when `--api-ssl-ca` asks for them.

mod common;

use bytes::Bytes;
use common::certs::{client_config, connect, http1, peer_cert, try_connect, Leaf, TestCa};
use common::{config, start, TOKEN};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};

/// One API call over `tls`; `None` if the connection failed before an answer.
async fn call(
    tls: common::certs::TlsStream,
    method: Method,
    path: &str,
    body: &str,
) -> Option<(StatusCode, String)> {
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .ok()?;
    tokio::spawn(conn);
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1")
        .header("authorization", format!("token {TOKEN}"))
        .body(Full::<Bytes>::from(body.to_owned()))
        .unwrap();
    let res = sender.send_request(req).await.ok()?;
    let status = res.status();
    let body = res.into_body().collect().await.ok()?.to_bytes();
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::test]
async fn routes_are_added_and_listed_over_https_and_plain_http_fails() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("site CA");
    let api_files = ca
        .leaf("proxy api", &["127.0.0.1"])
        .write(dir.path(), "api");
    let p = start(proxy::Config {
        api_tls: Some(api_files),
        ..config()
    })
    .await;

    let add = call(
        connect(p.api, ca.roots(), "127.0.0.1").await,
        Method::POST,
        "/api/routes/user/alice",
        r#"{"target": "http://127.0.0.1:9", "jupyterhub": true}"#,
    )
    .await;
    assert_eq!(add.map(|(s, _)| s), Some(StatusCode::CREATED));
    let (status, routes) = call(
        connect(p.api, ca.roots(), "127.0.0.1").await,
        Method::GET,
        "/api/routes",
        "",
    )
    .await
    .expect("an answer");
    assert_eq!(status, StatusCode::OK);
    let routes: serde_json::Value = serde_json::from_str(&routes).unwrap();
    assert_eq!(routes["/user/alice"]["target"], "http://127.0.0.1:9");

    // Plain HTTP on the TLS port gets no answer.
    let req = Request::get(format!("http://{}/api/routes", p.api))
        .header("authorization", format!("token {TOKEN}"))
        .body(Full::<Bytes>::default())
        .unwrap();
    let plain = tokio::time::timeout(
        std::time::Duration::from_secs(15),
        common::client().request(req),
    )
    .await
    .expect("the server ends the connection");
    assert!(plain.is_err(), "plain HTTP answered: {plain:?}");

    // A client that does not trust the site CA fails the handshake.
    let stranger = TestCa::new("another CA");
    let refused = try_connect(
        p.api,
        client_config(stranger.roots(), &[b"http/1.1"], None),
        "127.0.0.1",
    )
    .await;
    assert!(refused.is_err());
    p.stop().await;
}

#[tokio::test]
async fn the_api_certificate_reloads_like_the_public_one() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("site CA");
    let first = ca.leaf("first", &["127.0.0.1"]);
    let files = first.write(dir.path(), "api");
    let p = start(proxy::Config {
        api_tls: Some(files.clone()),
        tls_reload_interval: None,
        ..config()
    })
    .await;
    assert_eq!(
        peer_cert(&connect(p.api, ca.roots(), "127.0.0.1").await),
        first.der
    );
    let second = ca.leaf("second", &["127.0.0.1"]);
    second.write_to(&files);
    p.reloader.reload_now();
    let seen = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let cert = peer_cert(&connect(p.api, ca.roots(), "127.0.0.1").await);
            if cert != first.der {
                return cert;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("reloaded");
    assert_eq!(seen, second.der);
    // The API still works over the new certificate.
    let mut h1 = http1(connect(p.api, ca.roots(), "127.0.0.1").await).await;
    let (status, _, _) = common::certs::get_over(&mut h1, "/api/routes").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no token: refused, but answered"
    );
    p.stop().await;
}

async fn call_with_client_cert(
    p: &common::Running,
    ca: &TestCa,
    client: Option<&Leaf>,
) -> Option<StatusCode> {
    let cfg = client_config(ca.roots(), &[b"http/1.1"], client);
    let tls = try_connect(p.api, cfg, "127.0.0.1").await.ok()?;
    call(tls, Method::GET, "/api/routes", "")
        .await
        .map(|(s, _)| s)
}

#[tokio::test]
async fn client_certificates_are_required_or_optional_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("site CA");
    let api_files = ca
        .leaf("proxy api", &["127.0.0.1"])
        .write(dir.path(), "api");
    let clients_ca = TestCa::new("clients CA");
    let ca_file = clients_ca.write(dir.path(), "clients-ca");
    let hub = clients_ca.leaf("hub", &["hub.example"]);
    let intruder = TestCa::new("intruder CA").leaf("hub", &["hub.example"]);

    let required = start(proxy::Config {
        api_tls: Some(api_files.clone()),
        api_client_auth: Some(proxy::tls::ClientAuth {
            ca: ca_file.clone(),
            required: true,
        }),
        ..config()
    })
    .await;
    assert_eq!(
        call_with_client_cert(&required, &ca, Some(&hub)).await,
        Some(StatusCode::OK)
    );
    assert_eq!(call_with_client_cert(&required, &ca, None).await, None);
    assert_eq!(
        call_with_client_cert(&required, &ca, Some(&intruder)).await,
        None
    );
    required.stop().await;

    let optional = start(proxy::Config {
        api_tls: Some(api_files),
        api_client_auth: Some(proxy::tls::ClientAuth {
            ca: ca_file,
            required: false,
        }),
        ..config()
    })
    .await;
    assert_eq!(
        call_with_client_cert(&optional, &ca, None).await,
        Some(StatusCode::OK)
    );
    assert_eq!(
        call_with_client_cert(&optional, &ca, Some(&hub)).await,
        Some(StatusCode::OK)
    );
    assert_eq!(
        call_with_client_cert(&optional, &ca, Some(&intruder)).await,
        None
    );
    optional.stop().await;
}

#[tokio::test]
async fn client_certificates_without_api_tls_are_refused() {
    let err = proxy::Proxy::bind(proxy::Config {
        api_client_auth: Some(proxy::tls::ClientAuth {
            ca: "ca.pem".into(),
            required: true,
        }),
        ..config()
    })
    .await
    .expect_err("must refuse");
    assert!(err.to_string().contains("--api-ssl-cert"), "{err}");
}
