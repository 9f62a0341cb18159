//! Accepting connections and serving HTTP on them, with graceful shutdown.
//!
//! One accept loop per listener. Each connection is a task in the app's [`TaskTracker`];
//! when shutdown starts the loop stops accepting and every connection is told to finish
//! its in-flight request and close ([`hyper`]'s graceful shutdown). [`crate::Proxy::serve`]
//! waits for the tracker, up to the grace period, then forces what is left closed.

use crate::app::{App, ConnInfo};
use crate::body::Body;
use crate::upstream::PinnedUpstream;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// How long a TLS client may take to finish its handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Per-listener connection settings.
#[derive(Debug, Clone)]
pub struct ListenerOptions {
    /// TLS (public listener with `--ssl-*` only).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Idle time allowed between requests and for a request head to arrive.
    pub keep_alive_timeout: Duration,
    /// Give each HTTP/1.1 connection its own upstream connection (the public listener).
    pub pin_upstream: bool,
}

/// Accepts on `listener` until `app.shutdown`, serving each connection with `handler`.
/// Returns once the listener is closed; connections drain on their own tasks.
pub async fn accept_loop<H, F, E>(
    app: Arc<App>,
    listener: TcpListener,
    opts: ListenerOptions,
    force: CancellationToken,
    handler: H,
) where
    H: Fn(Request<Incoming>, ConnInfo) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response<Body>, E>> + Send + 'static,
    E: Into<Box<dyn StdError + Send + Sync>> + 'static,
{
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = app.shutdown.cancelled() => break,
        };
        match accepted {
            Ok((stream, remote)) => {
                let conn = ConnInfo {
                    remote,
                    tls: opts.tls.is_some(),
                    upstream: None,
                };
                let task = serve_connection(
                    Arc::clone(&app),
                    stream,
                    conn,
                    opts.clone(),
                    force.clone(),
                    handler.clone(),
                );
                app.tasks.spawn(task);
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::error!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_connection<H, F, E>(
    app: Arc<App>,
    stream: TcpStream,
    conn: ConnInfo,
    opts: ListenerOptions,
    force: CancellationToken,
    handler: H,
) where
    H: Fn(Request<Incoming>, ConnInfo) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response<Body>, E>> + Send + 'static,
    E: Into<Box<dyn StdError + Send + Sync>> + 'static,
{
    let _open = app.metrics.connection_opened();
    let _ = stream.set_nodelay(true);
    let pinned = |mut conn: ConnInfo| {
        if opts.pin_upstream {
            conn.upstream = Some(Arc::new(PinnedUpstream::default()));
        }
        conn
    };
    let Some(tls_config) = &opts.tls else {
        let conn = pinned(conn);
        let upstream = conn.upstream.clone();
        let service = service_fn(move |req| handler(req, conn.clone()));
        return serve_h1(
            TokioIo::new(stream),
            service,
            upstream,
            &opts,
            &app.shutdown,
            &force,
        )
        .await;
    };
    let acceptor = TlsAcceptor::from(Arc::clone(tls_config));
    let tls = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!("TLS handshake with {} failed: {e}", conn.remote);
            return;
        }
        Err(_) => {
            tracing::debug!("TLS handshake with {} timed out", conn.remote);
            return;
        }
    };
    if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
        // Concurrent streams: requests go through the shared pool.
        let service = service_fn(move |req| handler(req, conn.clone()));
        let mut builder = http2::Builder::new(TokioExecutor::new());
        builder.timer(TokioTimer::new());
        let c = builder.serve_connection(TokioIo::new(tls), service);
        tokio::pin!(c);
        tokio::select! {
            r = c.as_mut() => log_end(r),
            () = app.shutdown.cancelled() => {
                c.as_mut().graceful_shutdown();
                tokio::select! {
                    r = c.as_mut() => log_end(r),
                    () = force.cancelled() => {}
                }
            }
        }
    } else {
        let conn = pinned(conn);
        let upstream = conn.upstream.clone();
        let service = service_fn(move |req| handler(req, conn.clone()));
        serve_h1(
            TokioIo::new(tls),
            service,
            upstream,
            &opts,
            &app.shutdown,
            &force,
        )
        .await;
    }
}

async fn serve_h1<I, S>(
    io: TokioIo<I>,
    service: S,
    upstream: Option<Arc<PinnedUpstream>>,
    opts: &ListenerOptions,
    shutdown: &CancellationToken,
    force: &CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = Body>,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(opts.keep_alive_timeout)
        .keep_alive(true);
    let c = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(c);
    let up = upstream.as_deref();
    tokio::select! {
        r = alongside(c.as_mut(), up) => log_end(r),
        () = shutdown.cancelled() => {
            c.as_mut().graceful_shutdown();
            tokio::select! {
                r = alongside(c.as_mut(), up) => log_end(r),
                () = force.cancelled() => {}
            }
        }
    }
}

/// Runs `fut` while driving the connection's own upstream connection in the same task.
async fn alongside<F: Future>(fut: F, upstream: Option<&PinnedUpstream>) -> F::Output {
    let Some(upstream) = upstream else {
        return fut.await;
    };
    tokio::select! {
        biased;
        never = upstream.drive() => match never {},
        r = fut => r,
    }
}

fn log_end(r: Result<(), hyper::Error>) {
    if let Err(e) = r {
        tracing::debug!("connection ended: {}", crate::errors::chain(&e));
    }
}
