//! The server's journal rebuilds exactly the cluster it recorded.

use proptest::prelude::*;

use super::clock::Clock;
use super::journal::{BackgroundSpec, Header};
use super::server::{Action, Server};
use super::userjob;
use crate::engine::inventory::Inventory;
use crate::engine::job::JobKey;

fn header(load: f64, seed: u64) -> Header {
    Header {
        version: 1,
        server_name: "pbs02".to_string(),
        policy: "easy".to_string(),
        backfill_depth: 1,
        seed,
        inventory_toml: Inventory::palmetto_with_nodes(40).to_toml_string(),
        clock: Clock {
            origin_sim: 1_800_000_000,
            origin_wall_ms: 0,
            speedup: 1.0,
        },
        background: Some(BackgroundSpec::Synthetic {
            load,
            warmup: 6 * 3600,
        }),
        exit_delay: 2,
    }
}

/// What a client could see of every job.
fn snapshot(server: &Server) -> Vec<String> {
    server
        .engine()
        .jobs()
        .map(|j| {
            format!(
                "{} {:?} {} {:?} {:?} {:?} {:?}",
                j.key, j.state, j.substate, j.started, j.finished, j.exit_status, j.alloc
            )
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Op {
    Tick(u64),
    Submit(u64),
    Delete(u64, usize),
    Exit(u64, usize, i32),
    /// A job that depends (afterok, afternotok, afterany) on one of ours.
    SubmitAfter(u64, usize, usize),
}

const DEPEND_KINDS: [&str; 3] = ["afterok", "afternotok", "afterany"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..900u64).prop_map(Op::Tick),
        (0..600u64).prop_map(Op::Submit),
        (0..600u64, 0..8usize).prop_map(|(d, i)| Op::Delete(d, i)),
        (0..600u64, 0..8usize, 0..3i32).prop_map(|(d, i, s)| Op::Exit(d, i, s)),
        (0..600u64, 0..8usize, 0..3usize).prop_map(|(d, i, k)| Op::SubmitAfter(d, i, k)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever mix of ticks, submissions (dependent ones too), deletions and process exits
    /// happened live, the
    /// journal replays to the same jobs in the same states on the same nodes.
    #[test]
    fn replay_rebuilds_the_same_cluster(ops in proptest::collection::vec(op(), 1..40), seed in 0..1000u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let header = header(0.8, seed);
        let mut now = header.clock.origin_sim;
        let mut live = Server::create(header, &path).unwrap();
        let mut mine: Vec<JobKey> = Vec::new();
        for op in ops {
            match op {
                Op::Tick(d) => { now += d; live.step(now); }
                Op::Submit(d) => {
                    now += d;
                    if let Ok(key) = live.submit(now, userjob::sample("alice")) {
                        mine.push(key);
                    }
                }
                Op::Delete(d, i) => {
                    now += d;
                    if let Some(&key) = mine.get(i % mine.len().max(1)) {
                        let _ = live.delete(now, key);
                    }
                }
                Op::Exit(d, i, status) => {
                    now += d;
                    if let Some(&key) = mine.get(i % mine.len().max(1)) {
                        live.script_exited(now, key, status);
                    }
                }
                Op::SubmitAfter(d, i, kind) => {
                    now += d;
                    if let Some(&parent) = mine.get(i % mine.len().max(1)) {
                        let mut job = userjob::sample("alice");
                        job.depend = Some(userjob::Dependency {
                            kind: DEPEND_KINDS[kind].to_string(),
                            jobs: vec![parent.to_string()],
                        });
                        if let Ok(key) = live.submit(now, job) {
                            mine.push(key);
                        }
                    }
                }
            }
            // Launches and kills are the shell's business; they do not feed back here.
            let _: Vec<Action> = live.take_actions();
        }
        live.step(now);
        let expected = snapshot(&live);
        let launched: Vec<JobKey> = live.launched().collect();
        drop(live);

        let mut replayed = Server::resume(&path).unwrap();
        replayed.step(now);
        prop_assert_eq!(snapshot(&replayed), expected);
        prop_assert_eq!(replayed.launched().collect::<Vec<_>>(), launched);
        // Nothing is launched twice after a restart.
        prop_assert!(!replayed.take_actions().iter().any(|a| matches!(a, Action::Launch(_))));
    }
}

#[test]
fn a_user_job_is_launched_killed_on_delete_and_forgotten_when_its_process_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut header = header(0.0, 1);
    header.background = None;
    let mut server = Server::create(header, &dir.path().join("j")).unwrap();
    let t = 1_800_000_000;
    let key = server.submit(t, userjob::sample("alice")).unwrap();
    assert_eq!(server.take_actions(), vec![Action::Launch(key)]);
    server.delete(t + 5, key).unwrap();
    assert!(matches!(server.take_actions()[..], [Action::Kill(k, _)] if k == key));
    assert_eq!(
        server.engine().job(key).unwrap().state,
        drivers::JobState::Exiting
    );
    server.script_exited(t + 6, key, 271);
    server.step(t + 10);
    let job = server.engine().job(key).unwrap();
    assert_eq!(job.state, drivers::JobState::Finished);
    assert_eq!(job.exit_status, Some(271));
    assert_eq!(server.take_actions(), vec![Action::Forget(key)]);
}
