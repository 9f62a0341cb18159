//! The "servers ready over time" figure of the side-by-side benchmark: timeline CSVs (as
//! `spawn-storm --timeline` writes them) in, one self-contained SVG out.
//!
//! Everything here is pure (text in, text out) so that it can be unit-tested; the
//! `storm-plot` binary only reads the files and writes the result. The SVG is written by
//! hand rather than through a plotting crate: the figure is a few lines and labels, and a
//! plain string keeps the benches free of a heavy dependency and the output free of scripts
//! and external fonts.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{bail, Context};

/// The header `spawn-storm --timeline` writes; anything else is not a timeline.
pub const TIMELINE_HEADER: &str = "t_s,ready,routed";

/// One row of a timeline: the counts seen `t_s` seconds after the storm began.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the storm began.
    pub t_s: f64,
    /// Servers the hub reported ready.
    pub ready: u64,
    /// Servers the proxy had a route for.
    pub routed: u64,
}

/// Which count to plot. Routed is the default because a route is when a user can actually
/// reach their server; "ready" is what the hub believes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Column {
    /// Servers the hub reported ready.
    Ready,
    /// Servers the proxy had a route for.
    #[default]
    Routed,
}

impl Column {
    /// The count this column picks out of a sample.
    pub fn value(self, sample: &Sample) -> u64 {
        match self {
            Column::Ready => sample.ready,
            Column::Routed => sample.routed,
        }
    }

    /// The word used in the axis label and the default title.
    pub fn word(self) -> &'static str {
        match self {
            Column::Ready => "ready",
            Column::Routed => "routed",
        }
    }
}

/// Parses a timeline CSV. Errors name the 1-based line, so that with the caller's context
/// (the file name) a bad file can be found and fixed.
pub fn parse_timeline(text: &str) -> anyhow::Result<Vec<Sample>> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == TIMELINE_HEADER => {}
        Some((_, header)) => {
            bail!("line 1: expected the header `{TIMELINE_HEADER}`, got {header:?}")
        }
        None => bail!("empty file: expected the header `{TIMELINE_HEADER}`"),
    }
    let mut samples: Vec<Sample> = Vec::new();
    for (index, line) in lines {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let sample = parse_row(line).with_context(|| format!("line {number}: {line:?}"))?;
        if let Some(previous) = samples.last() {
            if sample.t_s < previous.t_s {
                bail!(
                    "line {number}: time {} goes back (before {})",
                    sample.t_s,
                    previous.t_s
                );
            }
        }
        samples.push(sample);
    }
    if samples.is_empty() {
        bail!("no rows after the header");
    }
    Ok(samples)
}

/// Parses one `t_s,ready,routed` row.
fn parse_row(line: &str) -> anyhow::Result<Sample> {
    let fields: Vec<&str> = line.trim().split(',').map(str::trim).collect();
    let [t_s, ready, routed] = fields[..] else {
        bail!("expected 3 fields `t_s,ready,routed`, got {}", fields.len());
    };
    let t_s: f64 = t_s
        .parse()
        .with_context(|| format!("t_s {t_s:?} is not a number"))?;
    if !t_s.is_finite() || t_s < 0.0 {
        bail!("t_s {t_s} is not a time since the storm began");
    }
    let ready = ready
        .parse()
        .with_context(|| format!("ready {ready:?} is not a count"))?;
    let routed = routed
        .parse()
        .with_context(|| format!("routed {routed:?} is not a count"))?;
    Ok(Sample { t_s, ready, routed })
}

/// A `HUB:N=PATH` argument: which hub, how many users, and where its timeline is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSpec {
    /// The hub's name as shown in the legend.
    pub hub: String,
    /// The storm size.
    pub n: u64,
    /// The timeline CSV.
    pub path: PathBuf,
}

impl FromStr for SeriesSpec {
    type Err = String;

