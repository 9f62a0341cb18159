//! Load tools for `benches/proxy/run.sh` (not a test): a backend, a do-nothing server and
//! the clients that measure route adds, route listings, idle WebSockets and a large upload.
//!
//! ```text
//! proxy-bench backend PORT            hello-world HTTP + WebSocket-upgrade echo backend
//! proxy-bench nothing PORT            answers 201 to everything (route-add baseline)
//! proxy-bench add-routes ADDR N       N route POSTs on one keep-alive connection; prints seconds
//! proxy-bench add-routes-vs BASE ADDR N ROUNDS
//!                                     N route POSTs to each of BASE and ADDR, one keep-alive
//!                                     connection each, alternating batches of 100 so both
//!                                     see the same machine; ROUNDS times (the routes are
//!                                     deleted, untimed, between rounds, so every round adds
//!                                     to the same table); prints per round "base_s addr_s"
//!                                     and each side's per-add latencies, then the medians
//!                                     and their ratio
//! proxy-bench get-routes ADDR N       N GET /api/routes; prints p50 and p99 in ms
//! proxy-bench ws-hold ADDR N PID      opens N idle WebSockets through ADDR, closes them, and
//!                                     again; prints PID's memory at each step
//! proxy-bench upload ADDR MB PID      streams MB megabytes through ADDR; prints PID's peak RSS
//! ```
//! The API token comes from `CONFIGPROXY_AUTH_TOKEN`.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Res = Response<Full<Bytes>>;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> anyhow::Result<&str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| anyhow::anyhow!("missing argument {i}; see the file's doc"))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match arg(0)? {
            "backend" => serve(arg(1)?.parse()?, false).await,
            "nothing" => serve(arg(1)?.parse()?, true).await,
            "add-routes" => add_routes(arg(1)?, arg(2)?.parse()?).await,
            "add-routes-vs" => {
                add_routes_vs(arg(1)?, arg(2)?, arg(3)?.parse()?, arg(4)?.parse()?).await
            }
            "get-routes" => get_routes(arg(1)?, arg(2)?.parse()?).await,
            "ws-hold" => ws_hold(arg(1)?, arg(2)?.parse()?, arg(3)?.parse()?).await,
            "upload" => upload(arg(1)?, arg(2)?.parse()?, arg(3)?.parse()?).await,
            other => anyhow::bail!("unknown command {other}"),
        }
    })
}

async fn serve(port: u16, nothing: bool) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(req, nothing));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

async fn handle(mut req: Request<Incoming>, nothing: bool) -> Result<Res, Infallible> {
    if nothing {
        let _ = req.body_mut().collect().await;
        let mut res = Response::new(Full::default());
        *res.status_mut() = StatusCode::CREATED;
        return Ok(res);
    }
    if req.headers().contains_key(http::header::UPGRADE) {
        let up = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(up) = up.await {
                let mut io = TokioIo::new(up);
                let mut buf = [0u8; 1024];
                while let Ok(n) = io.read(&mut buf).await {
                    if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        });
        let res = Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            .body(Full::default())
            .expect("static response");
        return Ok(res);
    }
    let _ = req.body_mut().collect().await;
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, world!",
    ))))
}

fn token() -> String {
    std::env::var("CONFIGPROXY_AUTH_TOKEN").unwrap_or_default()
}

async fn api_conn(
    addr: &str,
) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One route POST for route `i`, checked for 201.
async fn post_route(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    addr: &str,
    auth: &str,
    i: usize,
) -> anyhow::Result<()> {
    let body = format!(
        r#"{{"user": "user{i}", "server_name": "", "target": "http://127.0.0.1:{}", "jupyterhub": true}}"#,
        10_000 + i % 50_000
    );
    let req = Request::post(format!("/api/routes/user/user{i}"))
        .header("host", addr)
        .header("authorization", auth)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::from(body))?;
    sender.ready().await?;
    let res = sender.send_request(req).await?;
    anyhow::ensure!(
        res.status() == StatusCode::CREATED,
        "POST answered {}",
        res.status()
    );
    res.into_body().collect().await?;
    Ok(())
}

