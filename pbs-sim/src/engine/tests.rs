//! Scenario-sized unit tests of the engine: each pins one PBS behaviour.

use std::collections::BTreeMap;

use drivers::resources::{Pbse, ResourceList};
use drivers::JobState;

use super::config::{EngineConfig, Policy, QueueDef};
use super::inventory::Inventory;
use super::job::{Behaviour, JobKey, SubmitRequest};
use super::node::NodeDef;
use super::Engine;

const T0: u64 = 1_767_225_600;

fn nodes(count: usize, ncpus: u32) -> Inventory {
    Inventory {
        nodes: (1..=count)
            .map(|i| NodeDef {
                name: format!("n{i:03}"),
                ncpus,
                mem_kb: 64 * 1024 * 1024,
                ngpus: 0,
                priority: 0,
                attributes: BTreeMap::from([("interconnect".to_string(), "1g".to_string())]),
            })
            .collect(),
    }
}

fn engine(inv: &Inventory, policy: Policy) -> Engine {
    Engine::new(EngineConfig::single_queue(policy), inv).unwrap()
}

fn req(select: &str, walltime: &str, runtime: Option<u64>) -> SubmitRequest {
    let list = ResourceList::parse(&[&format!("select={select},walltime={walltime}")]).unwrap();
    SubmitRequest::new(
        "alice",
        "job",
        list,
        Behaviour {
            runtime,
            exit_status: 0,
            external: false,
        },
    )
}

fn state(e: &Engine, k: JobKey) -> JobState {
    e.job(k).unwrap().state
}

fn comment(e: &Engine, k: JobKey) -> String {
    e.comment_text(e.job(k).unwrap()).unwrap_or_default()
}

#[test]
fn a_job_runs_to_completion_with_pbs_comment_and_substate() {
    let inv = nodes(1, 8);
    let mut e = engine(&inv, Policy::Fifo);
    let k = e
        .submit(T0, req("1:ncpus=2", "1:00:00", Some(600)))
        .unwrap();
    assert_eq!(state(&e, k), JobState::Running);
    assert_eq!(
        comment(&e, k),
        "Job run at Thu Jan 01 at 00:00 on (n001:ncpus=2)"
    );
    e.advance_to(T0 + 599);
    assert_eq!(state(&e, k), JobState::Running);
    e.advance_to(T0 + 600);
    let job = e.job(k).unwrap();
    assert_eq!(job.state, JobState::Finished);
    assert_eq!(job.substate, 92);
    assert_eq!(job.exit_status, Some(0));
    assert!(
        comment(&e, k).ends_with(" and finished"),
        "{}",
        comment(&e, k)
    );
    assert_eq!(e.cluster().free_total.ncpus, 8);
}

#[test]
fn walltime_is_enforced_with_exit_status_minus_29() {
    let inv = nodes(1, 8);
    let mut e = engine(&inv, Policy::Fifo);
    let k = e
        .submit(T0, req("1:ncpus=1", "00:10:00", Some(3600)))
        .unwrap();
    e.advance_to(T0 + 600);
    let job = e.job(k).unwrap();
    assert_eq!(job.state, JobState::Finished);
    assert_eq!(job.exit_status, Some(-29));
    assert_eq!(job.substate, 93);
    assert!(comment(&e, k).ends_with(" and exceeded resource walltime"));
    assert_eq!(job.finished, Some(T0 + 600));
}

#[test]
fn a_select_no_node_can_hold_is_accepted_and_can_never_run() {
    let inv = nodes(1, 2);
    let mut e = engine(&inv, Policy::Fifo);
    let k = e.submit(T0, req("1:ncpus=3", "1:00:00", None)).unwrap();
    assert_eq!(state(&e, k), JobState::Queued);
    assert_eq!(
        comment(&e, k),
        "Can Never Run: Insufficient amount of resource: ncpus (R: 3 A: 2 T: 2)"
    );
    let k = e
        .submit(T0, req("1:ncpus=1:interconnect=hdr", "1:00:00", None))
        .unwrap();
    assert_eq!(
        comment(&e, k),
        "Can Never Run: Insufficient amount of resource: interconnect (hdr != 1g)"
    );
    let k = e.submit(T0, req("3:ncpus=1", "1:00:00", None));
    // Three one-CPU chunks fit on one two-CPU node? No: only two slots exist.
    assert_eq!(
        comment(&e, k.unwrap()),
        "Can Never Run: Not enough total nodes available"
    );
}

