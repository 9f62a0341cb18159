//! Login rate limiting: failed attempts counted per key (a user name, a client address)
//! within a sliding window, in memory. Pure: time is passed in.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

/// Keys past which a sweep drops every key with no failure left in the window, so memory
/// stays bounded under a spray of made-up names.
const SWEEP_ABOVE: usize = 10_000;

/// Failed logins per key.
#[derive(Debug)]
pub(super) struct Limiter {
    max: u32,
    window: Duration,
    failures: BTreeMap<String, VecDeque<DateTime<Utc>>>,
}

impl Limiter {
    /// At most `max` failures per key within `window`.
    pub(super) fn new(max: u32, window: Duration) -> Self {
        Limiter {
            max,
            window,
            failures: BTreeMap::new(),
        }
    }

    /// `None` if every key may try again at `now`, else how long until the first blocked
    /// one may (whole seconds, at least 1).
    pub(super) fn blocked(&mut self, keys: &[String], now: DateTime<Utc>) -> Option<u64> {
        let mut wait: Option<Duration> = None;
        for key in keys {
            let Some(times) = self.failures.get_mut(key) else {
                continue;
            };
            prune(times, now - self.window);
            if times.len() >= self.max as usize {
                // Free again when enough of the oldest failures leave the window.
                let freeing = times.len() + 1 - self.max as usize;
                if let Some(at) = times.get(freeing - 1) {
                    let this = *at + self.window - now;
                    wait = Some(wait.map_or(this, |w| w.max(this)));
                }
            }
        }
        wait.map(|w| u64::try_from(w.num_seconds()).unwrap_or(0).max(1))
    }

    /// Records a failure at `now` for every key.
    pub(super) fn failed(&mut self, keys: &[String], now: DateTime<Utc>) {
        if self.failures.len() > SWEEP_ABOVE {
            let since = now - self.window;
            self.failures.retain(|_, times| {
                prune(times, since);
                !times.is_empty()
            });
        }
        for key in keys {
            let times = self.failures.entry(key.clone()).or_default();
            prune(times, now - self.window);
            times.push_back(now);
        }
    }

    /// Forgets a key's failures (a successful login for that user name).
    pub(super) fn forget(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

fn prune(times: &mut VecDeque<DateTime<Utc>>, since: DateTime<Utc>) {
    while times.front().is_some_and(|t| *t <= since) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 17, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    #[test]
    fn the_attempt_after_max_failures_is_blocked_until_the_window_passes() {
        let mut limiter = Limiter::new(3, Duration::seconds(60));
        let keys = vec!["user:alice".to_string(), "addr:10.0.0.1".to_string()];
        for i in 0..3 {
            assert_eq!(limiter.blocked(&keys, t(i)), None, "attempt {i}");
            limiter.failed(&keys, t(i));
        }
        assert_eq!(limiter.blocked(&keys, t(10)), Some(50));
        // Another address for the same name is blocked too, and another name at the address.
        assert!(limiter
            .blocked(&["user:alice".to_string()], t(10))
            .is_some());
        assert!(limiter
            .blocked(&["addr:10.0.0.1".to_string()], t(10))
            .is_some());
        assert_eq!(limiter.blocked(&["user:bob".to_string()], t(10)), None);
        // The first failure leaves the window at 60 s.
        assert_eq!(limiter.blocked(&keys, t(60)), None);
    }

    #[test]
    fn forgetting_a_key_unblocks_only_it() {
        let mut limiter = Limiter::new(1, Duration::seconds(60));
        let keys = vec!["user:alice".to_string(), "addr:a".to_string()];
        limiter.failed(&keys, t(0));
        limiter.forget("user:alice");
        assert_eq!(limiter.blocked(&keys[..1], t(1)), None);
        assert!(limiter.blocked(&keys[1..], t(1)).is_some());
    }
}