    /// Splits at the first `=` (a path may contain `=`, a hub name should not) and then at
    /// the last `:` of the left part (a hub name may contain `:`, a number does not).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || format!("{s:?} is not HUB:N=PATH, e.g. batchhub:200=/tmp/batchhub-200.csv");
        let (left, path) = s.split_once('=').ok_or_else(usage)?;
        let (hub, n) = left.rsplit_once(':').ok_or_else(usage)?;
        let n: u64 = n.parse().map_err(|_| usage())?;
        if hub.is_empty() || path.is_empty() || n == 0 {
            return Err(usage());
        }
        Ok(SeriesSpec {
            hub: hub.to_string(),
            n,
            path: PathBuf::from(path),
        })
    }
}

/// One line of the figure: a hub's timeline for a storm of `n` users.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The hub's name as shown in the legend.
    pub hub: String,
    /// The storm size: the count that means 100 %.
    pub n: u64,
    /// The samples, in time order.
    pub samples: Vec<Sample>,
}

impl Series {
    /// When the column first reached `n`, if it did: the moment every user could work.
    pub fn time_to_all(&self, column: Column) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| column.value(s) >= self.n)
            .map(|s| s.t_s)
    }

    /// The last sample's time (the samples are in time order).
    fn last_t(&self) -> f64 {
        self.samples.last().map_or(0.0, |s| s.t_s)
    }
}

/// Axis ticks from 0 that cover `0..=max`: 4 to 6 ticks, steps of 1, 2, 2.5 or 5 times a power
/// of ten, so that labels read as round numbers. The last tick is at or above `max`; the
/// axis ends there. A `max` that is not positive is treated as 1.
pub fn nice_ticks(max: f64) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    // With `max = 5 · magnitude · r`, r in [1, 10), the candidate steps below end at a
    // count of at most 5, and each is at most 2.5 times the previous, so the first step
    // with at most 5 intervals has at least 3: 4 to 6 ticks.
    let magnitude = 10f64.powf((max / 5.0).log10().floor());
    // The small slack keeps `max = 15` with a step of 5 at 3 intervals, not 4.
    let intervals = |step: f64| (max / step - 1e-9).ceil().max(1.0) as usize;
    let step = [1.0, 2.0, 2.5, 5.0]
        .into_iter()
        .map(|multiple| multiple * magnitude)
        .find(|&step| intervals(step) <= 5)
        .unwrap_or(10.0 * magnitude);
    (0..=intervals(step)).map(|i| i as f64 * step).collect()
}

/// A tick or time label without float noise: at most 3 decimals, trailing zeros dropped.
pub fn format_number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Escapes text for an SVG element's content or a quoted attribute.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Hub colours by order of first appearance: the first (batchhub, in the benchmark's
/// scripts) blue, the second (JupyterHub) orange, then others in case more are compared.
const COLOURS: [&str; 5] = ["#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd"];

/// The figure's size in pixels: wide enough for three panels side by side.
const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 360.0;
/// Room left of the first panel for the rotated y label and the tick labels.
const MARGIN_LEFT: f64 = 72.0;
const MARGIN_RIGHT: f64 = 24.0;
/// Space between panels: enough for the next panel's `100 %` tick labels.
const PANEL_GAP: f64 = 56.0;
/// The plot areas' top and bottom edges.
const PLOT_TOP: f64 = 84.0;
const PLOT_BOTTOM: f64 = 300.0;
/// Room inside the plot area above the 100 % line, where the "reached 100 %" labels go:
/// no line is ever drawn there, so the labels cannot cross one.
const HEADROOM: f64 = 30.0;
/// The y of the 100 % line.
const FULL_Y: f64 = PLOT_TOP + HEADROOM;
/// Labels whose dots are closer than this (in pixels) are put on separate rows.
const LABEL_CLASH: f64 = 48.0;
const FONT: &str = r#"font-family="DejaVu Sans, Arial, Helvetica, sans-serif""#;

/// One panel's plot area in pixels and its x range in seconds.
#[derive(Debug, Clone, Copy)]
struct Panel {
    left: f64,
    right: f64,
    x_max: f64,
}

impl Panel {
    fn x(&self, t_s: f64) -> f64 {
        self.left + (self.right - self.left) * (t_s / self.x_max)
    }

    /// The y pixel of a fraction of N (clamped: a count above N still draws at 100 %).
    fn y(fraction: f64) -> f64 {
        PLOT_BOTTOM - (PLOT_BOTTOM - FULL_Y) * fraction.clamp(0.0, 1.0)
    }
}

