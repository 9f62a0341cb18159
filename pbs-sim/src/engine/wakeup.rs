//! Which blocked jobs a release could wake up.
//!
//! A queued job that could not start stays blocked until something it could use changes:
//! a node of a class it fits on gains free CPUs (a job ends, a reservation moves away), or
//! a node comes back. Blocked jobs are indexed per node class by the CPUs of their smallest
//! chunk, so that after a release a scheduling pass looks only at the jobs that might fit
//! on the changed nodes instead of walking the whole queue: a backlog waiting for a rare
//! kind of node costs nothing while other nodes churn.

use std::collections::BTreeSet;

use super::cluster::ClassIdx;
use super::SortKey;

const LOWEST: SortKey = (i64::MIN, 0, 0);
const HIGHEST: SortKey = (i64::MAX, u32::MAX, u64::MAX);

/// Blocked jobs by class and smallest-chunk CPUs, plus jobs to look at on every pass.
#[derive(Debug, Clone, Default)]
pub struct WakeIndex {
    by_class: Vec<BTreeSet<(u32, SortKey)>>,
    always: BTreeSet<SortKey>,
}

/// The classes of a bit set, lowest first.
fn classes(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let c = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(c)
    })
}

impl WakeIndex {
    /// An empty index for `classes` node classes.
    pub fn new(classes: usize) -> Self {
        WakeIndex {
            by_class: vec![BTreeSet::new(); classes],
            always: BTreeSet::new(),
        }
    }

    /// Indexes a blocked job. Without a class mask (a cluster of more than 64 classes) the
    /// job is looked at on every pass.
    pub fn insert(&mut self, sk: SortKey, mask: Option<u64>, min_ncpus: u32) {
        match mask {
            Some(mask) => {
                for c in classes(mask) {
                    self.by_class[c].insert((min_ncpus, sk));
                }
            }
            None => {
                self.always.insert(sk);
            }
        }
    }

    /// Marks a job to be looked at on every pass (it waits for something other than nodes,
    /// such as its queue's `max_run`).
    pub fn insert_always(&mut self, sk: SortKey) {
        self.always.insert(sk);
    }

    /// Forgets a job (it started, or left the queue).
    pub fn remove(&mut self, sk: SortKey, mask: Option<u64>, min_ncpus: u32) {
        if let Some(mask) = mask {
            for c in classes(mask) {
                self.by_class[c].remove(&(min_ncpus, sk));
            }
        }
        self.always.remove(&sk);
    }

    /// Adds to `out` the jobs of `class` whose smallest chunk fits in `free_ncpus`.
    pub fn fitting(&self, class: ClassIdx, free_ncpus: u32, out: &mut Vec<SortKey>) {
        let range = (0, LOWEST)..=(free_ncpus, HIGHEST);
        out.extend(
            self.by_class[class as usize]
                .range(range)
                .map(|&(_, sk)| sk),
        );
    }

    /// Adds to `out` the jobs looked at on every pass.
    pub fn every_pass(&self, out: &mut Vec<SortKey>) {
        out.extend(self.always.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_jobs_whose_smallest_chunk_fits_on_the_class() {
        let mut w = WakeIndex::new(3);
        let a = (0, 0, 1);
        let b = (0, 0, 2);
        let c = (-10, 1, 3);
        w.insert(a, Some(0b011), 4);
        w.insert(b, Some(0b010), 16);
        w.insert(c, None, 1);
        let mut out = Vec::new();
        w.fitting(1, 8, &mut out);
        assert_eq!(out, vec![a]);
        out.clear();
        w.fitting(1, 16, &mut out);
        assert_eq!(out, vec![a, b]);
        out.clear();
        w.fitting(2, 64, &mut out);
        assert!(out.is_empty());
        w.every_pass(&mut out);
        assert_eq!(out, vec![c]);
        w.remove(a, Some(0b011), 4);
        out.clear();
        w.fitting(0, 64, &mut out);
        assert!(out.is_empty());
    }
}