#[test]
fn a_blocked_job_says_what_it_lacks() {
    let inv = nodes(1, 4);
    let mut e = engine(&inv, Policy::Fifo);
    e.submit(T0, req("1:ncpus=3", "1:00:00", None)).unwrap();
    let k = e.submit(T0, req("1:ncpus=2", "1:00:00", None)).unwrap();
    assert_eq!(
        comment(&e, k),
        "Not Running: Insufficient amount of resource: ncpus (R: 2 A: 1 T: 4)"
    );
}

#[test]
fn unknown_resources_and_queues_get_pbs_errors() {
    let inv = nodes(1, 4);
    let mut e = engine(&inv, Policy::Fifo);
    let err = e
        .submit(T0, req("1:ncpus=1:AMD=1", "1:00:00", None))
        .unwrap_err();
    assert_eq!(err.to_string(), "Unknown resource: AMD");
    assert_eq!(err.exit_code(), 187);
    let mut r = req("1:ncpus=1", "1:00:00", None);
    r.queue = Some("nope".into());
    let err = e.submit(T0, r).unwrap_err();
    assert_eq!(err.code(), Pbse::UnkQue);
    assert_eq!(err.exit_code(), 170);
}

#[test]
fn palmetto_routing_sends_jobs_by_kind_and_rejects_what_no_queue_takes() {
    let mut e = Engine::new(EngineConfig::palmetto(), &Inventory::palmetto()).unwrap();
    let gpu = e
        .submit(T0, req("1:ncpus=4:ngpus=1:gpu_model=v100", "2:00:00", None))
        .unwrap();
    let single = e
        .submit(T0, req("1:ncpus=4:mem=8gb", "2:00:00", None))
        .unwrap();
    let multi = e.submit(T0, req("4:ncpus=8", "2:00:00", None)).unwrap();
    let queue = |e: &Engine, k| e.config().queues[e.job(k).unwrap().queue].name.clone();
    assert_eq!(queue(&e, gpu), "gpu");
    assert_eq!(queue(&e, single), "c1_single");
    assert_eq!(queue(&e, multi), "c2_multi");
    assert_eq!(state(&e, gpu), JobState::Running);
    let err = e
        .submit(T0, req("4:ncpus=8", "100:00:00", None))
        .unwrap_err();
    assert_eq!(err.to_string(), "Job rejected by all possible destinations");
    assert_eq!(err.exit_code(), 191);
    let mut direct = req("4:ncpus=8", "100:00:00", None);
    direct.queue = Some("c2_multi".into());
    let err = e.submit(T0, direct).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Job violates queue and/or server resource limits"
    );
    assert_eq!(err.exit_code(), 188);
}

#[test]
fn delete_in_every_state() {
    let inv = nodes(1, 2);
    let mut e = engine(&inv, Policy::Fifo);
    let running = e.submit(T0, req("1:ncpus=2", "1:00:00", None)).unwrap();
    let queued = e.submit(T0, req("1:ncpus=2", "1:00:00", None)).unwrap();
    e.delete(T0 + 5, queued).unwrap();
    let job = e.job(queued).unwrap();
    assert_eq!(
        (job.state, job.substate, job.exit_status),
        (JobState::Finished, 91, None)
    );
    e.delete(T0 + 10, running).unwrap();
    let job = e.job(running).unwrap();
    assert_eq!(
        (job.state, job.substate, job.exit_status),
        (JobState::Finished, 91, Some(271))
    );
    assert!(comment(&e, running).ends_with(" and terminated by alice@pbs02"));
    assert_eq!(
        e.delete(T0 + 11, running).unwrap_err().code(),
        Pbse::HistJobId
    );
    assert_eq!(e.delete(T0 + 11, 999).unwrap_err().exit_code(), 153);
}

#[test]
fn holds_keep_a_job_from_running_until_released() {
    let inv = nodes(1, 2);
    let mut e = engine(&inv, Policy::Fifo);
    let mut r = req("1:ncpus=1", "1:00:00", None);
    r.hold = true;
    let k = e.submit(T0, r).unwrap();
    assert_eq!(state(&e, k), JobState::Held);
    e.release(T0 + 60, k).unwrap();
    assert_eq!(state(&e, k), JobState::Running);
    assert_eq!(e.job(k).unwrap().started, Some(T0 + 60));
}