async fn delete_route(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    addr: &str,
    auth: &str,
    i: usize,
) -> anyhow::Result<()> {
    let req = Request::delete(format!("/api/routes/user/user{i}"))
        .header("host", addr)
        .header("authorization", auth)
        .body(Full::default())?;
    sender.ready().await?;
    let res = sender.send_request(req).await?;
    anyhow::ensure!(
        res.status().is_success(),
        "DELETE answered {}",
        res.status()
    );
    res.into_body().collect().await?;
    Ok(())
}

async fn add_routes(addr: &str, n: usize) -> anyhow::Result<()> {
    let mut sender = api_conn(addr).await?;
    let auth = format!("token {}", token());
    let start = Instant::now();
    for i in 0..n {
        post_route(&mut sender, addr, &auth, i).await?;
    }
    println!("{:.3}", start.elapsed().as_secs_f64());
    Ok(())
}

async fn add_routes_vs(base: &str, addr: &str, n: usize, rounds: usize) -> anyhow::Result<()> {
    const BATCH: usize = 100;
    let auth = format!("token {}", token());
    let mut base_conn = api_conn(base).await?;
    let mut addr_conn = api_conn(addr).await?;
    let (mut base_times, mut addr_times) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (mut base_t, mut addr_t) = (Duration::ZERO, Duration::ZERO);
        let (mut lat_b, mut lat_a) = (Vec::new(), Vec::new());
        for batch in (0..n).step_by(BATCH) {
            let ids = batch..(batch + BATCH).min(n);
            let start = Instant::now();
            for i in ids.clone() {
                let t = Instant::now();
                post_route(&mut base_conn, base, &auth, i).await?;
                lat_b.push(t.elapsed().as_nanos() as u64);
            }
            base_t += start.elapsed();
            let start = Instant::now();
            for i in ids {
                let t = Instant::now();
                post_route(&mut addr_conn, addr, &auth, i).await?;
                lat_a.push(t.elapsed().as_nanos() as u64);
            }
            addr_t += start.elapsed();
        }
        println!("{:.3} {:.3}", base_t.as_secs_f64(), addr_t.as_secs_f64());
        println!("  do-nothing {}", latency_summary(&mut lat_b));
        println!("  proxy      {}", latency_summary(&mut lat_a));
        base_times.push(base_t);
        addr_times.push(addr_t);
        if base_times.len() < rounds {
            for i in 0..n {
                delete_route(&mut base_conn, base, &auth, i).await?;
                delete_route(&mut addr_conn, addr, &auth, i).await?;
            }
        }
    }
    base_times.sort();
    addr_times.sort();
    let (b, a) = (
        base_times[rounds / 2].as_secs_f64(),
        addr_times[rounds / 2].as_secs_f64(),
    );
    println!("median {b:.3} {a:.3} ratio {:.3}", a / b);
    Ok(())
}

/// Per-request latencies (ns) as "p10 … p50 … p99 … mean …" in microseconds.
fn latency_summary(ns: &mut [u64]) -> String {
    ns.sort_unstable();
    let us = |v: u64| v as f64 / 1000.0;
    let at = |q: f64| us(ns[((ns.len() as f64 * q) as usize).min(ns.len() - 1)]);
    let mean = us(ns.iter().sum::<u64>()) / ns.len() as f64;
    format!(
        "per add (us): p10 {:.1} p50 {:.1} p99 {:.1} mean {:.1}",
        at(0.1),
        at(0.5),
        at(0.99),
        mean
    )
}

