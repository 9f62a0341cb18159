//! Wall-clock timestamps as configurable-http-proxy writes and reads them.
//!
//! Route activity is kept as milliseconds since the Unix epoch in an atomic, so the data
//! plane records it with one store; it is rendered only when the API lists routes, in the
//! JavaScript `Date.toISOString()` form (`2026-11-25T17:01:21.530Z`) that JupyterHub parses.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, appending to `out`.
///
/// Hand-rolled (days-to-civil arithmetic) rather than `chrono::format`, because listing
/// 10,000 routes formats 10,000 timestamps and the generic formatter costs ~20x more.
/// Years outside 0..=9999 are clamped to that range's ends.
pub fn write_iso_millis(out: &mut String, millis: i64) {
    const MAX: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let millis = millis.clamp(-62_167_219_200_000, MAX); // from 0000-01-01T00:00:00Z
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, ms) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    let mut buf = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, hh);
    put(14, 2, mm);
    put(17, 2, ss);
    put(20, 3, ms);
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&buf).unwrap_or("1970-01-01T00:00:00.000Z"));
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Formats epoch milliseconds as an ISO string.
pub fn iso_millis(millis: i64) -> String {
    let mut s = String::with_capacity(24);
    write_iso_millis(&mut s, millis);
    s
}

/// Parses the timestamps JavaScript's `Date.parse` accepts in practice for `inactive_since`:
/// RFC 3339 with or without an offset (no offset means UTC, as `Date.parse` does for
/// date-times written by `toISOString`), and a bare date. Returns epoch milliseconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript_to_iso_string() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        let t = parse_timestamp("2026-11-25T17:01:21.530Z").unwrap();
        assert_eq!(iso_millis(t), "2026-11-25T17:01:21.530Z");
    }

    proptest::proptest! {
        #[test]
        fn matches_chrono(millis in -62_167_219_200_000i64..253_402_300_799_999) {
            let expected = chrono::DateTime::from_timestamp_millis(millis)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            proptest::prop_assert_eq!(iso_millis(millis), expected);
        }
    }

    #[test]
    fn parses_the_forms_clients_send() {
        let z = parse_timestamp("2026-11-25T17:01:21.530Z").unwrap();
        assert_eq!(parse_timestamp("2026-11-25T17:01:21.530"), Some(z));
        assert_eq!(parse_timestamp("2026-11-25T18:01:21.530+01:00"), Some(z));
        assert_eq!(
            parse_timestamp("2026-11-25"),
            parse_timestamp("2026-11-25T00:00:00Z")
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
    }
}
