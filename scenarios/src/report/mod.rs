//! The reports of a run: [`model::Report`] (the JSON report is it, serialized), JUnit XML
//! for CI, and an HTML page with SVG plots.

pub mod model;

/// The JSON report: pretty-printed, fields in declaration order, so the same run gives the
/// same bytes.
pub fn json(report: &model::Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

// TEMP until the renderers land.
#[allow(missing_docs)]
pub mod junit {
    pub fn junit(_: &[(super::model::Report, std::time::Duration)]) -> String {
        String::new()
    }
}
#[allow(missing_docs)]
pub mod html {
    pub fn html(_: &super::model::Report) -> String {
        String::new()
    }
}
