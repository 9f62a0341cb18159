//! The scheduling pass: which queued jobs start now, which become top jobs with a
//! reservation, and what every other job's comment says (reference §6.2–§6.3).

use std::cell::Cell;

use drivers::JobState;

use super::cluster::{Allocation, JobNeed, NodeIdx, Slot, View};
use super::config::Policy;
use super::job::{Comment, JobKey};
use super::res::{Res, SimTime};
use super::reservation::{eligible_classes, reserve, Reservation};
use super::wakeup::mask_classes;
use super::{Engine, EngineEvent, Event, SortKey};
use drivers::resources::Arrangement;

/// What the next pass has to look at.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// Something was freed or reordered: walk the whole queue.
    pub full: bool,
    /// Jobs that arrived (or were released) since the last pass.
    pub arrived: Vec<SortKey>,
}

impl Engine {
    /// Runs a scheduling pass if anything happened since the last one.
    pub(super) fn schedule(&mut self) {
        let arrived = std::mem::take(&mut self.pending.arrived);
        let mut full = std::mem::take(&mut self.pending.full);
        if !full && arrived.is_empty() {
            return;
        }
        // A new job ahead of a top job changes who the top jobs are.
        if let Some(last_top) = self.reservations.last().map(|r| self.sort_key(r.key)) {
            if arrived.iter().any(|k| *k < last_top) {
                full = true;
            }
        }
        if full {
            self.stats.full_passes += 1;
            self.clear_reservations();
            // Node state changes can unblock anything; strict ordering without backfill
            // needs the whole order. Otherwise only the head of the queue and the jobs a
            // release could wake up need looking at.
            let walk_all = self.nodes_changed > self.nodes_seen
                || self.config.policy == (Policy::EasyBackfill { depth: 0 });
            self.nodes_seen = self.nodes_changed;
            let mut blocked = false;
            if walk_all {
                let order: Vec<SortKey> = self.queued.keys().copied().collect();
                for sk in order {
                    self.consider(sk, &mut blocked, None);
                }
            } else {
                self.settling = true;
                let cursor = self.settle_top_jobs(&mut blocked);
                self.settling = false;
                // A reservation that went away or moved (its top job started, or was
                // overtaken) frees nodes without any release: jobs it blocked must be
                // tried again, not taken as surely still blocked.
                let same = self
                    .reservations
                    .iter()
                    .map(|r| (r.start, &r.nodes))
                    .eq(self.previous.iter().map(|r| (r.start, &r.nodes)));
                if !same {
                    self.release_clock += 1;
                    self.reservations_changed = self.release_clock;
                }
                let mut fresh = arrived.clone();
                fresh.sort_unstable();
                let changed = std::mem::take(&mut self.changed_nodes);
                let (candidates, grown) = self.woken(arrived, changed, cursor);
                for sk in candidates {
                    if self.queued.contains_key(&sk) {
                        // A new arrival was never tried against the unchanged nodes.
                        let hint = fresh.binary_search(&sk).is_err().then_some(&grown[..]);
                        self.consider(sk, &mut blocked, hint);
                    }
                }
            }
            self.changed_nodes.clear();
            // A former top job that this pass stopped before, or did not make a top job
            // again, must not keep its estimate: only calendared jobs have one (§6.3).
            for i in 0..self.previous.len() {
                let key = self.previous[i].key;
                if !self.reservations.iter().any(|r| r.key == key) {
                    if let Some(job) = self.jobs.get_mut(&key) {
                        job.estimate = None;
                    }
                }
            }
        } else {
            let mut blocked = !self.reservations.is_empty() || self.any_blocked;
            for sk in arrived {
                if self.queued.contains_key(&sk) {
                    self.consider(sk, &mut blocked, None);
                }
            }
        }
    }

    /// Walks the queue from its head, starting what fits, until the top jobs (the first
    /// `backfill_depth` jobs that cannot start) have their reservations. Returns the last
    /// job looked at.
    fn settle_top_jobs(&mut self, blocked: &mut bool) -> Option<SortKey> {
        let depth = match self.config.policy {
            Policy::Fifo => return None,
            Policy::EasyBackfill { depth } => depth,
        };
        let mut cursor: Option<SortKey> = None;
        while (self.reservations.len() as u32) < depth {
            let next = match cursor {
                None => self.queued.keys().next().copied(),
                Some(c) => self
                    .queued
                    .range((std::ops::Bound::Excluded(c), std::ops::Bound::Unbounded))
                    .next()
                    .map(|(k, _)| *k),
            };
            let Some(sk) = next else { break };
            cursor = Some(sk);
            self.consider(sk, blocked, None);
        }
        cursor
    }

