//! The geometry every plot shares: where the drawing area sits ([`Frame`]), linear
//! [`Scale`]s, round tick values, the time axis (one scale for every time plot, with the
//! safety and liveness phases shaded behind it), the y axis and the legend.

use maud::{html, Markup};

use super::{fmt1, WIDTH};
use crate::report::model::Phases;

/// Room left of the drawing area: tick labels, the y title, a timeline's row labels.
/// The same for every plot, so time plots stacked on the page line up.
const LEFT: f64 = 130.0;
/// Room right of the drawing area, for the last tick label.
const RIGHT: f64 = 24.0;
/// Room below the drawing area: tick labels and the x title.
const BOTTOM: f64 = 44.0;
/// Height of one legend row.
const LEGEND_ROW: f64 = 20.0;
/// Rough width of one character at the page's 12 px font; enough to lay out labels
/// without measuring text.
pub(crate) const CHAR_W: f64 = 7.0;

/// Where a plot's drawing area sits inside its `<svg>`, in SVG units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Left edge of the drawing area.
    pub(crate) left: f64,
    /// Right edge.
    pub(crate) right: f64,
    /// Top edge (below the legend).
    pub(crate) top: f64,
    /// Bottom edge (the x axis).
    pub(crate) bottom: f64,
    /// The whole `<svg>`'s height.
    pub(crate) height: f64,
}

impl Frame {
    /// A frame with `legend_rows` rows of legend above a drawing area `plot_height` tall.
    pub(crate) fn new(legend_rows: usize, plot_height: f64) -> Frame {
        let top = 12.0 + LEGEND_ROW * legend_rows as f64;
        let bottom = top + plot_height;
        Frame {
            left: LEFT,
            right: WIDTH - RIGHT,
            top,
            bottom,
            height: bottom + BOTTOM,
        }
    }
}

/// A linear map from data values to SVG units; values outside the domain are clamped to
/// its ends, so nothing is drawn outside the frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    /// Maps `d0..d1` to `r0..r1`; an empty domain is widened to one unit (a run of zeros
    /// still gets an axis).
    pub(crate) fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let d1 = if d1 > d0 { d1 } else { d0 + 1.0 };
        Scale { d0, d1, r0, r1 }
    }

    /// Where `v` lands.
    pub(crate) fn at(&self, v: f64) -> f64 {
        let v = if v.is_finite() {
            v.clamp(self.d0, self.d1)
        } else {
            self.d0
        };
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// Round tick values `0, step, 2·step, …` covering `0..=max`, about `target` of them, the
/// step 1, 2 or 5 times a power of ten and at least `min_step` (1 for counts).
pub(crate) fn nice_ticks(max: f64, target: usize, min_step: f64) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let mult = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    let step = (mult * magnitude).max(min_step);
    let n = (max / step - 1e-9).ceil().max(1.0) as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// The time axis every time plot shares: `0..end_s` simulated seconds, ticks at a round
/// step, labelled in seconds, minutes or hours depending on the run's length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeAxis {
    end_s: u64,
    step_s: u64,
    unit_s: u64,
    unit: &'static str,
    /// Simulated seconds to SVG x.
    pub(crate) x: Scale,
}

/// Tick steps a reader counts in, seconds; the first giving at most [`MAX_TIME_TICKS`]
/// intervals is used.
const TIME_STEPS: [u64; 20] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 43200,
    86400, 604800,
];
/// At most this many intervals between time ticks: labels like `22.5` fit without overlap.
const MAX_TIME_TICKS: u64 = 12;

impl TimeAxis {
    /// The axis for a run `end_s` simulated seconds long, drawn across `frame`.
    pub(crate) fn new(end_s: u64, frame: &Frame) -> TimeAxis {
        let end_s = end_s.max(1);
        let step_s = TIME_STEPS
            .iter()
            .copied()
            .find(|step| end_s.div_ceil(*step) <= MAX_TIME_TICKS)
            // Longer than twelve weeks: whole days.
            .unwrap_or_else(|| {
                end_s
                    .div_ceil(MAX_TIME_TICKS)
                    .div_ceil(86400)
                    .saturating_mul(86400)
            });
        let (unit_s, unit) = if end_s <= 180 {
            (1, "s")
        } else if end_s <= 3 * 3600 {
            (60, "min")
        } else {
            (3600, "h")
        };
        TimeAxis {
            end_s,
            step_s,
            unit_s,
            unit,
            x: Scale::new(0.0, end_s as f64, frame.left, frame.right),
        }
    }

    /// The tick times, seconds: `0, step, …` up to the end.
    pub(crate) fn ticks(&self) -> Vec<u64> {
        (0..=self.end_s / self.step_s)
            .map(|i| i * self.step_s)
            .collect()
    }

