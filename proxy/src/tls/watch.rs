//! When certificates are reloaded: on request ([`Reloader::reload_now`], which `main.rs`
//! calls on SIGHUP) and when their files change, found by polling.
//!
//! Polling the files' metadata every few seconds is cheap, needs no inotify limits, and
//! sees certbot's way of renewing (new files in `archive/`, the `live/` symbolic links
//! moved) as well as an editor's in-place write.

use super::cert::ReloadingCert;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// A handle to ask for every certificate to be read again now. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Reloader {
    certs: Vec<Arc<ReloadingCert>>,
    now: Arc<Notify>,
}

impl Reloader {
    /// A handle over `certs` (empty without TLS).
    pub fn new(certs: Vec<Arc<ReloadingCert>>) -> Self {
        Self {
            certs,
            now: Arc::new(Notify::new()),
        }
    }

    /// The certificates it reloads: the public listener's first, then the API's.
    pub fn certs(&self) -> &[Arc<ReloadingCert>] {
        &self.certs
    }

    /// Whether there is anything to reload.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Asks [`Reloader::run`] to read every certificate again, changed or not. A request
    /// made while it is busy is kept, not lost.
    pub fn reload_now(&self) {
        self.now.notify_one();
    }

    /// Reloads on request, and every `interval` the certificates whose files changed
    /// (`None` or zero: on request only), until `shutdown`.
    pub async fn run(self, interval: Option<Duration>, shutdown: CancellationToken) {
        let mut tick = interval.filter(|d| !d.is_zero()).map(|every| {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick
        });
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.now.notified() => {
                    for cert in &self.certs {
                        let _ = cert.reload();
                    }
                }
                _ = next_tick(tick.as_mut()) => {
                    for cert in &self.certs {
                        cert.reload_if_changed();
                    }
                }
            }
        }
    }
}

/// The next tick, or never without polling.
async fn next_tick(tick: Option<&mut tokio::time::Interval>) {
    match tick {
        Some(tick) => {
            tick.tick().await;
        }
        None => std::future::pending().await,
    }
}
