//! The data plane: routing, forwarding, errors, timeouts, keep-alive, streaming.

mod common;

use bytes::Bytes;
use common::{backend, config, dead_addr, get, send, start};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use serde_json::Value;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn echo(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not the echo JSON ({e}): {body}"))
}

#[tokio::test]
async fn longest_prefix_wins_and_the_full_path_is_forwarded() {
    let (hub, alice) = (backend().await, backend().await);
    let p = start(config()).await;
    p.add_route("/", &hub.url()).await;
    p.add_route("/user/alice", &alice.url()).await;

    let (s, _, body) = get(&p.url("/user/alice/lab/tree?x=1")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(echo(&body)["uri"], "/user/alice/lab/tree?x=1");
    assert_eq!(alice.connections.load(Ordering::SeqCst), 1);

    // Segment boundaries: /user/alicex is not alice's.
    let (_, _, body) = get(&p.url("/user/alicex")).await;
    assert_eq!(echo(&body)["uri"], "/user/alicex");
    assert_eq!(hub.connections.load(Ordering::SeqCst), 1);
    // Percent-encoded paths match their decoded route.
    let (_, _, body) = get(&p.url("/user/%61lice/x")).await;
    assert_eq!(echo(&body)["uri"], "/user/%61lice/x");
    assert_eq!(hub.connections.load(Ordering::SeqCst), 1);
    p.stop().await;
}

#[tokio::test]
async fn forwarded_headers_host_and_methods_with_bodies() {
    let b = backend().await;
    let p = start(config()).await;
    p.add_route("/", &b.url()).await;
    let req = Request::builder()
        .method(Method::PUT)
        .uri(p.url("/api/contents/x"))
        .header("host", "hub.example.org:8000")
        .header("x-forwarded-for", "203.0.113.9")
        .body(Full::from(vec![7u8; 100_000]))
        .unwrap();
    let (s, _, body) = send(req).await;
    assert_eq!(s, StatusCode::OK);
    let e = echo(&body);
    assert_eq!(e["method"], "PUT");
    assert_eq!(e["body_len"], 100_000);
    assert_eq!(e["headers"]["host"], "hub.example.org:8000");
    assert_eq!(e["headers"]["x-forwarded-for"], "203.0.113.9,127.0.0.1");
    assert_eq!(e["headers"]["x-forwarded-proto"], "http");
    assert_eq!(e["headers"]["x-forwarded-port"], "8000");
    assert_eq!(e["headers"]["x-forwarded-host"], "hub.example.org:8000");
    p.stop().await;
}

#[tokio::test]
async fn no_x_forward_and_no_include_prefix() {
    let b = backend().await;
    let p = start(proxy::Config {
        x_forward: false,
        include_prefix: false,
        ..config()
    })
    .await;
    p.add_route("/user/alice", &format!("{}/base", b.url()))
        .await;
    let (_, _, body) = get(&p.url("/user/alice/lab?x=1")).await;
    let e = echo(&body);
    assert_eq!(e["uri"], "/base/lab?x=1");
    assert!(e["headers"].get("x-forwarded-for").is_none(), "{e}");
    p.stop().await;
}

#[tokio::test]
async fn host_routing_uses_the_host_as_first_segment() {
    let (a, b) = (backend().await, backend().await);
    let p = start(proxy::Config {
        host_routing: true,
        ..config()
    })
    .await;
    p.add_route("/alice.hub.test", &a.url()).await;
    p.add_route("/bob.hub.test/user/bob", &b.url()).await;
    let (_, body) = p.api(Method::GET, "/api/routes/alice.hub.test", None).await;
    assert_eq!(echo(&body)["host"], "alice.hub.test");
    let req = |host: &str, path: &str| {
        Request::get(p.url(path))
            .header("host", host)
            .body(Full::default())
            .unwrap()
    };
    let (_, _, body) = send(req("alice.hub.test:8000", "/lab")).await;
    assert_eq!(echo(&body)["uri"], "/lab");
    let (_, _, body) = send(req("bob.hub.test", "/user/bob/x")).await;
    assert_eq!(echo(&body)["uri"], "/user/bob/x");
    assert_eq!(
        (
            a.connections.load(Ordering::SeqCst),
            b.connections.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
    let (s, _, _) = send(req("carol.hub.test", "/lab")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    p.stop().await;
}

#[tokio::test]
async fn no_route_is_404_and_health_check_answers() {
    let p = start(config()).await;
    let (s, _, body) = get(&p.url("/nowhere")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("404"), "{body}");
    let (s, _, body) = get(&p.url("/_chp_healthz")).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, r#"{"status":"OK"}"#));
    p.stop().await;
}

#[tokio::test]
async fn unreachable_upstream_is_503_and_bad_upstream_is_502() {
    let p = start(config()).await;
    p.add_route("/user/gone", &format!("http://{}", dead_addr().await))
        .await;
    let (s, _, _) = get(&p.url("/user/gone/lab")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);

    // An upstream that accepts and hangs up without answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
            drop(s);
        }
    });
    p.add_route("/user/broken", &format!("http://{addr}")).await;
    let (s, _, _) = get(&p.url("/user/broken/lab")).await;
    assert_eq!(s, StatusCode::BAD_GATEWAY);
    let metrics = p.app.metrics.render(0);
    assert!(metrics.contains("kind=\"connect_failed\"} 1"), "{metrics}");
    assert!(metrics.contains("kind=\"bad_response\"} 1"), "{metrics}");
    p.stop().await;
}

#[tokio::test]
async fn proxy_timeout_is_504() {
    let b = backend().await;
    let p = start(proxy::Config {
        proxy_timeout: Some(Duration::from_millis(200)),
        ..config()
    })
    .await;
    p.add_route("/", &b.url()).await;
    let (s, _, _) = get(&p.url("/slow")).await;
    assert_eq!(s, StatusCode::GATEWAY_TIMEOUT);
    b.release.notify_one();
    // A prompt upstream is unaffected.
    let (s, _, _) = get(&p.url("/fast")).await;
    assert_eq!(s, StatusCode::OK);
    p.stop().await;
}

#[tokio::test]
async fn timeout_drops_the_client_connection() {
    let b = backend().await;
    let p = start(proxy::Config {
        timeout: Some(Duration::from_millis(200)),
        ..config()
    })
    .await;
    p.add_route("/", &b.url()).await;
    let res = common::client()
        .request(Request::get(p.url("/slow")).body(Full::default()).unwrap())
        .await;
    assert!(
        res.is_err(),
        "expected the connection to be dropped, got {res:?}"
    );
    b.release.notify_one();
    p.stop().await;
}

#[tokio::test]
async fn error_target_renders_the_page_with_the_original_status() {
    let hub = backend().await;
    let p = start(proxy::Config {
        error_target: Some(format!("{}/hub/error", hub.url())),
        ..config()
    })
    .await;
    p.add_route("/user/alice", &format!("http://{}", dead_addr().await))
        .await;
    let (s, _, body) = get(&p.url("/user/alice/lab?a=b")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    // The hub was asked GET {target}/503?url=<original url>.
    assert_eq!(
        echo(&body)["uri"],
        "/hub/error/503?url=%2Fuser%2Falice%2Flab%3Fa%3Db"
    );
    let (s, _, body) = get(&p.url("/nothing")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(echo(&body)["uri"], "/hub/error/404?url=%2Fnothing");
    p.stop().await;
}

#[tokio::test]
async fn error_path_serves_code_pages_then_error_html() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("404.html"), "<p>custom 404</p>").unwrap();
    std::fs::write(dir.path().join("error.html"), "<p>custom error</p>").unwrap();
    let p = start(proxy::Config {
        error_path: Some(dir.path().to_owned()),
        ..config()
    })
    .await;
    let (s, h, body) = get(&p.url("/nothing")).await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::NOT_FOUND, "<p>custom 404</p>")
    );
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    p.add_route("/user/x", &format!("http://{}", dead_addr().await))
        .await;
    let (s, _, body) = get(&p.url("/user/x")).await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "<p>custom error</p>")
    );
    p.stop().await;
}

