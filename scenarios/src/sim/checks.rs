//! The properties: safety invariants checked as the run goes (those that tolerate a
//! transient mismatch get the scenario's `grace`), liveness checked once faults stop, and
//! the scenario's SLOs at the end.

use std::collections::{BTreeMap, BTreeSet};

use drivers::{JobId, JobState};
use hub::spawner::{FailReason, ServerKey, ServerState};
use pbs_sim::engine::cluster::NodeIdx;
use pbs_sim::engine::job::JobKey;
use pbs_sim::engine::res::Res;

use super::World;
use crate::report::model::{PropertyKind, PropertyResult, Violation};

/// Every property the runner knows, with its kind and what it says.
pub const PROPERTIES: &[(&str, PropertyKind, &str)] = &[
    ("no_job_forgotten", PropertyKind::Safety,
     "every live job the hub submitted is tracked by a server (within the grace period)"),
    ("no_delete_on_unknown", PropertyKind::Safety,
     "the hub never deletes a job because the scheduler could not answer about it"),
    ("routes_match_servers", PropertyKind::Safety,
     "every running server is routed to its address and no route outlives its server (within the grace period)"),
    ("no_node_oversubscribed", PropertyKind::Safety,
     "no node ever holds more cores, memory or GPUs than it has"),
    ("invalid_input_refused", PropertyKind::Safety,
     "form input that is wrong is refused before anything reaches qsub, and valid input is accepted"),
    ("walltime_warned", PropertyKind::Safety,
     "a server killed at its walltime showed its user the time-left warning first"),
    ("failures_explained", PropertyKind::Safety,
     "every failed spawn carries a reason the user can read"),
    ("settles", PropertyKind::Liveness,
     "once faults stop, every server agrees with the scheduler and the proxy within the settle bound"),
];

/// One property's tally.
#[derive(Debug, Clone, Default)]
struct Tally {
    violations: u64,
    first: Option<Violation>,
    measured: Option<String>,
    /// An SLO's verdict (SLOs are not violations counted over time).
    slo_passed: Option<bool>,
}

/// What the checks have seen so far.
#[derive(Debug, Default)]
pub struct Checks {
    tallies: BTreeMap<String, Tally>,
    skip: Vec<String>,
    grace_ms: u64,
    /// Live hub jobs no server tracks, since when.
    untracked_since: BTreeMap<JobKey, u64>,
    /// Jobs already reported as forgotten (one violation each).
    forgotten: BTreeSet<JobKey>,
    /// Route specs that disagree with their server, since when.
    mismatch_since: BTreeMap<String, u64>,
    /// Specs already reported (one violation per stretch).
    mismatch_reported: BTreeSet<String>,
    /// The last simulated second the windowed checks ran in.
    last_checked_s: Option<u64>,
    /// Since when everything has agreed, once faults stopped.
    pub settled_since: Option<u64>,
    /// Why the last liveness check failed.
    pub unsettled_because: Option<String>,
    /// SLO results, in order: (name, description, passed, measured).
    slos: Vec<(String, String, bool, String)>,
}

impl Checks {
    /// Checks with the scenario's grace and skipped invariants.
    pub fn new(grace_ms: u64, skip: Vec<String>) -> Checks {
        Checks {
            grace_ms,
            skip,
            ..Checks::default()
        }
    }

    /// Counts a violation of `name` (unless the scenario skips it).
    pub fn violate(&mut self, name: &str, at_ms: u64, message: String) {
        if self.skip.iter().any(|s| s == name) {
            return;
        }
        let tally = self.tallies.entry(name.to_string()).or_default();
        tally.violations += 1;
        if tally.first.is_none() {
            tally.first = Some(Violation {
                at_s: at_ms / 1000,
                message,
            });
        }
    }

    /// The hub sent a `qdel` because of an `Unknown` answer.
    pub fn delete_on_unknown(&mut self, at: u64, key: &ServerKey, job: &JobId) {
        self.violate(
            "no_delete_on_unknown",
            at,
            format!("{key}: qdel {job} after qstat could not answer about it"),
        );
    }

    /// The form accepted input that is wrong.
    pub fn invalid_input_accepted(
        &mut self,
        at: u64,
        key: &ServerKey,
        options: &BTreeMap<String, String>,
    ) {
        self.violate(
            "invalid_input_refused",
            at,
            format!("{key}: the form accepted {options:?}"),
        );
    }

    /// A `qsub` was built from input that is wrong.
    pub fn invalid_input_submitted(&mut self, at: u64, key: &ServerKey) {
        self.violate(
            "invalid_input_refused",
            at,
            format!("{key}: a qsub was sent for form input that should have been refused"),
        );
    }

    /// The form refused a scenario's valid choice.
    pub fn valid_input_refused(&mut self, at: u64, key: &ServerKey, errors: &str) {
        self.violate(
            "invalid_input_refused",
            at,
            format!("{key}: the form refused valid input: {errors}"),
        );
    }

