//! Calendaring for EASY backfill: when could a blocked top job start, and on which nodes?
//!
//! The future is projected by releasing running jobs in the order their walltimes end
//! (PBS assumes every job runs its full walltime), on top of the cluster as it is now,
//! without copying it: a [`FutureView`] holds only what the released jobs give back.

use super::cluster::{Allocation, Cluster, JobNeed, NodeIdx, View};
use super::job::{Job, JobKey};
use super::res::{Res, SimTime};
use super::running::RunningIndex;
use super::table::JobTable;

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

/// The cluster at a future time: now, plus what released jobs give back. Dense per-node
/// arrays keep lookups O(1); only the nodes a release touched are ever scanned beyond the
/// cluster's own free-CPU index.
#[derive(Clone)]
struct FutureView<'a> {
    cluster: &'a Cluster,
    extra: Vec<Res>,
    jobs_released: Vec<u32>,
    excl_released: Vec<bool>,
    touched: Vec<bool>,
    touched_by_class: Vec<Vec<NodeIdx>>,
    total: Res,
}

impl<'a> FutureView<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        let n = cluster.nodes.len();
        FutureView {
            cluster,
            extra: vec![Res::default(); n],
            jobs_released: vec![0; n],
            excl_released: vec![false; n],
            touched: vec![false; n],
            touched_by_class: vec![Vec::new(); cluster.classes.len()],
            total: cluster.free_total,
        }
    }

    /// Projects the end of `job`, noting which nodes changed in `changed`.
    fn release(&mut self, job: &Job, changed: &mut Vec<NodeIdx>) {
        let Some(alloc) = &job.alloc else { return };
        for (i, slot) in alloc.iter().enumerate() {
            let n = slot.node as usize;
            let node = &self.cluster.nodes[n];
            let counts = !node.down && !node.offline;
            if !self.touched[n] {
                self.touched[n] = true;
                self.touched_by_class[node.class as usize].push(slot.node);
            }
            self.extra[n] += slot.res;
            if counts {
                self.total += slot.res;
            }
            let first_slot_here = !alloc[..i].iter().any(|s| s.node == slot.node);
            if first_slot_here {
                self.jobs_released[n] += 1;
                if node.excl_job == Some(job.key) {
                    self.excl_released[n] = true;
                    // An exclusively held node was not counted as free at all.
                    if counts {
                        self.total += node.free;
                    }
                }
            }
            changed.push(slot.node);
        }
    }
}

impl View for FutureView<'_> {
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

/// Finds the earliest time at or after `now` at which `job` could start without touching
/// the `earlier` reservations, assuming running jobs end at their walltime.
///
/// If the job already had an estimate that is still achievable, the answer is never later
/// than it: a top job's estimate only moves earlier while nothing fails.
pub fn reserve(
    cluster: &Cluster,
    jobs: &JobTable,
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
    for (_, key) in running
        .ends_in(&classes)
        .take_while(|&(end, _)| end <= *old_start)
    {
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
    jobs: &JobTable,
    running: &RunningIndex,
    classes: &[u16],
    need: &JobNeed,
    earlier: &[Reservation],
    now: SimTime,
) -> Option<(SimTime, Allocation)> {
    let w = need.walltime;
    // The moments something changes: walltime ends of jobs on classes the job could use,
    // and ends of earlier reservations (which free nodes without any release).
    let mut moments: Vec<(SimTime, Option<JobKey>)> = running
        .ends_in(classes)
        .map(|(t, k)| (t, Some(k)))
        .chain(earlier.iter().map(|r| (r.end, None)))
        .collect();
    moments.sort_unstable();
    let mut batches: Vec<(SimTime, std::ops::Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < moments.len() {
        let t = moments[i].0;
        let j = i + moments[i..].iter().take_while(|m| m.0 == t).count();
        batches.push((t.max(now), i..j));
        i = j;
    }
    let single = need.chunks.len() == 1 && need.chunks[0].count == 1 && earlier.is_empty();
    if single {
        return earliest_single(cluster, jobs, &moments, &batches, need);
    }
    // Whether the job fits once batches 0..=b have been released.
    // Projects batches `from..=to` onto `view`.
    let advance = |view: &mut FutureView, from: usize, to: usize| {
        let mut changed = Vec::new();
        for (_, key) in &moments[batches[from].1.start..batches[to].1.end] {
            if let Some(j) = key.and_then(|k| jobs.get(&k)) {
                view.release(j, &mut changed);
            }
        }
    };
    // Whether the job fits on `view`, the projection at batch `b`.
    let try_at = |view: &FutureView, b: usize| -> Option<(SimTime, Allocation)> {
        if !view.total.covers(&need.total) {
            return None;
        }
        let t = batches[b].0;
        let allowed = |n: NodeIdx| {
            !earlier
                .iter()
                .any(|r| r.conflicts(n, t, t.saturating_add(w)))
        };
        cluster.place(view, need, &allowed).map(|a| (t, a))
    };
    // Gallop forward, then bisect: O(log n) placements instead of one per release, and
    // each release projected O(1) times on the way forward (`base` is the projection
    // before batch `lo`). Fitting is monotone in time as far as resources go (the
    // projection only releases); should greedy placement ever be less so, the answer is
    // still a real fit, just not the earliest.
    let mut base = FutureView::new(cluster);
    let mut lo = 0usize; // batches before `lo` are known not to fit
    let mut step = 1usize;
    let mut hi = None;
    while lo < batches.len() {
        let probe = (lo + step - 1).min(batches.len() - 1);
        let mut view = base.clone();
        advance(&mut view, lo, probe);
        if let Some(found) = try_at(&view, probe) {
            hi = Some((probe, found));
            break;
        }
        base = view;
        lo = probe + 1;
        step *= 2;
    }
    let (mut hi, mut best) = hi?;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let mut view = base.clone();
        advance(&mut view, lo, mid);
        match try_at(&view, mid) {
            Some(found) => {
                hi = mid;
                best = found;
            }
            None => {
                base = view;
                lo = mid + 1;
            }
        }
    }
    Some(best)
}

/// One chunk on one node: the job can only become placeable on a node a release changed
/// (every other node was tried now and failed), so checking just those is exact.
fn earliest_single(
    cluster: &Cluster,
    jobs: &JobTable,
    moments: &[(SimTime, Option<JobKey>)],
    batches: &[(SimTime, std::ops::Range<usize>)],
    need: &JobNeed,
) -> Option<(SimTime, Allocation)> {
    let chunk = &need.chunks[0];
    let mut view = FutureView::new(cluster);
    let mut changed: Vec<NodeIdx> = Vec::new();
    for (t, range) in batches {
        changed.clear();
        for (_, key) in &moments[range.clone()] {
            if let Some(j) = key.and_then(|k| jobs.get(&k)) {
                view.release(j, &mut changed);
            }
        }
        if !view.total.covers(&need.total) {
            continue;
        }
        changed.sort_unstable();
        changed.dedup();
        let hit = changed.iter().copied().find(|&n| {
            cluster.class_fits(cluster.nodes[n as usize].class, chunk)
                && chunk.pin.is_none_or(|p| p == n)
                && view.usable(n, need.excl)
                && view.free(n).covers(&chunk.res)
        });
        if let Some(n) = hit {
            return Some((
                *t,
                vec![super::cluster::Slot {
                    node: n,
                    res: chunk.res,
                }],
            ));
        }
    }
    None
}
