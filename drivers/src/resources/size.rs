//! Sizes: `<integer>[k|m|g|t|p][b|w]`, case-insensitive, binary multiples, bytes when no
//! unit, `w` for 8-byte words, no decimals (reference §2.3).
//!
//! As OpenPBS's `to_size`: a multiplier letter alone means bytes (`10k` is `10kb`), `b` or
//! `w` may follow a multiplier or stand alone, and nothing else may follow. Only the
//! integer itself can overflow (it must fit `u64`); like PBS, the amount and the multiplier
//! are kept apart, so `20000pb` is a valid size whose [`Size::bytes`] saturates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::PbsError;

/// The multiplier of a [`Size`]: powers of 1024.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SizeUnit {
    /// No multiplier.
    One,
    /// 1024.
    Kilo,
    /// 1024².
    Mega,
    /// 1024³.
    Giga,
    /// 1024⁴.
    Tera,
    /// 1024⁵.
    Peta,
}

impl SizeUnit {
    /// log₁₀₂₄ of the multiplier.
    pub fn power(self) -> u32 {
        match self {
            SizeUnit::One => 0,
            SizeUnit::Kilo => 1,
            SizeUnit::Mega => 2,
            SizeUnit::Giga => 3,
            SizeUnit::Tera => 4,
            SizeUnit::Peta => 5,
        }
    }

    /// The multiplier for a letter `k`, `m`, `g`, `t` or `p`, either case.
    pub fn from_letter(letter: char) -> Option<SizeUnit> {
        match letter.to_ascii_lowercase() {
            'k' => Some(SizeUnit::Kilo),
            'm' => Some(SizeUnit::Mega),
            'g' => Some(SizeUnit::Giga),
            't' => Some(SizeUnit::Tera),
            'p' => Some(SizeUnit::Peta),
            _ => None,
        }
    }

    /// The letter PBS prints (`""`, `k`, `m`, `g`, `t`, `p`).
    pub fn prefix(self) -> &'static str {
        match self {
            SizeUnit::One => "",
            SizeUnit::Kilo => "k",
            SizeUnit::Mega => "m",
            SizeUnit::Giga => "g",
            SizeUnit::Tera => "t",
            SizeUnit::Peta => "p",
        }
    }
}

/// A PBS size such as `16gb`, `512mb`, `100b` or `4kw`, kept as written (amount, multiplier,
/// bytes or words) so that it prints back the same; compare sizes with [`Size::bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Size {
    /// The integer before the unit.
    pub amount: u64,
    /// The binary multiplier.
    pub unit: SizeUnit,
    /// Counted in 8-byte words (`w`) rather than bytes (`b`).
    pub words: bool,
}

impl Size {
    /// `amount` bytes times `unit`.
    pub const fn new(amount: u64, unit: SizeUnit) -> Self {
        Size {
            amount,
            unit,
            words: false,
        }
    }

    /// `n` kibibytes (`nkb`), the unit PBS uses in `exec_vnode` and node assignments.
    pub const fn kb(n: u64) -> Self {
        Size::new(n, SizeUnit::Kilo)
    }

    /// `n` mebibytes (`nmb`).
    pub const fn mb(n: u64) -> Self {
        Size::new(n, SizeUnit::Mega)
    }

    /// `n` gibibytes (`ngb`).
    pub const fn gb(n: u64) -> Self {
        Size::new(n, SizeUnit::Giga)
    }

    /// The size in bytes, saturating at `u64::MAX` for absurd requests.
    pub fn bytes(self) -> u64 {
        let unit_bytes: u64 = 1u64 << (10 * self.unit.power());
        let word = if self.words { 8 } else { 1 };
        self.amount.saturating_mul(unit_bytes).saturating_mul(word)
    }

    /// The size in kibibytes, rounded up (PBS's scheduler works in kb).
    pub fn to_kb(self) -> u64 {
        self.bytes().div_ceil(1024)
    }

