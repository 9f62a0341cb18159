//! Durations (`walltime`, `cput`): `SS`, `MM:SS` or `HH:MM:SS`, fields may exceed 59, an
//! optional `.mmm` fraction (≥ .500 rounds up), printed `%02:%02:%02` (reference §2.4).
//!
//! As OpenPBS's `decode_time`, except stricter in two places: an empty field (`1:`, `:30`)
//! and a `.` with no digits after it are errors; PBS reads them as 0. The fraction may only
//! follow the last field; digits after the third are ignored. A total that does not fit
//! `u64` seconds is an error (PBS's bound is `LONG_MAX - 1`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::PbsError;
use super::syntax::is_digits;

/// A walltime in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Walltime {
    seconds: u64,
}

impl Walltime {
    /// A walltime of `seconds`.
    pub const fn from_secs(seconds: u64) -> Self {
        Walltime { seconds }
    }

    /// A walltime of `h` hours.
    pub const fn from_hours(h: u64) -> Self {
        Walltime { seconds: h * 3600 }
    }

    /// The walltime in seconds.
    pub const fn as_secs(self) -> u64 {
        self.seconds
    }

    /// The walltime as a [`Duration`].
    pub const fn as_duration(self) -> Duration {
        Duration::from_secs(self.seconds)
    }

    /// Parses `text` as the value of the duration resource `resource` (`walltime`, `cput`,
    /// …), so that an error names it: `Illegal attribute or resource value
    /// Resource_List.<resource>`.
    pub fn parse_for(text: &str, resource: &str) -> Result<Walltime, PbsError> {
        parse(text)
            .map(Walltime::from_secs)
            .ok_or_else(|| PbsError::illegal_value(resource))
    }
}

/// `[[HH:]MM:]SS[.fff]` in seconds; `None` for anything else or an overflow.
fn parse(text: &str) -> Option<u64> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if is_digits(fraction) => (whole, Some(fraction)),
        Some(_) => return None,
        None => (text, None),
    };
    let fields: Vec<&str> = whole.split(':').collect();
    if fields.len() > 3 {
        return None;
    }
    let mut seconds: u64 = 0;
    for field in fields {
        if !is_digits(field) {
            return None;
        }
        let value: u64 = field.parse().ok()?;
        seconds = seconds.checked_mul(60)?.checked_add(value)?;
    }
    // Only the first three fraction digits count: `.4999` is 499 ms and rounds down.
    let millis = fraction.map_or(0, |f| {
        f.bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    });
    if millis >= 500 {
        seconds = seconds.checked_add(1)?;
    }
    Some(seconds)
}

/// Parses a duration; an error names `walltime` (use [`Walltime::parse_for`] for `cput`).
impl FromStr for Walltime {
    type Err = PbsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Walltime::parse_for(s, "walltime")
    }
}

/// Prints `HH:MM:SS` with at least two digits of hours, as PBS's `encode_time`.
impl fmt::Display for Walltime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        write!(f, "{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Result<u64, PbsError> {
        s.parse::<Walltime>().map(Walltime::as_secs)
    }

    fn reprint(s: &str) -> Result<String, PbsError> {
        s.parse::<Walltime>().map(|w| w.to_string())
    }

    #[test]
    fn forms_and_printing() {
        assert_eq!(secs("45"), Ok(45));
        assert_eq!(secs("90:00"), Ok(5400));
        assert_eq!(reprint("90:00").as_deref(), Ok("01:30:00"));
        assert_eq!(reprint("1:00:00").as_deref(), Ok("01:00:00"));
        assert_eq!(reprint("168:00:00").as_deref(), Ok("168:00:00"));
        assert_eq!(secs("0:0:90"), Ok(90));
        assert_eq!(secs("00:00:00"), Ok(0));
        assert_eq!(Walltime::from_secs(59).to_string(), "00:00:59");
        assert_eq!(Walltime::from_hours(1000).to_string(), "1000:00:00");
    }

    #[test]
    fn fractions_round_half_up() {
        assert_eq!(secs("10.499"), Ok(10));
        assert_eq!(secs("10.500"), Ok(11));
        assert_eq!(secs("10.5"), Ok(11));
        assert_eq!(secs("10.05"), Ok(10));
        assert_eq!(secs("10.4999"), Ok(10));
        assert_eq!(secs("1:59.9"), Ok(120));
    }

    #[test]
    fn malformed_walltimes_are_illegal_values() {
        for bad in [
            "", "abc", "1:2:3:4", "1::2", ":30", "1:", "1.", ".5", "1.5:00", "1.a", "-1", "+1",
            " 1", "1h", "1:00:00 ", "1.2.3", "١",
        ] {
            let err = bad.parse::<Walltime>().unwrap_err();
            assert_eq!(
                err.to_string(),
                "Illegal attribute or resource value Resource_List.walltime",
                "{bad:?}"
            );
            assert_eq!(err.exit_code(), 166);
        }
        assert_eq!(
            Walltime::parse_for("x", "cput"),
            Err(PbsError::illegal_value("cput"))
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let max = Walltime::from_secs(u64::MAX).to_string();
        assert_eq!(secs(&max), Ok(u64::MAX));
        assert!(secs("18446744073709551616").is_err());
        assert!(secs("18446744073709551615.5").is_err());
        assert!(secs("307445734561825861:00").is_err());
    }
}
