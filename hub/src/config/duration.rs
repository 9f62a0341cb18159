//! Durations written for people: `"30s"`, `"10m"`, `"1h30m"`, `"500ms"`, `"2d"`.
//!
//! A duration is one or more `<digits><unit>` parts with units `ms`, `s`, `m`, `h`, `d`, no
//! spaces, each unit at most once and from largest to smallest; `"0s"` is zero. Printing
//! gives the same form (largest units first), so a printed value reads back the same.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A duration read from and printed as `"1h30m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HumanDuration(Duration);

/// The units, largest first, with their length in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl HumanDuration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        HumanDuration(Duration::from_secs(secs))
    }

    /// The duration.
    pub const fn get(self) -> Duration {
        self.0
    }

    /// Reads `"1h30m"`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a duration like \"30s\", \"10m\" or \"1h30m\"");
        if text.is_empty() {
            return Err(bad());
        }
        let mut total: u64 = 0;
        let mut rest = text;
        // Index into UNITS of the last unit seen: each later part must use a smaller unit.
        let mut last: Option<usize> = None;
        while !rest.is_empty() {
            let digits_end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let (digits, after) = rest.split_at(digits_end);
            let unit_end = after
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(after.len());
            let (unit, next) = after.split_at(unit_end);
            let index = UNITS.iter().position(|(u, _)| *u == unit).ok_or_else(bad)?;
            if digits.is_empty() || last.is_some_and(|l| index <= l) {
                return Err(bad());
            }
            let amount: u64 = digits.parse().map_err(|_| bad())?;
            total = amount
                .checked_mul(UNITS[index].1)
                .and_then(|ms| total.checked_add(ms))
                .ok_or_else(bad)?;
            last = Some(index);
            rest = next;
        }
        Ok(HumanDuration(Duration::from_millis(total)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whole milliseconds: parsing never gives finer values.
        let mut ms = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, len) in UNITS {
            if ms >= len {
                write!(f, "{}{unit}", ms / len)?;
                ms %= len;
            }
        }
        Ok(())
    }
}

impl TryFrom<String> for HumanDuration {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        HumanDuration::parse(&s)
    }
}

impl From<HumanDuration> for String {
    fn from(d: HumanDuration) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_read_and_print_back() {
        for (text, secs) in [("30s", 30), ("10m", 600), ("1h30m", 5400), ("2d", 172_800)] {
            let d = HumanDuration::parse(text).unwrap();
            assert_eq!(d.get(), Duration::from_secs(secs), "{text}");
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(
            HumanDuration::parse("1s500ms").unwrap().get(),
            Duration::from_millis(1500)
        );
        assert_eq!(HumanDuration::parse("0s").unwrap().to_string(), "0s");
        assert_eq!(HumanDuration::parse("90s").unwrap().to_string(), "1m30s");
    }

    #[test]
    fn malformed_durations_are_refused() {
        for bad in [
            "",
            "30",
            "s",
            "1x",
            "1 h",
            "-1s",
            "1m1h",
            "1h1h",
            "1.5h",
            " 1s",
            "99999999999999999d",
        ] {
            assert!(HumanDuration::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
