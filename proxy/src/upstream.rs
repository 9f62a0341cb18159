//! A client connection's own upstream connection, driven by the client connection's task.
//!
//! A shared pool costs, per request, a checkout under a lock and two hops between tasks
//! (the request to the pooled connection's task, the response back), each a wake-up and
//! often a trip through the other core's run queue. An HTTP/1.1 client connection sends one
//! request at a time, so it can instead keep one upstream connection of its own and poll
//! it from its own task ([`PinnedUpstream::drive`] runs beside the server connection in
//! [`crate::server`]): no checkout, no hop, no cross-thread wake.
//!
//! The upstream connection is made on the first request, kept while requests go to the
//! same target, and replaced when the target changes or the upstream closes it. A request
//! that a reused connection could not even start sending (the upstream closed it while
//! idle) is retried once on a fresh connection; nothing else is retried.

use crate::body::Body;
use crate::errors::{BodyError, Culprit, FailureKind};
use http::uri::Authority;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::Duration;
use tokio::net::TcpStream;

type UpstreamConnection = Connection<TokioIo<TcpStream>, Body>;

/// Why a request could not be sent upstream.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The TCP connect failed.
    #[error("cannot connect to {authority}")]
    Connect {
        /// The upstream.
        authority: Authority,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The TCP connect did not complete within `--connect-timeout`.
    #[error("connecting to {authority} timed out")]
    ConnectTimeout {
        /// The upstream.
        authority: Authority,
    },
    /// The HTTP exchange failed (upstream closed early, bad HTTP, or the client's body).
    #[error("request to {authority} failed")]
    Http {
        /// The upstream.
        authority: Authority,
        /// The cause.
        #[source]
        source: hyper::Error,
    },
}

impl SendError {
    /// What failed, for the status and the metrics.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Connect { .. } => FailureKind::ConnectFailed,
            Self::ConnectTimeout { .. } => FailureKind::ConnectTimeout,
            Self::Http { source, .. } => {
                let client_body = std::error::Error::source(source)
                    .and_then(|e| e.downcast_ref::<BodyError>())
                    .is_some_and(|b| b.side == Culprit::Client);
                if client_body {
                    FailureKind::ClientBody
                } else {
                    FailureKind::BadResponse
                }
            }
        }
    }
}

/// Opens a TCP connection to `authority` (port 80 if it names none), with `TCP_NODELAY`.
pub async fn connect(authority: &Authority, limit: Duration) -> Result<TcpStream, SendError> {
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port = authority.port_u16().unwrap_or(80);
    match tokio::time::timeout(limit, TcpStream::connect((host, port))).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Ok(Err(source)) => Err(SendError::Connect {
            authority: authority.clone(),
            source,
        }),
        Err(_) => Err(SendError::ConnectTimeout {
            authority: authority.clone(),
        }),
    }
}

#[derive(Default)]
struct Slot {
    /// The sender for the current connection, while no request holds it.
    sender: Option<(Authority, SendRequest<Body>)>,
    /// The current connection, polled by [`PinnedUpstream::drive`].
    conn: Option<Pin<Box<UpstreamConnection>>>,
    /// The owning task, woken when a new connection is installed.
    waker: Option<Waker>,
}

/// One client connection's upstream connection (see the module doc).
#[derive(Default)]
pub struct PinnedUpstream {
    // Only the owning task ever locks this, one poll at a time: the lock is never
    // contended and never held across an await.
    slot: Mutex<Slot>,
}

impl std::fmt::Debug for PinnedUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedUpstream").finish_non_exhaustive()
    }
}

impl PinnedUpstream {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Polls the current upstream connection for as long as the client connection lives.
    /// Must run in the same task as every [`send`](Self::send) (it never completes).
    pub async fn drive(&self) -> Infallible {
        poll_fn(|cx| {
            let mut slot = self.lock();
            if let Some(conn) = slot.conn.as_mut() {
                if let Poll::Ready(r) = conn.as_mut().poll(cx) {
                    if let Err(e) = r {
                        tracing::debug!("upstream connection ended: {e}");
                    }
                    slot.conn = None;
                    slot.sender = None;
                }
            }
            if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                slot.waker = Some(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Closes the upstream connection (after a timeout left it in an unknown state).
    pub fn reset(&self) {
        let mut slot = self.lock();
        slot.sender = None;
        slot.conn = None;
    }

    /// Sends `req` (origin-form URI, `Host` set) to `authority` and returns the response
    /// head; the body streams as the connection is driven.
    pub async fn send(
        &self,
        authority: &Authority,
        connect_timeout: Duration,
        req: Request<Body>,
    ) -> Result<Response<Incoming>, SendError> {
        let http = |source| SendError::Http {
            authority: authority.clone(),
            source,
        };
        let reused = self.take(authority);
        let req = match reused {
            Some(mut sender) => match sender.ready().await {
                Ok(()) => match sender.try_send_request(req).await {
                    Ok(res) => {
                        self.put(authority, sender);
                        return Ok(res);
                    }
                    Err(mut e) => match e.take_message() {
                        // Not sent: the upstream closed the idle connection. Retry below.
                        Some(req) => req,
                        None => return Err(http(e.into_error())),
                    },
                },
                Err(_) => req,
            },
            None => req,
        };
        // Boxed: connecting and the handshake make a large future, and every request's
        // future (moved whole into hyper per request) would otherwise carry its size.
        let mut sender = Box::pin(self.open(authority, connect_timeout)).await?;
        let res = sender.send_request(req).await.map_err(http)?;
        self.put(authority, sender);
        Ok(res)
    }

    /// The idle sender for `authority`; a sender for another target or a closed one is
    /// dropped (closing its connection).
    fn take(&self, authority: &Authority) -> Option<SendRequest<Body>> {
        let mut slot = self.lock();
        match slot.sender.take() {
            Some((a, s)) if a == *authority && !s.is_closed() => Some(s),
            Some(_) => {
                slot.conn = None;
                None
            }
            None => None,
        }
    }

    fn put(&self, authority: &Authority, sender: SendRequest<Body>) {
        self.lock().sender = Some((authority.clone(), sender));
    }

    async fn open(
        &self,
        authority: &Authority,
        connect_timeout: Duration,
    ) -> Result<SendRequest<Body>, SendError> {
        let stream = connect(authority, connect_timeout).await?;
        let (sender, conn) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|source| SendError::Http {
                authority: authority.clone(),
                source,
            })?;
        let mut slot = self.lock();
        slot.conn = Some(Box::pin(conn));
        if let Some(w) = &slot.waker {
            w.wake_by_ref();
        }
        Ok(sender)
    }
}