    /// A spawn failed; its reason must say something.
    pub fn failure_explained(&mut self, at: u64, key: &ServerKey, message: &str) {
        if message.trim().is_empty() {
            self.violate(
                "failures_explained",
                at,
                format!("{key} failed with no reason"),
            );
        }
    }

    /// A node holds more than it has.
    pub fn oversubscribed(&mut self, at: u64, node: &str, used: Res, cap: Res) {
        self.violate(
            "no_node_oversubscribed",
            at,
            format!("{node} holds {used:?} of {cap:?}"),
        );
    }

    /// Records an SLO's verdict.
    pub fn slo(&mut self, name: &str, description: String, passed: bool, measured: String) {
        self.slos
            .push((name.to_string(), description, passed, measured));
    }

    /// Every property's result, invariants in their fixed order then the SLOs.
    pub fn results(&self) -> Vec<PropertyResult> {
        let mut out: Vec<PropertyResult> = PROPERTIES
            .iter()
            .filter(|(name, _, _)| !self.skip.iter().any(|s| s == name))
            .map(|(name, kind, description)| {
                let tally = self.tallies.get(*name).cloned().unwrap_or_default();
                PropertyResult {
                    name: name.to_string(),
                    kind: *kind,
                    description: description.to_string(),
                    passed: tally.violations == 0 && tally.slo_passed.unwrap_or(true),
                    violations: tally.violations,
                    first_violation: tally.first,
                    measured: tally.measured,
                }
            })
            .collect();
        for (name, description, passed, measured) in &self.slos {
            out.push(PropertyResult {
                name: name.clone(),
                kind: PropertyKind::Slo,
                description: description.clone(),
                passed: *passed,
                violations: u64::from(!passed),
                first_violation: None,
                measured: Some(measured.clone()),
            });
        }
        out
    }
}

