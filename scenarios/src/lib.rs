//! Scenario suites: deterministic runs of the real hub code against the in-process
//! simulated cluster in virtual time, with faults drawn from one seed, safety and liveness
//! properties, and JSON/JUnit/HTML reports.
//!
//! Nothing lives here yet: the runner is built by the issue "Scenarios", once the hub exists.
