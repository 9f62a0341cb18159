//! Inline SVG for the HTML report, built with `maud` so every text that comes from a
//! report is escaped by construction.
//!
//! Layout: [`axes`] holds the shared geometry (the plot frame, scales, nice ticks, the
//! time axis with the phases shaded behind it, legends); [`mod@line`] draws time series
//! (decimated so a long run stays small); [`bars`] the latency histogram; [`timeline`]
//! rows of coloured spans (users' servers, faults); [`palette`] the colours.
//!
//! Every coordinate is printed by [`fmt1`] (at most one decimal), so a report renders to
//! the same bytes every time and the page stays small.

pub(crate) mod axes;
pub(crate) mod bars;
pub(crate) mod line;
pub(crate) mod palette;
pub(crate) mod timeline;

use maud::{html, Markup};

/// The width of every plot in SVG user units; the page scales it to the window.
pub(crate) const WIDTH: f64 = 960.0;

/// `v` with at most one decimal and no trailing `.0`: coordinates and tick labels.
pub(crate) fn fmt1(v: f64) -> String {
    // Non-finite values would print as `NaN`/`inf` and break the SVG; the callers clamp,
    // this is the last guard.
    if !v.is_finite() {
        return "0".to_string();
    }
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s);
    // `-0.04` rounds to `-0.0`, which would print as `-0`.
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// An `<svg>` element `height` units tall with `title` as its accessible name.
pub(crate) fn svg(height: f64, title: &str, body: Markup) -> Markup {
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (fmt1(WIDTH)) " " (fmt1(height)) }
            width=(fmt1(WIDTH)) height=(fmt1(height)) role="img" {
            title { (title) }
            (body)
        }
    }
}

/// A plot that has nothing to draw: a framed box saying so, never a panic or an empty axis.
pub(crate) fn no_data(title: &str, note: &str) -> Markup {
    let height = 80.0;
    svg(
        height,
        title,
        html! {
            rect.frame x="0.5" y="0.5" width=(fmt1(WIDTH - 1.0)) height=(fmt1(height - 1.0)) {}
            text.nodata x=(fmt1(WIDTH / 2.0)) y=(fmt1(height / 2.0 + 5.0)) text-anchor="middle" {
                "no data: " (note)
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt1_keeps_one_decimal_and_drops_a_trailing_zero() {
        assert_eq!(fmt1(1.0), "1");
        assert_eq!(fmt1(1.25), "1.2");
        assert_eq!(fmt1(12.36), "12.4");
        assert_eq!(fmt1(-0.04), "0");
        assert_eq!(fmt1(f64::NAN), "0");
        assert_eq!(fmt1(f64::INFINITY), "0");
    }

    #[test]
    fn no_data_is_an_svg_with_the_note_escaped() {
        let out = no_data("a <plot>", "nothing & more").into_string();
        assert!(out.starts_with("<svg"));
        assert!(out.contains("no data: nothing &amp; more"));
        assert!(out.contains("<title>a &lt;plot&gt;</title>"));
    }
}
