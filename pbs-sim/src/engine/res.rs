//! The consumable resources the scheduler never over-allocates on a node.

use std::ops::{Add, AddAssign, Sub, SubAssign};

/// Seconds since the Unix epoch, the engine's only notion of time (passed in, never read).
pub type SimTime = u64;

/// Consumable amounts on one node: `ncpus`, `mem` (kb) and `ngpus`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Res {
    /// CPUs.
    pub ncpus: u32,
    /// Memory in kb.
    pub mem_kb: u64,
    /// GPUs.
    pub ngpus: u32,
}

impl Res {
    /// Every amount of `self` is at least that of `need`.
    pub fn covers(&self, need: &Res) -> bool {
        self.ncpus >= need.ncpus && self.mem_kb >= need.mem_kb && self.ngpus >= need.ngpus
    }

    /// `self` scaled by `n` (saturating).
    pub fn times(&self, n: u32) -> Res {
        Res {
            ncpus: self.ncpus.saturating_mul(n),
            mem_kb: self.mem_kb.saturating_mul(u64::from(n)),
            ngpus: self.ngpus.saturating_mul(n),
        }
    }
}

impl Add for Res {
    type Output = Res;
    fn add(self, o: Res) -> Res {
        Res {
            ncpus: self.ncpus + o.ncpus,
            mem_kb: self.mem_kb + o.mem_kb,
            ngpus: self.ngpus + o.ngpus,
        }
    }
}

impl AddAssign for Res {
    fn add_assign(&mut self, o: Res) {
        *self = *self + o;
    }
}

impl Sub for Res {
    type Output = Res;
    /// Panics (in debug builds) on underflow: the engine never frees more than it took.
    fn sub(self, o: Res) -> Res {
        Res {
            ncpus: self.ncpus - o.ncpus,
            mem_kb: self.mem_kb - o.mem_kb,
            ngpus: self.ngpus - o.ngpus,
        }
    }
}

impl SubAssign for Res {
    fn sub_assign(&mut self, o: Res) {
        *self = *self - o;
    }
}
