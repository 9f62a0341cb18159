//! Calendaring for EASY backfill: when could a blocked top job start, and on which nodes?
//!
//! The future is projected by releasing running jobs in the order their walltimes end
//! (PBS assumes every job runs its full walltime), on top of the cluster as it is now,
//! without copying it (see [`super::projection`]).

use super::cluster::{Allocation, Cluster, JobNeed, NodeIdx, Slot, View};
use super::job::{Job, JobKey};
use super::projection::{Projection, Timeline};
use super::res::SimTime;
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
    exit_delay: u64,
) -> Option<(SimTime, Allocation)> {
    let need = &job.need;
    let classes = eligible_classes(cluster, need);
    let found = earliest(
        cluster, jobs, running, &classes, need, earlier, now, exit_delay,
    );
    let Some((old_start, old_alloc)) = &job.estimate else {
        return found;
    };
    if *old_start < now || found.as_ref().is_some_and(|(t, _)| t <= old_start) {
        return found;
    }
    // Keep the earlier estimate if its nodes are still free by then.
    let mut view = Projection::new(cluster);
    let mut touched = Vec::new();
    for (_, key) in running
        .ends_in(&classes)
        .take_while(|&(end, _)| end <= *old_start)
    {
        if let Some(j) = jobs.get(&key) {
            view.release(j, &mut touched);
        }
    }
    let w = need.walltime + exit_delay;
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

// The arguments are the state it reads (cluster, jobs, running index), the request, the
// reservations before it, and time; bundling them would only rename them.
#[allow(clippy::too_many_arguments)]
fn earliest(
    cluster: &Cluster,
    jobs: &JobTable,
    running: &RunningIndex,
    classes: &[u16],
    need: &JobNeed,
    earlier: &[Reservation],
    now: SimTime,
    exit_delay: u64,
) -> Option<(SimTime, Allocation)> {
    // A job holds its nodes through its walltime and its exit.
    let w = need.walltime + exit_delay;
    // The moments something changes: walltime ends of jobs on classes the job could use,
    // and ends of earlier reservations (which free nodes without any release).
    let reservation_ends = earlier.iter().map(|r| r.end).collect();
    let mut timeline = Timeline::new(running.ends_in(classes), reservation_ends, now);
    let mut view = Projection::new(cluster);
    let mut changed: Vec<NodeIdx> = Vec::new();
    let single = need.chunks.len() == 1 && need.chunks[0].count == 1 && earlier.is_empty();
    if single {
        // One chunk on one node: the job can only become placeable on a node a release
        // changed (every other node was tried now and failed), so checking just those is
        // exact.
        let chunk = &need.chunks[0];
        let mut b = 0;
        while let Some((t, keys)) = timeline.batch(b) {
            b += 1;
            changed.clear();
            for key in keys {
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
                    t,
                    vec![Slot {
                        node: n,
                        res: chunk.res,
                    }],
                ));
            }
        }
        return None;
    }
    // Projects batches `from..=to` onto `view`; `false` if there are no such batches.
    let mut advance = |view: &mut Projection, from: usize, to: usize| -> Option<SimTime> {
        let mut at = None;
        for b in from..=to {
            let (t, keys) = timeline.batch(b)?;
            at = Some(t);
            for key in keys {
                if let Some(j) = key.and_then(|k| jobs.get(&k)) {
                    view.release(j, &mut changed);
                }
            }
        }
        at
    };
    // Whether the job fits on `view`, the projection at time `t`.
    let try_at = |view: &Projection, t: SimTime| -> Option<(SimTime, Allocation)> {
        if !view.total.covers(&need.total) {
            return None;
        }
        let allowed = |n: NodeIdx| {
            !earlier
                .iter()
                .any(|r| r.conflicts(n, t, t.saturating_add(w)))
        };
        cluster.place(view, need, &allowed).map(|a| (t, a))
    };
    // Gallop forward, then bisect: O(log n) placements instead of one per release, each
    // release projected a bounded number of times (a failed probe is kept, a successful
    // one rolled back). Fitting is monotone in time as far as resources go (the
    // projection only releases); should greedy placement ever be less so, the answer is
    // still a real fit, just not the earliest.
    let mut lo = 0usize; // `view` holds batches before `lo`, none of which fits
                         // Earlier reservations make fitting non-monotone (a node free now may be promised
                         // later): then walk the batches one by one.
    let gallop = earlier.is_empty();
    let mut step = 1usize;
    let (mut hi, mut best) = loop {
        let mark = view.mark();
        let probe = lo + step - 1;
        let (probe, t) = match advance(&mut view, lo, probe) {
            Some(t) => (probe, t),
            None => {
                // Past the end: everything there is has been released.
                view.rollback(mark);
                timeline_last(&mut advance, &mut view, lo)?
            }
        };
        if let Some(found) = try_at(&view, t) {
            view.rollback(mark);
            break (probe, found);
        }
        lo = probe + 1;
        if gallop {
            step *= 2;
        }
    };
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let mark = view.mark();
        let t = advance(&mut view, lo, mid).expect("below a batch that exists");
        match try_at(&view, t) {
            Some(found) => {
                view.rollback(mark);
                hi = mid;
                best = found;
            }
            None => lo = mid + 1,
        }
    }
    Some(best)
}

/// Releases every batch from `lo` to the end of the timeline, one at a time; the index
/// and time of the last, or `None` if there is none from `lo` on.
fn timeline_last(
    advance: &mut impl FnMut(&mut Projection, usize, usize) -> Option<SimTime>,
    view: &mut Projection,
    lo: usize,
) -> Option<(usize, SimTime)> {
    let mut last = None;
    let mut b = lo;
    while let Some(t) = advance(view, b, b) {
        last = Some((b, t));
        b += 1;
    }
    last
}
