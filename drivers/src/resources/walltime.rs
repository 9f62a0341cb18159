//! Durations (`walltime`, `cput`): `SS`, `MM:SS` or `HH:MM:SS`, fields may exceed 59, an
//! optional `.mmm` fraction (≥ .500 rounds up), printed `%02:%02:%02` (reference §2.4).

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
}
