//! The in-process cluster through the `drivers::Scheduler` trait, on tokio's paused clock:
//! each test lives through hours or days of cluster time, and takes milliseconds.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use drivers::resources::ResourceList;
use drivers::{JobName, JobSpec, JobState, Scheduler, SchedulerError, UserName};
use pbs_sim::engine::config::{EngineConfig, Policy};
use pbs_sim::engine::inventory::Inventory;
use pbs_sim::engine::job::Behaviour;
use pbs_sim::inproc::{SimOptions, SimScheduler};
use tokio::time::sleep;

const HOUR: u64 = 3600;

fn spec(resources: &str) -> JobSpec {
    JobSpec {
        owner: UserName::new("alice").unwrap(),
        name: JobName::new("notebook").unwrap(),
        queue: None,
        resources: ResourceList::parse(&[resources]).unwrap(),
        environment: BTreeMap::new(),
        working_dir: PathBuf::from("/home/alice"),
        command: vec!["jupyterhub-singleuser".into()],
    }
}

/// One 4-CPU node under EASY backfill, in real-time speed (1 simulated second per second).
fn one_node(options: SimOptions) -> SimScheduler {
    let inventory = Inventory::from_toml_str(
        "[[group]]\nprefix = \"n\"\ncount = 1\nncpus = 4\nmem = \"16gb\"\n",
    )
    .unwrap();
    SimScheduler::new(
        EngineConfig::single_queue(Policy::EASY),
        &inventory,
        options,
    )
    .unwrap()
}

fn secs(t: Option<chrono::DateTime<chrono::Utc>>) -> u64 {
    t.expect("a time").timestamp() as u64
}

#[tokio::test(start_paused = true)]
async fn a_notebook_runs_a_day_on_palmetto_until_its_walltime() {
    let sched = SimScheduler::new(
        EngineConfig::palmetto(),
        &Inventory::palmetto_with_nodes(40),
        SimOptions::default(),
    )
    .unwrap();
    let id = sched
        .submit(&spec("select=1:ncpus=2:mem=4gb,walltime=24:00:00"))
        .await
        .unwrap();
    let status = &sched.status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(status.state, JobState::Running, "{status:?}");
    assert_eq!(status.queue.as_deref(), Some("c1_single"));
    let started = secs(status.times.started);

    sleep(Duration::from_secs(24 * HOUR - 1)).await;
    let status = &sched.status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(status.state, JobState::Running);

    sleep(Duration::from_secs(1)).await;
    let status = &sched.status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(status.state, JobState::Finished);
    assert_eq!(status.exit_status, Some(-29), "killed at its walltime");
    assert_eq!(secs(status.times.finished) - started, 24 * HOUR);
    assert!(status
        .comment
        .as_deref()
        .is_some_and(|c| c.ends_with(" and exceeded resource walltime")));
}

#[tokio::test(start_paused = true)]
async fn a_queued_job_starts_at_its_estimated_start() {
    let sched = one_node(SimOptions::default());
    let first = sched
        .submit(&spec("select=1:ncpus=4,walltime=2:00:00"))
        .await
        .unwrap();
    let second = sched
        .submit(&spec("select=1:ncpus=4,walltime=1:00:00"))
        .await
        .unwrap();
    let ids = [first.clone(), second.clone()];
    let now = sched.status(&ids).await;
    assert_eq!(now[&first].state, JobState::Running);
    assert_eq!(now[&second].state, JobState::Queued);
    let estimate = secs(now[&second].estimated_start);
    assert_eq!(estimate, secs(now[&first].times.started) + 2 * HOUR);

    sleep(Duration::from_secs(2 * HOUR)).await;
    let now = sched.status(&ids).await;
    assert_eq!(now[&first].state, JobState::Finished);
    assert_eq!(now[&second].state, JobState::Running);
    assert_eq!(secs(now[&second].times.started), estimate);

    sleep(Duration::from_secs(3 * 24 * HOUR)).await;
    let now = sched.status(&ids).await;
    assert!(now.values().all(|s| s.state == JobState::Finished));
}

