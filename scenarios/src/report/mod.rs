//! The reports of a run: [`model::Report`] (the JSON report is it, serialized), JUnit XML
//! for CI ([`junit`](mod@junit)), and a self-contained HTML page with SVG plots
//! ([`html`](mod@html)).

pub mod html;
pub mod junit;
pub mod model;
#[cfg(test)]
mod sample;
mod svg;

/// The JSON report: pretty-printed, fields in declaration order, so the same run gives the
/// same bytes.
pub fn json(report: &model::Report) -> String {
    let mut text =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
