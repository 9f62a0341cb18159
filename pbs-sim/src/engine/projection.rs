//! The cluster projected into the future, for calendaring top jobs.
//!
//! A [`Projection`] is the cluster as it is now plus what released jobs give back, without
//! copying the cluster: dense per-node arrays of what was released, and an undo log so
//! that a search can try a later time and step back. A [`Timeline`] lists, lazily and in
//! order, the moments at which something is released: running jobs' walltime ends on the
//! node classes that matter, and ends of earlier reservations.

use std::iter::Peekable;
use std::ops::Range;

use super::cluster::{Cluster, NodeIdx, View};
use super::job::{Job, JobKey};
use super::res::{Res, SimTime};
use super::running::MergedEnds;

/// One release of one chunk, as recorded for undoing.
#[derive(Debug, Clone, Copy)]
struct Undo {
    node: NodeIdx,
    res: Res,
    total: Res,
    first_slot: bool,
    excl: bool,
    newly_touched: bool,
}

/// The cluster at a future time.
#[derive(Debug)]
pub struct Projection<'a> {
    cluster: &'a Cluster,
    extra: Vec<Res>,
    jobs_released: Vec<u32>,
    excl_released: Vec<bool>,
    touched: Vec<bool>,
    touched_by_class: Vec<Vec<NodeIdx>>,
    /// Free amounts summed over usable nodes, projected.
    pub total: Res,
    undo: Vec<Undo>,
}

impl<'a> Projection<'a> {
    /// The cluster as it is now.
    pub fn new(cluster: &'a Cluster) -> Self {
        let n = cluster.nodes.len();
        Projection {
            cluster,
            extra: vec![Res::default(); n],
            jobs_released: vec![0; n],
            excl_released: vec![false; n],
            touched: vec![false; n],
            touched_by_class: vec![Vec::new(); cluster.classes.len()],
            total: cluster.free_total,
            undo: Vec::new(),
        }
    }

    /// A point to [`Projection::rollback`] to.
    pub fn mark(&self) -> usize {
        self.undo.len()
    }

    /// Undoes every release since `mark`.
    pub fn rollback(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let u = self.undo.pop().expect("longer than mark");
            let n = u.node as usize;
            self.extra[n] -= u.res;
            self.total -= u.total;
            if u.first_slot {
                self.jobs_released[n] -= 1;
            }
            if u.excl {
                self.excl_released[n] = false;
            }
            if u.newly_touched {
                self.touched[n] = false;
                let class = self.cluster.nodes[n].class as usize;
                let popped = self.touched_by_class[class].pop();
                debug_assert_eq!(popped, Some(u.node));
            }
        }
    }

    /// Projects the end of `job`, noting which nodes changed in `changed`.
    pub fn release(&mut self, job: &Job, changed: &mut Vec<NodeIdx>) {
        let Some(alloc) = &job.alloc else { return };
        for (i, slot) in alloc.iter().enumerate() {
            let n = slot.node as usize;
            let node = &self.cluster.nodes[n];
            let counts = !node.down && !node.offline;
            let newly_touched = !self.touched[n];
            if newly_touched {
                self.touched[n] = true;
                self.touched_by_class[node.class as usize].push(slot.node);
            }
            let mut total = Res::default();
            self.extra[n] += slot.res;
            if counts {
                total += slot.res;
            }
            let first_slot = !alloc[..i].iter().any(|s| s.node == slot.node);
            let mut excl = false;
            if first_slot {
                self.jobs_released[n] += 1;
                if node.excl_job == Some(job.key) {
                    excl = true;
                    self.excl_released[n] = true;
                    // An exclusively held node was not counted as free at all.
                    if counts {
                        total += node.free;
                    }
                }
            }
            self.total += total;
            self.undo.push(Undo {
                node: slot.node,
                res: slot.res,
                total,
                first_slot,
                excl,
                newly_touched,
            });
            changed.push(slot.node);
        }
    }
}

impl View for Projection<'_> {
    fn free(&self, n: NodeIdx) -> Res {
        self.cluster.nodes[n as usize].free + self.extra[n as usize]
    }

    fn usable(&self, n: NodeIdx, excl: bool) -> bool {
        let i = n as usize;
        let node = &self.cluster.nodes[i];
        !node.down
            && !node.offline
            && (node.excl_job.is_none() || self.excl_released[i])
            && (!excl || node.jobs.len() as u32 == self.jobs_released[i])
    }

    fn scan(&self, class: u16, min_cpus: u32, f: &mut dyn FnMut(NodeIdx) -> bool) {
        // Nodes that released something first (they are the ones that changed) …
        for &n in &self.touched_by_class[class as usize] {
            if f(n) {
                return;
            }
        }
        // … then nodes free enough now that nothing was released on.
        let class = &self.cluster.classes[class as usize];
        for &(_, n) in class.avail.range((min_cpus, 0)..) {
            if !self.touched[n as usize] && f(n) {
                return;
            }
        }
    }
}

/// The moments something is released, grouped into batches of equal time, read lazily
/// from the per-class running index so that a search that ends early reads little.
#[derive(Debug)]
pub struct Timeline<'a> {
    ends: Peekable<MergedEnds<'a>>,
    reservation_ends: Vec<SimTime>,
    now: SimTime,
    moments: Vec<Option<JobKey>>,
    batches: Vec<(SimTime, Range<usize>)>,
}

impl<'a> Timeline<'a> {
    /// Releases from `ends` and the times at which earlier reservations end.
    pub fn new(ends: MergedEnds<'a>, mut reservation_ends: Vec<SimTime>, now: SimTime) -> Self {
        // Taken from the back, earliest last.
        reservation_ends.sort_unstable_by(|a, b| b.cmp(a));
        Timeline {
            ends: ends.peekable(),
            reservation_ends,
            now,
            moments: Vec::new(),
            batches: Vec::new(),
        }
    }

    /// Batch `b`: its time (never before now) and the jobs it releases; `None` past the
    /// last.
    pub fn batch(&mut self, b: usize) -> Option<(SimTime, &[Option<JobKey>])> {
        while self.batches.len() <= b {
            let next_end = self.ends.peek().map(|&(t, _)| t);
            let next_res = self.reservation_ends.last().copied();
            let t = match (next_end, next_res) {
                (None, None) => return None,
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
            };
            let start = self.moments.len();
            while self.ends.peek().is_some_and(|&(e, _)| e == t) {
                let (_, key) = self.ends.next().expect("peeked");
                self.moments.push(Some(key));
            }
            while self.reservation_ends.last() == Some(&t) {
                self.reservation_ends.pop();
                self.moments.push(None);
            }
            self.batches
                .push((t.max(self.now), start..self.moments.len()));
        }
        let (t, range) = self.batches[b].clone();
        Some((t, &self.moments[range]))
    }
}