async fn get_routes(addr: &str, n: usize) -> anyhow::Result<()> {
    let mut sender = api_conn(addr).await?;
    let auth = format!("token {}", token());
    let mut times = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let req = Request::get("/api/routes")
            .header("host", addr)
            .header("authorization", &auth)
            .body(Full::default())?;
        let start = Instant::now();
        sender.ready().await?;
        let res = sender.send_request(req).await?;
        size = res.into_body().collect().await?.to_bytes().len();
        times.push(start.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:.2} {:.2} {size}",
        ms(times[n / 2]),
        ms(times[(n * 99 / 100).min(n - 1)])
    );
    Ok(())
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Opens `n` WebSockets through `addr`, each with one echo round trip.
async fn open_websockets(addr: &str, n: usize) -> anyhow::Result<Vec<TcpStream>> {
    let mut open = Vec::with_capacity(n);
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            anyhow::ensure!(s.read(&mut byte).await? == 1, "closed during handshake");
            head.push(byte[0]);
        }
        anyhow::ensure!(
            head.starts_with(b"HTTP/1.1 101"),
            "no 101: {}",
            String::from_utf8_lossy(&head)
        );
        // One round trip so the relay is fully set up.
        s.write_all(b"ping").await?;
        let mut pong = [0u8; 4];
        s.read_exact(&mut pong).await?;
        open.push(s);
    }
    Ok(open)
}

/// Prints the proxy's resident memory (KB: `VmRSS`, and `RssAnon`, its heap and stacks
/// without the code pages it maps) at each step: baseline, N open, 3 s and 30 s after all
/// closed, twice; then KB per WebSocket (first round, `RssAnon`). The baseline is taken
/// after 30 s without traffic too, so memory freed by the script's earlier steps is not
/// counted: allocators return freed pages over seconds (hub-proxy's jemalloc purges in the
/// background over ~10-20 s; node's garbage collector runs when it likes). A second round
/// that returns to the first round's levels shows nothing is leaked.
async fn ws_hold(addr: &str, n: usize, pid: u32) -> anyhow::Result<()> {
    let sleep = |secs: f64| tokio::time::sleep(Duration::from_secs_f64(secs));
    let show = |step: &str| {
        let (rss, anon) = (rss_kb(pid, "VmRSS:"), rss_kb(pid, "RssAnon:"));
        println!("{step:<16} {rss:>9} {anon:>9}");
        anon
    };
    println!("{:<16} {:>9} {:>9}", "step", "VmRSS_KB", "RssAnon_KB");
    sleep(30.0).await;
    let baseline = show("baseline");
    let mut per = 0.0;
    for round in 1..=2 {
        let open = open_websockets(addr, n).await?;
        sleep(1.5).await;
        let anon = show(&format!("{n} open ({round})"));
        if round == 1 {
            per = anon.saturating_sub(baseline) as f64 / n as f64;
        }
        drop(open);
        sleep(3.0).await;
        show(&format!("closed +3s ({round})"));
        sleep(27.0).await;
        show(&format!("closed +30s ({round})"));
    }
    println!("KB per WebSocket (RssAnon, round 1): {per:.2}");
    Ok(())
}

/// Prints: seconds, MB/s, peak RSS before, peak RSS after (KB), RSS after (KB).
async fn upload(addr: &str, mb: usize, pid: u32) -> anyhow::Result<()> {
    let before = rss_kb(pid, "VmHWM:");
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, StreamBody<_>>(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let chunk = Bytes::from(vec![0u8; 1 << 20]);
    let frames = futures_util::stream::iter(
        (0..mb).map(move |_| Ok::<_, Infallible>(Frame::data(chunk.clone()))),
    );
    let req = Request::post("/upload")
        .header("host", addr)
        .header("content-length", (mb << 20).to_string())
        .body(StreamBody::new(frames))?;
    let start = Instant::now();
    let res = sender.send_request(req).await?;
    anyhow::ensure!(
        res.status() == StatusCode::OK,
        "upload answered {}",
        res.status()
    );
    res.into_body().collect().await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{secs:.2} {:.0} {before} {} {}",
        mb as f64 / secs,
        rss_kb(pid, "VmHWM:"),
        rss_kb(pid, "VmRSS:")
    );
    Ok(())
}
