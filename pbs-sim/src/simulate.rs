//! `pbs-sim simulate`: a workload through the engine, as fast as the engine goes, with the
//! figures a site looks at (waits, utilization) and the figures we tune (jobs per second).

use crate::engine::job::{Behaviour, SubmitRequest};
use crate::engine::Engine;
use crate::workload::WorkloadJob;

/// What a simulation run measured. Everything here is deterministic for a given engine
/// configuration and workload; host timings are the caller's.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Jobs offered by the workload.
    pub offered: u64,
    /// Jobs the server refused at submission (limits, routing), as `qsub` would.
    pub rejected: u64,
    /// Jobs accepted.
    pub accepted: u64,
    /// Jobs that ended after running.
    pub completed: u64,
    /// Jobs killed at their walltime.
    pub walltime_killed: u64,
    /// Jobs still queued when everything else had finished (requests the cluster can never
    /// satisfy).
    pub never_ran: u64,
    /// Simulated seconds from the first submission to the last job end.
    pub makespan: u64,
    /// Mean wait from queued to start, seconds.
    pub wait_mean: f64,
    /// Median wait, seconds.
    pub wait_median: u64,
    /// 95th percentile wait, seconds.
    pub wait_p95: u64,
    /// CPU-seconds used by jobs over CPU-seconds available during the makespan.
    pub utilization: f64,
}

/// Runs `workload` through `engine` to the end: every job submitted at its offset from the
/// engine's current time, then time advanced until no event is left. `progress` is called
/// with the number of jobs submitted so far, every `progress_every` jobs.
pub fn run<E>(
    engine: &mut Engine,
    workload: impl IntoIterator<Item = Result<WorkloadJob, E>>,
    progress_every: u64,
    mut progress: impl FnMut(u64),
) -> Result<Outcome, E> {
    let start = engine.now();
    let mut offered = 0u64;
    let mut rejected = 0u64;
    let mut last_submit = start;
    for job in workload {
        let job = job?;
        let now = start.saturating_add(job.submit_offset).max(last_submit);
        last_submit = now;
        let request = SubmitRequest {
            owner: job.owner,
            name: "sim".to_string(),
            queue: job.queue,
            resources: job.resources,
            behaviour: Behaviour {
                runtime: Some(job.runtime),
                exit_status: job.exit_status,
                external: false,
            },
            hold: false,
            rerunnable: true,
        };
        offered += 1;
        if engine.submit(now, request).is_err() {
            rejected += 1;
        }
        if progress_every > 0 && offered % progress_every == 0 {
            progress(offered);
        }
    }
    while let Some(t) = engine.next_event_time() {
        engine.advance_to(t);
    }
    let end = engine.now();
    let stats = engine.stats();
    let mut waits = stats.waits.clone();
    waits.sort_unstable();
    let pick = |q: f64| -> u64 {
        if waits.is_empty() {
            0
        } else {
            let i = ((waits.len() - 1) as f64 * q).round() as usize;
            waits[i]
        }
    };
    let wait_mean = if waits.is_empty() {
        0.0
    } else {
        waits.iter().map(|&w| w as f64).sum::<f64>() / waits.len() as f64
    };
    let makespan = end - start;
    let capacity = f64::from(engine.cluster().cap_total.ncpus) * makespan as f64;
    let never_ran = engine.queued_in_order().count() as u64;
    Ok(Outcome {
        offered,
        rejected,
        accepted: stats.submitted,
        completed: stats.completed,
        walltime_killed: stats.walltime_killed,
        never_ran,
        makespan,
        wait_mean,
        wait_median: pick(0.5),
        wait_p95: pick(0.95),
        utilization: if capacity > 0.0 {
            stats.cpu_seconds as f64 / capacity
        } else {
            0.0
        },
    })
}