#[test]
fn fifo_starts_everything_that_fits_so_big_jobs_wait() {
    let inv = nodes(2, 4);
    let mut e = engine(&inv, Policy::Fifo);
    let a = e
        .submit(T0, req("1:ncpus=4", "1:00:00", Some(3600)))
        .unwrap();
    let big = e.submit(T0, req("2:ncpus=4", "1:00:00", Some(60))).unwrap();
    let small = e
        .submit(T0, req("1:ncpus=2", "10:00:00", Some(36000)))
        .unwrap();
    assert_eq!(state(&e, a), JobState::Running);
    assert_eq!(state(&e, big), JobState::Queued);
    assert_eq!(
        state(&e, small),
        JobState::Running,
        "greedy FIFO jumps the queue"
    );
    assert!(
        e.job(big).unwrap().estimate.is_none(),
        "nothing is calendared"
    );
}

#[test]
fn easy_backfill_reserves_for_the_head_and_backfills_only_what_cannot_delay_it() {
    let inv = nodes(2, 4);
    let mut e = engine(&inv, Policy::EASY);
    let a = e
        .submit(T0, req("1:ncpus=4", "1:00:00", Some(3600)))
        .unwrap();
    let big = e
        .submit(T0, req("2:ncpus=4:mem=1gb", "1:00:00", Some(60)))
        .unwrap();
    let long = e
        .submit(T0, req("1:ncpus=2", "10:00:00", Some(36000)))
        .unwrap();
    let short = e
        .submit(T0, req("1:ncpus=2", "00:30:00", Some(1800)))
        .unwrap();
    assert_eq!(state(&e, a), JobState::Running);
    assert_eq!(state(&e, big), JobState::Queued);
    let est = e.status(big).unwrap().estimated_start.unwrap();
    assert_eq!(est.timestamp() as u64, T0 + 3600);
    assert_eq!(state(&e, long), JobState::Queued);
    assert_eq!(
        comment(&e, long),
        "Not Running: Job would conflict with reservation or top job"
    );
    assert_eq!(
        state(&e, short),
        JobState::Running,
        "ends before the reservation"
    );
    e.advance_to(T0 + 3600);
    assert_eq!(state(&e, big), JobState::Running);
    assert_eq!(e.job(big).unwrap().started, Some(T0 + 3600));
}

#[test]
fn strict_ordering_without_backfill_blocks_everything_behind_the_head() {
    let inv = nodes(2, 4);
    let mut e = engine(&inv, Policy::EasyBackfill { depth: 0 });
    e.submit(T0, req("1:ncpus=4", "1:00:00", Some(3600)))
        .unwrap();
    e.submit(T0, req("2:ncpus=4", "1:00:00", Some(60))).unwrap();
    let small = e
        .submit(T0, req("1:ncpus=1", "00:01:00", Some(60)))
        .unwrap();
    assert_eq!(state(&e, small), JobState::Queued);
    assert_eq!(
        comment(&e, small),
        "Not Running: Job would break strict sorted order"
    );
}

#[test]
fn a_dead_node_requeues_its_rerunnable_jobs_after_node_fail_requeue() {
    let inv = nodes(2, 4);
    let mut e = engine(&inv, Policy::Fifo);
    let k = e.submit(T0, req("1:ncpus=4", "10:00:00", None)).unwrap();
    let node = e.job(k).unwrap().alloc.as_ref().unwrap()[0].node;
    e.set_node_down(T0 + 100, node, true);
    e.advance_to(T0 + 100 + 309);
    assert_eq!(state(&e, k), JobState::Running);
    e.advance_to(T0 + 100 + 310);
    let job = e.job(k).unwrap();
    assert_eq!(
        job.state,
        JobState::Running,
        "requeued and restarted on the other node"
    );
    assert_eq!(job.run_count, 2);
    assert_ne!(job.alloc.as_ref().unwrap()[0].node, node);
}

