//! `--redirect-port` (plain HTTP → 301 to HTTPS) and `Strict-Transport-Security` on the
//! public listener's TLS answers.

mod common;

use bytes::Bytes;
use common::certs::{connect, get_over, http1, TestCa};
use common::{backend, config, send, start};
use http::{header, Request, StatusCode};
use http_body_util::Full;

fn tls_config(dir: &std::path::Path, ca: &TestCa) -> proxy::Config {
    let files = ca.leaf("proxy", &["localhost"]).write(dir, "proxy");
    proxy::Config {
        tls: Some(files),
        redirect_port: Some(0),
        ..config()
    }
}

async fn redirect(
    addr: std::net::SocketAddr,
    path: &str,
    host: &str,
) -> (StatusCode, Option<String>) {
    let req = Request::get(format!("http://{addr}{path}"))
        .header(header::HOST, host)
        .body(Full::<Bytes>::default())
        .unwrap();
    let (status, headers, _) = send(req).await;
    let location = headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, location)
}

#[tokio::test]
async fn redirect_port_sends_plain_http_to_https_on_the_public_port() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    let p = start(tls_config(dir.path(), &ca)).await;
    let (public, plain) = (p.proxy, p.redirect.expect("a redirect listener"));

    let (status, location) =
        redirect(plain, "/hub/login?next=%2Fuser%2Fa&x=1", "hub.example.org").await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        location.unwrap(),
        format!(
            "https://hub.example.org:{}/hub/login?next=%2Fuser%2Fa&x=1",
            public.port()
        )
    );
    // The port the client used is dropped, the public one named.
    let (_, location) = redirect(plain, "/", "hub.example.org:80").await;
    assert_eq!(
        location.unwrap(),
        format!("https://hub.example.org:{}/", public.port())
    );
    // The redirect reaches the HTTPS listener.
    let tls = connect(public, ca.roots(), "localhost").await;
    let (status, _, _) = get_over(&mut http1(tls).await, "/_chp_healthz").await;
    assert_eq!(status, StatusCode::OK);

    for bad in [
        "evil.org@hub.example.org",
        "hub example",
        "hub.org:80:1",
        "hub/x",
    ] {
        let (status, location) = redirect(plain, "/", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(location, None, "{bad}");
    }
    p.stop().await;
}

#[tokio::test]
async fn redirect_to_names_another_port_and_443_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    for (to, expected) in [
        (
            443,
            "https://hub.example.org/user/alice/lab?token=x".to_string(),
        ),
        (
            8443,
            "https://hub.example.org:8443/user/alice/lab?token=x".to_string(),
        ),
    ] {
        let p = start(proxy::Config {
            redirect_to: Some(to),
            ..tls_config(dir.path(), &ca)
        })
        .await;
        let plain = p.redirect.expect("a redirect listener");
        let (status, location) =
            redirect(plain, "/user/alice/lab?token=x", "hub.example.org:8080").await;
        assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(location.unwrap(), expected);
        p.stop().await;
    }
}

#[tokio::test]
async fn redirect_port_without_tls_is_refused() {
    let err = proxy::Proxy::bind(proxy::Config {
        redirect_port: Some(0),
        ..config()
    })
    .await
    .expect_err("must refuse");
    assert!(err.to_string().contains("--redirect-port"), "{err}");
    assert!(err.to_string().contains("--ssl-cert"), "{err}");
}

#[tokio::test]
async fn hsts_on_tls_answers_unless_upstream_set_one_or_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    let files = ca.leaf("proxy", &["localhost"]).write(dir.path(), "proxy");
    let b = backend().await;
    let p = start(proxy::Config {
        tls: Some(files.clone()),
        ..config()
    })
    .await;
    p.add_route("/user/alice", &b.url()).await;
    let mut h1 = http1(connect(p.proxy, ca.roots(), "localhost").await).await;
    let sts = |h: &http::HeaderMap| {
        h.get(header::STRICT_TRANSPORT_SECURITY)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (status, headers, _) = get_over(&mut h1, "/user/alice/lab").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sts(&headers).as_deref(), Some("max-age=31536000"));
    // An upstream's own choice is kept.
    let (_, headers, _) = get_over(&mut h1, "/user/alice/sts").await;
    assert_eq!(sts(&headers).as_deref(), Some("max-age=5"));
    // The proxy's own answers carry it too.
    let (status, headers, _) = get_over(&mut h1, "/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(sts(&headers).as_deref(), Some("max-age=31536000"));
    p.stop().await;

    let p = start(proxy::Config {
        tls: Some(files),
        hsts_max_age: 0,
        ..config()
    })
    .await;
    p.add_route("/user/alice", &b.url()).await;
    let mut h1 = http1(connect(p.proxy, ca.roots(), "localhost").await).await;
    let (status, headers, _) = get_over(&mut h1, "/user/alice/lab").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sts(&headers), None);
    p.stop().await;
}

#[tokio::test]
async fn no_hsts_over_plain_http() {
    let b = backend().await;
    let p = start(config()).await;
    p.add_route("/user/alice", &b.url()).await;
    let (status, headers, _) = common::get(&p.url("/user/alice/lab")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    p.stop().await;
}
