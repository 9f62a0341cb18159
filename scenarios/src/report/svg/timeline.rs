//! Rows of coloured spans over the shared time axis, Gantt-like: one row per user (their
//! servers' phases) or per fault kind (when each fault was on). An instant (a span that
//! ends where it starts, e.g. a node failure) is a thin marker.

use maud::{html, Markup};

use super::axes::{
    legend, legend_rows, phase_background, phase_labels, time_axis, Frame, LegendItem,
    SettledLabel, TimeAxis,
};
use super::{fmt1, no_data, svg};
use crate::report::model::Phases;

/// Height of one row.
const ROW_H: f64 = 18.0;
/// A strip above the rows for the phases' names, so they never sit on a span.
const LABEL_STRIP: f64 = 16.0;
/// Height of a span's bar inside its row.
const BAR_H: f64 = 12.0;
/// Width of an instant's marker.
const MARKER_W: f64 = 3.0;
/// Row labels longer than this are cut in the middle (the full name is in the tooltip): the
/// room left of the drawing area is shared by every plot.
const MAX_LABEL_CHARS: usize = 16;

/// One span in a row.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    /// Start, simulated seconds.
    pub(crate) from_s: u64,
    /// End, simulated seconds; `<= from_s` is an instant.
    pub(crate) to_s: u64,
    /// Its colour.
    pub(crate) colour: &'static str,
    /// The tooltip: what it was and when.
    pub(crate) tip: String,
}

/// One row: a label and its spans.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The row's name (a user, a fault kind).
    pub(crate) label: String,
    /// Its spans.
    pub(crate) bars: Vec<Bar>,
}

/// A timeline chart.
#[derive(Debug, Clone)]
pub(crate) struct Timeline<'a> {
    /// The `<svg>`'s title.
    pub(crate) title: &'a str,
    /// The time axis's end, seconds (the same for every time plot).
    pub(crate) end_s: u64,
    /// Shaded behind the rows.
    pub(crate) phases: &'a Phases,
    /// The rows, top to bottom.
    pub(crate) rows: Vec<Row>,
    /// What the colours mean.
    pub(crate) legend: Vec<LegendItem>,
    /// Said instead of drawing when there are no rows.
    pub(crate) empty_note: &'a str,
}

/// `label` cut to [`MAX_LABEL_CHARS`] characters by an ellipsis in the middle: names that
/// share a prefix (`qstat_outage_partial`, `qstat_outage_total`) stay told apart.
fn short_label(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    let head = (MAX_LABEL_CHARS - 1) / 2;
    let tail = MAX_LABEL_CHARS - 1 - head;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[chars.len() - tail..]);
    s
}

/// The chart; a "no data" note when there are no rows.
pub(crate) fn timeline(t: &Timeline) -> Markup {
    if t.rows.is_empty() {
        return no_data(t.title, t.empty_note);
    }
    let frame = Frame::new(
        legend_rows(&t.legend),
        LABEL_STRIP + ROW_H * t.rows.len() as f64,
    );
    let time = TimeAxis::new(t.end_s, &frame);
    svg(
        frame.height,
        t.title,
        html! {
            (phase_background(&frame, &time, t.phases))
            (phase_labels(&frame, &time, t.phases, SettledLabel::Top))
            (time_axis(&frame, &time))
            @for (r, row) in t.rows.iter().enumerate() {
                @let row_top = frame.top + LABEL_STRIP + ROW_H * r as f64;
                @let bar_y = fmt1(row_top + (ROW_H - BAR_H) / 2.0);
                text.tick x=(fmt1(frame.left - 6.0)) y=(fmt1(row_top + ROW_H / 2.0 + 4.0)) text-anchor="end" {
                    title { (row.label) }
                    (short_label(&row.label))
                }
                // A span that starts past the axis's end would be clamped into a sliver at
                // the edge, which reads as something that happened there.
                @for bar in row.bars.iter().filter(|b| b.from_s <= t.end_s) {
                    @let x0 = time.at(bar.from_s);
                    @let x1 = time.at(bar.to_s);
                    @if bar.to_s <= bar.from_s {
                        rect x=(fmt1((x0 - MARKER_W / 2.0).clamp(frame.left, frame.right - MARKER_W))) y=(fmt1(row_top + 1.0)) width=(fmt1(MARKER_W))
                            height=(fmt1(ROW_H - 2.0)) fill=(bar.colour) {
                            title { (bar.tip) }
                        }
                    } @else {
                        // At least a pixel wide, so a short span is seen at all.
                        rect x=(fmt1(x0)) y=(bar_y) width=(fmt1((x1 - x0).max(1.0)))
                            height=(fmt1(BAR_H)) fill=(bar.colour) {
                            title { (bar.tip) }
                        }
                    }
                }
            }
            (legend(&t.legend))
        },
    )
}

/// Width a row label column needs; lets the tests check the cut keeps labels in the margin.
#[cfg(test)]
fn label_width(label: &str) -> f64 {
    super::axes::CHAR_W * short_label(label).chars().count() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phases() -> Phases {
        Phases {
            safety_end_s: 100,
            liveness_end_s: 200,
            settled_at_s: Some(150),
        }
    }

    #[test]
    fn long_labels_are_cut_and_fit_the_margin() {
        let long = "a-very-long-user-name-indeed";
        assert_eq!(short_label(long), "a-very-…e-indeed");
        assert_eq!(short_label(long).chars().count(), MAX_LABEL_CHARS);
        assert_ne!(
            short_label("fault_kind_number_10"),
            short_label("fault_kind_number_11")
        );
        assert!(label_width(long) < Frame::new(0, 1.0).left - 6.0);
        assert_eq!(short_label("alice"), "alice");
    }

    #[test]
    fn an_instant_is_a_thin_marker() {
        let p = phases();
        let t = Timeline {
            title: "faults",
            end_s: 200,
            phases: &p,
            rows: vec![Row {
                label: "node_failure".to_string(),
                bars: vec![Bar {
                    from_s: 50,
                    to_s: 50,
                    colour: "#000000",
                    tip: "node0001".to_string(),
                }],
            }],
            legend: vec![],
            empty_note: "none",
        };
        let out = timeline(&t).into_string();
        assert!(out.contains(&format!("width=\"{}\"", fmt1(MARKER_W))));
        assert!(out.contains("<title>node0001</title>"));
    }

    #[test]
    fn no_rows_says_no_data() {
        let p = phases();
        let t = Timeline {
            title: "faults",
            end_s: 200,
            phases: &p,
            rows: vec![],
            legend: vec![],
            empty_note: "no faults were injected",
        };
        assert!(timeline(&t)
            .into_string()
            .contains("no data: no faults were injected"));
    }
}
