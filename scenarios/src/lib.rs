//! Scenario suites: deterministic runs of the hub's spawner against the simulated PBS
//! cluster in virtual time, with faults drawn from one seed, safety and liveness
//! properties, and JSON/JUnit/HTML reports.
//!
//! A scenario file ([`spec::Scenario`]) says what the cluster is, who else uses it, what
//! the hub's users do and what goes wrong; [`sim::run`] plays it and returns a
//! [`report::model::Report`]. Same file and seed, same report, byte for byte.
//!
//! Layout:
//! - [`spec`] — scenario files: the TOML schema, loading, errors naming line and field.
//! - [`sim`] — the runner: the timeline, the hub shell over `hub::spawner`, pbs-sim's
//!   engine, users, notebook servers, faults, properties, what the report records.
//! - [`report`] — the report model, its JSON, JUnit XML and the HTML page with SVG plots.
//!
//! The binary `scenarios` (`src/main.rs`) runs files or directories and writes the reports;
//! `scenarios/suite/` is the suite CI runs (`tests/suite.rs`).
#![deny(missing_docs)]

pub mod report;
pub mod sim;
pub mod spec;
