//! Running jobs by the time their walltime ends, per node class: what the reservation
//! projection releases, in order, looking only at the classes a blocked job could use (a
//! GPU job waiting for a GPU node does not walk through thousands of CPU-only jobs).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use super::cluster::{Allocation, ClassIdx, Cluster};
use super::job::JobKey;
use super::res::SimTime;

/// Per class, the running jobs holding any of its nodes, by walltime end.
#[derive(Debug, Clone, Default)]
pub struct RunningIndex {
    by_class: Vec<BTreeSet<(SimTime, JobKey)>>,
}

impl RunningIndex {
    /// An empty index for `classes` classes.
    pub fn new(classes: usize) -> Self {
        RunningIndex {
            by_class: vec![BTreeSet::new(); classes],
        }
    }

    fn classes_of(cluster: &Cluster, alloc: &Allocation) -> Vec<ClassIdx> {
        let mut classes: Vec<ClassIdx> = alloc
            .iter()
            .map(|s| cluster.nodes[s.node as usize].class)
            .collect();
        classes.sort_unstable();
        classes.dedup();
        classes
    }

    /// Records a job that started on `alloc` and will end by `end`.
    pub fn insert(&mut self, cluster: &Cluster, alloc: &Allocation, end: SimTime, key: JobKey) {
        for c in Self::classes_of(cluster, alloc) {
            self.by_class[c as usize].insert((end, key));
        }
    }

    /// Forgets a job recorded by [`RunningIndex::insert`].
    pub fn remove(&mut self, cluster: &Cluster, alloc: &Allocation, end: SimTime, key: JobKey) {
        for c in Self::classes_of(cluster, alloc) {
            self.by_class[c as usize].remove(&(end, key));
        }
    }

    /// Jobs holding nodes of any of `classes`, by walltime end, each once.
    pub fn ends_in<'a>(&'a self, classes: &[ClassIdx]) -> MergedEnds<'a> {
        let mut iters: Vec<_> = classes
            .iter()
            .map(|&c| self.by_class[c as usize].iter())
            .collect();
        let mut heap = BinaryHeap::with_capacity(iters.len());
        for (i, it) in iters.iter_mut().enumerate() {
            if let Some(&first) = it.next() {
                heap.push(Reverse((first, i)));
            }
        }
        MergedEnds {
            iters,
            heap,
            last: None,
        }
    }
}

/// A k-way merge of per-class end-ordered sets, without duplicates.
#[derive(Debug)]
pub struct MergedEnds<'a> {
    iters: Vec<std::collections::btree_set::Iter<'a, (SimTime, JobKey)>>,
    heap: BinaryHeap<Reverse<((SimTime, JobKey), usize)>>,
    last: Option<(SimTime, JobKey)>,
}

impl Iterator for MergedEnds<'_> {
    type Item = (SimTime, JobKey);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Reverse((entry, i)) = self.heap.pop()?;
            if let Some(&next) = self.iters[i].next() {
                self.heap.push(Reverse((next, i)));
            }
            if self.last == Some(entry) {
                continue;
            }
            // A job on several classes comes once per class, one copy after the other.
            self.last = Some(entry);
            return Some(entry);
        }
    }
}