/// Renders the figure: one panel per distinct N (increasing, left to right), one step line
/// per series, coloured by hub.
pub fn render_svg(title: &str, column: Column, series: &[Series]) -> String {
    let hubs = hubs_in_order(series);
    let sizes: Vec<u64> = series
        .iter()
        .map(|s| s.n)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="16" font-weight="bold" {FONT}>{}</text>"#,
        WIDTH / 2.0,
        xml_escape(title)
    );
    render_legend(&mut svg, &hubs);
    let panel_width = panel_width(sizes.len());
    for (index, &n) in sizes.iter().enumerate() {
        let left = MARGIN_LEFT + index as f64 * (panel_width + PANEL_GAP);
        let in_panel: Vec<&Series> = series.iter().filter(|s| s.n == n).collect();
        let x_max_data = in_panel.iter().map(|s| s.last_t()).fold(0.0, f64::max);
        let ticks = nice_ticks(x_max_data);
        let panel = Panel {
            left,
            right: left + panel_width,
            x_max: *ticks.last().unwrap_or(&1.0),
        };
        render_panel_frame(&mut svg, &panel, n, &ticks);
        let mut done: Vec<(f64, usize)> = Vec::new();
        for s in &in_panel {
            let hub_index = hubs.iter().position(|h| *h == s.hub).unwrap_or(0);
            render_series(&mut svg, &panel, s, column, hub_index);
            if let Some(t_s) = s.time_to_all(column) {
                done.push((t_s, hub_index));
            }
        }
        render_done_labels(&mut svg, &panel, &done);
    }
    render_axis_labels(&mut svg, column);
    svg.push_str("</svg>\n");
    svg
}

/// Hub names in the order they first appear, which fixes their colours and legend order.
fn hubs_in_order(series: &[Series]) -> Vec<String> {
    let mut hubs: Vec<String> = Vec::new();
    for s in series {
        if !hubs.contains(&s.hub) {
            hubs.push(s.hub.clone());
        }
    }
    hubs
}

fn colour(hub_index: usize) -> &'static str {
    COLOURS[hub_index % COLOURS.len()]
}

/// Each panel's width when `count` panels share the figure's width.
fn panel_width(count: usize) -> f64 {
    let count = count.max(1) as f64;
    (WIDTH - MARGIN_LEFT - MARGIN_RIGHT - PANEL_GAP * (count - 1.0)) / count
}

/// A row of line swatches and hub names under the title, centred.
fn render_legend(svg: &mut String, hubs: &[String]) {
    // Rough text width (7 px a character at size 12) is enough to space the entries.
    let entry_width = |hub: &String| 30.0 + 7.0 * hub.chars().count() as f64 + 24.0;
    let total: f64 = hubs.iter().map(entry_width).sum();
    let mut x = (WIDTH - total) / 2.0;
    for (index, hub) in hubs.iter().enumerate() {
        let _ = writeln!(
            svg,
            r#"<line x1="{x:.1}" y1="42" x2="{:.1}" y2="42" stroke="{}" stroke-width="3"/>"#,
            x + 24.0,
            colour(index)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="46" font-size="12" {FONT}>{}</text>"#,
            x + 30.0,
            xml_escape(hub)
        );
        x += entry_width(hub);
    }
}

/// A panel's title, frame, grid and tick labels.
fn render_panel_frame(svg: &mut String, panel: &Panel, n: u64, ticks: &[f64]) {
    let middle = (panel.left + panel.right) / 2.0;
    let _ = writeln!(
        svg,
        r#"<text x="{middle:.1}" y="{:.1}" text-anchor="middle" font-size="13" font-weight="bold" {FONT}>N = {n}</text>"#,
        PLOT_TOP - 10.0
    );
    for percent in [0u32, 25, 50, 75, 100] {
        let y = Panel::y(f64::from(percent) / 100.0);
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd" stroke-width="1"/>"##,
            panel.left, panel.right
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#444444" {FONT}>{percent} %</text>"##,
            panel.left - 5.0,
            y + 4.0
        );
    }
    for &tick in ticks {
        let x = panel.x(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{PLOT_BOTTOM}" x2="{x:.1}" y2="{:.1}" stroke="#444444" stroke-width="1"/>"##,
            PLOT_BOTTOM + 4.0
        );
        let _ = writeln!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#444444" {FONT}>{}</text>"##,
            PLOT_BOTTOM + 17.0,
            format_number(tick)
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{:.1}" y="{PLOT_TOP}" width="{:.1}" height="{:.1}" fill="none" stroke="#888888" stroke-width="1"/>"##,
        panel.left,
        panel.right - panel.left,
        PLOT_BOTTOM - PLOT_TOP
    );
}

