//! Time text as PBS's clients print it: `ctime()` and `qstat -T`'s "Est Start" column.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};

use super::text::atol;
use super::Zone;

/// Seconds in a week: `-T` shows weekday and hour for starts within this distance.
const SEC_IN_WEEK: i64 = 604_800;

/// The wall-clock time of `epoch` in `zone`, or `None` when chrono cannot represent it.
fn wall(epoch: i64, zone: Zone) -> Option<NaiveDateTime> {
    let utc = DateTime::from_timestamp(epoch, 0)?;
    Some(match zone {
        Zone::Utc => utc.naive_utc(),
        Zone::Local => utc.with_timezone(&chrono::Local).naive_local(),
    })
}

/// `ctime(&epoch)` without its newline: `Tue Dec 13 14:09:32 2016`, the day space-padded
/// (`Sat Dec  3 20:25:38 2022`). An epoch chrono cannot represent prints as the number
/// (real `ctime` returns NULL there and the client would crash).
pub fn ctime(epoch: i64, zone: Zone) -> String {
    // Formatted by hand: a 5,000-job `qstat -f` prints 30,000 of these, and chrono's
    // `format` parses its pattern every time.
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match wall(epoch, zone) {
        Some(t) => format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {}",
            DAYS[t.weekday().num_days_from_monday() as usize],
            MONTHS[t.month0() as usize],
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.year()
        ),
        None => epoch.to_string(),
    }
}

/// `ctime` of a value the server sent as epoch seconds, read with C's `atol` as the
/// clients do (so garbage reads as 0, the epoch).
pub fn ctime_value(value: &str, zone: Zone) -> String {
    ctime(atol(value), zone)
}

/// `qstat -T`'s short "Est Start" text for `estimated.start_time` (`cnvt_est_start_time`):
/// `--` when unset or already past, `?` when 0, `HH:MM` today, `We 15` (weekday, hour)
/// within a week, `Feb` later this year, `2027` within 5 years, `>5yrs` beyond.
pub fn est_start_short(est: Option<&str>, now: i64, zone: Zone) -> String {
    let Some(est) = est else { return "--".into() };
    let start = atol(est);
    if start == 0 {
        return "?".into();
    }
    let (Some(now_tm), Some(est_tm)) = (wall(now, zone), wall(start, zone)) else {
        return "--".into();
    };
    if start < now {
        return "--".into();
    }
    if now_tm.year() == est_tm.year() && now_tm.ordinal() == est_tm.ordinal() {
        est_tm.format("%H:%M").to_string()
    } else if start - now < SEC_IN_WEEK {
        // `%2.2s %s` of the weekday name and the hour.
        let day: String = est_tm.format("%a").to_string().chars().take(2).collect();
        format!("{day} {}", est_tm.format("%H"))
    } else if now_tm.year() == est_tm.year() {
        est_tm.format("%b").to_string()
    } else if est_tm.year() - now_tm.year() < 5 {
        est_tm.format("%Y").to_string()
    } else {
        ">5yrs".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_pads_the_day_with_a_space() {
        assert_eq!(ctime(1_481_638_172, Zone::Utc), "Tue Dec 13 14:09:32 2016");
        assert_eq!(ctime(1_670_099_138, Zone::Utc), "Sat Dec  3 20:25:38 2022");
        assert_eq!(
            ctime_value("garbage", Zone::Utc),
            "Thu Jan  1 00:00:00 1970"
        );
        assert_eq!(ctime(i64::MAX, Zone::Utc), i64::MAX.to_string());
        // Local must not panic whatever the machine's zone is.
        assert_eq!(ctime(0, Zone::Local).len(), 24);
    }

    #[test]
    fn est_start_forms() {
        // Wed 2024-01-10 12:00:00 UTC
        let now = 1_704_888_000;
        let s = |d: i64| est_start_short(Some(&(now + d).to_string()), now, Zone::Utc);
        assert_eq!(est_start_short(None, now, Zone::Utc), "--");
        assert_eq!(est_start_short(Some("0"), now, Zone::Utc), "?");
        assert_eq!(s(-1), "--");
        assert_eq!(s(0), "12:00");
        assert_eq!(s(3 * 3600 + 60), "15:01");
        assert_eq!(s(86_400 + 3 * 3600), "Th 15");
        assert_eq!(s(SEC_IN_WEEK - 1), "We 11");
        assert_eq!(s(40 * 86_400), "Feb");
        assert_eq!(s(400 * 86_400), "2025");
        assert_eq!(s(6 * 366 * 86_400), ">5yrs");
    }
}