#[tokio::test]
async fn keep_alive_on_both_sides() {
    let b = backend().await;
    let p = start(config()).await;
    p.add_route("/", &b.url()).await;
    // One client connection, many requests.
    let stream = tokio::net::TcpStream::connect(p.proxy).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    let conn = tokio::spawn(conn);
    for i in 0..20 {
        let req = Request::get(format!("/r{i}"))
            .header("host", "x")
            .body(Full::default())
            .unwrap();
        let res = sender
            .send_request(req)
            .await
            .expect("same connection stays open");
        assert_eq!(res.status(), StatusCode::OK);
        res.into_body().collect().await.unwrap();
    }
    // Sequential requests reuse one pooled upstream connection.
    assert_eq!(b.connections.load(Ordering::SeqCst), 1);
    assert_eq!(
        p.app
            .metrics
            .render(0)
            .matches("hub_proxy_connections_open 1\n")
            .count(),
        1
    );
    drop(sender);
    conn.await.unwrap().unwrap();
    p.stop().await;
}

#[tokio::test]
async fn idle_client_connections_close_after_keep_alive_timeout() {
    let b = backend().await;
    let p = start(proxy::Config {
        keep_alive_timeout: Duration::from_millis(300),
        ..config()
    })
    .await;
    p.add_route("/", &b.url()).await;
    let stream = tokio::net::TcpStream::connect(p.proxy).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    let conn = tokio::spawn(conn);
    let req = Request::get("/")
        .header("host", "x")
        .body(Full::default())
        .unwrap();
    sender
        .send_request(req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    // The proxy closes the idle connection; the client sees its end.
    let ended = tokio::time::timeout(Duration::from_secs(10), conn).await;
    assert!(ended.is_ok(), "idle connection was not closed");
    p.stop().await;
}

#[tokio::test]
async fn request_bodies_stream_through_without_being_buffered() {
    let b = backend().await;
    let p = start(config()).await;
    p.add_route("/", &b.url()).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(1);
    let body = StreamBody::new(tokio_stream_from(rx));
    let req = Request::post(p.url("/lockstep")).body(body).unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<StreamBody<_>>();
    let response = tokio::spawn(async move { client.request(req).await });
    let mut frames = b.frames.lock().await;
    // Send a chunk only after the backend has seen the previous one: a proxy that
    // buffered the body would never deliver the first, and this would time out.
    let mut seen = 0;
    for _ in 0..16 {
        tx.send(Ok(Frame::data(Bytes::from(vec![1u8; 64 * 1024]))))
            .await
            .unwrap();
        let mut got = 0;
        while got < 64 * 1024 {
            got += tokio::time::timeout(Duration::from_secs(10), frames.recv())
                .await
                .expect("chunk reached the backend before the body ended")
                .unwrap();
        }
        seen += got;
    }
    drop(tx);
    let res = response.await.unwrap().unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(echo(&String::from_utf8_lossy(&body))["body_len"], seen);
    p.stop().await;
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn last_activity_follows_successful_traffic() {
    let b = backend().await;
    let p = start(config()).await;
    p.add_route("/user/alice", &b.url()).await;
    let route = p.app.routes.get("/user/alice").unwrap();
    let added = route.last_activity();
    // Wait for the clock to tick past the add (an event, not a fixed sleep).
    while proxy::time::now_millis() <= added {
        tokio::task::yield_now().await;
    }
    let (s, _, _) = get(&p.url("/user/alice/status/404")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(route.last_activity(), added, "errors are not activity");
    get(&p.url("/user/alice/api")).await;
    assert!(route.last_activity() > added);
    let (_, body) = p.api(Method::GET, "/api/routes/user/alice", None).await;
    let shown = proxy::time::parse_timestamp(echo(&body)["last_activity"].as_str().unwrap());
    assert_eq!(shown, Some(route.last_activity()));
    p.stop().await;
}

#[tokio::test]
async fn listing_ten_thousand_routes_does_not_stall_proxied_requests() {
    let b = backend().await;
    let p = start(config()).await;
    p.add_route("/", &b.url()).await;
    for i in 0..10_000 {
        let mut data = serde_json::Map::new();
        data.insert(
            "target".into(),
            format!("http://127.0.0.1:{}", 1000 + i % 50000).into(),
        );
        data.insert("user".into(), format!("user{i}").into());
        p.app.routes.add(
            &format!("/user/user{i}"),
            proxy::routes::Route::new(data, 0).unwrap(),
        );
    }
    // Hammer the listing from several clients while proxying.
    let stop = tokio_util::sync::CancellationToken::new();
    let mut listers = Vec::new();
    for _ in 0..4 {
        let (api, stop) = (p.api, stop.clone());
        listers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.is_cancelled() {
                let (s, body) =
                    common::api_call(api, Method::GET, "/api/routes", None, Some(common::TOKEN))
                        .await;
                assert_eq!(s, StatusCode::OK);
                assert!(body.len() > 500_000);
                n += 1;
            }
            n
        }));
    }
    let mut worst = Duration::ZERO;
    for _ in 0..200 {
        let t = std::time::Instant::now();
        let (s, _, _) = get(&p.url("/hub/home")).await;
        assert_eq!(s, StatusCode::OK);
        worst = worst.max(t.elapsed());
    }
    stop.cancel();
    let mut listings = 0;
    for l in listers {
        listings += l.await.unwrap();
    }
    assert!(listings > 0);
    // Generous: a request that waited for a listing lock would queue behind many of them.
    assert!(
        worst < Duration::from_secs(2),
        "worst proxied latency {worst:?}"
    );
    p.stop().await;
}

