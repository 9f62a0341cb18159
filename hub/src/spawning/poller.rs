//! The poller: every interval, one batched `status` call for every tracked job, its answers
//! fed to their servers, a tick for every server, then admission. And the lines'
//! refresher: after changes, every server's place in its line, resent at most every
//! [`LINES_REFRESH`].

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::core::{Inner, LINES_REFRESH};
use crate::spawner::{Event, PollPlan};

/// Polls until the shell is dropped (the weak reference no longer upgrades) or the task is
/// aborted.
pub(super) async fn run(inner: Weak<Inner>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    // A slow scheduler must not cause a burst of polls once it answers.
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await; // The first tick is immediate; resume has just looked at everything.
    loop {
        interval.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        poll_once(&inner).await;
    }
}

/// One round: status, events, ticks, admission.
pub(super) async fn poll_once(inner: &Arc<Inner>) {
    let snapshot = inner.snapshot();
    let plan = PollPlan::new(snapshot.iter().map(|(key, entry)| (key, &entry.state)));
    if !plan.is_empty() {
        let answer = inner.scheduler.status(&plan.ids()).await;
        for (key, event) in plan.events(&answer) {
            if let Err(e) = inner.apply(&key, event, None).await {
                tracing::warn!(server = %key, error = %e, "a poll's answer was not applied");
            }
        }
    }
    for (key, entry) in &snapshot {
        if entry.state.is_active() {
            if let Err(e) = inner.apply(key, Event::Tick, None).await {
                tracing::warn!(server = %key, error = %e, "a tick was not applied");
            }
        }
    }
    inner.admit().await;
    // Waiting times in the messages move on even when no state does.
    inner.refresh_progress();
}

/// Resends every server's progress (places in the lines) after changes were announced on
/// `Inner::lines_moved`, at most once per [`LINES_REFRESH`]; runs until aborted.
pub(super) async fn refresh_lines(inner: Arc<Inner>) {
    loop {
        inner.lines_moved.notified().await;
        inner.refresh_progress();
        tokio::time::sleep(LINES_REFRESH).await;
    }
}
