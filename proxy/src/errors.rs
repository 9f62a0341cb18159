//! Why a proxied request failed, who caused it, and what the client is told.
//!
//! In the spirit of pingora's error model: a failure records *what* failed and *whose*
//! fault it is, and the status follows from that, not from wherever the error surfaced:
//!
//! | what failed | who | status |
//! |---|---|---|
//! | no route matches | client | 404 |
//! | TCP connect refused/unreachable | upstream is not there | 503 |
//! | connect or response headers too slow | upstream is there but stuck | 504 |
//! | upstream closed early or spoke bad HTTP | upstream | 502 |
//! | the client's request body broke off | client | 400 (usually nobody is listening) |
//!
//! configurable-http-proxy answers 503 for every upstream error; JupyterHub's error page
//! says "your server appears to be down" for 503, which is right for a refused connect and
//! misleading for a stuck or broken server, hence the split.

use http::StatusCode;
use std::error::Error as StdError;
use std::fmt;

/// Who caused a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Culprit {
    /// The client (downstream): a bad request or a broken-off body.
    Client,
    /// The upstream (a notebook server, the hub).
    Upstream,
}

/// What failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No route matched the request.
    NoRoute,
    /// The TCP connection to the upstream could not be made.
    ConnectFailed,
    /// The TCP connect did not complete in time.
    ConnectTimeout,
    /// The upstream did not send response headers in time (`--proxy-timeout`).
    ResponseTimeout,
    /// The upstream closed the connection or sent something that is not HTTP.
    BadResponse,
    /// Reading the client's request body failed.
    ClientBody,
}

impl FailureKind {
    /// Who is at fault.
    pub fn culprit(self) -> Culprit {
        match self {
            Self::NoRoute | Self::ClientBody => Culprit::Client,
            Self::ConnectFailed
            | Self::ConnectTimeout
            | Self::ResponseTimeout
            | Self::BadResponse => Culprit::Upstream,
        }
    }

    /// The status the client gets.
    pub fn status(self) -> StatusCode {
        match self {
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::ConnectFailed => StatusCode::SERVICE_UNAVAILABLE,
            Self::ConnectTimeout | Self::ResponseTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::BadResponse => StatusCode::BAD_GATEWAY,
            Self::ClientBody => StatusCode::BAD_REQUEST,
        }
    }

    /// A short label, used in logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Self::NoRoute => "no_route",
            Self::ConnectFailed => "connect_failed",
            Self::ConnectTimeout => "connect_timeout",
            Self::ResponseTimeout => "response_timeout",
            Self::BadResponse => "bad_response",
            Self::ClientBody => "client_body",
        }
    }

    /// Every kind, for metrics.
    pub const ALL: [FailureKind; 6] = [
        Self::NoRoute,
        Self::ConnectFailed,
        Self::ConnectTimeout,
        Self::ResponseTimeout,
        Self::BadResponse,
        Self::ClientBody,
    ];
}

/// A request body stopped with an error; records which side's body it was, so a failure
/// surfacing from the upstream client can be blamed on the right party.
#[derive(Debug)]
pub struct BodyError {
    /// Whose body broke off.
    pub side: Culprit,
    /// The transport error.
    pub source: hyper::Error,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.side {
            Culprit::Client => f.write_str("client body error"),
            Culprit::Upstream => f.write_str("upstream body error"),
        }
    }
}

impl StdError for BodyError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// Classifies an error from sending a request upstream, by walking its cause chain.
pub fn classify_upstream(err: &(dyn StdError + 'static)) -> FailureKind {
    let mut connect = false;
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(b) = e.downcast_ref::<BodyError>() {
            if b.side == Culprit::Client {
                return FailureKind::ClientBody;
            }
        }
        if let Some(l) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
            connect |= l.is_connect();
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return FailureKind::ConnectTimeout;
            }
        }
        // hyper-util's connector reports its own connect timeout without an io::Error.
        if connect && e.to_string().contains("timed out") {
            return FailureKind::ConnectTimeout;
        }
        cur = e.source();
    }
    if connect {
        FailureKind::ConnectFailed
    } else {
        FailureKind::BadResponse
    }
}

/// The full cause chain of an error on one line, for logs.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_from_what_failed() {
        assert_eq!(FailureKind::NoRoute.status(), 404);
        assert_eq!(FailureKind::ConnectFailed.status(), 503);
        assert_eq!(FailureKind::ConnectTimeout.status(), 504);
        assert_eq!(FailureKind::ResponseTimeout.status(), 504);
        assert_eq!(FailureKind::BadResponse.status(), 502);
        assert_eq!(FailureKind::ClientBody.culprit(), Culprit::Client);
        assert_eq!(FailureKind::BadResponse.culprit(), Culprit::Upstream);
    }

    #[test]
    fn io_timeouts_in_the_chain_are_timeouts() {
        let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        assert_eq!(classify_upstream(&e), FailureKind::ConnectTimeout);
        let e = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(classify_upstream(&e), FailureKind::BadResponse);
    }
}
