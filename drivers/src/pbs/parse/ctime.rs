//! [`ctime()`]: the timestamps `qstat` prints (`ctime`, `qtime`, `stime`,
//! `estimated.start_time`, …), which are C's `ctime()` without its newline.

use chrono::{DateTime, Local, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Month abbreviations as `ctime()` prints them, January first.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Weekday abbreviations as `ctime()` prints them.
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// `ctime()` text such as `Thu Nov  9 13:04:14 2023` in the local zone of the machine
/// ([`chrono::Local`]) → UTC; `None` if malformed.
///
/// The layout is fixed (`Www Mmm dd hh:mm:ss yyyy`, the day padded with a space or a zero);
/// surrounding whitespace is ignored. The weekday must be a weekday's name but is not checked
/// against the date, which it cannot change. A local time that occurs twice (clocks going
/// back) is read as the earlier instant; one that never occurs (clocks going forward) is
/// `None`.
pub fn ctime(text: &str) -> Option<DateTime<Utc>> {
    let naive = naive_ctime(text.trim())?;
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The wall-clock date and time a `ctime()` text names, without a zone.
fn naive_ctime(text: &str) -> Option<NaiveDateTime> {
    // "Thu Nov  9 13:04:14 2023": fixed columns, then a year of at least four digits.
    let b = text.as_bytes();
    if b.len() < 24 || b[3] != b' ' || b[7] != b' ' || b[10] != b' ' || b[19] != b' ' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let weekday = text.get(0..3)?;
    if !WEEKDAYS.contains(&weekday) {
        return None;
    }
    let month = MONTHS.iter().position(|m| Some(*m) == text.get(4..7))? + 1;
    let day = padded_number(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let year_text = &b[20..];
    if year_text.len() > 6 {
        return None; // no year past 999999; keeps the arithmetic below from overflowing
    }
    let year = digits(year_text)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month as u32, day)?;
    let time = NaiveTime::from_hms_opt(hour, minute, second)?;
    Some(NaiveDateTime::new(date, time))
}

/// A number of ASCII digits only (no sign, no spaces).
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// A two-column day, `" 9"` (as `ctime()` prints it) or `"09"`.
fn padded_number(b: &[u8]) -> Option<u32> {
    match b {
        [b' ', rest @ ..] => digits(rest),
        _ => digits(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        let naive = NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_opt(h, mi, s))
            .expect("valid test date");
        Local
            .from_local_datetime(&naive)
            .earliest()
            .expect("test date exists locally")
            .with_timezone(&Utc)
    }

    #[test]
    fn reads_space_padded_and_two_digit_days() {
        assert_eq!(
            ctime("Thu Nov  9 13:04:14 2023"),
            Some(local(2023, 11, 9, 13, 4, 14))
        );
        assert_eq!(
            ctime("Tue Dec 13 14:09:32 2016"),
            Some(local(2016, 12, 13, 14, 9, 32))
        );
        assert_eq!(
            ctime("  Sat Dec  3 20:25:38 2022\n"),
            Some(local(2022, 12, 3, 20, 25, 38))
        );
        assert_eq!(
            ctime("Sat Dec 03 20:25:38 2022"),
            Some(local(2022, 12, 3, 20, 25, 38))
        );
    }

    #[test]
    fn refuses_malformed_text() {
        for bad in [
            "",
            "Thu Nov  9 13:04:14",
            "Thu Nov  9 13:04:14 2023x",
            "Thu Nov 9 13:04:14 2023",
            "Thx Nov  9 13:04:14 2023",
            "Thu Nox  9 13:04:14 2023",
            "Thu Feb 30 13:04:14 2023",
            "Thu Nov  9 24:04:14 2023",
            "Thu Nov  9 13:60:14 2023",
            "Thu Nov  9 13-04-14 2023",
            "Thu Nov  9 13:04:14 -023",
            "Thu Nov -9 13:04:14 2023",
            "Thu Nov  9 13:04:14 99999999999",
            "1699637718",
            "Thu Nov  9 13:04:1é 2023",
        ] {
            assert_eq!(ctime(bad), None, "{bad:?}");
        }
    }
}
