//! Property tests of the simulated PBS server and scheduler.
//!
//! Each case draws a small heterogeneous cluster (1–12 nodes), a policy (FIFO, or strict
//! ordering with EASY backfill at depth 0, 1 or 2) and a script of 20–200 submissions
//! interleaved with deletes, holds, releases and node failures, then drives an engine
//! through it, checking after **every** call:
//!
//! 1. no node holds more than its capacity, and free = capacity − what running jobs hold;
//!    an exclusive job's nodes hold nothing else;
//! 2. every start puts each chunk on a node that has its amounts and attributes, one node
//!    per chunk, scatter on distinct nodes, pack on one, never on a down or offline node;
//! 3. no job runs past its walltime, and each ends exactly when its script or walltime does;
//! 4. under EASY backfill, a job heading the queue starts no later than its estimate;
//! 5. once faults stop, following the engine's events finishes every job that can run;
//! 6. the same input gives the same event log and job table;
//! 7. the in-process `SimScheduler`, on a paused tokio clock, reports jobs consistently
//!    with their walltimes through the `drivers::Scheduler` trait.
//!
//! Also checked on the way: under FIFO a waiting one-chunk job never fits anywhere now;
//! under strict ordering (depth 0) nothing starts while a runnable job ahead of it waits;
//! the queue, the job table and the log agree; qdel/qhold/qrls answer as PBS does.
//!
//! A failure prints the step that broke the invariant and the whole (shrunk) scenario as a
//! script; proptest also records its seed in `engine_properties.proptest-regressions`, replayed
//! first on the next run. Cases default to
//! 256 per property (128 for the in-process one); set `PROPTEST_CASES` to run more.
//!
//! Layout: `engine_properties/model.rs` generates scenarios, `engine_properties/harness.rs`
//! drives the engine and holds the invariants, `engine_properties/inproc.rs` is property 7.

#[path = "engine_properties/harness.rs"]
mod harness;
#[path = "engine_properties/inproc.rs"]
mod inproc;
#[path = "engine_properties/model.rs"]
mod model;

use pbs_sim::engine::config::Policy;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};

use harness::{Extra, Run};
use model::{all_policies, scenario, Allowed, Scenario};

/// `cases` unless `PROPTEST_CASES` asks for another number.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // Scenarios are long: let shrinking drop most steps before giving up.
        max_shrink_iters: 8192,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

fn fail(e: String) -> TestCaseError {
    TestCaseError::fail(e)
}

proptest! {
    #![proptest_config(config(256))]

    /// Properties 1–3 and 5, under every policy, with every kind of operation and fault: a
    /// safety phase with invariants checked after each call, then a liveness phase.
    #[test]
    fn invariants_hold_under_faults_and_every_job_finishes_after(
        s in scenario(all_policies(), Allowed::ALL)
    ) {
        let mut run = Run::new(&s, Extra::default());
        run.safety().map_err(fail)?;
        run.liveness().map_err(fail)?;
    }

    /// Property 4: under EASY backfill (depth 1 and 2; one queue, no node failures), the
    /// first waiting job always has an estimated start, and starts by the earliest
    /// estimate it was given while at the head. (A released job that overtakes it frees it
    /// from that estimate: it gets a new one.)
    #[test]
    fn easy_backfill_starts_the_head_job_by_its_estimate(
        s in scenario(
            vec![Policy::EasyBackfill { depth: 1 }, Policy::EasyBackfill { depth: 2 }],
            Allowed { deletes: true, holds: true, node_faults: false },
        )
    ) {
        let extra = Extra { head_by_estimate: true };
        let mut run = Run::new(&s, extra);
        run.safety().map_err(fail)?;
        run.liveness().map_err(fail)?;
    }

    /// Property 6: the same scenario, run twice, logs the same events and ends with the
    /// same job table.
    #[test]
    fn the_same_input_gives_the_same_run(s in scenario(all_policies(), Allowed::ALL)) {
        let first = run_to_end(&s)?;
        let second = run_to_end(&s)?;
        prop_assert!(!first.log.is_empty());
        if first.log != second.log {
            let at = first
                .log
                .iter()
                .zip(&second.log)
                .position(|(a, b)| a != b)
                .unwrap_or(first.log.len().min(second.log.len()));
            return Err(fail(format!(
                "the event logs differ (lengths {} and {}), first at event {at}: {:?} vs {:?}",
                first.log.len(),
                second.log.len(),
                first.log.get(at),
                second.log.get(at),
            )));
        }
        prop_assert_eq!(first.table, second.table);
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Property 7: through the `drivers::Scheduler` trait, on a paused tokio clock, every
    /// job shows as queued, running within its walltime, or finished exactly when its
    /// script or walltime ended (or when it was cancelled); after simulated days, all are
    /// finished.
    #[test]
    fn the_in_process_scheduler_reports_jobs_within_their_walltimes(case in inproc::case()) {
        inproc::run(&case).map_err(fail)?;
    }
}

fn run_to_end(s: &Scenario) -> Result<harness::Outcome, TestCaseError> {
    let mut run = Run::new(s, Extra::default());
    run.safety().map_err(fail)?;
    run.liveness().map_err(fail)?;
    Ok(run.outcome())
}

/// A hand-made script that every policy must pass: guards the harness against false
/// alarms, and shows it sees every start.
#[test]
fn a_known_scenario_passes_and_logs_every_start() {
    use model::{Arr, ChunkSpec, JobSpec, NodeSpec, Op, Step};
    let job = |ncpus, walltime, runtime| JobSpec {
        chunks: vec![ChunkSpec {
            count: 1,
            ncpus,
            mem_gb: None,
            ngpus: None,
            interconnect: None,
        }],
        arrangement: Arr::Default,
        excl: false,
        walltime: Some(walltime),
        runtime,
        exit_status: 0,
        hold: false,
        rerunnable: true,
    };
    for policy in all_policies() {
        let s = Scenario {
            nodes: vec![NodeSpec {
                ncpus: 4,
                mem_gb: 8,
                ngpus: 0,
                interconnect: 0,
                priority: 0,
            }],
            policy,
            exit_delay: 0,
            steps: vec![
                Step {
                    gap: 0,
                    op: Op::Submit(job(4, 3600, Some(600))),
                },
                Step {
                    gap: 0,
                    op: Op::Submit(job(2, 3600, None)),
                },
                Step {
                    gap: 10,
                    op: Op::Submit(job(2, 600, Some(7200))),
                },
            ],
        };
        let mut run = Run::new(
            &s,
            Extra {
                head_by_estimate: policy != Policy::Fifo
                    && policy != Policy::EasyBackfill { depth: 0 },
            },
        );
        run.safety().unwrap();
        run.liveness().unwrap();
        let outcome = run.outcome();
        let starts = outcome
            .log
            .iter()
            .filter(|e| matches!(e, pbs_sim::engine::EngineEvent::Started { .. }))
            .count();
        assert_eq!(starts, 3, "{policy:?}: {:?}", outcome.log);
        assert!(outcome
            .table
            .iter()
            .all(|j| j.state == drivers::JobState::Finished));
    }
}
