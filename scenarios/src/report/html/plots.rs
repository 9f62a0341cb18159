//! The report's plots, each a `<figure>` with a caption and an inline `<svg>`: what to
//! draw from a [`Report`], leaving how to draw it to `report::svg`.
//!
//! Every time plot spans `0..phases.liveness_end_s`, so plots stacked on the page line up
//! and a spike in one can be matched with a fault in another.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::clock;
use crate::report::model::{FaultSpan, Report};
use crate::report::svg::axes::{LegendItem, Swatch};
use crate::report::svg::bars::histogram;
use crate::report::svg::line::{line_chart, Line, LineChart};
use crate::report::svg::palette::{self, BLACK, BLUE, GREEN, GREY, ORANGE, SKY_BLUE};
use crate::report::svg::timeline::{timeline, Bar, Row, Timeline};

/// Every plot, top to bottom.
pub(super) fn figures(report: &Report) -> Markup {
    html! {
        (figure("Queue length", "jobs waiting in and running on the cluster, all users", true, queue(report)))
        (figure("Utilization", "share of the cluster's cores held by jobs", true, utilization(report)))
        (figure("Hub servers", "the hub's servers by phase; dashed: routes in the proxy's table", true, hub(report)))
        (figure("Spawn latency", "click to running, spawns per bucket", false, latency(report)))
        (figure("Users' servers", "one row per user (the first ones), coloured by the server's phase", true, users(report)))
        (figure("Faults", "one row per fault kind; a thin mark is an instant fault", true, faults(report)))
    }
}

/// A captioned plot; a time plot's caption also says what the shaded background means.
fn figure(title: &str, explanation: &str, time_plot: bool, plot: Markup) -> Markup {
    html! {
        figure {
            figcaption {
                b { (title) }
                span {
                    (explanation)
                    @if time_plot { "; background: grey = safety phase (faults on), blue = liveness phase (faults off)" }
                }
            }
            (plot)
        }
    }
}

/// The end of the time axis every time plot shares: the liveness bound, or, if a runner
/// left it at 0, the last thing the report mentions.
fn time_end(report: &Report) -> u64 {
    if report.phases.liveness_end_s > 0 {
        return report.phases.liveness_end_s;
    }
    let s = &report.series;
    let samples = [
        s.queued_jobs.len(),
        s.running_jobs.len(),
        s.utilization.len(),
        s.hub_running.len(),
    ]
    .into_iter()
    .max()
    .unwrap_or(0) as u64;
    let spans = report
        .users
        .iter()
        .flat_map(|u| u.spans.iter().map(|s| s.to_s));
    let faults = report.faults.iter().map(|f| f.to_s);
    spans
        .chain(faults)
        .chain([samples.saturating_sub(1).saturating_mul(s.interval_s), 1])
        .max()
        .unwrap_or(1)
}

/// Counts as plot values.
fn as_f64(v: &[u32]) -> Vec<f64> {
    v.iter().map(|x| f64::from(*x)).collect()
}

/// A line of counts.
fn line(label: &str, colour: &'static str, values: &[u32], dashed: bool) -> Line {
    Line {
        label: label.to_string(),
        colour,
        values: as_f64(values),
        dashed,
        fill: false,
    }
}

/// Queued and running jobs.
fn queue(report: &Report) -> Markup {
    let s = &report.series;
    line_chart(&LineChart {
        title: "Queue length over time",
        y_title: "jobs",
        interval_s: s.interval_s,
        end_s: time_end(report),
        phases: &report.phases,
        lines: vec![
            line("queued", ORANGE, &s.queued_jobs, false),
            line("running", BLUE, &s.running_jobs, false),
        ],
        y_max: None,
    })
}

/// Utilization, 0–100 %.
fn utilization(report: &Report) -> Markup {
    let s = &report.series;
    line_chart(&LineChart {
        title: "Cluster utilization over time",
        y_title: "cores used (%)",
        interval_s: s.interval_s,
        end_s: time_end(report),
        phases: &report.phases,
        lines: vec![Line {
            label: "utilization".to_string(),
            colour: GREEN,
            values: s.utilization.iter().map(|u| u * 100.0).collect(),
            dashed: false,
            fill: true,
        }],
        y_max: Some(100.0),
    })
}