/// An upstream that answers each connection's first request with `body`, keep-alive
/// implied, then hangs up: the proxy's idle upstream connection is dead by the next request.
async fn one_shot_upstream(body: &'static str) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let res = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(res.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn one_client_connection_follows_target_changes_and_upstream_hang_ups() {
    let b = backend().await;
    let one_shot = one_shot_upstream("one-shot").await;
    let p = start(config()).await;
    p.add_route("/a", &b.url()).await;
    p.add_route("/b", &format!("http://{one_shot}")).await;
    let stream = tokio::net::TcpStream::connect(p.proxy).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    for i in 0..6 {
        // Alternate targets, and hit the one-shot upstream twice in a row.
        let path = if i % 3 == 0 { "/a/x" } else { "/b/x" };
        let req = Request::get(path)
            .header("host", "x")
            .body(Full::default())
            .unwrap();
        let res = sender
            .send_request(req)
            .await
            .expect("client connection kept");
        assert_eq!(res.status(), StatusCode::OK, "request {i} to {path}");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        if path == "/b/x" {
            assert_eq!(&body[..], b"one-shot", "request {i}");
        } else {
            assert_eq!(echo(std::str::from_utf8(&body).unwrap())["uri"], "/a/x");
        }
    }
    p.stop().await;
}
