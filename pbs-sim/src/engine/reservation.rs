//! Calendaring for EASY backfill: when could a blocked top job start, and on which nodes?
//!
//! The future is projected by releasing running jobs in the order their walltimes end
//! (PBS assumes every job runs its full walltime), on top of the cluster as it is now,
//! without copying it: a [`FutureView`] holds only what the released jobs give back.

use std::collections::{BTreeMap, BTreeSet};

use super::cluster::{Allocation, Cluster, JobNeed, NodeIdx, View};
use super::job::{Job, JobKey};
use super::res::{Res, SimTime};
use super::running::RunningIndex;

/// A top job's claim on the future: its nodes from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The top job.
    pub key: JobKey,
    /// Its estimated start.
    pub start: SimTime,
    /// `start` + its walltime.
    pub end: SimTime,
    /// The nodes it will run on (each once).
    pub nodes: Vec<NodeIdx>,
}

impl Reservation {
    /// Whether a job on `n` during `[from, to)` would overlap this reservation.
    pub fn conflicts(&self, n: NodeIdx, from: SimTime, to: SimTime) -> bool {
        from < self.end && self.start < to && self.nodes.contains(&n)
    }
}

/// What a released node gives back in the projection.
#[derive(Debug, Clone, Copy, Default)]
struct Released {
    res: Res,
    jobs: usize,
    excl_released: bool,
}

/// The cluster at a future time: now, plus what released jobs give back.
struct FutureView<'a> {
    cluster: &'a Cluster,
    released: BTreeMap<NodeIdx, Released>,
    total: Res,
}

impl<'a> FutureView<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        FutureView {
            cluster,
            released: BTreeMap::new(),
            total: cluster.free_total,
        }
    }

    /// Projects the end of `job`, noting which nodes changed in `touched`.
    fn release(&mut self, job: &Job, touched: &mut Vec<NodeIdx>) {
        let Some(alloc) = &job.alloc else { return };
        let mut seen: Vec<NodeIdx> = Vec::new();
        for slot in alloc {
            let node = &self.cluster.nodes[slot.node as usize];
            let r = self.released.entry(slot.node).or_default();
            r.res += slot.res;
            if !seen.contains(&slot.node) {
                seen.push(slot.node);
                r.jobs += 1;
                if node.excl_job == Some(job.key) {
                    r.excl_released = true;
                    // An exclusively held node was not counted as free at all.
                    if !node.down && !node.offline {
                        self.total += node.free;
                    }
                }
            }
            if !node.down && !node.offline {
                self.total += slot.res;
            }
            touched.push(slot.node);
        }
    }
}

impl View for FutureView<'_> {
    fn free(&self, n: NodeIdx) -> Res {
        let base = self.cluster.nodes[n as usize].free;
        match self.released.get(&n) {
            Some(r) => base + r.res,
            None => base,
        }
    }

    fn usable(&self, n: NodeIdx, excl: bool) -> bool {
        let node = &self.cluster.nodes[n as usize];
        let r = self.released.get(&n).copied().unwrap_or_default();
        !node.down
            && !node.offline
            && (node.excl_job.is_none() || r.excl_released)
            && (!excl || node.jobs.len() == r.jobs)
    }

    fn scan(&self, class: u16, min_cpus: u32, f: &mut dyn FnMut(NodeIdx) -> bool) {
        // Nodes that released something first (they are the ones that changed) …
        for (&n, _) in &self.released {
            if self.cluster.nodes[n as usize].class == class && f(n) {
                return;
            }
        }
        // … then nodes free enough now that nothing was released on.
        let class = &self.cluster.classes[class as usize];
        for &(_, n) in class.avail.range((min_cpus, 0)..) {
            if !self.released.contains_key(&n) && f(n) {
                return;
            }
        }
    }
}

