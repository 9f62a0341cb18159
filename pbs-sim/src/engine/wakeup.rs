//! Which blocked jobs a release could wake up.
//!
//! A queued job that could not start stays blocked until something it could use changes:
//! a node of a class it fits on gains free CPUs (a job ends, a reservation moves away), or
//! a node comes back. Blocked jobs are indexed per node class by the CPUs of their smallest
//! chunk (with the least memory and GPUs any chunk asks for), so that after a release a scheduling pass looks only at the jobs that might fit
//! on the changed nodes instead of walking the whole queue: a backlog waiting for a rare
//! kind of node costs nothing while other nodes churn.

use std::collections::{BTreeMap, BTreeSet};

use super::cluster::ClassIdx;
use super::res::Res;
use super::SortKey;

const LOWEST: SortKey = (i64::MIN, 0, 0);
const HIGHEST: SortKey = (i64::MAX, u32::MAX, u64::MAX);

/// Blocked jobs by class and smallest-chunk CPUs (with the smallest memory and GPUs any
/// chunk asks for), plus jobs to look at on every pass.
#[derive(Debug, Clone, Default)]
pub struct WakeIndex {
    by_class: Vec<BTreeMap<(u32, SortKey), (u64, u32)>>,
    always: BTreeSet<SortKey>,
}

/// The classes of a bit set, lowest first.
pub fn mask_classes(mut mask: u64) -> impl Iterator<Item = usize> {
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
            by_class: vec![BTreeMap::new(); classes],
            always: BTreeSet::new(),
        }
    }

    /// Indexes a blocked job. Without a class mask (a cluster of more than 64 classes) the
    /// job is looked at on every pass.
    pub fn insert(&mut self, sk: SortKey, mask: Option<u64>, least: Res) {
        match mask {
            Some(mask) => {
                for c in mask_classes(mask) {
                    self.by_class[c].insert((least.ncpus, sk), (least.mem_kb, least.ngpus));
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
    pub fn remove(&mut self, sk: SortKey, mask: Option<u64>, least: Res) {
        if let Some(mask) = mask {
            for c in mask_classes(mask) {
                self.by_class[c].remove(&(least.ncpus, sk));
            }
        }
        self.always.remove(&sk);
    }

    /// Adds to `out` the jobs of `class` for which `free` could hold some chunk.
    pub fn fitting(&self, class: ClassIdx, free: Res, out: &mut Vec<SortKey>) {
        let range = (0, LOWEST)..=(free.ncpus, HIGHEST);
        out.extend(
            self.by_class[class as usize]
                .range(range)
                .filter(|(_, &(mem_kb, ngpus))| mem_kb <= free.mem_kb && ngpus <= free.ngpus)
                .map(|(&(_, sk), _)| sk),
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
        let cpus = |ncpus| Res {
            ncpus,
            ..Res::default()
        };
        let gpu = Res {
            ncpus: 1,
            mem_kb: 0,
            ngpus: 1,
        };
        w.insert(a, Some(0b011), cpus(4));
        w.insert(b, Some(0b010), cpus(16));
        w.insert(c, None, cpus(1));
        w.insert((0, 0, 4), Some(0b010), gpu);
        let mut out = Vec::new();
        w.fitting(1, cpus(8), &mut out);
        assert_eq!(
            out,
            vec![a],
            "the GPU job cannot use a node without free GPUs"
        );
        out.clear();
        w.fitting(
            1,
            Res {
                ngpus: 2,
                ..cpus(16)
            },
            &mut out,
        );
        assert_eq!(out, vec![(0, 0, 4), a, b]);
        out.clear();
        w.fitting(2, cpus(64), &mut out);
        assert!(out.is_empty());
        w.every_pass(&mut out);
        assert_eq!(out, vec![c]);
        w.remove(a, Some(0b011), cpus(4));
        out.clear();
        w.fitting(0, cpus(64), &mut out);
        assert!(out.is_empty());
    }
}
