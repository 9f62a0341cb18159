//! Time series as lines over the shared time axis. A day sampled every 30 s is 2,880
//! points per line; [`decimate`] cuts that to at most [`MAX_POINTS`] while keeping each
//! bucket's minimum and maximum, so a one-sample spike still shows.

use maud::{html, Markup};

use super::axes::{
    legend, legend_rows, nice_ticks, phase_background, phase_labels, time_axis, y_axis, Frame,
    LegendItem, Scale, SettledLabel, Swatch, TimeAxis,
};
use super::{fmt1, no_data, svg};
use crate::report::model::Phases;

/// At most this many points per line: about one per pixel and a half of the drawing area,
/// more would not show and would only make the page heavy.
pub(crate) const MAX_POINTS: usize = 600;

/// Height of a line chart's drawing area.
const PLOT_HEIGHT: f64 = 200.0;

/// One line: sample `i` is at `i × interval` simulated seconds.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Its name in the legend.
    pub(crate) label: String,
    /// Its colour.
    pub(crate) colour: &'static str,
    /// The samples.
    pub(crate) values: Vec<f64>,
    /// Drawn dashed (a series that should track another, e.g. routes over running servers).
    pub(crate) dashed: bool,
    /// The area under it tinted (a single series, e.g. utilization).
    pub(crate) fill: bool,
}

/// A chart of one or more [`Line`]s sharing the time axis.
#[derive(Debug, Clone)]
pub(crate) struct LineChart<'a> {
    /// The `<svg>`'s title.
    pub(crate) title: &'a str,
    /// The y axis title.
    pub(crate) y_title: &'a str,
    /// Seconds between samples.
    pub(crate) interval_s: u64,
    /// The time axis's end, seconds (the same for every time plot).
    pub(crate) end_s: u64,
    /// Shaded behind the lines.
    pub(crate) phases: &'a Phases,
    /// The lines, drawn in order (the last on top).
    pub(crate) lines: Vec<Line>,
    /// A fixed top for the y axis (100 for a percentage); otherwise from the data.
    pub(crate) y_max: Option<f64>,
}

/// The points of `values` to draw, as `(index, value)`: all of them when there are at most
/// `max_points`, otherwise each bucket's minimum and maximum in time order.
pub(crate) fn decimate(values: &[f64], max_points: usize) -> Vec<(usize, f64)> {
    if values.len() <= max_points || max_points < 2 {
        return values.iter().copied().enumerate().collect();
    }
    // Two points per bucket.
    let bucket = values.len().div_ceil(max_points / 2);
    let mut out = Vec::with_capacity(max_points);
    for (b, chunk) in values.chunks(bucket).enumerate() {
        let base = b * bucket;
        let (mut lo, mut hi) = (0, 0);
        for (i, v) in chunk.iter().enumerate() {
            if *v < chunk[lo] {
                lo = i;
            }
            if *v > chunk[hi] {
                hi = i;
            }
        }
        let (first, second) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push((base + first, chunk[first]));
        if second != first {
            out.push((base + second, chunk[second]));
        }
    }
    out
}

/// The chart; a "no data" note when no line has a sample.
pub(crate) fn line_chart(chart: &LineChart) -> Markup {
    // A line with no samples is left out, legend and all (a runner that does not track it).
    let drawn: Vec<&Line> = chart
        .lines
        .iter()
        .filter(|l| !l.values.is_empty())
        .collect();
    if drawn.is_empty() {
        return no_data(chart.title, "no samples");
    }
    if chart.interval_s == 0 {
        return no_data(chart.title, "the sampling interval is 0");
    }
    // Samples past the axis's end are not drawn (the axis is shared by every plot).
    let visible =
        usize::try_from(chart.end_s / chart.interval_s).map_or(usize::MAX, |n| n.saturating_add(1));
    let lines: Vec<(&Line, Vec<(usize, f64)>)> = drawn
        .iter()
        .map(|l| {
            let values: Vec<f64> = l
                .values
                .iter()
                .take(visible)
                // A NaN would poison the polyline; a missing figure reads as 0.
                .map(|v| if v.is_finite() { *v } else { 0.0 })
                .collect();
            (*l, decimate(&values, MAX_POINTS))
        })
        .collect();

    let items: Vec<LegendItem> = drawn
        .iter()
        .map(|l| LegendItem {
            label: l.label.clone(),
            colour: l.colour,
            swatch: Swatch::Line { dashed: l.dashed },
        })
        .collect();
    let frame = Frame::new(legend_rows(&items), PLOT_HEIGHT);
    let time = TimeAxis::new(chart.end_s, &frame);
    let data_max = lines
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|(_, v)| *v))
        .fold(0.0, f64::max);
    let ticks = nice_ticks(chart.y_max.unwrap_or(data_max), 5, 1.0);
    let top = ticks.last().copied().unwrap_or(1.0);
    let y = Scale::new(0.0, top, frame.bottom, frame.top);
    let x_of = |i: usize| time.x.at(i as f64 * chart.interval_s as f64);

    svg(
        frame.height,
        chart.title,
        html! {
            (phase_background(&frame, &time, chart.phases))
            (y_axis(&frame, &y, &ticks, fmt1, chart.y_title))
            (time_axis(&frame, &time))
            @for (line, pts) in &lines {
                @let points = polyline_points(pts, &x_of, &y);
                @if line.fill {
                    @if let (Some((first, _)), Some((last, _))) = (pts.first(), pts.last()) {
                        polygon fill=(line.colour) fill-opacity="0.2" stroke="none"
                            points={ (points) " " (fmt1(x_of(*last))) "," (fmt1(frame.bottom)) " " (fmt1(x_of(*first))) "," (fmt1(frame.bottom)) } {}
                    }
                }
                polyline fill="none" stroke=(line.colour) stroke-width="1.8" stroke-linejoin="round"
                    stroke-dasharray=[line.dashed.then_some("6 4")] points=(points) {}
            }
            (phase_labels(&frame, &time, chart.phases, SettledLabel::Bottom))
            (legend(&items))
        },
    )
}

/// `x,y x,y …` for a polyline.
fn polyline_points(pts: &[(usize, f64)], x_of: &impl Fn(usize) -> f64, y: &Scale) -> String {
    let mut out = String::with_capacity(pts.len() * 12);
    for (n, (i, v)) in pts.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(&fmt1(x_of(*i)));
        out.push(',');
        out.push_str(&fmt1(y.at(*v)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimate_leaves_short_series_alone() {
        let v = [1.0, 5.0, 2.0];
        assert_eq!(decimate(&v, 600), vec![(0, 1.0), (1, 5.0), (2, 2.0)]);
    }

    #[test]
    fn decimate_caps_the_points_and_keeps_the_spike_and_the_dip() {
        let mut v = vec![10.0; 2880];
        v[1234] = 999.0;
        v[2000] = -5.0;
        let d = decimate(&v, MAX_POINTS);
        assert!(d.len() <= MAX_POINTS, "{} points", d.len());
        assert!(d.contains(&(1234, 999.0)));
        assert!(d.contains(&(2000, -5.0)));
        // In time order, so the line does not double back.
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn an_empty_chart_says_no_data() {
        let phases = Phases {
            safety_end_s: 10,
            liveness_end_s: 20,
            settled_at_s: None,
        };
        let chart = LineChart {
            title: "t",
            y_title: "y",
            interval_s: 1,
            end_s: 20,
            phases: &phases,
            lines: vec![],
            y_max: None,
        };
        assert!(line_chart(&chart).into_string().contains("no data"));
    }
}