    /// The queued jobs after `cursor` that may start now, in scheduling order: new arrivals,
    /// jobs waiting on something other than nodes, and blocked jobs whose smallest chunk
    /// fits on a node that gained resources (a job ended there, or a reservation moved off
    /// it). Every other queued job was found blocked before and nothing it could use has
    /// changed since.
    fn woken(
        &self,
        arrived: Vec<SortKey>,
        mut changed: Vec<NodeIdx>,
        cursor: Option<SortKey>,
    ) -> (Vec<SortKey>, Vec<NodeIdx>) {
        for r in &self.previous {
            let freed = r.nodes.iter().copied();
            changed.extend(freed.filter(|&n| self.reserved_from[n as usize] > r.start));
        }
        changed.sort_unstable();
        changed.dedup();
        let mut out = arrived;
        for &n in &changed {
            let node = &self.cluster.nodes[n as usize];
            if node.usable() {
                self.wake.fitting(node.class, node.free, &mut out);
            }
        }
        self.wake.every_pass(&mut out);
        out.retain(|sk| cursor.is_none_or(|c| *sk > c));
        out.sort_unstable();
        out.dedup();
        (out, changed)
    }

    /// How many chunks of a job of identical chunks the nodes that grew could take now.
    fn chunks_on_grown(
        &self,
        grown: &[NodeIdx],
        need: &JobNeed,
        eligible: Option<u64>,
        allowed: &dyn Fn(NodeIdx) -> bool,
    ) -> u32 {
        let chunk = &need.chunks[0];
        // Scatter puts one chunk per node; otherwise a node takes as many as fit (an
        // exclusive job may share its nodes with itself).
        let one_per_node = need.arrangement != Arrangement::Free;
        let cluster = &self.cluster;
        let mut total = 0u32;
        for &n in grown {
            let node = &cluster.nodes[n as usize];
            if !fits_class(cluster, eligible, node.class, chunk)
                || !View::usable(cluster, n, need.excl)
                || !allowed(n)
            {
                continue;
            }
            let fits = |have: u64, want: u64| have.checked_div(want).unwrap_or(u64::MAX);
            let r = chunk.res;
            let many = fits(u64::from(node.free.ncpus), u64::from(r.ncpus))
                .min(fits(node.free.mem_kb, r.mem_kb))
                .min(fits(u64::from(node.free.ngpus), u64::from(r.ngpus)));
            let here = if one_per_node { many.min(1) } else { many };
            total = total.saturating_add(u32::try_from(here).unwrap_or(u32::MAX));
        }
        total
    }

    /// Where [`Cluster::place`] would put a one-chunk job that can only fit on one of
    /// `grown`: the fitting node it would reach first (class order, then fewest free CPUs,
    /// then node order).
    fn place_on_grown(
        &self,
        grown: &[NodeIdx],
        need: &JobNeed,
        eligible: Option<u64>,
        allowed: &dyn Fn(NodeIdx) -> bool,
    ) -> Option<Allocation> {
        let chunk = &need.chunks[0];
        let cluster = &self.cluster;
        grown
            .iter()
            .copied()
            .filter(|&n| {
                let node = &cluster.nodes[n as usize];
                fits_class(cluster, eligible, node.class, chunk)
                    && node.free.covers(&chunk.res)
                    && View::usable(cluster, n, need.excl)
                    && allowed(n)
            })
            .min_by_key(|&n| {
                let node = &cluster.nodes[n as usize];
                (node.class, node.free.ncpus, n)
            })
            .map(|node| {
                vec![Slot {
                    node,
                    res: chunk.res,
                }]
            })
    }

    /// Drops the reservations, keeping them as `previous` for comparison.
    fn clear_reservations(&mut self) {
        self.previous.clear();
        std::mem::swap(&mut self.previous, &mut self.reservations);
        for r in &self.previous {
            for &n in &r.nodes {
                self.reserved_from[n as usize] = SimTime::MAX;
            }
        }
        self.any_blocked = false;
    }

