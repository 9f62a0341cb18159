//! Scenario suites: deterministic runs of the hub's spawner against the simulated PBS
//! cluster in virtual time, with faults drawn from one seed, safety and liveness
//! properties, and JSON/JUnit/HTML reports.
#![deny(missing_docs)]

pub mod report;
pub mod sim;
pub mod spec;