#[tokio::test(start_paused = true)]
async fn an_accelerated_cluster_lives_an_hour_per_tokio_second() {
    let sched = one_node(SimOptions {
        speedup: 3600.0,
        behaviour: Behaviour {
            runtime: Some(90 * 60),
            exit_status: 0,
            external: false,
        },
        ..SimOptions::default()
    });
    let start = sched.now();
    let id = sched
        .submit(&spec("select=1:ncpus=1,walltime=2:00:00"))
        .await
        .unwrap();
    sleep(Duration::from_secs(1)).await;
    assert_eq!(sched.now() - start, HOUR);
    let status = &sched.status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(status.state, JobState::Running);
    sleep(Duration::from_secs(1)).await;
    let status = &sched.status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(status.state, JobState::Finished);
    assert_eq!(
        status.exit_status,
        Some(0),
        "its script ended after 90 minutes"
    );
    assert_eq!(
        secs(status.times.finished) - secs(status.times.started),
        90 * 60
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_ends_a_running_job_once_and_knows_no_strangers() {
    let sched = one_node(SimOptions::default());
    let id = sched
        .submit(&spec("select=1:ncpus=1,walltime=8:00:00"))
        .await
        .unwrap();
    sleep(Duration::from_secs(HOUR)).await;
    sched.cancel(&id).await.unwrap();
    let status = &sched.status(std::slice::from_ref(&id)).await[&id];
    assert_eq!(status.state, JobState::Finished);
    assert_eq!(status.exit_status, Some(271));
    assert_eq!(
        secs(status.times.finished) - secs(status.times.started),
        HOUR
    );
    // Cancelling what has ended already is what the caller wanted: not an error.
    sched.cancel(&id).await.unwrap();
    let stranger = drivers::JobId::new("999.pbs02").unwrap();
    assert!(matches!(
        sched.cancel(&stranger).await,
        Err(SchedulerError::UnknownJob(_))
    ));
    // A job the server does not know has left its history: reported finished.
    let status = &sched.status(std::slice::from_ref(&stranger)).await[&stranger];
    assert_eq!(status.state, JobState::Finished);
}

#[tokio::test(start_paused = true)]
async fn find_jobs_knows_the_owners_jobs_by_name_queued_running_and_ended() {
    let sched = one_node(SimOptions::default());
    let running = sched
        .submit(&spec("select=1:ncpus=4,walltime=1:00:00"))
        .await
        .unwrap();
    let queued = sched
        .submit(&spec("select=1:ncpus=4,walltime=1:00:00"))
        .await
        .unwrap();
    let mut other_name = spec("select=1:ncpus=1,walltime=1:00:00");
    other_name.name = JobName::new("batch").unwrap();
    sched.submit(&other_name).await.unwrap();
    let mut other_owner = spec("select=1:ncpus=1,walltime=1:00:00");
    other_owner.owner = UserName::new("bob").unwrap();
    sched.submit(&other_owner).await.unwrap();
    sleep(Duration::from_secs(60)).await;

    let alice = UserName::new("alice").unwrap();
    let notebook = JobName::new("notebook").unwrap();
    let found = sched.find_jobs(&alice, &notebook).await.unwrap();
    let got: Vec<_> = found.iter().map(|f| (f.id.clone(), f.state)).collect();
    assert_eq!(
        got,
        [
            (running.clone(), JobState::Running),
            (queued.clone(), JobState::Queued)
        ]
    );
    let status = sched.status(std::slice::from_ref(&running)).await;
    assert_eq!(found[0].queued, status[&running].times.queued);
    assert!(found[0].queued.is_some());

    // Deleted, the job is still found, in the history.
    sched.cancel(&running).await.unwrap();
    sleep(Duration::from_secs(60)).await;
    let found = sched.find_jobs(&alice, &notebook).await.unwrap();
    assert!(
        found
            .iter()
            .any(|f| f.id == running && f.state == JobState::Finished),
        "{found:?}"
    );
    let nobody = UserName::new("carol").unwrap();
    assert_eq!(sched.find_jobs(&nobody, &notebook).await.unwrap(), []);
}