impl World<'_> {
    /// The windowed safety checks, at most once per simulated second: forgotten jobs and
    /// routes, each allowed to disagree for the grace period.
    pub fn check_windows(&mut self) {
        let second = self.now / 1000;
        if self.checks.last_checked_s == Some(second) {
            return;
        }
        self.checks.last_checked_s = Some(second);
        self.check_forgotten();
        self.check_routes();
    }

    /// The engine keys of the jobs the hub's servers track, and of those a failure names
    /// as left alone for their user (several candidates for one interrupted submit: the
    /// hub knows them and says so, it just will not guess which to keep).
    fn tracked_keys(&self) -> BTreeSet<JobKey> {
        let named = |state: &ServerState| -> Vec<JobId> {
            match state {
                ServerState::Failed {
                    reason: FailReason::SubmitAmbiguous { jobs },
                    ..
                } => jobs.clone(),
                other => other.job().cloned().into_iter().collect(),
            }
        };
        self.hub
            .servers
            .values()
            .flat_map(|e| named(&e.state))
            .filter_map(|id| self.job_keys.get(&id).copied())
            .collect()
    }

    fn check_forgotten(&mut self) {
        let tracked = self.tracked_keys();
        let now = self.now;
        let grace = self.checks.grace_ms;
        let mut late = Vec::new();
        self.checks
            .untracked_since
            .retain(|key, _| !tracked.contains(key));
        for key in &self.live_hub_jobs {
            if tracked.contains(key) {
                continue;
            }
            let since = *self.checks.untracked_since.entry(*key).or_insert(now);
            if now.saturating_sub(since) > grace && !self.checks.forgotten.contains(key) {
                late.push(*key);
            }
        }
        for key in late {
            self.checks.forgotten.insert(key);
            let id = self.engine.job_id(key);
            let server = self
                .jobs
                .get(&key)
                .map(ToString::to_string)
                .unwrap_or_default();
            let message = format!("job {id} of {server} is alive and no server tracks it");
            self.checks.violate("no_job_forgotten", now, message);
        }
    }

    /// Specs whose route disagrees with the hub's servers now, with why.
    fn route_mismatches(&self) -> BTreeMap<String, String> {
        let mut wrong = BTreeMap::new();
        for (key, entry) in &self.hub.servers {
            let spec = &entry.spec;
            let routed = self.proxy.routes.get(spec);
            match &entry.state {
                ServerState::Running { url, job, .. } => {
                    if routed != Some(url) {
                        let why = format!("{key} runs at {url}; the proxy has {routed:?}");
                        wrong.insert(spec.clone(), why);
                    } else if let Some(host) = self.current_host(job) {
                        // The route must lead to the job's current run: a job rerun on
                        // another node (after a node failure) serves from there.
                        if !url.contains(&format!("//{host}:")) {
                            let why =
                                format!("{key} is routed to {url} but its job now runs on {host}");
                            wrong.insert(spec.clone(), why);
                        }
                    }
                }
                state if state.is_spawning() => {}
                state => {
                    if let Some(target) = routed {
                        let name = state.name();
                        let why = format!("route to {target} for {key}, which is {name}");
                        wrong.insert(spec.clone(), why);
                    }
                }
            }
        }
        let specs: BTreeSet<&str> = self.hub.servers.values().map(|e| e.spec.as_str()).collect();
        for spec in self.proxy.routes.keys() {
            if !specs.contains(spec.as_str()) {
                wrong.insert(spec.clone(), format!("route {spec} has no server"));
            }
        }
        wrong
    }

    /// The first node of `job`'s current run, if it runs.
    fn current_host(&self, job: &JobId) -> Option<&str> {
        let job = self.engine.job(*self.job_keys.get(job)?)?;
        if job.state != JobState::Running {
            return None;
        }
        let node = job.alloc.as_ref()?.first()?.node;
        Some(self.engine.cluster().nodes[node as usize].def.name.as_str())
    }

    fn check_routes(&mut self) {
        let wrong = self.route_mismatches();
        let now = self.now;
        let grace = self.checks.grace_ms;
        self.checks
            .mismatch_since
            .retain(|spec, _| wrong.contains_key(spec));
        self.checks
            .mismatch_reported
            .retain(|spec| wrong.contains_key(spec));
        for (spec, why) in wrong {
            let since = *self
                .checks
                .mismatch_since
                .entry(spec.clone())
                .or_insert(now);
            if now.saturating_sub(since) > grace && !self.checks.mismatch_reported.contains(&spec) {
                self.checks.mismatch_reported.insert(spec);
                self.checks.violate("routes_match_servers", now, why);
            }
        }
    }

    /// Checks the nodes a job just started on: what their jobs hold fits what they have.
    pub fn check_nodes(&mut self, nodes: &[NodeIdx]) {
        for &n in nodes {
            let node = &self.engine.cluster().nodes[n as usize];
            let mut used = Res::default();
            for key in &node.jobs {
                let Some(alloc) = self.engine.job(*key).and_then(|j| j.alloc.as_ref()) else {
                    continue;
                };
                for slot in alloc.iter().filter(|s| s.node == n) {
                    used.ncpus += slot.res.ncpus;
                    used.mem_kb += slot.res.mem_kb;
                    used.ngpus += slot.res.ngpus;
                }
            }
            let cap = node.cap;
            if used.ncpus > cap.ncpus || used.mem_kb > cap.mem_kb || used.ngpus > cap.ngpus {
                let name = node.def.name.clone();
                self.checks.oversubscribed(self.now, &name, used, cap);
            }
        }
    }

    /// Liveness: does everything agree now? `None` if it does, else the first reason.
    pub fn disagreement(&self) -> Option<String> {
        let poll = super::ms(self.s.hub.poll_interval) / 1000 + 2;
        let start_timeout = super::ms(self.s.hub.start_timeout) / 1000;
        let engine_now = self.engine_now();
        for (key, entry) in &self.hub.servers {
            let job = entry
                .state
                .job()
                .and_then(|id| self.job_keys.get(id))
                .and_then(|k| self.engine.job(*k));
            let started_ago = job
                .and_then(|j| j.started)
                .map(|s| engine_now.saturating_sub(s));
            let ok = match &entry.state {
                ServerState::Stopped { .. } | ServerState::Failed { .. } => true,
                ServerState::Queued { .. } => job.is_some_and(|j| {
                    !j.state.holds_nodes() && !j.state.is_final()
                        || started_ago.is_some_and(|a| a <= 2 * poll)
                }),
                ServerState::Starting { .. } => job.is_some_and(|j| {
                    j.state == JobState::Running
                        && started_ago.is_some_and(|a| a <= start_timeout + 2 * poll)
                }),
                ServerState::Running { .. } => job.is_some_and(|j| j.state == JobState::Running),
                _ => false,
            };
            if !ok {
                let seen = job.and_then(|j| j.state.letter()).map(String::from);
                return Some(format!(
                    "{key} is {} while its job is {}",
                    entry.state.name(),
                    seen.unwrap_or_else(|| "unknown to PBS".into())
                ));
            }
        }
        let tracked = self.tracked_keys();
        if let Some(key) = self.live_hub_jobs.iter().find(|k| !tracked.contains(k)) {
            return Some(format!(
                "job {} is alive and no server tracks it",
                self.engine.job_id(*key)
            ));
        }
        self.route_mismatches().into_values().next()
    }

    /// The liveness check at one moment after faults stopped.
    pub fn check_settled(&mut self) {
        match self.disagreement() {
            None => {
                if self.checks.settled_since.is_none() {
                    self.checks.settled_since = Some(self.now);
                }
                self.checks.unsettled_because = None;
            }
            Some(why) => {
                self.checks.settled_since = None;
                self.checks.unsettled_because = Some(why);
            }
        }
    }

    /// The end of the run: the liveness verdict.
    pub fn finish_liveness(&mut self) {
        self.check_settled();
        if let Some(why) = self.checks.unsettled_because.clone() {
            let at = self.now;
            self.checks.violate(
                "settles",
                at,
                format!("not settled at the end of the run: {why}"),
            );
        }
    }
}