    /// The label of the tick at `t_s`, in the axis's unit.
    pub(crate) fn label(&self, t_s: u64) -> String {
        fmt1(t_s as f64 / self.unit_s as f64)
    }

    /// The axis title.
    pub(crate) fn title(&self) -> String {
        format!("simulated time ({})", self.unit)
    }

    /// X of simulated second `t_s`.
    pub(crate) fn at(&self, t_s: u64) -> f64 {
        self.x.at(t_s as f64)
    }
}

/// The background of a time plot: the safety phase (faults on) and the liveness phase
/// (faults off) shaded, and a dashed line where the run settled; [`phase_labels`] names them.
pub(crate) fn phase_background(frame: &Frame, time: &TimeAxis, phases: &Phases) -> Markup {
    let safety_end = time.at(phases.safety_end_s);
    let live_end = time.at(phases.liveness_end_s);
    let h = frame.bottom - frame.top;
    html! {
        rect.safety x=(fmt1(frame.left)) y=(fmt1(frame.top)) width=(fmt1(safety_end - frame.left)) height=(fmt1(h)) {}
        rect.liveness x=(fmt1(safety_end)) y=(fmt1(frame.top)) width=(fmt1((live_end - safety_end).max(0.0))) height=(fmt1(h)) {}
        @if let Some(settled) = phases.settled_at_s {
            @let x = fmt1(time.at(settled));
            line.settled x1=(x) x2=(x) y1=(fmt1(frame.top)) y2=(fmt1(frame.bottom)) {}
        }
    }
}

/// Where [`phase_labels`] writes the settle line's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SettledLabel {
    /// At the bottom of the drawing area (a line chart: its lines are rarely at zero).
    Bottom,
    /// In the top strip with the phases' names (a timeline: its rows fill the rest).
    Top,
}

/// The names of the phases and of the settle line.
pub(crate) fn phase_labels(
    frame: &Frame,
    time: &TimeAxis,
    phases: &Phases,
    settled: SettledLabel,
) -> Markup {
    let safety_end = time.at(phases.safety_end_s);
    let live_end = time.at(phases.liveness_end_s);
    let label_y = frame.top + 12.0;
    let width = |name: &str| CHAR_W * name.len() as f64;
    // A band too narrow for its name goes unnamed rather than overlapping the next one.
    let room = |from: f64, to: f64, name: &str| to - from > width(name) + 8.0;
    let live_named = room(safety_end, live_end, "liveness");
    let settled_at = phases.settled_at_s.map(|s| {
        let x = time.at(s) + 4.0;
        match settled {
            SettledLabel::Bottom => (x, frame.bottom - 6.0),
            // After the liveness label if it would run into it.
            SettledLabel::Top if live_named => {
                (x.max(safety_end + 4.0 + width("liveness") + 6.0), label_y)
            }
            SettledLabel::Top => (x, label_y),
        }
    });
    html! {
        @if room(frame.left, safety_end, "safety") {
            text.phase x=(fmt1(frame.left + 4.0)) y=(fmt1(label_y)) { "safety" }
        }
        @if live_named {
            text.phase x=(fmt1(safety_end + 4.0)) y=(fmt1(label_y)) { "liveness" }
        }
        @if let Some((x, y)) = settled_at {
            text.phase x=(fmt1(x)) y=(fmt1(y)) { "settled" }
        }
    }
}

/// The x axis of a time plot: grid lines, tick labels, the axis line and its title.
pub(crate) fn time_axis(frame: &Frame, time: &TimeAxis) -> Markup {
    html! {
        @for t in time.ticks() {
            @let x = fmt1(time.at(t));
            line.grid x1=(x) x2=(x) y1=(fmt1(frame.top)) y2=(fmt1(frame.bottom)) {}
            text.tick x=(x) y=(fmt1(frame.bottom + 16.0)) text-anchor="middle" { (time.label(t)) }
        }
        (x_axis_line(frame))
        text.axis x=(fmt1((frame.left + frame.right) / 2.0)) y=(fmt1(frame.bottom + 36.0)) text-anchor="middle" {
            (time.title())
        }
    }
}

/// The x axis line alone (the histogram labels its own ticks).
pub(crate) fn x_axis_line(frame: &Frame) -> Markup {
    html! {
        line.axisline x1=(fmt1(frame.left)) x2=(fmt1(frame.right)) y1=(fmt1(frame.bottom)) y2=(fmt1(frame.bottom)) {}
    }
}

