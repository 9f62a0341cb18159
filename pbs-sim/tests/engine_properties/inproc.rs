//! Property 7: the in-process [`SimScheduler`], driven through the `drivers::Scheduler`
//! trait on a paused tokio clock, reports every job consistently with its walltime while
//! simulated days pass in milliseconds.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use drivers::resources::ResourceList;
use drivers::{JobId, JobName, JobSpec, JobState, JobStatus, Scheduler, UserName};
use pbs_sim::engine::config::{EngineConfig, Policy};
use pbs_sim::engine::job::Behaviour;
use pbs_sim::engine::res::SimTime;
use pbs_sim::inproc::{SimOptions, SimScheduler};
use proptest::prelude::*;

use super::model::{inventory, node_spec, NodeSpec};

/// What one property case does.
#[derive(Debug, Clone)]
pub struct Case {
    pub nodes: Vec<NodeSpec>,
    pub policy: Policy,
    /// Simulated seconds per tokio second.
    pub speedup: f64,
    /// What every job's script does.
    pub runtime: Option<u64>,
    /// `(ncpus, walltime)` of each job, all submitted at the start.
    pub jobs: Vec<(u32, u64)>,
    /// Simulated seconds between status queries.
    pub polls: Vec<u64>,
    /// Cancel job `i % jobs` after this many polls.
    pub cancel: Option<(usize, usize)>,
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(node_spec(), 1..=3),
        prop::sample::select(super::model::all_policies()),
        prop::sample::select(vec![1.0, 60.0, 3600.0]),
        prop::option::weighted(0.7, 60u64..=4 * 3600),
        prop::collection::vec((1u32..=4, 60u64..=6 * 3600), 1..=6),
        prop::collection::vec(1u64..=4 * 3600, 1..=8),
        prop::option::weighted(0.3, (any::<usize>(), 0usize..8)),
    )
        .prop_map(
            |(nodes, policy, speedup, runtime, jobs, polls, cancel)| Case {
                nodes,
                policy,
                speedup,
                runtime,
                jobs,
                polls,
                cancel,
            },
        )
}

fn job_spec(ncpus: u32, walltime: u64) -> JobSpec {
    JobSpec {
        owner: UserName::new("alice").expect("a valid user name"),
        name: JobName::new("notebook").expect("a valid job name"),
        queue: None,
        resources: ResourceList::parse(&[&format!("select=1:ncpus={ncpus},walltime={walltime}")])
            .expect("a valid request"),
        environment: BTreeMap::new(),
        working_dir: PathBuf::from("/home/alice"),
        command: vec!["jupyterhub-singleuser".into()],
    }
}

fn secs(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<SimTime> {
    t.map(|t| t.timestamp() as SimTime)
}

/// Runs the case on a paused current-thread runtime; `Err` says what was inconsistent.
pub fn run(case: &Case) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| format!("no runtime: {e}"))?;
    runtime.block_on(drive(case))
}

