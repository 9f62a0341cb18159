//! Tests of the database: one suite ([`suite`]) run against SQLite in a temp dir
//! ([`sqlite`], always) and against a real PostgreSQL ([`postgres`], `#[ignore]`d: it needs
//! a server, see `.ci/postgres-up.sh`), plus SQLite-only checks of the file itself. The
//! checks of `hub db copy` ([`copy`]) and of upgrades ([`upgrade`]) run the same way.

// First: its `for_each_check!` macro is used by the two runners.
#[macro_use]
mod suite;
mod copy;
mod postgres;
mod sqlite;
mod upgrade;

use chrono::{DateTime, TimeZone, Utc};

use super::Db;

/// A database to run one check against, and the URL to reopen it with.
#[derive(Debug)]
pub(super) struct Fixture {
    pub db: Db,
    pub url: String,
}

/// A fixed "now" for every check, with microseconds so their round trip is checked too.
pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 17, 0, 0).unwrap() + chrono::Duration::microseconds(817_869)
}

/// `t0` plus `secs` seconds.
pub(super) fn at(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}