    /// Starts the job if it can run now; otherwise records why not (and, for a top job,
    /// when it will).
    ///
    /// `grown`, when given, holds every node that gained resources since the job was last
    /// found blocked: a job of one chunk can then only fit on one of them.
    fn consider(&mut self, sk: SortKey, blocked: &mut bool, grown: Option<&[NodeIdx]>) {
        self.stats.considered += 1;
        let key = sk.2;
        let now = self.now;
        let job = &self.jobs[&key];
        if job.never_runs {
            return;
        }
        let queue = &self.config.queues[job.queue];
        if !queue.started {
            return;
        }
        if let Some(max) = queue.max_run {
            if self.queue_running[job.queue] >= max {
                let comment = Comment::QueueRunLimit {
                    queue: queue.name.clone(),
                };
                let job = self.jobs.get_mut(&key).expect("queued job exists");
                job.comment = comment;
                // It waits for its queue, not for nodes: look at it on every pass.
                if !job.indexed {
                    job.indexed = true;
                    self.wake.insert_always(sk);
                }
                return;
            }
        }
        let strict_depth_zero = self.config.policy == Policy::EasyBackfill { depth: 0 };
        if strict_depth_zero && *blocked {
            self.jobs.get_mut(&key).expect("queued job exists").comment = Comment::StrictOrder;
            return;
        }
        let may_become_top = match self.config.policy {
            Policy::Fifo => false,
            Policy::EasyBackfill { depth } => (self.reservations.len() as u32) < depth,
        };
        // A woken job is woken because something it could use changed: just try it.
        let surely_blocked = grown.is_none() && self.still_blocked(key);
        if !may_become_top && surely_blocked {
            // Still blocked is blocked: under strict ordering nothing behind it may start.
            *blocked = true;
            self.any_blocked = true;
            let job = self.jobs.get_mut(&key).expect("queued job exists");
            job.estimate = None;
            return;
        }
        let job = &self.jobs[&key];
        let need = &job.need;
        // The job holds its nodes through its walltime and its exit.
        let until = now.saturating_add(need.walltime + self.config.exit_delay);
        let conflicted = Cell::new(false);
        let allowed = |n: NodeIdx| {
            let ok = self.reserved_from[n as usize] >= until;
            if !ok {
                conflicted.set(true);
            }
            ok
        };
        let mut alloc: Option<Allocation> = None;
        let mut deficit: Option<u32> = None;
        let aggregate_ok = self.cluster.free_total.covers(&need.total);
        // A job of identical chunks that was short of room for `deficit` chunks stays
        // blocked until the nodes that grew can take that many.
        let mut short = false;
        if let (Some(grown), true) = (grown, uniform_chunks(need) && job.deficit > 0) {
            let gained = self.chunks_on_grown(grown, need, job.eligible, &allowed);
            if gained < job.deficit {
                short = true;
                let stamp = self.release_clock;
                let job = self.jobs.get_mut(&key).expect("queued job exists");
                job.deficit -= gained;
                if !may_become_top {
                    // Nothing else to decide: it stays blocked, with the same comment.
                    job.blocked_stamp = Some(stamp);
                    job.estimate = None;
                    *blocked = true;
                    self.any_blocked = true;
                    return;
                }
            }
        }
        let surely_blocked = surely_blocked || short;
        let job = &self.jobs[&key];
        let need = &job.need;
        // A would-be top job that is surely still blocked goes straight to its
        // reservation: nothing it could use has changed since it was last tried.
        if aggregate_ok && !surely_blocked {
            let one_chunk = need.chunks.len() == 1
                && need.chunks[0].count == 1
                && need.chunks[0].pin.is_none()
                && job.blocked_stamp.is_some();
            alloc = match grown.filter(|_| one_chunk) {
                Some(nodes) => self.place_on_grown(nodes, need, job.eligible, &allowed),
                None => match self.cluster.place_counting(&self.cluster, need, &allowed) {
                    Ok(alloc) => Some(alloc),
                    Err(placed) => {
                        if uniform_chunks(need) {
                            let missing = need.chunks[0].count - placed;
                            deficit = Some(missing);
                        }
                        None
                    }
                },
            };
            if alloc.is_none() {
                // A top job runs on the nodes it was promised as soon as they are free,
                // even before its estimated start: an estimate kept from an earlier pass
                // may count on a job that has since ended early, and no event need fall
                // at the estimated start itself to try again then.
                if let Some((_, promised)) = &job.estimate {
                    if self
                        .cluster
                        .fits(&self.cluster, promised, need.excl, &allowed)
                    {
                        alloc = Some(promised.clone());
                    }
                }
            }
        }
        if let Some(alloc) = alloc {
            self.start(key, alloc);
            return;
        }
        *blocked = true;
        self.any_blocked = true;
        let stamp = self.release_clock;
        let job = self.jobs.get_mut(&key).expect("queued job exists");
        job.blocked_stamp = Some(stamp);
        if !surely_blocked {
            job.blocked_by_claims = conflicted.get();
        }
        if let Some(d) = deficit {
            job.deficit = d;
        } else if !short {
            job.deficit = 0;
        }
        if !job.indexed {
            job.indexed = true;
            let least = job.least_chunk();
            self.wake.insert(sk, job.eligible, least);
        }
        let job = &self.jobs[&key];
        let need = &job.need;
        let reason = if surely_blocked && !may_become_top {
            job.comment.clone()
        } else if aggregate_ok {
            self.placement_shortfall(key)
        } else {
            shortfall(
                &need.total,
                &self.cluster.free_total,
                &self.cluster.cap_total,
            )
        };
        let make_top = match self.config.policy {
            Policy::Fifo => false,
            Policy::EasyBackfill { depth } => (self.reservations.len() as u32) < depth,
        };
        if make_top {
            let job = &self.jobs[&key];
            let reused = self.estimate_still_best(key);
            let found = if reused {
                job.estimate.clone()
            } else {
                self.stats.reservations_computed += 1;
                reserve(
                    &self.cluster,
                    &self.jobs,
                    &self.running,
                    job,
                    &self.reservations,
                    now,
                    self.config.exit_delay,
                )
            };
            let job = self.jobs.get_mut(&key).expect("queued job exists");
            job.comment = reason;
            if job.estimate != found {
                // A moved reservation may unblock jobs found blocked before it moved.
                self.release_clock += 1;
                self.reservations_changed = self.release_clock;
                job.estimate_stamp = self.release_clock;
            } else if !reused {
                // Recomputed and unchanged: it is as good as new.
                job.estimate_stamp = self.release_clock;
            }
            job.estimate = found.clone();
            if let Some((start, alloc)) = found {
                let mut nodes: Vec<NodeIdx> = alloc.iter().map(|s| s.node).collect();
                nodes.sort_unstable();
                nodes.dedup();
                for &n in &nodes {
                    let r = &mut self.reserved_from[n as usize];
                    *r = (*r).min(start);
                }
                let end = start.saturating_add(job.need.walltime + self.config.exit_delay);
                self.log(EngineEvent::Estimated { key, start });
                self.reservations.push(Reservation {
                    key,
                    start,
                    end,
                    nodes,
                });
            }
        } else {
            let job = self.jobs.get_mut(&key).expect("queued job exists");
            job.estimate = None;
            job.comment = if conflicted.get() {
                Comment::WouldConflict
            } else {
                reason
            };
        }
    }

