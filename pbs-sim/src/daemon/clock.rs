//! The daemon's clock: real time, optionally accelerated, anchored to the wall clock so it
//! carries on across restarts of the daemon.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::engine::res::SimTime;

/// Simulated time = `origin_sim + (wall clock - origin_wall) × speedup`.
///
/// The anchor is stored in the journal, so a restarted daemon finds the cluster where the
/// clock says it is now — as a real PBS server does, whose jobs kept running while it was down.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    /// Simulated seconds at the anchor.
    pub origin_sim: SimTime,
    /// Wall-clock milliseconds since the Unix epoch at the anchor.
    pub origin_wall_ms: u64,
    /// Simulated seconds per real second.
    pub speedup: f64,
}

impl Clock {
    /// A clock reading the wall clock's time now, accelerated by `speedup` from now on.
    pub fn starting_now(speedup: f64) -> Clock {
        let wall = wall_ms();
        Clock {
            origin_sim: wall / 1000,
            origin_wall_ms: wall,
            speedup,
        }
    }

    /// The simulated time at wall-clock milliseconds `wall_ms`.
    pub fn at(&self, wall_ms: u64) -> SimTime {
        let elapsed_ms = wall_ms.saturating_sub(self.origin_wall_ms) as f64;
        self.origin_sim + (elapsed_ms * self.speedup / 1000.0) as SimTime
    }

    /// The simulated time now.
    pub fn now(&self) -> SimTime {
        self.at(wall_ms())
    }

    /// How many real milliseconds until simulated time `t` (0 if it has passed).
    pub fn real_ms_until(&self, t: SimTime) -> u64 {
        let now = self.now();
        if t <= now {
            return 0;
        }
        ((t - now) as f64 * 1000.0 / self.speedup).ceil() as u64
    }
}

/// Milliseconds since the Unix epoch by the wall clock (0 if the clock is before 1970).
pub fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accelerated_time_runs_faster_from_the_anchor() {
        let clock = Clock {
            origin_sim: 1_000,
            origin_wall_ms: 50_000,
            speedup: 60.0,
        };
        assert_eq!(clock.at(50_000), 1_000);
        assert_eq!(clock.at(51_000), 1_060);
        // Before the anchor time stands still rather than running backwards.
        assert_eq!(clock.at(10_000), 1_000);
    }

    #[test]
    fn real_time_clock_reads_the_wall_clock() {
        let clock = Clock::starting_now(1.0);
        let now = wall_ms() / 1000;
        assert!(clock.now().abs_diff(now) <= 1);
    }
}