#[test]
fn finished_jobs_leave_history_after_its_duration() {
    let inv = nodes(1, 2);
    let mut config = EngineConfig::single_queue(Policy::Fifo);
    config.history_duration = 1000;
    let mut e = Engine::new(config, &inv).unwrap();
    let k = e.submit(T0, req("1:ncpus=1", "1:00:00", Some(10))).unwrap();
    e.advance_to(T0 + 10 + 999);
    assert!(e.job(k).is_some());
    e.advance_to(T0 + 10 + 1000);
    assert!(e.job(k).is_none());
}

#[test]
fn exec_host_and_vnode_follow_pbs_formats() {
    let inv = nodes(2, 4);
    let mut e = engine(&inv, Policy::Fifo);
    let k = e
        .submit(T0, req("2:ncpus=2:mem=1gb+1:ncpus=1", "1:00:00", None))
        .unwrap();
    let s = e.status(k).unwrap();
    assert_eq!(
        s.exec_vnode.as_deref(),
        Some("(n001:ncpus=2:mem=1048576kb)+(n001:ncpus=2:mem=1048576kb)+(n002:ncpus=1)")
    );
    assert_eq!(s.exec_host.as_deref(), Some("n001/0*2+n001/1*2+n002/0"));
    assert_eq!(e.job_id(k).as_str(), "1.pbs02");
    assert_eq!(e.key_of("1.pbs02"), Some(1));
    assert_eq!(e.key_of("1"), Some(1));
    assert_eq!(e.key_of("1.other"), None);
}

#[test]
fn queue_max_run_limits_running_jobs() {
    let inv = nodes(1, 8);
    let config = EngineConfig {
        queues: vec![QueueDef {
            max_run: Some(1),
            ..QueueDef::execution("workq", 0)
        }],
        ..EngineConfig::single_queue(Policy::Fifo)
    };
    let mut e = Engine::new(config, &inv).unwrap();
    e.submit(T0, req("1:ncpus=1", "1:00:00", None)).unwrap();
    let k = e.submit(T0, req("1:ncpus=1", "1:00:00", None)).unwrap();
    assert_eq!(state(&e, k), JobState::Queued);
    assert_eq!(
        comment(&e, k),
        "Not Running: Queue workq job limit has been reached."
    );
}

#[test]
fn chunks_that_fit_one_by_one_but_not_together_can_never_run() {
    // Each chunk specification fits the one 9-CPU node, but together they need 10 CPUs.
    let inv = nodes(1, 9);
    let mut e = engine(&inv, Policy::EASY);
    let k = e
        .submit(T0, req("1:ncpus=1+3:ncpus=3", "1:00:00", None))
        .unwrap();
    assert!(e.job(k).unwrap().never_runs);
    assert_eq!(
        comment(&e, k),
        "Can Never Run: Insufficient amount of resource: ncpus (R: 10 A: 9 T: 9)"
    );
    assert!(e.job(k).unwrap().estimate.is_none());
}

#[test]
fn strict_ordering_holds_while_the_head_stays_blocked_across_passes() {
    let mut inv = nodes(2, 4);
    inv.nodes[1]
        .attributes
        .insert("interconnect".into(), "fdr".into());
    let mut e = engine(&inv, Policy::EasyBackfill { depth: 0 });
    e.submit(T0, req("1:ncpus=4:interconnect=1g", "10:00:00", None))
        .unwrap();
    let short = e
        .submit(T0, req("1:ncpus=4:interconnect=fdr", "1:00:00", Some(600)))
        .unwrap();
    let head = e
        .submit(T0, req("1:ncpus=4:interconnect=1g", "1:00:00", None))
        .unwrap();
    let behind = e
        .submit(T0, req("1:ncpus=2:interconnect=fdr", "1:00:00", None))
        .unwrap();
    assert_eq!(state(&e, short), JobState::Running);
    assert_eq!(state(&e, head), JobState::Queued);
    assert_eq!(state(&e, behind), JobState::Queued);
    // The fdr node comes free; nothing the head could use did, so it is still blocked, and
    // the job behind it must keep waiting.
    e.advance_to(T0 + 600);
    assert_eq!(state(&e, head), JobState::Queued);
    assert_eq!(state(&e, behind), JobState::Queued);
    assert_eq!(
        comment(&e, behind),
        "Not Running: Job would break strict sorted order"
    );
}

