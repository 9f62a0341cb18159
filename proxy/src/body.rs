//! The one body type the proxy sends and receives with: empty, a buffer, or a stream
//! relayed from the other side. An enum rather than a boxed trait object keeps the hot
//! path free of an allocation per request.

use crate::errors::{BodyError, Culprit};
use crate::routes::Route;
use crate::time::now_millis;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A request or response body.
#[derive(Debug)]
pub enum Body {
    /// No bytes.
    Empty,
    /// One buffer, sent once.
    Full(Option<Bytes>),
    /// Relayed from the peer on the other side, streaming, with backpressure.
    Relay {
        /// The peer's body.
        inner: Incoming,
        /// Whose body this is, for error attribution.
        side: Culprit,
        /// The route whose activity clock each data frame advances, if any.
        activity: Option<Arc<Route>>,
    },
}

impl Body {
    /// A body of `bytes`.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }

    /// A streamed body from the peer.
    pub fn relay(inner: Incoming, side: Culprit, activity: Option<Arc<Route>>) -> Self {
        Self::Relay {
            inner,
            side,
            activity,
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Self::Relay {
                inner,
                side,
                activity,
            } => match Pin::new(inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Some(route) = activity {
                        route.touch(now_millis());
                    }
                    Poll::Ready(Some(Ok(frame)))
                }
                Poll::Ready(Some(Err(source))) => Poll::Ready(Some(Err(BodyError {
                    side: *side,
                    source,
                }))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Full(b) => b.is_none(),
            Self::Relay { inner, .. } => inner.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Full(None) => SizeHint::with_exact(0),
            Self::Relay { inner, .. } => inner.size_hint(),
        }
    }
}
