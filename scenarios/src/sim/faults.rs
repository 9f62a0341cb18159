//! Injecting the scenario's faults: windows that change how the scheduler answers, and
//! instant ones (a crash, nodes down, an administrator's `qdel`).

use std::collections::BTreeSet;

use pbs_sim::engine::cluster::NodeIdx;
use rand::seq::SliceRandom;
use rand::Rng;

use super::event::Ev;
use super::{ms, World};
use crate::report::model::FaultSpan;
use crate::spec::FaultKind;

/// The faults in effect.
#[derive(Debug, Default)]
pub struct FaultState {
    /// Indexes of the windowed faults now on.
    pub active: BTreeSet<usize>,
    /// The scenario's faults (a copy, so queries need no scenario).
    pub kinds: Vec<FaultKind>,
    /// Nodes each node-failure fault took down, by fault index.
    pub downed: Vec<Vec<NodeIdx>>,
    /// Where each fault's span is in the report's list.
    pub span_of: Vec<Option<usize>>,
}

impl FaultState {
    /// The faults of a scenario, none on yet.
    pub fn new(kinds: Vec<FaultKind>) -> FaultState {
        let n = kinds.len();
        FaultState {
            active: BTreeSet::new(),
            kinds,
            downed: vec![Vec::new(); n],
            span_of: vec![None; n],
        }
    }

    fn on(&self) -> impl Iterator<Item = &FaultKind> {
        self.active.iter().map(|&i| &self.kinds[i])
    }

    /// `qstat` does not answer.
    pub fn qstat_down(&self) -> bool {
        self.on()
            .any(|f| matches!(f, FaultKind::QstatOutage { .. }))
    }

    /// Extra time a `qstat` takes, ms.
    pub fn qstat_delay_ms(&self) -> u64 {
        self.on()
            .filter_map(|f| match f {
                FaultKind::QstatSlow { delay, .. } => Some(ms(*delay)),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The share of jobs missing from a `qstat` answer.
    pub fn qstat_missing_share(&self) -> f64 {
        self.on()
            .filter_map(|f| match f {
                FaultKind::QstatTruncated { share, .. } => Some(*share),
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// The share of `qsub`s refused, and whether the refusal is transient.
    pub fn qsub_reject(&self) -> Option<(f64, bool)> {
        self.on().find_map(|f| match f {
            FaultKind::QsubReject {
                share, transient, ..
            } => Some((*share, *transient)),
            _ => None,
        })
    }

    /// The share of notebook jobs that die early.
    pub fn job_death_share(&self) -> f64 {
        self.on()
            .filter_map(|f| match f {
                FaultKind::JobDeath { share, .. } => Some(*share),
                _ => None,
            })
            .fold(0.0, f64::max)
    }
}

impl World<'_> {
    /// Schedules every fault's beginning.
    pub fn schedule_faults(&mut self) {
        for (index, fault) in self.s.faults.iter().enumerate() {
            self.queue.push(ms(fault.at()), Ev::FaultBegins { index });
        }
    }

    /// The `index`-th fault begins.
    pub fn fault_begins(&mut self, index: usize) {
        let fault = self.faults.kinds[index].clone();
        let end_of_safety = ms(self.s.duration);
        let now = self.now;
        let window = |lasts: hub::config::HumanDuration| (now + ms(lasts)).min(end_of_safety);
        let mut detail = String::new();
        let mut ends = None;
        match &fault {
            FaultKind::QstatOutage { lasts, .. }
            | FaultKind::QstatSlow { lasts, .. }
            | FaultKind::QstatTruncated { lasts, .. }
            | FaultKind::QsubReject { lasts, .. }
            | FaultKind::JobDeath { lasts, .. } => {
                self.faults.active.insert(index);
                ends = Some(window(*lasts));
            }
            FaultKind::NodeFailure {
                count,
                lasts,
                under_notebooks,
                ..
            } => {
                let nodes = self.pick_nodes(*count as usize, *under_notebooks);
                let now = self.engine_now();
                for &n in &nodes {
                    self.engine.set_node_down(now, n, true);
                }
                self.counts.node_failures += nodes.len() as u64;
                detail = format!("{} nodes", nodes.len());
                self.faults.downed[index] = nodes;
                ends = lasts.map(window);
            }
            FaultKind::HubCrash { restart_after, .. } => {
                self.crash_hub();
                ends = Some(self.now + ms(*restart_after));
            }
            FaultKind::ProxyRestart { down_for, .. } => {
                self.proxy.crash();
                self.counts.proxy_restarts += 1;
                ends = Some(self.now + ms(*down_for));
            }
            FaultKind::OutsideQdel { count, .. } => {
                let deleted = self.outside_qdel(*count as usize);
                detail = format!("{deleted} jobs");
            }
        }
        let from_s = self.now / 1000;
        self.faults.span_of[index] = Some(self.rec.faults.len());
        self.rec.faults.push(FaultSpan {
            kind: fault.name().to_string(),
            from_s,
            to_s: from_s,
            detail,
        });
        if let Some(at) = ends {
            self.queue.push(at, Ev::FaultEnds { index });
        }
    }

    /// The `index`-th fault's effect ends.
    pub fn fault_ends(&mut self, index: usize) {
        self.faults.active.remove(&index);
        match &self.faults.kinds[index] {
            FaultKind::NodeFailure { .. } => {
                let now = self.engine_now();
                for n in std::mem::take(&mut self.faults.downed[index]) {
                    self.engine.set_node_down(now, n, false);
                }
            }
            FaultKind::HubCrash { .. } => self.restart_hub(),
            FaultKind::ProxyRestart { .. } => self.proxy.up = true,
            _ => {}
        }
        if let Some(span) = self.faults.span_of[index] {
            self.rec.faults[span].to_s = self.now / 1000;
        }
    }

    /// The safety phase is over: every fault window closes now.
    pub fn end_fault_windows(&mut self) {
        let on: Vec<usize> = self.faults.active.iter().copied().collect();
        for index in on {
            self.fault_ends(index);
        }
    }

    /// `count` nodes to fail: those under notebooks first when asked, then drawn at random.
    fn pick_nodes(&mut self, count: usize, under_notebooks: bool) -> Vec<NodeIdx> {
        let mut picked: Vec<NodeIdx> = Vec::new();
        if under_notebooks {
            for key in self.live_hub_jobs.iter() {
                let Some(alloc) = self.engine.job(*key).and_then(|j| j.alloc.as_ref()) else {
                    continue;
                };
                for slot in alloc {
                    if picked.len() < count && !picked.contains(&slot.node) {
                        picked.push(slot.node);
                    }
                }
            }
        }
        let total = self.engine.cluster().nodes.len() as NodeIdx;
        let mut tries = 0;
        while picked.len() < count && tries < count * 20 {
            tries += 1;
            let n = self.rng.gen_range(0..total);
            let down = self.engine.cluster().nodes[n as usize].down;
            if !down && !picked.contains(&n) {
                picked.push(n);
            }
        }
        picked
    }

    /// An administrator deletes up to `count` notebook jobs; returns how many.
    fn outside_qdel(&mut self, count: usize) -> usize {
        let mut live: Vec<u64> = self.live_hub_jobs.iter().copied().collect();
        live.shuffle(&mut self.rng);
        let now = self.engine_now();
        let mut deleted = 0;
        for key in live.into_iter().take(count) {
            if self.engine.delete(now, key).is_ok() {
                deleted += 1;
            }
        }
        self.counts.outside_deletes += deleted as u64;
        deleted
    }
}
