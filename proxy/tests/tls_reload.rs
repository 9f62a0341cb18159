//! Certificates replaced while the proxy runs: on SIGHUP (the binary) and when the files
//! change (polling). New connections get the new certificate, open ones carry on, and a
//! broken replacement leaves the old certificate in use.

mod common;

use common::certs::{connect, get_over, http1, peer_cert, TestCa};
use common::{backend, config, start, TOKEN};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Connects until the server shows a certificate other than `old` (a reload is
/// asynchronous); the one it then shows.
async fn next_cert_after(
    addr: std::net::SocketAddr,
    ca: &TestCa,
    old: &rustls::pki_types::CertificateDer<'static>,
) -> rustls::pki_types::CertificateDer<'static> {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let cert = peer_cert(&connect(addr, ca.roots(), "localhost").await);
            if &cert != old {
                return cert;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a new certificate within 20 s")
}

#[tokio::test]
async fn a_changed_file_is_reloaded_without_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    let first = ca.leaf("first", &["localhost"]);
    let files = first.write(dir.path(), "proxy");
    let b = backend().await;
    let p = start(proxy::Config {
        tls: Some(files.clone()),
        tls_reload_interval: Some(Duration::from_millis(100)),
        ..config()
    })
    .await;
    p.add_route("/", &b.url()).await;

    let old_conn = connect(p.proxy, ca.roots(), "localhost").await;
    assert_eq!(peer_cert(&old_conn), first.der);
    let mut old = http1(old_conn).await;

    let second = ca.leaf("second", &["localhost"]);
    second.replace(&files);
    let seen = next_cert_after(p.proxy, &ca, &first.der).await;
    assert_eq!(seen, second.der);

    // The connection made before the reload is still served.
    let (status, _, _) = get_over(&mut old, "/still-here").await;
    assert_eq!(status, 200);
    p.stop().await;
}

#[tokio::test]
async fn a_broken_replacement_keeps_the_old_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    let good = ca.leaf("good", &["localhost"]);
    let files = good.write(dir.path(), "proxy");
    let b = backend().await;
    let p = start(proxy::Config {
        tls: Some(files.clone()),
        tls_reload_interval: None,
        ..config()
    })
    .await;
    p.add_route("/", &b.url()).await;
    let reloader = p.reloader.clone();

    // A certificate whose key is another one's.
    let other = ca.leaf("other", &["localhost"]);
    std::fs::write(&files.cert, &other.cert_pem).unwrap();
    let err = reloader.certs()[0].reload().expect_err("mismatched key");
    assert!(err.to_string().contains("proxy.key"), "{err}");
    // Garbage, then a missing key.
    std::fs::write(&files.cert, "not a certificate").unwrap();
    let err = reloader.certs()[0].reload().expect_err("no certificate");
    assert!(err.to_string().contains("proxy.crt"), "{err}");
    std::fs::remove_file(&files.key).unwrap();
    std::fs::write(&files.cert, &good.cert_pem).unwrap();
    let err = reloader.certs()[0].reload().expect_err("missing key");
    assert!(err.to_string().contains("proxy.key"), "{err}");

    // Still the good certificate, still serving.
    let tls = connect(p.proxy, ca.roots(), "localhost").await;
    assert_eq!(peer_cert(&tls), good.der);
    let (status, _, _) = get_over(&mut http1(tls).await, "/").await;
    assert_eq!(status, 200);

    // And a good replacement is taken afterwards.
    let fixed = ca.leaf("fixed", &["localhost"]);
    fixed.write_to(&files);
    reloader.certs()[0].reload().expect("a good pair");
    let tls = connect(p.proxy, ca.roots(), "localhost").await;
    assert_eq!(peer_cert(&tls), fixed.der);
    p.stop().await;
}

/// The binary with TLS on free ports; the public address read from its log.
struct Bin {
    child: Child,
    proxy: std::net::SocketAddr,
    log: std::sync::mpsc::Receiver<String>,
}

fn spawn_bin(files: &proxy::TlsFiles, extra: &[&str]) -> Bin {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub-proxy"))
        .args(["--ip", "127.0.0.1", "--port", "0", "--api-ip", "127.0.0.1"])
        .args(["--api-port", "0", "--ssl-key", files.key.to_str().unwrap()])
        .args(["--ssl-cert", files.cert.to_str().unwrap()])
        .args(extra)
        .env("CONFIGPROXY_AUTH_TOKEN", TOKEN)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let proxy = loop {
        let line = lines
            .next()
            .expect("hub-proxy exited before listening")
            .unwrap();
        if let Some(rest) = line.split("Proxying https://").nth(1) {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    let (tx, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    Bin { child, proxy, log }
}

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, sig).unwrap();
}

/// Waits for a log line containing `needle`.
fn wait_for_log(log: &std::sync::mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = log
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

#[tokio::test]
async fn sighup_reloads_the_binary_s_certificate_and_keeps_open_connections() {
    use nix::sys::signal::Signal;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    let first = ca.leaf("first.example", &["localhost"]);
    let files = first.write(dir.path(), "proxy");
    // No polling: only the signal can make it reload.
    let mut bin = spawn_bin(&files, &["--ssl-reload-interval", "0"]);

    let old_conn = connect(bin.proxy, ca.roots(), "localhost").await;
    assert_eq!(peer_cert(&old_conn), first.der);
    let mut old = http1(old_conn).await;

    let second = ca.leaf("second.example", &["localhost"]);
    second.write_to(&files);
    signal(&bin.child, Signal::SIGHUP);
    let line = wait_for_log(&bin.log, "reloaded");
    assert!(line.contains("CN=second.example"), "{line}");
    assert!(line.contains("expires"), "{line}");
    let tls = connect(bin.proxy, ca.roots(), "localhost").await;
    assert_eq!(peer_cert(&tls), second.der);

    // The connection opened before the reload still gets answers (404: no route).
    let (status, _, _) = get_over(&mut old, "/nothing").await;
    assert_eq!(status, 404);

    // A broken file and SIGHUP: an error naming the file, the process lives on and
    // serves the certificate it had.
    std::fs::write(&files.cert, "garbage").unwrap();
    signal(&bin.child, Signal::SIGHUP);
    let line = wait_for_log(&bin.log, "not reloaded");
    assert!(line.contains("proxy.crt"), "{line}");
    let tls = connect(bin.proxy, ca.roots(), "localhost").await;
    assert_eq!(peer_cert(&tls), second.der);

    signal(&bin.child, Signal::SIGTERM);
    assert!(bin.child.wait().unwrap().success());
}

#[tokio::test]
async fn sighup_without_tls_does_not_stop_the_binary() {
    use nix::sys::signal::Signal;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub-proxy"))
        .args(["--ip", "127.0.0.1", "--port", "0", "--api-port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut wait_for = |needle: &str| loop {
        let line = lines.next().expect("hub-proxy exited").unwrap();
        if line.contains(needle) {
            break;
        }
    };
    wait_for("Proxy API at");
    signal(&child, Signal::SIGHUP);
    wait_for("no TLS certificate to reload");
    assert!(child.try_wait().unwrap().is_none(), "SIGHUP stopped it");
    signal(&child, Signal::SIGTERM);
    assert!(child.wait().unwrap().success());
}
