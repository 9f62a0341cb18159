//! Sizes: `<integer>[k|m|g|t|p][b|w]`, case-insensitive, binary multiples, bytes when no
//! unit, `w` for 8-byte words, no decimals (reference §2.3).

use serde::{Deserialize, Serialize};

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
        self.amount
            .saturating_mul(unit_bytes)
            .saturating_mul(word)
    }

    /// The size in kibibytes, rounded up (PBS's scheduler works in kb).
    pub fn to_kb(self) -> u64 {
        self.bytes().div_ceil(1024)
    }
}