    /// Whether the first top job's estimate would come out the same if recomputed: it is
    /// still in the future, no node changed state and nothing was released on a node the
    /// job could use since it was computed. (Backfilled jobs never take its nodes, and the
    /// projection only ever improves on releases.) Nor may a job have started there with
    /// no reservation in place: a top job ahead of it that started early, on nodes of its
    /// own choosing, or a job that overtook it, was not bound by this job's estimate.
    fn estimate_still_best(&self, key: JobKey) -> bool {
        let job = &self.jobs[&key];
        let Some((start, _)) = &job.estimate else {
            return false;
        };
        let stamp = job.estimate_stamp;
        let unchanged = |c: usize| self.class_released[c] <= stamp && self.class_taken[c] <= stamp;
        self.reservations.is_empty()
            && *start >= self.now
            && stamp >= self.nodes_changed
            && match job.eligible {
                Some(mask) => mask_classes(mask).all(unchanged),
                None => eligible_classes(&self.cluster, &job.need)
                    .into_iter()
                    .all(|c| unchanged(c as usize)),
            }
    }

    /// Whether a job found blocked before is surely still blocked: since then no node
    /// changed state, no reservation moved, and nothing was released on a class it could
    /// use (starting other jobs only ever takes resources away).
    fn still_blocked(&self, key: JobKey) -> bool {
        let job = &self.jobs[&key];
        let (Some(stamp), Some(mask)) = (job.blocked_stamp, job.eligible) else {
            return false;
        };
        if self.nodes_changed > stamp {
            return false;
        }
        // A reservation that kept it off a node may have moved or gone (while a pass
        // rebuilds them, that is not known yet). Reservations appearing only restrict.
        if job.blocked_by_claims && (self.reservations_changed > stamp || self.settling) {
            return false;
        }
        mask_classes(mask).all(|c| self.class_released[c] <= stamp)
    }

