//! WebSocket (and any HTTP/1.1 `Upgrade`) relaying.
//!
//! The upgrade request goes to the upstream on a fresh connection (an upgraded connection
//! never returns to the pool). If the upstream answers `101`, both connections are taken
//! out of hyper and bytes are copied both ways until each side closes.
//!
//! Memory per idle connection is what matters here (a hub has one or more open kernel
//! WebSockets per user, mostly idle). The relay therefore holds no buffer while it waits:
//! it waits for readiness, and allocates a buffer only for the moment data is moved. Writes
//! complete before the next read, so a slow reader slows its writer (backpressure) and at
//! most one buffer per direction is ever in flight.

use crate::app::{App, ConnInfo};
use crate::body::Body;
use crate::error_page;
use crate::errors::{chain, Culprit, FailureKind};
use crate::forward::{upstream_request, Matched, UriForm};
use crate::routes::Route;
use crate::time::now_millis;
use crate::within::within;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::io;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// Size of the transient copy buffer. Larger than a typical kernel message so one read
/// usually drains what arrived; freed as soon as it is written on.
const COPY_BUF: usize = 16 * 1024;

/// Relays an upgrade request to the matched route.
pub async fn forward(
    app: Arc<App>,
    mut req: Request<Incoming>,
    conn: ConnInfo,
    matched: Matched,
) -> Response<Body> {
    let client_upgrade = hyper::upgrade::on(&mut req);
    let url = req.uri().path().to_owned();
    let req = req.map(|_| Body::Empty);
    let up = match upstream_request(&app, req, &conn, &matched, true, UriForm::Origin) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("500 upgrade {url}: cannot build upstream request: {e}");
            return error_page::bare(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let authority = matched.route.target().authority().clone();

    let connect = within(
        Some(app.config.connect_timeout),
        TcpStream::connect(authority.as_str()),
    );
    let stream = match connect.await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return fail(&app, FailureKind::ConnectFailed, &url, &e),
        Err(()) => {
            let e = io::Error::new(io::ErrorKind::TimedOut, "connect timed out");
            return fail(&app, FailureKind::ConnectTimeout, &url, &e);
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
            Ok(x) => x,
            Err(e) => return fail(&app, FailureKind::BadResponse, &url, &e),
        };
    // Drives the upstream connection until it is upgraded (or the response body ends).
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!("upstream upgrade connection: {e}");
        }
    });
    let sent = within(app.config.proxy_timeout, sender.send_request(up)).await;
    let mut res = match sent {
        Ok(Ok(res)) => res,
        Ok(Err(e)) => return fail(&app, FailureKind::BadResponse, &url, &e),
        Err(()) => {
            let e = io::Error::new(io::ErrorKind::TimedOut, "no upgrade response");
            return fail(&app, FailureKind::ResponseTimeout, &url, &e);
        }
    };
    if res.status() != StatusCode::SWITCHING_PROTOCOLS {
        // The upstream refused the upgrade (e.g. 403): pass its answer on.
        return res.map(|b| Body::relay(b, Culprit::Upstream, None));
    }
    matched.route.touch(now_millis());
    let upstream_upgrade = hyper::upgrade::on(&mut res);
    let relay_app = Arc::clone(&app);
    let route = Arc::clone(&matched.route);
    app.tasks.spawn(async move {
        let _open = relay_app.metrics.websocket_opened();
        tokio::select! {
            r = relay(client_upgrade, upstream_upgrade, &route) => {
                if let Err(e) = r {
                    tracing::debug!("websocket {url} closed: {e}");
                }
            }
            () = relay_app.shutdown.cancelled() => {}
        }
    });
    res.map(|_| Body::Empty)
}

fn fail(
    app: &App,
    kind: FailureKind,
    url: &str,
    e: &(dyn std::error::Error + 'static),
) -> Response<Body> {
    app.metrics.failure(kind);
    tracing::error!("{} upgrade {url}: {}", kind.status().as_u16(), chain(e));
    error_page::bare(kind.status())
}

/// Waits for both upgrades, then copies bytes both ways until both directions close.
async fn relay(client: OnUpgrade, upstream: OnUpgrade, route: &Route) -> io::Result<()> {
    let client = client.await.map_err(io::Error::other)?;
    let upstream = upstream.await.map_err(io::Error::other)?;
    match (into_tcp(client), into_tcp(upstream)) {
        (Ok((c, c_pending)), Ok((u, u_pending))) => {
            let (c_read, c_write) = c.into_split();
            let (u_read, u_write) = u.into_split();
            let (a, b) = tokio::join!(
                pipe(c_read, u_write, c_pending, route),
                pipe(u_read, c_write, u_pending, route)
            );
            a.and(b)
        }
        // TLS on the client side: fall back to a buffered copy.
        (c, u) => {
            let (mut c, c_pending) = boxed(c);
            let (mut u, u_pending) = boxed(u);
            u.write_all(&c_pending).await?;
            c.write_all(&u_pending).await?;
            tokio::io::copy_bidirectional_with_sizes(&mut c, &mut u, 4096, 4096)
                .await
                .map(|_| ())
        }
    }
}

/// The plain TCP stream under an upgraded connection, with bytes already read past the
/// HTTP head (copied out, so hyper's read buffer is freed).
fn into_tcp(up: Upgraded) -> Result<(TcpStream, Bytes), Upgraded> {
    up.downcast::<TokioIo<TcpStream>>().map(|parts| {
        let pending = Bytes::copy_from_slice(&parts.read_buf);
        (parts.io.into_inner(), pending)
    })
}

/// Either side as a byte stream for the generic copy.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

fn boxed(side: Result<(TcpStream, Bytes), Upgraded>) -> (Box<dyn Io>, Bytes) {
    match side {
        Ok((stream, pending)) => (Box::new(stream), pending),
        // An `Upgraded` replays its own pending bytes first.
        Err(up) => (Box::new(TokioIo::new(up)), Bytes::new()),
    }
}

/// Copies `src` to `dst` (after `pending`) until `src` closes, then half-closes `dst`.
/// Holds no buffer while waiting for data.
async fn pipe(
    src: OwnedReadHalf,
    mut dst: OwnedWriteHalf,
    pending: Bytes,
    route: &Route,
) -> io::Result<()> {
    if !pending.is_empty() {
        dst.write_all(&pending).await?;
    }
    drop(pending);
    loop {
        src.readable().await?;
        let mut buf = Vec::with_capacity(COPY_BUF);
        match src.try_read_buf(&mut buf) {
            Ok(0) => break,
            Ok(_) => {
                route.touch(now_millis());
                dst.write_all(&buf).await?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    dst.shutdown().await
}
