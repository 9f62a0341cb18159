//! Load benchmarks' shared pieces. The benchmarks themselves are binaries and scripts:
//!
//! - `src/bin/spawn-storm.rs` with `benches/hub-storm/run.sh` — N users start their servers
//!   at once through the hub's REST API against the in-process simulated cluster; time to
//!   all ready and routed, API latency under the storm, the hub's peak memory.
//!
//! - `src/bin/spawn-storm.rs` with `benches/side-by-side/run.sh` — the same storm against
//!   batchhub and against JupyterHub + batchspawner on one `pbs-sim serve` cluster.
//!
//! - `src/bin/storm-plot.rs` — draws the side-by-side runs' timelines (servers routed or
//!   ready over time, one panel per storm size) as one SVG.
//!
//! Modules: [`cpu`] (a process's CPU time and its reaped children's, from `/proc`),
//! [`pbs_calls`] (the cluster's command counts from `pbs-sim status`), [`plot`] (timeline
//! CSVs parsed and drawn as an SVG, for `storm-plot`).
//!
//! Here: [`Latencies`] (percentiles of recorded durations) and [`proc_status_kib`] (a
//! process's `VmRSS`/`VmHWM` from `/proc/<pid>/status`), pure and unit-tested.

pub mod cpu;
pub mod pbs_calls;
pub mod plot;

use std::time::Duration;

/// Recorded durations, summarised by nearest-rank percentiles.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    samples: Vec<Duration>,
}

impl Latencies {
    /// Records one duration.
    pub fn push(&mut self, d: Duration) {
        self.samples.push(d);
    }

    /// Adds every sample of `other`.
    pub fn extend(&mut self, other: Latencies) {
        self.samples.extend(other.samples);
    }

    /// How many were recorded.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether none was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The nearest-rank `p`-th percentile (`p` in 0..=100); `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.samples.is_empty() {
            return None;
        }
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.clamp(1, sorted.len()) - 1])
    }

    /// The largest sample.
    pub fn max(&self) -> Option<Duration> {
        self.samples.iter().max().copied()
    }

    /// `p50 / p99 / max` in milliseconds, or `-` when empty.
    pub fn summary_ms(&self) -> String {
        let ms = |d: Option<Duration>| {
            d.map_or_else(
                || "-".to_string(),
                |d| format!("{:.1}", d.as_secs_f64() * 1e3),
            )
        };
        format!(
            "p50 {} / p99 {} / max {} ms (n={})",
            ms(self.percentile(50.0)),
            ms(self.percentile(99.0)),
            ms(self.max()),
            self.len()
        )
    }
}

/// The value in KiB of `field` (`VmRSS`, `VmHWM`, …) in the text of `/proc/<pid>/status`.
pub fn proc_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut l = Latencies::default();
        assert_eq!(l.percentile(50.0), None);
        for ms in 1..=100 {
            l.push(Duration::from_millis(ms));
        }
        assert_eq!(l.percentile(50.0), Some(Duration::from_millis(50)));
        assert_eq!(l.percentile(99.0), Some(Duration::from_millis(99)));
        assert_eq!(l.percentile(100.0), Some(Duration::from_millis(100)));
        assert_eq!(l.percentile(0.0), Some(Duration::from_millis(1)));
        assert_eq!(l.max(), Some(Duration::from_millis(100)));
    }

    #[test]
    fn status_fields_are_read_in_kib() {
        let status = "Name:\thub\nVmPeak:\t  900 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n";
        assert_eq!(proc_status_kib(status, "VmHWM"), Some(51234));
        assert_eq!(proc_status_kib(status, "VmRSS"), Some(40000));
        assert_eq!(proc_status_kib(status, "VmSwap"), None);
    }
}