    /// Why a job that fits in aggregate found no nodes.
    fn placement_shortfall(&self, key: JobKey) -> Comment {
        let need = &self.jobs[&key].need;
        if need.chunks.len() != 1 || need.chunks[0].count != 1 {
            return Comment::NotEnoughNodes { never: false };
        }
        let chunk = &need.chunks[0];
        let mut best_free = 0u32;
        let mut best_total = 0u32;
        for (c, class) in self.cluster.classes.iter().enumerate() {
            if !self.cluster.class_fits(c as u16, chunk) {
                continue;
            }
            best_total = best_total.max(class.cap.ncpus);
            if let Some(&(free, _)) = class.avail.iter().next_back() {
                best_free = best_free.max(free);
            }
        }
        if best_free < chunk.res.ncpus {
            Comment::Insufficient {
                never: false,
                resource: "ncpus",
                requested: u64::from(chunk.res.ncpus),
                available: u64::from(best_free),
                total: u64::from(best_total),
            }
        } else {
            Comment::NotEnoughNodes { never: false }
        }
    }

    /// Starts a queued job on `alloc`.
    pub(super) fn start(&mut self, key: JobKey, alloc: Allocation) {
        self.unindex(key);
        let now = self.now;
        let sk = self.sort_key(key);
        let job = self.jobs.get_mut(&key).expect("job to start exists");
        self.queued.remove(&sk);
        self.cluster.allocate(key, &alloc, job.need.excl);
        job.state = JobState::Running;
        job.substate = 42;
        job.started = Some(now);
        job.run_count += 1;
        job.comment = Comment::Ran { at: now, end: None };
        job.estimate = None;
        let wall = job.need.walltime;
        let (runs_for, killed) = match job.behaviour.runtime {
            Some(r) if r <= wall => (r, false),
            _ => (wall, true),
        };
        let nodes = alloc.iter().map(|s| s.node).collect();
        if self.reservations.is_empty() {
            self.release_clock += 1;
            for slot in &alloc {
                let class = self.cluster.nodes[slot.node as usize].class;
                self.class_taken[class as usize] = self.release_clock;
            }
        }
        self.running.insert(
            &self.cluster,
            &alloc,
            now.saturating_add(wall + self.config.exit_delay),
            key,
        );
        job.alloc = Some(alloc);
        self.queue_running[job.queue] += 1;
        self.stats.started += 1;
        self.stats.waits.push(now - job.queued_at);
        let run = job.run_count;
        self.push_event(
            now.saturating_add(runs_for),
            Event::End {
                key,
                run,
                walltime_kill: killed,
            },
        );
        self.log(EngineEvent::Started { key, nodes });
    }
}

/// `Insufficient amount of resource` for the first consumable the free total lacks.
fn shortfall(need: &Res, free: &Res, total: &Res) -> Comment {
    let (resource, requested, available, total) = if need.ncpus > free.ncpus {
        (
            "ncpus",
            u64::from(need.ncpus),
            u64::from(free.ncpus),
            u64::from(total.ncpus),
        )
    } else if need.mem_kb > free.mem_kb {
        ("mem", need.mem_kb, free.mem_kb, total.mem_kb)
    } else {
        (
            "ngpus",
            u64::from(need.ngpus),
            u64::from(free.ngpus),
            u64::from(total.ngpus),
        )
    };
    Comment::Insufficient {
        never: false,
        resource,
        requested,
        available,
        total,
    }
}

/// A job of several identical chunks, not pinned, not packed: how many of its chunks fit
/// is a count that only nodes gaining room can raise.
fn uniform_chunks(need: &JobNeed) -> bool {
    need.chunks.len() == 1
        && need.chunks[0].count > 1
        && need.chunks[0].pin.is_none()
        && need.arrangement != Arrangement::Pack
}

/// Whether a node of `class` could ever hold `chunk`, the only chunk kind of its job: the
/// job's class mask says so at the cost of a bit test.
fn fits_class(
    cluster: &super::cluster::Cluster,
    eligible: Option<u64>,
    class: u16,
    chunk: &super::cluster::ChunkNeed,
) -> bool {
    match eligible {
        Some(mask) => mask & (1 << class) != 0,
        None => cluster.class_fits(class, chunk),
    }
}
