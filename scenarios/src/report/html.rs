//! The HTML report: one self-contained page (inline CSS and SVG, no JavaScript, nothing
//! fetched) a developer opens after a run. Top to bottom: the verdict and how to replay
//! it, the properties, the counts, the latencies, then the plots (`plots`).
//!
//! Rendered with `maud`, which escapes every text from the report. The same report gives
//! the same bytes: no clock is read, maps are ordered, coordinates have one decimal.

mod plots;
#[cfg(test)]
mod tests;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::model::{Latencies, PropertyKind, PropertyResult, Report, Summary};

/// The page's stylesheet: a light theme, failed rows tinted with the palette's vermillion
/// and also marked in words, so colour is never the only signal.
const CSS: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;background:#fff;max-width:1000px;margin:24px auto;padding:0 16px}
header{display:flex;gap:14px;align-items:center}
h1{font-size:24px;margin:0;overflow-wrap:anywhere}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.badge{font-weight:700;padding:3px 12px;border-radius:4px;color:#fff;letter-spacing:.05em}
.badge.pass{background:#007A5A}.badge.fail{background:#B54A00}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:12px 0}
dl.meta dt{color:#666}dl.meta dd{margin:0}
pre.reproduce{background:#f4f4f4;border:1px solid #ddd;border-radius:4px;padding:8px 12px;white-space:pre-wrap;overflow-wrap:anywhere;user-select:all}
table{border-collapse:collapse;margin:4px 0 12px}
th,td{border-bottom:1px solid #e4e4e4;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f7f7f7;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed{background:#FBE3D6}
tr.failed td.result{color:#A33F00;font-weight:700}
td.result{font-weight:600}
.desc{color:#666;font-size:12px}
code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:13px}
figure{margin:14px 0 26px}
figcaption{margin-bottom:6px}
figcaption b{font-size:15px}
figcaption span{color:#666;font-size:12px;margin-left:8px}
svg{width:100%;height:auto;display:block}
svg text{font:12px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#333}
svg text.phase{font-size:11px;fill:#666;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg text.nodata{font-size:14px;fill:#777}
svg .grid{stroke:#e3e3e3;stroke-width:1}
svg .axisline{stroke:#555;stroke-width:1}
svg .safety{fill:#f2f2f2}svg .liveness{fill:#e8f2fa}
svg .settled{stroke:#555;stroke-width:1;stroke-dasharray:4 3}
svg .frame{fill:#fafafa;stroke:#ddd}
";

/// The HTML page for one scenario run: verdict, seed and the command that replays it,
/// the properties (failed ones highlighted), the counts and latencies, and SVG plots of
/// the queue, utilization, hub servers, spawn latencies, users' servers and faults.
pub fn html(report: &Report) -> String {
    let verdict = if report.passed { "PASS" } else { "FAIL" };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (verdict) " · " (report.scenario) " · batchhub scenario" }
                style { (PreEscaped(CSS)) }
            }
            body {
                (summary(report))
                h2 { "Properties" }
                (properties(&report.properties))
                h2 { "Counts" }
                (counts(report))
                h2 { "Latencies" }
                (latencies(&report.latency))
                h2 { "Plots" }
                (plots::figures(report))
            }
        }
    }
    .into_string()
}

/// The verdict, seed, phases, the command that replays the run, and the description.
fn summary(report: &Report) -> Markup {
    let p = &report.phases;
    html! {
        header {
            h1 { (report.scenario) }
            @if report.passed {
                span.badge.pass { "PASS" }
            } @else {
                span.badge.fail { "FAIL" }
            }
        }
        dl.meta {
            dt { "seed" } dd { code { (report.seed) } }
            dt { "file" } dd { code { (report.file) } }
            dt { "phases" }
            dd {
                "safety 0 – " (clock(p.safety_end_s)) ", liveness until " (clock(p.liveness_end_s)) "; "
                @match p.settled_at_s {
                    Some(s) => { "settled at " (clock(s)) }
                    None => { "did not settle" }
                }
            }
            dt { "events" } dd { (report.counts.events) }
        }
        div { "reproduce with:" }
        pre.reproduce { (report.reproduce) }
        @if !report.description.is_empty() {
            p.description { (report.description) }
        }
    }
}

/// The name of a property kind as the scenario file spells it.
fn kind_name(kind: PropertyKind) -> &'static str {
    match kind {
        PropertyKind::Safety => "safety",
        PropertyKind::Liveness => "liveness",
        PropertyKind::Slo => "slo",
    }
}

/// One row per property; a failed one tinted and marked FAIL.
fn properties(props: &[PropertyResult]) -> Markup {
    html! {
        @if props.is_empty() {
            p { "No properties were checked." }
        } @else {
            table.properties {
                thead { tr {
                    th { "property" } th { "kind" } th { "result" } th.num { "violations" }
                    th { "first violation" } th { "measured" }
                } }
                tbody {
                    @for p in props {
                        tr class=[(!p.passed).then_some("failed")] {
                            td {
                                code { (p.name) }
                                @if !p.description.is_empty() { div.desc { (p.description) } }
                            }
                            td { (kind_name(p.kind)) }
                            td.result { @if p.passed { "pass" } @else { "FAIL" } }
                            td.num { (p.violations) }
                            td {
                                @if let Some(v) = &p.first_violation {
                                    "at " (clock(v.at_s)) ": " (v.message)
                                } @else { "—" }
                            }
                            td { @if let Some(m) = &p.measured { (m) } @else { "—" } }
                        }
                    }
                }
            }
        }
    }
}

/// The counts as a compact table, three figures a row, then failed spawns by reason.
fn counts(report: &Report) -> Markup {
    let c = &report.counts;
    let figures: [(&str, u64); 23] = [
        ("spawn requests", c.spawn_requests),
        ("invalid requests", c.invalid_requests),
        ("requests while hub down", c.requests_while_hub_down),
        ("submits", c.submits),
        ("submit errors", c.submit_errors),
        ("cancels (qdel)", c.cancels),
        ("polls (qstat)", c.polls),
        ("failed polls", c.failed_polls),
        ("spawns running", c.spawns_running),
        ("spawns failed", c.spawns_failed.values().sum()),
        ("spawns cancelled", c.spawns_cancelled),
        ("servers stopped", c.servers_stopped),
        ("servers ended by job", c.servers_ended_by_job),
        ("walltime kills", c.walltime_kills),
        ("background jobs", c.background_jobs),
        ("background completed", c.background_completed),
        ("hub restarts", c.hub_restarts),
        ("proxy restarts", c.proxy_restarts),
        ("node failures", c.node_failures),
        ("outside deletes", c.outside_deletes),
        ("routes added", c.routes_added),
        ("routes deleted", c.routes_deleted),
        ("events", c.events),
    ];
    html! {
        table.counts {
            tbody {
                @for row in figures.chunks(3) {
                    tr {
                        @for (label, value) in row {
                            td { (label) } td.num { (value) }
                        }
                    }
                }
            }
        }
        @if c.spawns_failed.is_empty() {
            p { "No spawn failed." }
        } @else {
            table.failed-reasons {
                thead { tr { th { "failed spawns by reason" } th.num { "count" } } }
                tbody {
                    @for (reason, n) in &c.spawns_failed {
                        tr { td { code { (reason) } } td.num { (n) } }
                    }
                }
            }
        }
    }
}

/// p50, p95, max and count of each latency figure.
fn latencies(l: &Latencies) -> Markup {
    let rows: [(&str, &Summary); 4] = [
        ("click to running", &l.click_to_running),
        ("click to running, nodes free", &l.click_to_running_free),
        ("hub jobs' queue wait", &l.queue_wait),
        ("background jobs' queue wait", &l.background_queue_wait),
    ];
    html! {
        table.latency {
            thead { tr { th { "latency" } th.num { "count" } th.num { "p50" } th.num { "p95" } th.num { "max" } } }
            tbody {
                @for (name, s) in rows {
                    tr {
                        td { (name) }
                        td.num { (s.count) }
                        @for v in [s.p50, s.p95, s.max] {
                            td.num title={ (v) " s" } { @if s.count == 0 { "—" } @else { (duration(v)) } }
                        }
                    }
                }
            }
        }
    }
}

/// A duration the way a person reads it: `41 s`, `2 min 3 s`, `1 h 2 min` (seconds are
/// dropped past an hour; the exact figure is in the cell's tooltip).
fn duration(s: u64) -> String {
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    match (h, m, sec) {
        (0, 0, sec) => format!("{sec} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, sec) => format!("{m} min {sec} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// A simulated time as `h:mm:ss` from the start of the run.
fn clock(s: u64) -> String {
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}
