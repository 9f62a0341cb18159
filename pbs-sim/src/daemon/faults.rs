//! Injected faults: what the next `qstat`s and `qsub`s suffer, set by `pbs-sim fault …`
//! or drawn at a fixed rate from the daemon's seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a `qstat` call suffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QstatFault {
    /// It cannot reach the server.
    Fail,
    /// It answers after this many milliseconds.
    Slow(u64),
    /// It prints only the first half of its output.
    Truncate,
}

/// Rates at which faults strike by themselves (each a probability per call).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultRates {
    /// `qstat` cannot reach the server.
    pub qstat_fail: f64,
    /// `qstat` answers slowly (after `qstat_slow_ms`).
    pub qstat_slow: f64,
    /// The delay of a slow `qstat`.
    pub qstat_slow_ms: u64,
    /// `qsub` is rejected by a hook.
    pub qsub_reject: f64,
}

/// The hook text of a rejected `qsub` when none was given.
pub const DEFAULT_REJECT: &str = "Job rejected by all possible destinations";

/// Pending and random faults.
#[derive(Debug)]
pub struct Faults {
    qstat: Vec<QstatFault>,
    qsub: Vec<String>,
    rates: FaultRates,
    rng: ChaCha8Rng,
}

impl Faults {
    /// No pending faults; random ones at `rates`, drawn from `seed`.
    pub fn new(rates: FaultRates, seed: u64) -> Faults {
        Faults {
            qstat: Vec::new(),
            qsub: Vec::new(),
            rates,
            // A stream of its own, so faults do not shift the background workload.
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6661_756c_7473),
        }
    }

    /// The next `count` qstat calls suffer `fault` (after those already pending).
    pub fn queue_qstat(&mut self, fault: QstatFault, count: u32) {
        // Stored reversed: pop from the end.
        let mut new: Vec<QstatFault> = std::iter::repeat_n(fault, count as usize).collect();
        new.append(&mut self.qstat);
        self.qstat = new;
    }

    /// The next `count` qsub calls are rejected with `message`.
    pub fn queue_qsub(&mut self, message: &str, count: u32) {
        let mut new: Vec<String> =
            std::iter::repeat_n(message.to_string(), count as usize).collect();
        new.append(&mut self.qsub);
        self.qsub = new;
    }

    /// Drops every pending fault (random rates stay).
    pub fn clear(&mut self) {
        self.qstat.clear();
        self.qsub.clear();
    }

    /// What this qstat call suffers, if anything.
    pub fn next_qstat(&mut self) -> Option<QstatFault> {
        if let Some(f) = self.qstat.pop() {
            return Some(f);
        }
        if self.rates.qstat_fail > 0.0 && self.rng.gen_bool(self.rates.qstat_fail.min(1.0)) {
            return Some(QstatFault::Fail);
        }
        if self.rates.qstat_slow > 0.0 && self.rng.gen_bool(self.rates.qstat_slow.min(1.0)) {
            return Some(QstatFault::Slow(self.rates.qstat_slow_ms));
        }
        None
    }

    /// The rejection of this qsub call, if any.
    pub fn next_qsub(&mut self) -> Option<String> {
        if let Some(m) = self.qsub.pop() {
            return Some(m);
        }
        if self.rates.qsub_reject > 0.0 && self.rng.gen_bool(self.rates.qsub_reject.min(1.0)) {
            return Some(DEFAULT_REJECT.to_string());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_faults_come_in_order_then_stop() {
        let mut f = Faults::new(FaultRates::default(), 1);
        f.queue_qstat(QstatFault::Fail, 2);
        f.queue_qstat(QstatFault::Slow(10), 1);
        assert_eq!(f.next_qstat(), Some(QstatFault::Fail));
        assert_eq!(f.next_qstat(), Some(QstatFault::Fail));
        assert_eq!(f.next_qstat(), Some(QstatFault::Slow(10)));
        assert_eq!(f.next_qstat(), None);
        f.queue_qsub("no", 1);
        assert_eq!(f.next_qsub().as_deref(), Some("no"));
        assert_eq!(f.next_qsub(), None);
    }

    #[test]
    fn rates_strike_about_as_often_as_asked() {
        let rates = FaultRates {
            qstat_fail: 0.25,
            ..FaultRates::default()
        };
        let mut f = Faults::new(rates, 7);
        let fails = (0..4000).filter(|_| f.next_qstat().is_some()).count();
        assert!((800..1200).contains(&fails), "{fails}");
    }
}
