//! [`within`]: a future with an optional time limit, as a plain enum rather than an
//! `async fn` wrapper.
//!
//! An `async fn` that awaits either `timeout(d, fut)` or `fut` keeps a slot for its
//! argument and one for each branch, so its size is about twice its argument's, and every
//! nesting doubles it again. A proxied request's future, which hyper moves whole once per
//! request, was 7.5 KB, mostly two nested wrappers around the upstream send (`--timeout`
//! and `--proxy-timeout`); copying it showed up as 4% of the proxy's CPU under load. This
//! enum is as large as the future plus one timer.

use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Timeout;

pin_project! {
    /// The future returned by [`within`].
    #[project = WithinProj]
    #[derive(Debug)]
    pub enum Within<F> {
        /// With a time limit.
        Limited { #[pin] inner: Timeout<F> },
        /// Without one.
        Unlimited { #[pin] inner: F },
    }
}

/// Awaits `fut`, giving up (`Err(())`) after `limit` if there is one.
pub fn within<F: Future>(limit: Option<Duration>, fut: F) -> Within<F> {
    match limit {
        Some(d) => Within::Limited {
            inner: tokio::time::timeout(d, fut),
        },
        None => Within::Unlimited { inner: fut },
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            WithinProj::Limited { inner } => inner.poll(cx).map(|r| r.map_err(|_| ())),
            WithinProj::Unlimited { inner } => inner.poll(cx).map(Ok),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn gives_up_only_when_limited_and_late() {
        assert_eq!(within(None, async { 7 }).await, Ok(7));
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            7
        };
        assert_eq!(within(Some(Duration::from_secs(10)), slow).await, Ok(7));
        let never = std::future::pending::<u8>();
        assert_eq!(within(Some(Duration::from_secs(1)), never).await, Err(()));
        let slow = tokio::time::sleep(Duration::from_secs(5));
        assert_eq!(
            within(None, within(Some(Duration::from_secs(1)), slow)).await,
            Ok(Err(()))
        );
    }

    #[tokio::test]
    async fn nesting_adds_a_timer_not_a_copy() {
        let fut = async {
            let big = [0u8; 2048];
            tokio::task::yield_now().await;
            big.len()
        };
        let alone = std::mem::size_of_val(&fut);
        let limit = Some(Duration::from_secs(1));
        let nested = within(limit, within(limit, fut));
        let timers = 2 * std::mem::size_of::<tokio::time::Sleep>();
        assert!(
            std::mem::size_of_val(&nested) <= alone + timers + 64,
            "{} bytes around a {alone}-byte future",
            std::mem::size_of_val(&nested)
        );
    }
}
