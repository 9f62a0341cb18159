//! The spawn latency histogram: one bar per bucket, labelled by its bound ("≤30 s",
//! "≤2 min", "> 1 h"), with its count above it.

use maud::{html, Markup};

use super::axes::{nice_ticks, x_axis_line, y_axis, Frame, Scale, CHAR_W};
use super::palette::BLUE;
use super::{fmt1, no_data, svg};

/// Height of the histogram's drawing area.
const PLOT_HEIGHT: f64 = 180.0;

/// A bound in seconds the way a person says it: `30 s`, `2 min`, `1 h`, `90 s`.
pub(crate) fn short_duration(s: u64) -> String {
    if s >= 3600 && s % 3600 == 0 {
        format!("{} h", s / 3600)
    } else if s >= 60 && s % 60 == 0 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// The label of each of `n` buckets with upper bounds `upper_s`. The last bucket takes
/// everything above the one before it (the model's rule), so it reads "> bound"; the
/// same holds when the runner sends one count more than bounds (an overflow bucket).
pub(crate) fn bucket_labels(upper_s: &[u64], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            if i + 1 < n {
                match upper_s.get(i) {
                    Some(u) => format!("≤{}", short_duration(*u)),
                    None => "?".to_string(),
                }
            } else if i == 0 {
                "all".to_string()
            } else {
                match upper_s.get(i - 1) {
                    Some(u) => format!("> {}", short_duration(*u)),
                    None => "?".to_string(),
                }
            }
        })
        .collect()
}

/// The histogram; a "no data" note when no spawn was counted.
pub(crate) fn histogram(title: &str, upper_s: &[u64], counts: &[u64]) -> Markup {
    if counts.iter().all(|c| *c == 0) {
        return no_data(title, "no spawn reached running");
    }
    let labels = bucket_labels(upper_s, counts.len());
    let frame = Frame::new(0, PLOT_HEIGHT);
    let max = counts.iter().copied().max().unwrap_or(0);
    let ticks = nice_ticks(max as f64, 5, 1.0);
    let y = Scale::new(
        0.0,
        ticks.last().copied().unwrap_or(1.0),
        frame.bottom,
        frame.top,
    );
    let slot = (frame.right - frame.left) / counts.len() as f64;
    // Label every bucket if the labels fit, otherwise every second, third, …
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64;
    let every = ((widest * CHAR_W + 6.0) / slot).ceil().max(1.0) as usize;
    svg(
        frame.height,
        title,
        html! {
            (y_axis(&frame, &y, &ticks, fmt1, "spawns"))
            @for (i, (count, label)) in counts.iter().zip(&labels).enumerate() {
                @let x = frame.left + slot * i as f64;
                @let top = y.at(*count as f64);
                rect x=(fmt1(x + slot * 0.1)) y=(fmt1(top)) width=(fmt1(slot * 0.8))
                    height=(fmt1(frame.bottom - top)) fill=(BLUE) {
                    title { (label) ": " (count) }
                }
                @if *count > 0 {
                    text.tick x=(fmt1(x + slot / 2.0)) y=(fmt1(top - 4.0)) text-anchor="middle" { (count) }
                }
                @if i % every == 0 {
                    text.tick x=(fmt1(x + slot / 2.0)) y=(fmt1(frame.bottom + 16.0)) text-anchor="middle" { (label) }
                }
            }
            (x_axis_line(&frame))
            text.axis x=(fmt1((frame.left + frame.right) / 2.0)) y=(fmt1(frame.bottom + 36.0)) text-anchor="middle" {
                "click to running (bucket upper bound)"
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_labels_read_like_a_person_says_them() {
        let upper = [30, 120, 600, 3600];
        assert_eq!(
            bucket_labels(&upper, 4),
            vec!["≤30 s", "≤2 min", "≤10 min", "> 10 min"]
        );
        // An overflow bucket past the last bound.
        assert_eq!(
            bucket_labels(&upper, 5),
            vec!["≤30 s", "≤2 min", "≤10 min", "≤1 h", "> 1 h"]
        );
        assert_eq!(bucket_labels(&[], 1), vec!["all"]);
        assert_eq!(short_duration(90), "90 s");
    }

    #[test]
    fn an_empty_histogram_says_no_data() {
        assert!(histogram("h", &[30], &[0])
            .into_string()
            .contains("no data"));
        assert!(histogram("h", &[], &[]).into_string().contains("no data"));
    }
}
