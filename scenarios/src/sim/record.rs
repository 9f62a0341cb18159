//! What the report needs, recorded as the run goes: samples of the cluster and the hub,
//! phases of the first users' servers, latencies, faults.

use std::collections::BTreeMap;

use hub::spawner::ServerKey;

use crate::report::model::{FaultSpan, Histogram, Report, Series, Span, UserTimeline};

/// Bucket bounds of the spawn-latency histogram, seconds.
pub const HISTOGRAM_UPPER_S: [u64; 9] = [30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600];

/// The recorder.
#[derive(Debug, Default)]
pub struct Recorder {
    /// The samples.
    pub series: Series,
    /// Timelines of the first users, by user name.
    pub timelines: BTreeMap<String, Vec<Span>>,
    /// Click-to-running, seconds, every spawn.
    pub latencies: Vec<u64>,
    /// The same, spawns whose job did not queue.
    pub latencies_free: Vec<u64>,
    /// Hub jobs' queue waits, seconds.
    pub hub_waits: Vec<u64>,
    /// Background jobs' queue waits, seconds.
    pub background_waits: Vec<u64>,
    /// Faults, in order.
    pub faults: Vec<FaultSpan>,
    /// The utilization shares of every sample, summed (for the mean).
    pub utilization_sum: f64,
}

impl Recorder {
    /// Starts timelines for the users named.
    pub fn follow(&mut self, users: impl IntoIterator<Item = String>) {
        for user in users {
            self.timelines.insert(user, Vec::new());
        }
    }

    /// A server of a followed user is in `phase` from `now_ms`.
    pub fn phase(&mut self, now_ms: u64, key: &ServerKey, phase: &str) {
        let Some(spans) = self.timelines.get_mut(&key.user) else {
            return;
        };
        let now = now_ms / 1000;
        if let Some(last) = spans.last_mut() {
            if last.phase == phase {
                return;
            }
            last.to_s = now;
        }
        spans.push(Span {
            from_s: now,
            to_s: now,
            phase: phase.to_string(),
        });
    }

    /// A spawn reached running after `secs`.
    pub fn spawn_latency(&mut self, secs: u64, free: bool) {
        self.latencies.push(secs);
        if free {
            self.latencies_free.push(secs);
        }
    }

    /// The histogram of spawn latencies.
    pub fn histogram(&self) -> Histogram {
        let mut counts = vec![0u64; HISTOGRAM_UPPER_S.len()];
        for &l in &self.latencies {
            let i = HISTOGRAM_UPPER_S
                .iter()
                .position(|&u| l <= u)
                .unwrap_or(HISTOGRAM_UPPER_S.len() - 1);
            counts[i] += 1;
        }
        Histogram {
            upper_s: HISTOGRAM_UPPER_S.to_vec(),
            counts,
        }
    }

    /// The timelines, closed at `end_s`.
    pub fn timelines(&self, end_s: u64) -> Vec<UserTimeline> {
        self.timelines
            .iter()
            .map(|(user, spans)| {
                let mut spans = spans.clone();
                if let Some(last) = spans.last_mut() {
                    last.to_s = end_s;
                }
                UserTimeline {
                    user: user.clone(),
                    spans,
                }
            })
            .collect()
    }

    /// Rounds a share to 4 decimals so reports print the same everywhere.
    pub fn round4(x: f64) -> f64 {
        (x * 10_000.0).round() / 10_000.0
    }

    /// Fills the report's recorded parts.
    pub fn fill(&self, report: &mut Report, end_s: u64) {
        report.series = self.series.clone();
        report.histogram = self.histogram();
        report.users = self.timelines(end_s);
        report.faults = self.faults.clone();
    }
}
