//! WebSocket relaying through the proxy, against a real WebSocket server and client.

mod common;

use common::{config, dead_addr, start, ws_echo_backend};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

async fn until(mut cond: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("condition reached");
}

#[tokio::test]
async fn websocket_echo_both_ways_large_and_small() {
    let backend = ws_echo_backend().await;
    let p = start(config()).await;
    p.add_route("/user/alice", &format!("http://{backend}"))
        .await;
    let route = p.app.routes.get("/user/alice").unwrap();
    let added = route.last_activity();

    let url = format!("ws://{}/user/alice/api/kernels/1/channels", p.proxy);
    let (mut ws, res) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("upgrade");
    assert_eq!(res.status(), 101);
    until(|| p.app.metrics.websockets_open() == 1).await;

    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
    // A message much larger than any buffer: relayed in pieces, with backpressure.
    let big: Vec<u8> = (0..4 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    ws.send(Message::binary(big.clone())).await.unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Binary(got) => assert!(got[..] == big[..], "payload corrupted"),
        other => panic!("unexpected {other:?}"),
    }
    for i in 0..100 {
        ws.send(Message::text(format!("m{i}"))).await.unwrap();
    }
    for i in 0..100 {
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text(format!("m{i}"))
        );
    }
    assert!(route.last_activity() >= added);
    ws.close(None).await.unwrap();
    // The close is relayed and the relay ends.
    while let Some(Ok(m)) = ws.next().await {
        assert!(m.is_close(), "{m:?}");
    }
    drop(ws);
    until(|| p.app.metrics.websockets_open() == 0).await;
    p.stop().await;
}

#[tokio::test]
async fn websocket_to_a_dead_upstream_is_refused_with_503() {
    let p = start(config()).await;
    p.add_route("/user/gone", &format!("http://{}", dead_addr().await))
        .await;
    let url = format!("ws://{}/user/gone/ws", p.proxy);
    match tokio_tungstenite::connect_async(&url).await {
        Err(WsError::Http(res)) => assert_eq!(res.status(), 503),
        other => panic!("expected a 503, got {other:?}"),
    }
    match tokio_tungstenite::connect_async(format!("ws://{}/nowhere", p.proxy)).await {
        Err(WsError::Http(res)) => assert_eq!(res.status(), 404),
        other => panic!("expected a 404, got {other:?}"),
    }
    p.stop().await;
}

#[tokio::test]
async fn an_upstream_refusing_the_upgrade_is_passed_through() {
    let b = common::backend().await; // plain HTTP: answers 200, not 101
    let p = start(config()).await;
    p.add_route("/", &b.url()).await;
    match tokio_tungstenite::connect_async(format!("ws://{}/status/403", p.proxy)).await {
        Err(WsError::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("expected the upstream's 403, got {other:?}"),
    }
    p.stop().await;
}

#[tokio::test]
async fn shutdown_closes_open_websockets() {
    let backend = ws_echo_backend().await;
    let p = start(config()).await;
    p.add_route("/", &format!("http://{backend}")).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", p.proxy))
        .await
        .unwrap();
    ws.send(Message::text("x")).await.unwrap();
    ws.next().await.unwrap().unwrap();
    let app = p.app.clone();
    p.stop().await;
    assert_eq!(app.metrics.websockets_open(), 0);
    // The client sees its connection end.
    let end = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap();
    assert!(!matches!(end, Some(Ok(Message::Text(_)))), "{end:?}");
}