    /// Parses `text` as the value of the size resource `resource` (`mem`, `vmem`, a site's
    /// `hpmem`), so that an error names it: `Illegal attribute or resource value
    /// Resource_List.<resource>`.
    pub fn parse_for(text: &str, resource: &str) -> Result<Size, PbsError> {
        parse(text).ok_or_else(|| PbsError::illegal_value(resource))
    }
}

/// `<digits>[k|m|g|t|p][b|w]`, either case; `None` for anything else or an overflow.
fn parse(text: &str) -> Option<Size> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(digits_end);
    if digits.is_empty() {
        return None;
    }
    let amount = digits.parse::<u64>().ok()?;
    let mut rest = suffix.chars();
    let mut unit = SizeUnit::One;
    let mut next = rest.next();
    if let Some(letter) = next.and_then(SizeUnit::from_letter) {
        unit = letter;
        next = rest.next();
    }
    let words = match next.map(|c| c.to_ascii_lowercase()) {
        None | Some('b') => false,
        Some('w') => true,
        Some(_) => return None,
    };
    if rest.next().is_some() {
        return None;
    }
    Some(Size {
        amount,
        unit,
        words,
    })
}

/// Parses a size; an error names `mem` (use [`Size::parse_for`] to name another resource).
impl FromStr for Size {
    type Err = PbsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Size::parse_for(s, "mem")
    }
}

/// Prints `<amount><k|m|g|t|p|''><b|w>`, lowercase, as PBS's `from_size`.
impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bw = if self.words { "w" } else { "b" };
        write!(f, "{}{}{}", self.amount, self.unit.prefix(), bw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Result<Size, PbsError> {
        s.parse()
    }

    #[test]
    fn units_and_case() {
        assert_eq!(parsed("16GB"), Ok(Size::gb(16)));
        assert_eq!(parsed("16GB").map(|s| s.to_string()).as_deref(), Ok("16gb"));
        assert_eq!(parsed("512mb"), Ok(Size::mb(512)));
        assert_eq!(parsed("100"), Ok(Size::new(100, SizeUnit::One)));
        assert_eq!(parsed("100").map(|s| s.to_string()).as_deref(), Ok("100b"));
        assert_eq!(parsed("10k"), Ok(Size::kb(10)));
        assert_eq!(parsed("7B"), Ok(Size::new(7, SizeUnit::One)));
        let words = Size {
            amount: 4,
            unit: SizeUnit::Kilo,
            words: true,
        };
        assert_eq!(parsed("4Kw"), Ok(words));
        assert_eq!(words.to_string(), "4kw");
        assert_eq!(words.bytes(), 32 * 1024);
        assert_eq!(parsed("3w").map(|s| s.bytes()), Ok(24));
        assert_eq!(parsed("1pb").map(Size::to_kb), Ok(1 << 40));
    }

    #[test]
    fn malformed_sizes_are_illegal_values() {
        let err = PbsError::illegal_value("mem");
        for bad in [
            "", "1.5gb", "gb", "-1gb", "+1gb", " 1gb", "1gb ", "1 gb", "1bb", "1wb", "1gbw", "1x",
            "1kk", "1e3", "١gb",
        ] {
            assert_eq!(parsed(bad), Err(err.clone()), "{bad:?}");
        }
        assert_eq!(
            parsed("1.5gb").map_err(|e| (e.to_string(), e.exit_code())),
            Err((
                "Illegal attribute or resource value Resource_List.mem".to_string(),
                166
            ))
        );
        assert_eq!(
            Size::parse_for("lots", "vmem"),
            Err(PbsError::illegal_value("vmem"))
        );
    }

    #[test]
    fn overflow_is_an_error_and_huge_sizes_saturate() {
        assert_eq!(
            parsed("18446744073709551615b").map(|s| s.amount),
            Ok(u64::MAX)
        );
        assert_eq!(
            parsed("18446744073709551616b"),
            Err(PbsError::illegal_value("mem"))
        );
        assert_eq!(parsed("20000pb").map(Size::bytes), Ok(u64::MAX));
    }
}