/// One series as a step line: a count holds until the next sample.
fn render_series(
    svg: &mut String,
    panel: &Panel,
    series: &Series,
    column: Column,
    hub_index: usize,
) {
    let fraction = |s: &Sample| column.value(s) as f64 / series.n as f64;
    let mut d = String::new();
    for (index, sample) in series.samples.iter().enumerate() {
        let x = panel.x(sample.t_s);
        let y = Panel::y(fraction(sample));
        if index == 0 {
            let _ = write!(d, "M{x:.1} {y:.1}");
        } else {
            let _ = write!(d, " H{x:.1} V{y:.1}");
        }
    }
    let colour = colour(hub_index);
    let _ = writeln!(
        svg,
        r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>"#
    );
}

/// The "reached 100 %" marks of one panel, as `(time, hub index)`: a dot on the 100 % line
/// and the time just above it, in the headroom. A label whose dot is close to an earlier
/// one's goes a row higher so that hubs finishing close together do not overprint; labels
/// are kept inside the panel horizontally.
fn render_done_labels(svg: &mut String, panel: &Panel, done: &[(f64, usize)]) {
    let xs: Vec<f64> = done.iter().map(|&(t_s, _)| panel.x(t_s)).collect();
    for (index, &(t_s, hub_index)) in done.iter().enumerate() {
        let x = xs[index];
        let row = xs[..index]
            .iter()
            .filter(|&&other| (other - x).abs() < LABEL_CLASH)
            .count();
        let colour = colour(hub_index);
        let _ = writeln!(
            svg,
            r#"<circle cx="{x:.1}" cy="{FULL_Y:.1}" r="3.5" fill="{colour}"/>"#
        );
        // Half a label's width, roughly, so that a centred label stays inside the frame.
        let half_label = 22.0;
        let label_x = x.clamp(panel.left + half_label, panel.right - half_label);
        let _ = writeln!(
            svg,
            r#"<text x="{label_x:.1}" y="{:.1}" text-anchor="middle" font-size="11" font-weight="bold" fill="{colour}" {FONT}>{t_s:.1} s</text>"#,
            FULL_Y - 7.0 - 12.0 * row as f64,
        );
    }
}