async fn drive(case: &Case) -> Result<(), String> {
    let inventory = inventory(&case.nodes);
    // Every job fits the largest node: all of them must finish.
    let largest = case.nodes.iter().map(|n| n.ncpus).max().unwrap_or(1);
    let options = SimOptions {
        speedup: case.speedup,
        start: None,
        behaviour: Behaviour {
            runtime: case.runtime,
            exit_status: 0,
            external: false,
        },
    };
    let sched = SimScheduler::new(EngineConfig::single_queue(case.policy), &inventory, options)
        .map_err(|e| e.to_string())?;
    let submitted_at = sched.now();
    let mut ids: Vec<JobId> = Vec::new();
    let mut walltimes: BTreeMap<JobId, u64> = BTreeMap::new();
    for &(ncpus, walltime) in &case.jobs {
        let id = Scheduler::submit(&sched, &job_spec(ncpus.min(largest), walltime))
            .await
            .map_err(|e| format!("submit: {e}"))?;
        walltimes.insert(id.clone(), walltime);
        ids.push(id);
    }
    let mut cancelled: Option<(JobId, SimTime)> = None;
    // Simulated time is tokio time × speedup, floored to whole seconds; tokio's timer rounds
    // a sleep up to its next millisecond, which the speedup magnifies.
    let slack = 1 + (case.speedup / 1000.0).ceil() as u64;
    let sleep = |sim: u64| tokio::time::sleep(Duration::from_secs_f64(sim as f64 / case.speedup));
    for (i, &poll) in case.polls.iter().enumerate() {
        if let Some((which, after)) = case.cancel {
            if after == i && cancelled.is_none() {
                let id = ids[which % ids.len()].clone();
                let at = sched.now();
                Scheduler::cancel(&sched, &id)
                    .await
                    .map_err(|e| format!("cancel {id}: {e}"))?;
                cancelled = Some((id, at));
            }
        }
        let before = sched.now();
        sleep(poll).await;
        let slept = sched.now() - before;
        if slept + 1 < poll || slept > poll + slack {
            return Err(format!(
                "slept {poll} simulated seconds, the clock moved {slept}"
            ));
        }
        check(
            &sched,
            &ids,
            &walltimes,
            submitted_at,
            case,
            &cancelled,
            false,
        )
        .await?;
    }
    // Long enough for every job to have run one after the other.
    let total: u64 = case.jobs.iter().map(|&(_, w)| w).sum();
    sleep(total + 24 * 3600).await;
    check(
        &sched,
        &ids,
        &walltimes,
        submitted_at,
        case,
        &cancelled,
        true,
    )
    .await
}

async fn check(
    sched: &SimScheduler,
    ids: &[JobId],
    walltimes: &BTreeMap<JobId, u64>,
    submitted_at: SimTime,
    case: &Case,
    cancelled: &Option<(JobId, SimTime)>,
    all_done: bool,
) -> Result<(), String> {
    let now = sched.now();
    let statuses = Scheduler::status(sched, ids).await;
    if statuses.len() != ids.len() {
        return Err(format!(
            "asked about {} jobs, told about {}",
            ids.len(),
            statuses.len()
        ));
    }
    for id in ids {
        let s: &JobStatus = &statuses[id];
        let wall = walltimes[id];
        let started = secs(s.times.started);
        let finished = secs(s.times.finished);
        let fail = |what: &str| Err(format!("t={now}: {id} {what}: {s:?}"));
        if secs(s.times.created) != Some(submitted_at) {
            return fail("was not created when submitted");
        }
        let cancel_time = cancelled.as_ref().filter(|(c, _)| c == id).map(|(_, t)| *t);
        match s.state {
            JobState::Queued if !all_done => {
                if started.is_some() || s.exit_status.is_some() {
                    return fail("is queued but has run");
                }
            }
            JobState::Running if !all_done => {
                let Some(started) = started else {
                    return fail("runs without a start time");
                };
                if now - started > wall {
                    return fail("has run past its walltime");
                }
                if cancel_time.is_some() {
                    return fail("still runs after qdel");
                }
            }
            JobState::Finished => {
                let Some(finished) = finished else {
                    return fail("is finished without an end time");
                };
                match (started, s.exit_status) {
                    (None, None) if cancel_time == Some(finished) => {} // deleted while queued
                    (Some(started), Some(271)) if cancel_time == Some(finished) => {
                        if finished - started > wall {
                            return fail("was deleted after its walltime");
                        }
                    }
                    (Some(started), exit) => {
                        let (ran, expected) = match case.runtime {
                            Some(r) if r <= wall => (r, 0),
                            _ => (wall, -29),
                        };
                        if finished - started != ran || exit != Some(expected) {
                            return fail(&format!("should have run {ran}s and exited {expected}"));
                        }
                    }
                    _ => return fail("ended without running or being deleted"),
                }
            }
            _ => {
                return fail(if all_done {
                    "is not finished after days"
                } else {
                    "is in an odd state"
                })
            }
        }
    }
    Ok(())
}
