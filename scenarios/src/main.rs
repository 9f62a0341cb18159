//! `scenarios`: run scenario files and write their reports.

fn main() {}
