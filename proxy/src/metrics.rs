//! Prometheus metrics: plain atomics on the hot path, rendered as text on demand.

use crate::errors::FailureKind;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Counters and gauges for the whole proxy.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Proxied HTTP responses by status class (index 1..=5 for 1xx..5xx).
    responses: [AtomicU64; 6],
    /// Failures by [`FailureKind`] (in [`FailureKind::ALL`] order).
    failures: [AtomicU64; 6],
    /// WebSocket upgrades relayed, ever.
    websockets_total: AtomicU64,
    /// WebSocket connections open now.
    websockets_open: AtomicI64,
    /// Client connections open now (all listeners but metrics).
    connections_open: AtomicI64,
    /// API requests by method: GET, POST, DELETE, other.
    api_requests: [AtomicU64; 4],
    /// Time to upstream response headers.
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    /// Routes-file writes that failed.
    persist_failures: AtomicU64,
}

/// Which API method, for [`Metrics::api_request`].
#[derive(Debug, Clone, Copy)]
pub enum ApiMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// Anything else (answered 405).
    Other,
}

impl Metrics {
    /// A proxied response with `status` was sent after `latency` to upstream headers.
    pub fn response(&self, status: u16, latency: Duration) {
        self.responses[usize::from(status / 100).min(5)].fetch_add(1, Relaxed);
        let secs = latency.as_secs_f64();
        for (bucket, le) in self.latency_buckets.iter().zip(BUCKETS) {
            if secs <= le {
                bucket.fetch_add(1, Relaxed);
                break;
            }
        }
        self.latency_count.fetch_add(1, Relaxed);
        self.latency_sum_us.fetch_add(
            u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }

    /// A request failed with `kind`.
    pub fn failure(&self, kind: FailureKind) {
        if let Some(i) = FailureKind::ALL.iter().position(|k| *k == kind) {
            self.failures[i].fetch_add(1, Relaxed);
        }
        self.responses[usize::from(kind.status().as_u16() / 100).min(5)].fetch_add(1, Relaxed);
    }

    /// An API request arrived.
    pub fn api_request(&self, method: ApiMethod) {
        self.api_requests[method as usize].fetch_add(1, Relaxed);
    }

    /// A WebSocket relay opened; the guard closes it when dropped.
    pub fn websocket_opened(&self) -> GaugeGuard<'_> {
        self.websockets_total.fetch_add(1, Relaxed);
        GaugeGuard::new(&self.websockets_open)
    }

    /// A client connection opened; the guard closes it when dropped.
    pub fn connection_opened(&self) -> GaugeGuard<'_> {
        GaugeGuard::new(&self.connections_open)
    }

    /// A routes-file write failed.
    pub fn persist_failed(&self) {
        self.persist_failures.fetch_add(1, Relaxed);
    }

    /// Open WebSocket relays.
    pub fn websockets_open(&self) -> i64 {
        self.websockets_open.load(Relaxed)
    }

    /// The Prometheus text exposition, with `routes` as the route-count gauge.
    pub fn render(&self, routes: usize) -> String {
        let mut o = String::with_capacity(4096);
        // Writing to a String cannot fail; the results are ignored throughout.
        let _ = writeln!(o, "# HELP hub_proxy_routes Routes in the table.");
        let _ = writeln!(o, "# TYPE hub_proxy_routes gauge");
        let _ = writeln!(o, "hub_proxy_routes {routes}");
        let _ = writeln!(
            o,
            "# HELP hub_proxy_responses_total Proxied responses by status class."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_responses_total counter");
        for (i, c) in self.responses.iter().enumerate().skip(1) {
            let _ = writeln!(
                o,
                "hub_proxy_responses_total{{code=\"{i}xx\"}} {}",
                c.load(Relaxed)
            );
        }
        let _ = writeln!(
            o,
            "# HELP hub_proxy_failures_total Requests that failed, by cause."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_failures_total counter");
        for (k, c) in FailureKind::ALL.iter().zip(&self.failures) {
            let _ = writeln!(
                o,
                "hub_proxy_failures_total{{kind=\"{}\"}} {}",
                k.label(),
                c.load(Relaxed)
            );
        }
        let _ = writeln!(
            o,
            "# HELP hub_proxy_websockets_total WebSocket connections relayed."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_websockets_total counter");
        let _ = writeln!(
            o,
            "hub_proxy_websockets_total {}",
            self.websockets_total.load(Relaxed)
        );
        let _ = writeln!(
            o,
            "# HELP hub_proxy_websockets_open WebSocket connections open."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_websockets_open gauge");
        let _ = writeln!(
            o,
            "hub_proxy_websockets_open {}",
            self.websockets_open.load(Relaxed)
        );
        let _ = writeln!(
            o,
            "# HELP hub_proxy_connections_open Client connections open."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_connections_open gauge");
        let _ = writeln!(
            o,
            "hub_proxy_connections_open {}",
            self.connections_open.load(Relaxed)
        );
        let _ = writeln!(
            o,
            "# HELP hub_proxy_api_requests_total Route API requests by method."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_api_requests_total counter");
        for (m, c) in ["GET", "POST", "DELETE", "other"]
            .iter()
            .zip(&self.api_requests)
        {
            let _ = writeln!(
                o,
                "hub_proxy_api_requests_total{{method=\"{m}\"}} {}",
                c.load(Relaxed)
            );
        }
        let _ = writeln!(
            o,
            "# HELP hub_proxy_persist_failures_total Failed routes-file writes."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_persist_failures_total counter");
        let _ = writeln!(
            o,
            "hub_proxy_persist_failures_total {}",
            self.persist_failures.load(Relaxed)
        );
        let _ = writeln!(
            o,
            "# HELP hub_proxy_upstream_seconds Time from request to upstream response headers."
        );
        let _ = writeln!(o, "# TYPE hub_proxy_upstream_seconds histogram");
        let mut cumulative = 0;
        for (le, c) in BUCKETS.iter().zip(&self.latency_buckets) {
            cumulative += c.load(Relaxed);
            let _ = writeln!(
                o,
                "hub_proxy_upstream_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(
            o,
            "hub_proxy_upstream_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.latency_sum_us.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(o, "hub_proxy_upstream_seconds_sum {sum}");
        let _ = writeln!(o, "hub_proxy_upstream_seconds_count {count}");
        o
    }
}

/// Decrements a gauge when dropped.
#[derive(Debug)]
pub struct GaugeGuard<'a>(&'a AtomicI64);

impl<'a> GaugeGuard<'a> {
    fn new(gauge: &'a AtomicI64) -> Self {
        gauge.fetch_add(1, Relaxed);
        Self(gauge)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.response(200, Duration::from_micros(500));
        m.response(302, Duration::from_millis(20));
        m.failure(FailureKind::ConnectFailed);
        let ws = m.websocket_opened();
        let text = m.render(3);
        assert!(text.contains("hub_proxy_routes 3\n"));
        assert!(text.contains("hub_proxy_responses_total{code=\"2xx\"} 1\n"));
        assert!(text.contains("hub_proxy_responses_total{code=\"5xx\"} 1\n"));
        assert!(text.contains("hub_proxy_failures_total{kind=\"connect_failed\"} 1\n"));
        assert!(text.contains("hub_proxy_websockets_open 1\n"));
        assert!(text.contains("hub_proxy_upstream_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("hub_proxy_upstream_seconds_bucket{le=\"0.025\"} 2\n"));
        assert!(text.contains("hub_proxy_upstream_seconds_count 2\n"));
        drop(ws);
        assert_eq!(m.websockets_open(), 0);
    }
}