/// A y axis: horizontal grid lines at `ticks` (data values through `y`), their labels
/// (`label` formats one), and the axis title written upwards.
pub(crate) fn y_axis(
    frame: &Frame,
    y: &Scale,
    ticks: &[f64],
    label: impl Fn(f64) -> String,
    title: &str,
) -> Markup {
    let mid = (frame.top + frame.bottom) / 2.0;
    html! {
        @for t in ticks {
            @let py = fmt1(y.at(*t));
            line.grid x1=(fmt1(frame.left)) x2=(fmt1(frame.right)) y1=(py) y2=(py) {}
            text.tick x=(fmt1(frame.left - 6.0)) y=(fmt1(y.at(*t) + 4.0)) text-anchor="end" { (label(*t)) }
        }
        line.axisline x1=(fmt1(frame.left)) x2=(fmt1(frame.left)) y1=(fmt1(frame.top)) y2=(fmt1(frame.bottom)) {}
        text.axis x=(fmt1(frame.left - 56.0)) y=(fmt1(mid)) text-anchor="middle"
            transform={ "rotate(-90 " (fmt1(frame.left - 56.0)) " " (fmt1(mid)) ")" } {
            (title)
        }
    }
}

/// How an entry of the legend is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swatch {
    /// A short line, solid or dashed: a series.
    Line {
        /// Dashed, like the series it names.
        dashed: bool,
    },
    /// A filled box: a span's colour or a bar.
    Box,
}

/// One entry of a legend.
#[derive(Debug, Clone)]
pub(crate) struct LegendItem {
    /// What it names.
    pub(crate) label: String,
    /// Its colour.
    pub(crate) colour: &'static str,
    /// How it is drawn.
    pub(crate) swatch: Swatch,
}

/// Width an entry takes: swatch, gap, text, space before the next.
fn legend_item_width(item: &LegendItem) -> f64 {
    22.0 + CHAR_W * item.label.chars().count() as f64 + 18.0
}

/// Where each entry goes: `(x, row)`, wrapping to a new row at the right edge.
fn legend_layout(items: &[LegendItem]) -> Vec<(f64, usize)> {
    let mut out = Vec::with_capacity(items.len());
    let (mut x, mut row) = (LEFT, 0);
    for item in items {
        let w = legend_item_width(item);
        if x > LEFT && x + w > WIDTH - RIGHT {
            x = LEFT;
            row += 1;
        }
        out.push((x, row));
        x += w;
    }
    out
}

/// How many rows the legend of `items` takes (what [`Frame::new`] needs).
pub(crate) fn legend_rows(items: &[LegendItem]) -> usize {
    legend_layout(items).last().map_or(0, |(_, row)| row + 1)
}

/// The legend, above the drawing area.
pub(crate) fn legend(items: &[LegendItem]) -> Markup {
    html! {
        @for (item, (x, row)) in items.iter().zip(legend_layout(items)) {
            @let cy = 12.0 + LEGEND_ROW * row as f64;
            @match item.swatch {
                Swatch::Line { dashed } => {
                    line x1=(fmt1(x)) x2=(fmt1(x + 16.0)) y1=(fmt1(cy)) y2=(fmt1(cy)) stroke=(item.colour)
                        stroke-width="2.5" stroke-dasharray=[dashed.then_some("5 3")] {}
                }
                Swatch::Box => {
                    rect x=(fmt1(x)) y=(fmt1(cy - 6.0)) width="16" height="12" fill=(item.colour) {}
                }
            }
            text.legend x=(fmt1(x + 22.0)) y=(fmt1(cy + 4.0)) { (item.label) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round_and_cover_the_max() {
        assert_eq!(nice_ticks(0.0, 5, 1.0), vec![0.0, 1.0]);
        assert_eq!(nice_ticks(3.0, 5, 1.0), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            nice_ticks(1700.0, 5, 1.0),
            vec![0.0, 500.0, 1000.0, 1500.0, 2000.0]
        );
        assert_eq!(nice_ticks(100.0, 5, 1.0).last(), Some(&100.0));
    }

    #[test]
    fn time_axis_picks_units_and_steps_a_reader_counts_in() {
        let frame = Frame::new(0, 100.0);
        let day = TimeAxis::new(86_400, &frame);
        assert_eq!(day.title(), "simulated time (h)");
        assert_eq!(day.ticks().len(), 13);
        assert_eq!(day.label(7200), "2");
        let hour = TimeAxis::new(3600, &frame);
        assert_eq!(hour.title(), "simulated time (min)");
        assert_eq!(hour.label(600), "10");
        let short = TimeAxis::new(0, &frame);
        assert_eq!(short.title(), "simulated time (s)");
        assert_eq!(short.ticks(), vec![0, 1]);
        // Absurdly long runs still get a dozen ticks, not an overflow.
        assert!(TimeAxis::new(u64::MAX, &frame).ticks().len() <= 13);
    }

    #[test]
    fn scale_clamps_to_its_domain() {
        let s = Scale::new(0.0, 10.0, 100.0, 200.0);
        assert_eq!(s.at(5.0), 150.0);
        assert_eq!(s.at(20.0), 200.0);
        assert_eq!(s.at(f64::NAN), 100.0);
        assert_eq!(Scale::new(0.0, 0.0, 0.0, 10.0).at(1.0), 10.0);
    }
}