/// The shared axis labels: x once under all panels, y once left of the first.
fn render_axis_labels(svg: &mut String, column: Column) {
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" {FONT}>seconds from the first start request</text>"#,
        (MARGIN_LEFT + WIDTH - MARGIN_RIGHT) / 2.0,
        HEIGHT - 22.0
    );
    let middle = (PLOT_TOP + PLOT_BOTTOM) / 2.0;
    let _ = writeln!(
        svg,
        r#"<text x="18" y="{middle:.1}" text-anchor="middle" font-size="12" transform="rotate(-90 18 {middle:.1})" {FONT}>servers {}, % of N</text>"#,
        column.word()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(hub: &str, n: u64, rows: &[(f64, u64)]) -> Series {
        Series {
            hub: hub.to_string(),
            n,
            samples: rows
                .iter()
                .map(|&(t_s, count)| Sample {
                    t_s,
                    ready: count,
                    routed: count,
                })
                .collect(),
        }
    }

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        for max in [
            0.3, 1.0, 3.8, 7.0, 9.99, 12.0, 15.0, 17.3, 42.0, 99.0, 101.0, 250.0, 1234.5,
        ] {
            let ticks = nice_ticks(max);
            assert!((4..=6).contains(&ticks.len()), "{max}: {ticks:?}");
            assert_eq!(ticks[0], 0.0);
            let last = *ticks.last().unwrap();
            let step = ticks[1];
            assert!(last >= max, "{max}: {ticks:?} does not cover it");
            assert!(last - step < max, "{max}: {ticks:?} has a tick too many");
            let mantissa = step / 10f64.powf(step.log10().floor());
            assert!(
                [1.0, 2.0, 2.5, 5.0]
                    .iter()
                    .any(|m| (m - mantissa).abs() < 1e-9),
                "{max}: step {step} is not round"
            );
        }
        assert_eq!(nice_ticks(15.0), vec![0.0, 5.0, 10.0, 15.0]);
        assert_eq!(nice_ticks(0.0).len(), 6);
    }

    #[test]
    fn numbers_are_printed_without_float_noise() {
        assert_eq!(format_number(0.30000000000000004), "0.3");
        assert_eq!(format_number(15.0), "15");
        assert_eq!(format_number(2.5), "2.5");
    }

    #[test]
    fn a_timeline_parses() {
        let samples = parse_timeline("t_s,ready,routed\n0.250,0,0\n0.500,3,2\n").unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(
            samples[1],
            Sample {
                t_s: 0.5,
                ready: 3,
                routed: 2
            }
        );
    }

    #[test]
    fn a_malformed_row_names_its_line() {
        let error = parse_timeline("t_s,ready,routed\n0.250,0,0\n0.500,x,2\n").unwrap_err();
        assert!(format!("{error:#}").contains("line 3"), "{error:#}");
        let error = parse_timeline("t_s,ready,routed\n0.250,0\n").unwrap_err();
        assert!(format!("{error:#}").contains("line 2"), "{error:#}");
        let error = parse_timeline("time,count\n").unwrap_err();
        assert!(format!("{error:#}").contains("line 1"), "{error:#}");
        let error = parse_timeline("t_s,ready,routed\n1.0,0,0\n0.5,0,0\n").unwrap_err();
        assert!(format!("{error:#}").contains("line 3"), "{error:#}");
        assert!(parse_timeline("t_s,ready,routed\n").is_err());
    }

    #[test]
    fn series_specs_parse() {
        let spec: SeriesSpec = "JupyterHub:200=/tmp/x/a=b.csv".parse().unwrap();
        assert_eq!(spec.hub, "JupyterHub");
        assert_eq!(spec.n, 200);
        assert_eq!(spec.path, PathBuf::from("/tmp/x/a=b.csv"));
        assert!("batchhub=/tmp/x.csv".parse::<SeriesSpec>().is_err());
        assert!("batchhub:0=/tmp/x.csv".parse::<SeriesSpec>().is_err());
        assert!("batchhub:200".parse::<SeriesSpec>().is_err());
    }

    #[test]
    fn the_svg_has_one_line_per_series_and_an_escaped_title() {
        let all = [
            series("batchhub", 50, &[(0.25, 0), (1.0, 25), (2.0, 50)]),
            series("JupyterHub", 50, &[(0.25, 0), (3.0, 20), (6.0, 40)]),
            series("batchhub", 200, &[(0.25, 0), (4.0, 200)]),
        ];
        let svg = render_svg("a <b> & c", Column::Routed, &all);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<path").count(), all.len());
        assert!(svg.contains("a &lt;b&gt; &amp; c"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("N = 50") && svg.contains("N = 200"));
        assert!(svg.find("N = 50").unwrap() < svg.find("N = 200").unwrap());
        assert!(svg.contains("servers routed, % of N"));
    }

    #[test]
    fn the_done_label_is_only_for_a_series_that_reaches_n() {
        let done = series("batchhub", 50, &[(0.25, 0), (3.8, 50), (4.0, 50)]);
        let not_done = series("JupyterHub", 50, &[(0.25, 0), (9.7, 49)]);
        assert_eq!(done.time_to_all(Column::Routed), Some(3.8));
        assert_eq!(not_done.time_to_all(Column::Routed), None);
        let svg = render_svg("t", Column::Routed, &[done, not_done]);
        assert!(svg.contains(">3.8 s</text>"), "{svg}");
        assert!(!svg.contains(">9.7 s</text>"));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert_eq!(svg.matches(" s</text>").count(), 1);
    }
}
