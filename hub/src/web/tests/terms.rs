//! A Slurm hub's pages speak Slurm: "Partition" and "Time limit" where PBS's say "Queue"
//! and "Walltime".

use super::cards::{card, job, minutes};
use super::*;
use crate::spawner::state::{FailReason, QueueInfo, ServerState};
use drivers::resources::Walltime;

/// A hub on Slurm with the built-in form, as `check_config` builds it.
async fn slurm_web() -> Web {
    let mut settings = settings("/");
    let config =
        crate::config::check_config("[spawner]\nscheduler = \"slurm\"\n", "hub.toml").unwrap();
    settings.form = config.spawner.form;
    settings.terms = config.spawner.scheduler.terms();
    assert_eq!(settings.terms, SchedulerTerms::SLURM);
    web_with(settings).await
}

fn queued(partition: &str) -> ServerState {
    ServerState::Queued {
        job: job("4242"),
        since: t0(),
        info: QueueInfo {
            letter: Some('Q'),
            comment: Some("Resources".into()),
            estimated_start: None,
            queue: Some(partition.into()),
            queued_at: Some(t0()),
        },
        query_error: None,
    }
}

#[tokio::test]
async fn a_slurm_hubs_pages_say_partition_and_time_limit() {
    let web = slurm_web().await;
    let (cookie, _) = web.login("alice", "wonderland").await;

    // The built-in form's field.
    let form = web.get("/hub/spawn", Some(&cookie)).await;
    assert!(form.body.contains("Time limit"), "{}", form.body);
    assert!(!form.body.contains("Walltime"), "{}", form.body);

    // A pending job: its partition and since when it is pending.
    web.server("alice", "", queued("debug"), |v| {
        v.walltime = Some(Walltime::from_hours(2));
    });
    let pending = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert!(
        pending.body.contains("<dt>Partition</dt><dd>debug</dd>"),
        "{}",
        pending.body
    );
    assert!(
        pending.body.contains("<dt>Pending since</dt>"),
        "{}",
        pending.body
    );
    assert!(!pending.body.contains("Queue<"), "{}", pending.body);
    let home = web.get("/hub/home", Some(&cookie)).await;
    let html = card(&home.body, "default");
    assert!(html.contains("<dt>Partition</dt>"), "{html}");
    assert!(html.contains("<dt>Time limit asked</dt>"), "{html}");
    assert!(
        !html.contains("Walltime") && !html.contains("Queue<"),
        "{html}"
    );

    // A running job near its end, and one Slurm killed at its time limit.
    web.server(
        "alice",
        "",
        ServerState::Running {
            job: job("4243"),
            url: "http://node0001:8888".into(),
            since: t0() - minutes(55),
            query_error: None,
        },
        |v| {
            v.walltime = Some(Walltime::from_hours(1));
            v.job_started = Some(t0() - minutes(56));
        },
    );
    let home = web.get("/hub/home", Some(&cookie)).await;
    let html = card(&home.body, "default");
    assert!(html.contains("of time limit left"), "{html}");
    web.server(
        "alice",
        "",
        ServerState::Failed {
            reason: FailReason::JobEndedBeforeReady { comment: None },
            job: Some(job("4244")),
            exit_status: Some(-29),
            output_tail: None,
            at: t0(),
        },
        |_| {},
    );
    let home = web.get("/hub/home", Some(&cookie)).await;
    let html = card(&home.body, "default");
    assert!(
        html.contains("-29: the job exceeded its time limit"),
        "{html}"
    );
    let pending = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert!(
        pending
            .body
            .contains("-29: the job exceeded its time limit"),
        "{}",
        pending.body
    );
}

#[tokio::test]
async fn a_pbs_hubs_pages_keep_pbs_words() {
    let web = web("/").await;
    let (cookie, _) = web.login("alice", "wonderland").await;
    web.server("alice", "", queued("workq"), |v| {
        v.walltime = Some(Walltime::from_hours(2));
    });
    let pending = web.get("/hub/spawn-pending/alice", Some(&cookie)).await;
    assert!(
        pending.body.contains("<dt>Queue</dt><dd>workq</dd>"),
        "{}",
        pending.body
    );
    assert!(
        pending.body.contains("<dt>Queued since</dt>"),
        "{}",
        pending.body
    );
    let home = web.get("/hub/home", Some(&cookie)).await;
    let html = card(&home.body, "default");
    assert!(html.contains("<dt>Walltime asked</dt>"), "{html}");
}