#[test]
fn a_top_job_displaced_by_a_requeued_job_loses_its_estimate() {
    let inv = nodes(3, 4);
    let mut e = engine(&inv, Policy::EASY);
    let first = e.submit(T0, req("1:ncpus=4", "10:00:00", None)).unwrap();
    e.submit(T0, req("1:ncpus=4", "5:00:00", None)).unwrap();
    e.submit(T0, req("1:ncpus=4", "5:00:00", None)).unwrap();
    let big = e.submit(T0, req("2:ncpus=4", "1:00:00", None)).unwrap();
    // The first job's node dies: `big` can still start when the other two jobs end …
    let node = e.job(first).unwrap().alloc.as_ref().unwrap()[0].node;
    e.set_node_down(T0 + 100, node, true);
    assert!(e.job(big).unwrap().estimate.is_some());
    // … until the first job is requeued ahead of it and becomes the one top job.
    e.advance_to(T0 + 100 + 310);
    assert_eq!(state(&e, first), JobState::Queued);
    assert!(e.job(first).unwrap().estimate.is_some());
    assert!(
        e.job(big).unwrap().estimate.is_none(),
        "depth 1: one top job"
    );
    assert!(e.status(big).unwrap().estimated_start.is_none());
}

#[test]
fn a_top_job_that_started_early_moves_the_next_top_jobs_estimate() {
    let mut inv = nodes(2, 4);
    inv.nodes[1].ncpus = 6;
    inv.nodes[1]
        .attributes
        .insert("interconnect".into(), "fdr".into());
    let mut e = engine(&inv, Policy::EasyBackfill { depth: 2 });
    let hour = 3600;
    // Ends after an hour, though it asked for 100.
    e.submit(
        T0,
        req("1:ncpus=4:interconnect=1g", "100:00:00", Some(hour)),
    )
    .unwrap();
    e.submit(T0, req("1:ncpus=4:interconnect=fdr", "2:00:00", None))
        .unwrap();
    let first = e
        .submit(
            T0,
            req(
                "1:ncpus=4:interconnect=1g+1:ncpus=2:interconnect=fdr",
                "10:00:00",
                None,
            ),
        )
        .unwrap();
    let second = e
        .submit(T0, req("1:ncpus=5:interconnect=fdr", "3:00:00", None))
        .unwrap();
    let estimate = |e: &Engine, k| e.job(k).unwrap().estimate.as_ref().map(|(t, _)| *t);
    assert_eq!(estimate(&e, first), Some(T0 + 100 * hour));
    assert_eq!(estimate(&e, second), Some(T0 + 2 * hour));
    // The first top job starts 99 hours early and takes two of the fdr node's CPUs until
    // hour 11: the second can no longer start at hour 2.
    e.advance_to(T0 + hour);
    assert_eq!(state(&e, first), JobState::Running);
    assert_eq!(estimate(&e, second), Some(T0 + 11 * hour));
    e.advance_to(T0 + 11 * hour);
    assert_eq!(e.job(second).unwrap().started, Some(T0 + 11 * hour));
}

#[test]
fn a_top_job_starts_on_its_promised_nodes_once_they_are_free() {
    let mut inv = nodes(2, 4);
    for n in &mut inv.nodes {
        n.mem_kb = 8 * 1024 * 1024;
    }
    let mut e = engine(&inv, Policy::EASY);
    e.submit(T0, req("1:ncpus=1:mem=4gb", "100:00:00", None))
        .unwrap();
    // Ends after an hour, though it asked for two.
    e.submit(T0, req("1:ncpus=3", "2:00:00", Some(3600)))
        .unwrap();
    e.submit(T0, req("1:ncpus=2", "100:00:00", None)).unwrap();
    let top = e
        .submit(
            T0,
            req("1:ncpus=2:mem=4gb+1:ncpus=1:mem=8gb", "1:00:00", None),
        )
        .unwrap();
    let (start, _) = e.job(top).unwrap().estimate.clone().unwrap();
    assert_eq!(start, T0 + 7200);
    // At hour 1 its promised nodes are free, though first fit (fullest node first) puts
    // the first chunk where the second must go and finds no placement. No event falls at
    // hour 2, so it must start now.
    e.advance_to(T0 + 3600);
    assert_eq!(state(&e, top), JobState::Running);
    assert_eq!(e.job(top).unwrap().started, Some(T0 + 3600));
}

