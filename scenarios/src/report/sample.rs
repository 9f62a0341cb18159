//! A synthetic [`Report`] for the renderers' tests: a day on a busy cluster sampled every
//! 30 s (2,881 samples, so decimation is exercised), one failed safety property, 40 users'
//! timelines and a handful of faults. Arithmetic only, so it is the same every time.

use std::collections::BTreeMap;

use super::model::{
    Counts, FaultSpan, Histogram, Latencies, Phases, PropertyKind, PropertyResult, Report, Series,
    Span, Summary, UserTimeline, Violation,
};

/// Seconds between samples.
const INTERVAL_S: u64 = 30;
/// The safety phase: 20 simulated hours.
const SAFETY_END_S: u64 = 20 * 3600;
/// The liveness bound: a day.
const LIVENESS_END_S: u64 = 24 * 3600;

/// A cheap, fixed wobble in `0..modulus` for sample `i` (no RNG: the sample must not
/// change when the rand crate does).
fn wobble(i: u64, modulus: u64) -> u64 {
    (i.wrapping_mul(7919).wrapping_add(13) ^ (i >> 3)) % modulus
}

/// The sample report.
pub(crate) fn sample_report() -> Report {
    let n = LIVENESS_END_S / INTERVAL_S + 1;
    let mut series = Series {
        interval_s: INTERVAL_S,
        ..Series::default()
    };
    for i in 0..n {
        let t = i * INTERVAL_S;
        let hour = t / 3600;
        // Busy during the working day, quiet at night; one spike at 6 h.
        let busy = if (8..18).contains(&hour) { 300 } else { 60 };
        let spike = if t == 6 * 3600 { 900 } else { 0 };
        let queued = busy + wobble(i, 80) + spike;
        let running = 1500 + wobble(i, 300);
        series.queued_jobs.push(queued as u32);
        series.running_jobs.push(running as u32);
        series
            .utilization
            .push(((running as f64 / 2000.0) * 10_000.0).round() / 10_000.0);
        // Hub servers follow the working day in slow steps (a server lives for hours).
        let day = (t as f64 / 86_400.0 * std::f64::consts::PI).sin();
        let hub_running = if t < SAFETY_END_S {
            (4.0 + 20.0 * day).round() as u64
        } else {
            12
        };
        series.hub_waiting.push(u32::from(wobble(i / 40, 9) == 0));
        series
            .hub_queued
            .push((wobble(i / 60, 4) + (day * 4.0) as u64) as u32);
        series.hub_starting.push(u32::from(wobble(i / 10, 5) == 0));
        series.hub_running.push(hub_running as u32);
        // The proxy lost its table at 10 h and the hub re-added routes over a few minutes.
        let routes = if (36_000..36_300).contains(&t) {
            (t - 36_000) / 30
        } else {
            hub_running
        };
        series.routes.push(routes as u32);
    }

    let phases = [
        "waiting",
        "submitting",
        "queued",
        "starting",
        "running",
        "stopping",
    ];
    let users = (0..Report::MAX_TIMELINES as u64)
        .map(|u| {
            let mut spans = Vec::new();
            let mut t = 600 + u * 900;
            for (k, phase) in phases.iter().enumerate() {
                let len = match *phase {
                    "queued" => 300 + wobble(u, 3600),
                    "running" => 4 * 3600 + wobble(u + 7, 4 * 3600),
                    _ => 30 + 10 * k as u64,
                };
                spans.push(Span {
                    from_s: t,
                    to_s: (t + len).min(LIVENESS_END_S),
                    phase: phase.to_string(),
                });
                t = (t + len).min(LIVENESS_END_S);
            }
            let end = if u % 7 == 3 { "failed" } else { "stopped" };
            spans.push(Span {
                from_s: t,
                to_s: LIVENESS_END_S,
                phase: end.to_string(),
            });
            UserTimeline {
                user: if u == 5 {
                    "a-user-with-a-very-long-name".to_string()
                } else {
                    format!("user{u:03}")
                },
                spans,
            }
        })
        .collect();

    let mut spawns_failed = BTreeMap::new();
    spawns_failed.insert("job_vanished".to_string(), 3);
    spawns_failed.insert("submit_refused".to_string(), 2);

    Report {
        scenario: "busy-day".to_string(),
        file: "scenarios/busy-day.toml".to_string(),
        description: "A working day on a busy 2000-node cluster: users spawn notebooks while \
                      batch jobs fill the queue; qstat outages, node failures and a hub crash."
            .to_string(),
        seed: 42,
        passed: false,
        reproduce: "cargo run -p scenarios -- run scenarios/busy-day.toml --seed 42".to_string(),
        phases: Phases {
            safety_end_s: SAFETY_END_S,
            liveness_end_s: LIVENESS_END_S,
            settled_at_s: Some(SAFETY_END_S + 1800),
        },
        properties: vec![
            PropertyResult {
                name: "no_delete_on_unknown".to_string(),
                kind: PropertyKind::Safety,
                description: "The hub never deletes a job whose state it does not know."
                    .to_string(),
                passed: false,
                violations: 2,
                first_violation: Some(Violation {
                    at_s: 37_230,
                    message: "server alice/ deleted job 1234.pbs while qstat was out".to_string(),
                }),
                measured: None,
            },
            PropertyResult {
                name: "routes_match_running".to_string(),
                kind: PropertyKind::Liveness,
                description: "Every running server has a route, and only those.".to_string(),
                passed: true,
                violations: 0,
                first_violation: None,
                measured: None,
            },
            PropertyResult {
                name: "spawn_p95".to_string(),
                kind: PropertyKind::Slo,
                description: "95 % of spawns on free nodes run within 2 minutes.".to_string(),
                passed: true,
                violations: 0,
                first_violation: None,
                measured: Some("p95 41 s <= 120 s".to_string()),
            },
        ],
        counts: Counts {
            spawn_requests: 412,
            invalid_requests: 4,
            requests_while_hub_down: 6,
            submits: 398,
            submit_errors: 2,
            cancels: 31,
            polls: 2880,
            failed_polls: 40,
            spawns_running: 380,
            spawns_failed,
            spawns_cancelled: 13,
            servers_stopped: 371,
            servers_ended_by_job: 22,
            walltime_kills: 5,
            background_jobs: 25_000,
            background_completed: 24_100,
            hub_restarts: 1,
            proxy_restarts: 1,
            node_failures: 3,
            outside_deletes: 2,
            routes_added: 392,
            routes_deleted: 380,
            events: 1_234_567,
        },
        latency: Latencies {
            click_to_running: Summary {
                count: 380,
                p50: 95,
                p95: 2400,
                max: 7300,
            },
            click_to_running_free: Summary {
                count: 120,
                p50: 21,
                p95: 41,
                max: 63,
            },
            queue_wait: Summary {
                count: 380,
                p50: 60,
                p95: 2300,
                max: 7200,
            },
            background_queue_wait: Summary::default(),
        },
        histogram: Histogram {
            upper_s: vec![30, 60, 120, 300, 600, 1800, 3600],
            counts: vec![90, 40, 60, 80, 50, 40, 20],
        },
        series,
        users,
        faults: vec![
            FaultSpan {
                kind: "qstat_outage".to_string(),
                from_s: 7200,
                to_s: 8100,
                detail: "all polls fail".to_string(),
            },
            FaultSpan {
                kind: "node_failure".to_string(),
                from_s: 12_000,
                to_s: 12_000,
                detail: "node0421".to_string(),
            },
            FaultSpan {
                kind: "qstat_outage".to_string(),
                from_s: 36_900,
                to_s: 37_500,
                detail: "all polls fail".to_string(),
            },
            FaultSpan {
                kind: "hub_crash".to_string(),
                from_s: 50_000,
                to_s: 50_120,
                detail: "SIGKILL, restart after 120 s".to_string(),
            },
            FaultSpan {
                kind: "proxy_restart".to_string(),
                from_s: 36_000,
                to_s: 36_000,
                detail: "table lost".to_string(),
            },
            FaultSpan {
                kind: "node_failure".to_string(),
                from_s: 61_000,
                to_s: 61_000,
                detail: "node1803".to_string(),
            },
        ],
    }
}
