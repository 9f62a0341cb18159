//! The page as a whole, rendered from the sample report and from edge cases.

use super::*;
use crate::report::model::Series;
use crate::report::sample::sample_report;
use crate::report::svg::axes::Frame;
use crate::report::svg::line::MAX_POINTS;

/// Each `<svg>…</svg>` of a page.
fn svgs(page: &str) -> Vec<&str> {
    page.match_indices("<svg")
        .map(|(start, _)| {
            let end = page[start..]
                .find("</svg>")
                .map_or(page.len(), |e| start + e + "</svg>".len());
            &page[start..end]
        })
        .collect()
}

/// The `points` attribute of each polyline in `svg`.
fn polylines(svg: &str) -> Vec<&str> {
    svg.match_indices("<polyline")
        .filter_map(|(start, _)| {
            let rest = &svg[start..];
            let p = rest.find("points=\"")? + "points=\"".len();
            let len = rest[p..].find('"')?;
            Some(&rest[p..p + len])
        })
        .collect()
}

#[test]
fn the_sample_renders_one_svg_per_plot_and_nothing_external() {
    let page = html(&sample_report());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(svgs(&page).len(), 6);
    assert!(
        !page.contains("no data"),
        "the sample has data for every plot"
    );
    for banned in ["<script", "src=", "href=", "<link", "@import"] {
        assert!(!page.contains(banned), "{banned} in the page");
    }
    assert!(page.contains("cargo run -p scenarios -- run scenarios/busy-day.toml --seed 42"));
    // Small enough to open and mail around: decimation and one-decimal coordinates.
    assert!(page.len() < 300_000, "{} bytes", page.len());
}

#[test]
fn coordinates_have_at_most_one_decimal() {
    let page = html(&sample_report());
    for svg in svgs(&page) {
        let bytes = svg.as_bytes();
        let two_decimals = bytes
            .windows(3)
            .any(|w| w[0] == b'.' && w[1].is_ascii_digit() && w[2].is_ascii_digit());
        assert!(
            !two_decimals,
            "two decimals in {}",
            &svg[..80.min(svg.len())]
        );
    }
}

#[test]
fn the_failed_property_is_highlighted_and_named() {
    let page = html(&sample_report());
    let row = page.find("<tr class=\"failed\">").expect("a failed row");
    let name = page.find("no_delete_on_unknown").expect("the property");
    assert!(row < name);
    assert_eq!(page.matches("<tr class=\"failed\">").count(), 1);
    assert!(page.contains("<span class=\"badge fail\">FAIL</span>"));
    assert!(page.contains("at 10:20:30: server alice/ deleted job 1234.pbs"));
}

#[test]
fn text_from_the_report_is_escaped() {
    let mut r = sample_report();
    r.scenario = "<b>&amp \"x\"".to_string();
    r.users[0].user = "<i>mallory</i>".to_string();
    r.faults[0].detail = "<script>alert(1)</script>".to_string();
    r.properties[0].name = "<img src=x>".to_string();
    let page = html(&r);
    assert!(!page.contains("<b>&"));
    assert!(page.contains("&lt;b&gt;&amp;amp &quot;x&quot;"));
    assert!(!page.contains("<i>mallory"));
    assert!(!page.contains("<script"));
    assert!(!page.contains("<img"));
}

#[test]
fn empty_series_render_no_data_notes() {
    let mut r = sample_report();
    r.series = Series::default();
    r.histogram = Default::default();
    r.users.clear();
    r.faults.clear();
    let page = html(&r);
    assert_eq!(svgs(&page).len(), 6);
    assert_eq!(page.matches("no data: ").count(), 6);
}

#[test]
fn a_zero_length_run_still_renders() {
    let mut r = sample_report();
    r.phases.safety_end_s = 0;
    r.phases.liveness_end_s = 0;
    r.phases.settled_at_s = None;
    r.series.interval_s = 0;
    let page = html(&r);
    assert_eq!(svgs(&page).len(), 6);
    assert!(page.contains("did not settle"));
}

#[test]
fn decimation_keeps_the_spike_and_caps_the_points() {
    let mut r = sample_report();
    let n = r.series.queued_jobs.len();
    r.series.queued_jobs = vec![0; n];
    r.series.queued_jobs[1234] = 100;
    r.series.running_jobs = vec![0; n];
    let page = html(&r);
    let queue = svgs(&page)[0];
    let lines = polylines(queue);
    assert_eq!(lines.len(), 2);
    for points in &lines {
        assert!(points.split(' ').count() <= MAX_POINTS);
    }
    // The y axis tops out at the spike (100 is a round tick), so the spike is drawn at the
    // drawing area's top edge: the one point there.
    let top = format!(",{}", crate::report::svg::fmt1(Frame::new(1, 1.0).top));
    let at_top = lines[0].split(' ').filter(|p| p.ends_with(&top)).count();
    assert_eq!(at_top, 1, "the spike in {}", &lines[0][..200]);
}

#[test]
fn the_same_report_renders_the_same_bytes() {
    let r = sample_report();
    assert_eq!(html(&r), html(&r.clone()));
}

#[test]
fn durations_and_clock_read_naturally() {
    assert_eq!(duration(41), "41 s");
    assert_eq!(duration(120), "2 min");
    assert_eq!(duration(123), "2 min 3 s");
    assert_eq!(duration(3600), "1 h");
    assert_eq!(duration(3723), "1 h 2 min");
    assert_eq!(clock(37_230), "10:20:30");
    assert_eq!(clock(100 * 3600), "100:00:00");
}