#[test]
fn a_blocked_job_held_and_released_still_starts_when_room_appears() {
    // Regression: a job released from a hold kept its old "blocked" mark but had left the
    // wake-up index, so the release of a node never woke it.
    let inv = nodes(1, 2);
    let mut e = engine(&inv, Policy::Fifo);
    e.submit(T0, req("1:ncpus=1", "00:01:00", None)).unwrap();
    e.submit(T0, req("1:ncpus=1", "10:00:00", None)).unwrap();
    let waiting = e.submit(T0, req("1:ncpus=1", "10:00:00", None)).unwrap();
    assert_eq!(state(&e, waiting), JobState::Queued);
    e.hold(T0 + 1, waiting).unwrap();
    e.release(T0 + 2, waiting).unwrap();
    assert_eq!(state(&e, waiting), JobState::Queued);
    e.advance_to(T0 + 60);
    assert_eq!(state(&e, waiting), JobState::Running);
}

#[test]
fn node_states_read_as_pbsnodes_prints_them() {
    let inv = nodes(2, 2);
    let mut e = engine(&inv, Policy::Fifo);
    let state_of = |e: &Engine, n: usize| e.cluster().nodes[n].pbs_state();
    assert_eq!(state_of(&e, 0), "free");
    e.submit(T0, req("1:ncpus=2", "1:00:00", None)).unwrap();
    assert_eq!(state_of(&e, 0), "job-busy");
    let mut excl = req("1:ncpus=1", "1:00:00", None);
    excl.resources.place = Some("excl".parse().unwrap());
    e.submit(T0, excl).unwrap();
    assert_eq!(state_of(&e, 1), "job-exclusive");
    e.set_node_offline(T0 + 1, 0, true);
    assert_eq!(state_of(&e, 0), "offline,job-busy");
    e.set_node_down(T0 + 2, 0, true);
    assert_eq!(state_of(&e, 0), "down,offline,job-busy");
}

#[test]
fn queue_errors_without_a_default_or_when_disabled() {
    let inv = nodes(1, 2);
    let config = EngineConfig {
        default_queue: None,
        ..EngineConfig::single_queue(Policy::Fifo)
    };
    let mut e = Engine::new(config, &inv).unwrap();
    let err = e.submit(T0, req("1:ncpus=1", "1:00:00", None)).unwrap_err();
    assert_eq!(err.to_string(), "No default queue specified");
    assert_eq!(err.exit_code(), 189);
    let config = EngineConfig {
        queues: vec![QueueDef {
            enabled: false,
            ..QueueDef::execution("workq", 0)
        }],
        ..EngineConfig::single_queue(Policy::Fifo)
    };
    let mut e = Engine::new(config, &inv).unwrap();
    let err = e.submit(T0, req("1:ncpus=1", "1:00:00", None)).unwrap_err();
    assert_eq!(err.to_string(), "Queue is not enabled");
    assert_eq!(err.exit_code(), 173);
}

#[test]
fn jobs_pass_through_exiting_holding_their_nodes() {
    let inv = nodes(1, 2);
    let config = EngineConfig {
        exit_delay: 5,
        ..EngineConfig::single_queue(Policy::Fifo)
    };
    let mut e = Engine::new(config, &inv).unwrap();
    let k = e
        .submit(T0, req("1:ncpus=2", "1:00:00", Some(100)))
        .unwrap();
    let next = e
        .submit(T0, req("1:ncpus=2", "1:00:00", Some(100)))
        .unwrap();
    e.advance_to(T0 + 100);
    let job = e.job(k).unwrap();
    assert_eq!((job.state, job.substate), (JobState::Exiting, 50));
    assert_eq!(e.status(k).unwrap().exit_status, Some(0));
    assert_eq!(
        state(&e, next),
        JobState::Queued,
        "the exiting job keeps its node"
    );
    assert_eq!(
        e.delete(T0 + 101, k).unwrap_err().to_string(),
        "Request invalid for state of job"
    );
    e.advance_to(T0 + 105);
    let job = e.job(k).unwrap();
    assert_eq!((job.state, job.substate), (JobState::Finished, 92));
    assert_eq!(
        job.finished,
        Some(T0 + 100),
        "obittime is when the script ended"
    );
    assert!(comment(&e, k).ends_with(" and finished"));
    assert_eq!(state(&e, next), JobState::Running);
    assert_eq!(e.job(next).unwrap().started, Some(T0 + 105));
}
