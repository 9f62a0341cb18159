//! The hub's proxy client against the real `hub-proxy` (in process, on 127.0.0.1:0): the
//! routes it adds are the routes the proxy serves, and reconciliation catches up a proxy
//! that lost its table.

use std::collections::BTreeMap;
use std::time::Duration;

use hub::proxy_client::{plan, ProxyClient, Wanted};
use serde_json::json;
use tokio_util::sync::CancellationToken;

async fn start_proxy(token: &str) -> (std::net::SocketAddr, CancellationToken) {
    let config = proxy::Config {
        auth_token: Some(token.to_string()),
        ..proxy::Config::for_tests()
    };
    let proxy = proxy::Proxy::bind(config).await.expect("hub-proxy binds");
    let api = proxy.api_addr();
    let stop = CancellationToken::new();
    tokio::spawn(proxy.serve(stop.clone()));
    (api, stop)
}

#[tokio::test]
async fn routes_added_listed_and_deleted_through_hub_proxy() {
    let (api, stop) = start_proxy("tok").await;
    let client = ProxyClient::new(
        &format!("http://{api}"),
        Some("tok".into()),
        Duration::from_secs(2),
    );
    let user = json!({"user": "alice", "server_name": ""});
    client
        .add_route(
            "/user/alice/",
            "http://127.0.0.1:47405",
            user.as_object().unwrap(),
        )
        .await
        .unwrap();
    client
        .add_route(
            "/",
            "http://127.0.0.1:8081",
            json!({"hub": true}).as_object().unwrap(),
        )
        .await
        .unwrap();
    let routes = client.routes().await.unwrap();
    assert_eq!(routes.keys().collect::<Vec<_>>(), ["/", "/user/alice/"]);
    assert_eq!(routes["/user/alice/"].target, "http://127.0.0.1:47405");
    assert_eq!(routes["/user/alice/"].data, *user.as_object().unwrap());
    assert!(routes["/user/alice/"].last_activity.is_some());

    client.delete_route("/user/alice/").await.unwrap();
    client.delete_route("/user/alice/").await.unwrap(); // already gone: fine
    assert_eq!(client.routes().await.unwrap().len(), 1);

    // A wrong token is refused, not retried.
    let intruder = ProxyClient::new(
        &format!("http://{api}"),
        Some("nope".into()),
        Duration::from_secs(2),
    );
    assert!(!intruder.routes().await.unwrap_err().is_transient());
    stop.cancel();
}

#[tokio::test]
async fn reconciliation_refills_a_proxy_that_restarted_empty() {
    let (api, stop) = start_proxy("tok").await;
    let client = ProxyClient::new(
        &format!("http://{api}"),
        Some("tok".into()),
        Duration::from_secs(2),
    );
    let wanted: BTreeMap<String, Wanted> = (0..50)
        .map(|i| {
            let data = json!({"user": format!("u{i}"), "server_name": ""});
            (
                format!("/user/u{i}/"),
                Wanted {
                    target: format!("http://10.0.{}.{}:8888", i / 200, i % 200),
                    data: data.as_object().unwrap().clone(),
                },
            )
        })
        .collect();
    let todo = plan(&wanted, &client.routes().await.unwrap(), &[]);
    assert_eq!(todo.add.len(), 50);
    for (spec, want) in &todo.add {
        client
            .add_route(spec, &want.target, &want.data)
            .await
            .unwrap();
    }
    let after = client.routes().await.unwrap();
    assert!(
        plan(&wanted, &after, &[]).is_empty(),
        "caught up in one pass"
    );
    stop.cancel();
}

/// A CA that signs a certificate for 127.0.0.1; its PEM and the leaf's files in `dir`.
fn ca_and_leaf(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, proxy::TlsFiles) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca =
        rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let ca_file = dir.join(format!("{name}-ca.pem"));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let files = proxy::TlsFiles {
        key: dir.join(format!("{name}.key")),
        cert: dir.join(format!("{name}.crt")),
    };
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    std::fs::write(&files.cert, leaf.pem()).unwrap();
    (ca_file, files)
}

#[tokio::test]
async fn routes_go_over_https_to_a_proxy_signed_by_the_ca_file_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_file, files) = ca_and_leaf(dir.path(), "site");
    let (other_ca, _) = ca_and_leaf(dir.path(), "other");
    let config = proxy::Config {
        auth_token: Some("tok".into()),
        api_tls: Some(files),
        ..proxy::Config::for_tests()
    };
    let proxy = proxy::Proxy::bind(config).await.expect("hub-proxy binds");
    let url = format!("https://{}", proxy.api_addr());
    let stop = CancellationToken::new();
    tokio::spawn(proxy.serve(stop.clone()));

    let client = ProxyClient::with_ca_file(
        &url,
        Some("tok".into()),
        Duration::from_secs(2),
        Some(&ca_file),
    )
    .unwrap();
    client
        .add_route(
            "/user/alice/",
            "http://127.0.0.1:47405",
            json!({"user": "alice"}).as_object().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        client.routes().await.unwrap().keys().collect::<Vec<_>>(),
        ["/user/alice/"]
    );

    // Signed by a CA the hub was not told to trust: refused, saying why.
    let wary = ProxyClient::with_ca_file(
        &url,
        Some("tok".into()),
        Duration::from_millis(300),
        Some(&other_ca),
    )
    .unwrap();
    let err = wary.ping().await.unwrap_err().to_string();
    assert!(err.contains("certificate"), "{err}");
    assert!(err.contains("proxy.api_ca_file"), "{err}");
    // Nor is it trusted by the system's roots.
    let default = ProxyClient::new(&url, Some("tok".into()), Duration::from_millis(300));
    assert!(default.ping().await.is_err());
    stop.cancel();
}
