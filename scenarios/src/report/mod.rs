//! The reports of a run: [`model::Report`] (the JSON report is it, serialized), JUnit XML
//! for CI, and an HTML page with SVG plots.

pub mod html;
pub mod junit;
pub mod model;
#[cfg(test)]
mod sample;
mod svg;