/// The hub's servers by phase, and the proxy's routes.
fn hub(report: &Report) -> Markup {
    let s = &report.series;
    line_chart(&LineChart {
        title: "Hub servers over time",
        y_title: "servers",
        interval_s: s.interval_s,
        end_s: time_end(report),
        phases: &report.phases,
        lines: vec![
            line("waiting", GREY, &s.hub_waiting, false),
            line("queued", ORANGE, &s.hub_queued, false),
            line("starting", SKY_BLUE, &s.hub_starting, false),
            line("running", GREEN, &s.hub_running, false),
            line("routes", BLACK, &s.routes, true),
        ],
        y_max: None,
    })
}

/// The spawn latency histogram.
fn latency(report: &Report) -> Markup {
    histogram(
        "Spawn latency distribution",
        &report.histogram.upper_s,
        &report.histogram.counts,
    )
}

/// One row per user, spans coloured by phase.
fn users(report: &Report) -> Markup {
    let known = |phase: &str| palette::PHASES.iter().any(|(name, _)| *name == phase);
    let mut legend: Vec<LegendItem> = palette::PHASES
        .iter()
        .map(|(name, colour)| LegendItem {
            label: name.to_string(),
            colour,
            swatch: Swatch::Box,
        })
        .collect();
    if report
        .users
        .iter()
        .any(|u| u.spans.iter().any(|s| !known(&s.phase)))
    {
        legend.push(LegendItem {
            label: "other".to_string(),
            colour: palette::OTHER,
            swatch: Swatch::Box,
        });
    }
    let rows = report
        .users
        .iter()
        .map(|u| Row {
            label: u.user.clone(),
            bars: u
                .spans
                .iter()
                .map(|s| Bar {
                    from_s: s.from_s,
                    to_s: s.to_s,
                    colour: palette::phase_colour(&s.phase),
                    tip: format!(
                        "{} {}: {} – {}",
                        u.user,
                        s.phase,
                        clock(s.from_s),
                        clock(s.to_s)
                    ),
                })
                .collect(),
        })
        .collect();
    timeline(&Timeline {
        title: "Per-user server timelines",
        end_s: time_end(report),
        phases: &report.phases,
        rows,
        legend,
        empty_note: "no user timelines in this report",
    })
}

/// One row per fault kind (sorted by name), each kind its own colour.
fn faults(report: &Report) -> Markup {
    let mut by_kind: BTreeMap<&str, Vec<&FaultSpan>> = BTreeMap::new();
    for f in &report.faults {
        by_kind.entry(f.kind.as_str()).or_default().push(f);
    }
    let colours = palette::CYCLE.iter().copied().cycle();
    let mut legend = Vec::with_capacity(by_kind.len());
    let mut rows = Vec::with_capacity(by_kind.len());
    for ((kind, spans), colour) in by_kind.into_iter().zip(colours) {
        legend.push(LegendItem {
            label: kind.to_string(),
            colour,
            swatch: Swatch::Box,
        });
        rows.push(Row {
            label: kind.to_string(),
            bars: spans
                .iter()
                .map(|f| Bar {
                    from_s: f.from_s,
                    to_s: f.to_s,
                    colour,
                    tip: fault_tip(f),
                })
                .collect(),
        });
    }
    timeline(&Timeline {
        title: "Fault timeline",
        end_s: time_end(report),
        phases: &report.phases,
        rows,
        legend,
        empty_note: "no faults were injected",
    })
}

/// A fault's tooltip: kind, what it hit, when.
fn fault_tip(f: &FaultSpan) -> String {
    if f.to_s <= f.from_s {
        format!("{} {} at {}", f.kind, f.detail, clock(f.from_s))
    } else {
        format!(
            "{} {}: {} – {}",
            f.kind,
            f.detail,
            clock(f.from_s),
            clock(f.to_s)
        )
    }
}