/// Finds the earliest time at or after `now` at which `job` could start without touching
/// the `earlier` reservations, assuming running jobs end at their walltime.
///
/// If the job already had an estimate that is still achievable, the answer is never later
/// than it: a top job's estimate only moves earlier while nothing fails.
pub fn reserve(
    cluster: &Cluster,
    jobs: &BTreeMap<JobKey, Job>,
    running: &RunningIndex,
    job: &Job,
    earlier: &[Reservation],
    now: SimTime,
) -> Option<(SimTime, Allocation)> {
    let need = &job.need;
    let classes = eligible_classes(cluster, need);
    let found = earliest(cluster, jobs, running, &classes, need, earlier, now);
    let Some((old_start, old_alloc)) = &job.estimate else {
        return found;
    };
    if *old_start < now || found.as_ref().is_some_and(|(t, _)| t <= old_start) {
        return found;
    }
    // Keep the earlier estimate if its nodes are still free by then.
    let mut view = FutureView::new(cluster);
    let mut touched = Vec::new();
    for (_, key) in running.ends_in(&classes).take_while(|&(end, _)| end <= *old_start) {
        if let Some(j) = jobs.get(&key) {
            view.release(j, &mut touched);
        }
    }
    let w = need.walltime;
    let allowed = |n: NodeIdx| {
        !earlier
            .iter()
            .any(|r| r.conflicts(n, *old_start, old_start.saturating_add(w)))
    };
    if cluster.fits(&view, old_alloc, need.excl, &allowed) {
        Some((*old_start, old_alloc.clone()))
    } else {
        found
    }
}

/// Classes that could hold at least one of the job's chunks: only jobs there can matter.
pub fn eligible_classes(cluster: &Cluster, need: &JobNeed) -> Vec<u16> {
    (0..cluster.classes.len() as u16)
        .filter(|&c| need.chunks.iter().any(|ch| cluster.class_fits(c, ch)))
        .collect()
}

fn earliest(
    cluster: &Cluster,
    jobs: &BTreeMap<JobKey, Job>,
    running: &RunningIndex,
    classes: &[u16],
    need: &JobNeed,
    earlier: &[Reservation],
    now: SimTime,
) -> Option<(SimTime, Allocation)> {
    let w = need.walltime;
    // A job of one chunk only becomes placeable on a node that changed, unless earlier
    // reservations end (which frees nodes without any release): then try everything.
    let single = need.chunks.len() == 1 && need.chunks[0].count == 1 && earlier.is_empty();
    let reservation_ends: BTreeSet<SimTime> = earlier.iter().map(|r| r.end).collect();
    let mut view = FutureView::new(cluster);
    let mut releases = running.ends_in(classes);
    let mut ends = reservation_ends.iter().peekable();
    let mut touched: Vec<NodeIdx> = Vec::new();
    loop {
        let next_release = releases.peek().map(|(t, _)| t);
        let next_end = ends.peek().map(|&&t| t);
        let t = match (next_release, next_end) {
            (None, None) => return None,
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
        };
        touched.clear();
        while let Some((end, key)) = releases.peek() {
            if end != t {
                break;
            }
            releases.next();
            if let Some(j) = jobs.get(&key) {
                view.release(j, &mut touched);
            }
        }
        while ends.peek().is_some_and(|&&e| e == t) {
            ends.next();
        }
        let t = t.max(now);
        if !view.total.covers(&need.total) {
            continue;
        }
        let allowed = |n: NodeIdx| {
            !earlier
                .iter()
                .any(|r| r.conflicts(n, t, t.saturating_add(w)))
        };
        if single {
            let chunk = &need.chunks[0];
            touched.sort_unstable();
            touched.dedup();
            let hit = touched.iter().copied().find(|&n| {
                cluster.class_fits(cluster.nodes[n as usize].class, chunk)
                    && chunk.pin.is_none_or(|p| p == n)
                    && view.usable(n, need.excl)
                    && view.free(n).covers(&chunk.res)
            });
            if let Some(n) = hit {
                return Some((t, vec![super::cluster::Slot { node: n, res: chunk.res }]));
            }
        } else if let Some(alloc) = cluster.place(&view, need, &allowed) {
            return Some((t, alloc));
        }
    }
}
