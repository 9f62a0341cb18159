//! The spawner's async shell against real pieces: SQLite in a tempdir, the simulated cluster
//! (`pbs_sim::inproc::SimScheduler`, sped up) and the real `hub-proxy` in process.
//!
//! Time is real (sqlx's and the proxy client's timers must not be skipped by a paused
//! clock); the cluster runs 100× faster so that jobs start and end within milliseconds.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use drivers::{
    FoundJob, JobId, JobName, JobSpec, JobState, Scheduler, SchedulerError, StatusMap, UserName,
};
use hub::control::{ControlError, ServerControl, ServerView, Stopped};
use hub::db::Db;
use hub::form::FormConfig;
use hub::proxy_client::ProxyClient;
use hub::spawner::{FailReason, SchedulerTerms, ServerState, SpawnerConfig};
use hub::spawning::{Clock, HubRoute, Spawning, SpawningConfig};
use pbs_sim::engine::config::{EngineConfig, Policy};
use pbs_sim::engine::inventory::Inventory;
use pbs_sim::engine::job::Behaviour;
use pbs_sim::inproc::{SimOptions, SimScheduler};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// The simulated cluster, counting what the hub asks of it; submits can be held at a gate.
struct Cluster {
    sim: SimScheduler,
    gate: Option<Semaphore>,
    submits: AtomicUsize,
    cancels: Mutex<Vec<JobId>>,
    /// Each submitted job's `JUPYTERHUB_API_TOKEN`.
    tokens: Mutex<Vec<String>>,
    /// Every job a submit made, answered or not.
    made: Mutex<Vec<JobId>>,
    /// When set, a submit makes its job and never answers: a hub killed then loses the id.
    lose_answers: std::sync::atomic::AtomicBool,
    /// How many `find_jobs` calls fail before they answer.
    failing_finds: AtomicUsize,
    finds: AtomicUsize,
}

#[async_trait]
impl Scheduler for Cluster {
    async fn submit(&self, spec: &JobSpec) -> Result<JobId, SchedulerError> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("the gate stays open").forget();
        }
        self.submits.fetch_add(1, Ordering::SeqCst);
        let token = spec
            .environment
            .get("JUPYTERHUB_API_TOKEN")
            .expect("a token");
        self.tokens.lock().unwrap().push(token.clone());
        let job = self.sim.submit(spec).await?;
        self.made.lock().unwrap().push(job.clone());
        if self.lose_answers.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        Ok(job)
    }
    async fn status(&self, ids: &[JobId]) -> StatusMap {
        self.sim.status(ids).await
    }
    async fn cancel(&self, id: &JobId) -> Result<(), SchedulerError> {
        self.cancels.lock().unwrap().push(id.clone());
        self.sim.cancel(id).await
    }
    async fn find_jobs(
        &self,
        owner: &UserName,
        name: &JobName,
    ) -> Result<Vec<FoundJob>, SchedulerError> {
        self.finds.fetch_add(1, Ordering::SeqCst);
        let failing = self.failing_finds.load(Ordering::SeqCst);
        if failing > 0 {
            self.failing_finds.store(failing - 1, Ordering::SeqCst);
            return Err(SchedulerError::Unavailable {
                reason: "cannot connect to server pbs02".into(),
            });
        }
        self.sim.find_jobs(owner, name).await
    }
}

fn cluster(behaviour: Behaviour, gated: bool) -> Arc<Cluster> {
    cluster_from(behaviour, gated, None)
}

/// A cluster whose clock starts at the hub's: jobs' queue times compare with the hub's
/// (the adoption of a lost submit's job looks at them).
fn cluster_now(behaviour: Behaviour) -> Arc<Cluster> {
    let now = u64::try_from(Utc::now().timestamp()).unwrap();
    cluster_from(behaviour, false, Some(now))
}

fn cluster_from(behaviour: Behaviour, gated: bool, start: Option<u64>) -> Arc<Cluster> {
    let inventory = Inventory::from_toml_str(
        "[[group]]\nprefix = \"n\"\ncount = 4\nncpus = 32\nmem = \"256gb\"\n",
    )
    .unwrap();
    let options = SimOptions {
        speedup: 100.0,
        start,
        behaviour,
    };
    let sim = SimScheduler::new(
        EngineConfig::single_queue(Policy::EASY),
        &inventory,
        options,
    )
    .unwrap();
    Arc::new(Cluster {
        sim,
        gate: gated.then(|| Semaphore::new(0)),
        submits: AtomicUsize::new(0),
        cancels: Mutex::new(Vec::new()),
        tokens: Mutex::new(Vec::new()),
        made: Mutex::new(Vec::new()),
        lose_answers: std::sync::atomic::AtomicBool::new(false),
        failing_finds: AtomicUsize::new(0),
        finds: AtomicUsize::new(0),
    })
}

struct World {
    _dir: tempfile::TempDir,
    db_url: String,
    proxy: ProxyClient,
    stop_proxy: CancellationToken,
}

impl Drop for World {
    fn drop(&mut self) {
        self.stop_proxy.cancel();
    }
}

async fn world(users: &[&str]) -> World {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hub.sqlite").display()
    );
    let db = Db::connect(&db_url).await.unwrap();
    for user in users {
        db.create_user(user, false, Utc::now()).await.unwrap();
    }
    db.close().await;
    let config = proxy::Config {
        auth_token: Some("tok".to_string()),
        ..proxy::Config::for_tests()
    };
    let server = proxy::Proxy::bind(config).await.unwrap();
    let api = server.api_addr();
    let stop_proxy = CancellationToken::new();
    tokio::spawn(server.serve(stop_proxy.clone()));
    let proxy = ProxyClient::new(
        &format!("http://{api}"),
        Some("tok".into()),
        Duration::from_secs(2),
    );
    World {
        _dir: dir,
        db_url,
        proxy,
        stop_proxy,
    }
}

fn config(limit: Option<usize>) -> SpawningConfig {
    SpawningConfig {
        spawner: SpawnerConfig {
            concurrent_spawn_limit: limit,
            ..SpawnerConfig::default()
        },
        form: FormConfig::default(),
        terms: SchedulerTerms::PBS,
        poll_interval: Duration::from_millis(20),
        base_url: "/".to_string(),
        api_url: "http://127.0.0.1:8081/hub/api".to_string(),
        job_name: JobName::new("jupyterhub").unwrap(),
        cmd: vec!["hub-singleuser".to_string()],
        working_dir: Some(PathBuf::from("/tmp")),
        allow_named_servers: true,
        named_server_limit_per_user: 4,
        extra_env: BTreeMap::new(),
        // The reported addresses are made up: nothing listens there.
        wait_until_answering: false,
    }
}

async fn spawning(world: &World, cluster: &Arc<Cluster>, limit: Option<usize>) -> Spawning {
    spawning_with(world, cluster, config(limit)).await
}

async fn spawning_with(world: &World, cluster: &Arc<Cluster>, config: SpawningConfig) -> Spawning {
    let db = Db::connect(&world.db_url).await.unwrap();
    let hub_route = HubRoute {
        spec: "/".to_string(),
        target: "http://127.0.0.1:8081".to_string(),
    };
    Spawning::resume(
        db,
        cluster.clone(),
        world.proxy.clone(),
        config,
        Clock::starting_at(Utc::now()),
        Some(hub_route),
    )
    .await
    .unwrap()
}

/// Polls until the server's view satisfies `pred` (10 s at most).
async fn wait_for(
    s: &Spawning,
    user: &str,
    server: &str,
    what: &str,
    pred: impl Fn(&ServerView) -> bool,
) -> ServerView {
    for _ in 0..500 {
        if let Some(view) = s.server(user, server).await {
            if pred(&view) {
                return view;
            }
        }
        s.poll_once().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{user}/{server} never became {what}: {:?}",
        s.server(user, server).await
    );
}

fn has_job(v: &ServerView) -> bool {
    matches!(
        v.state,
        ServerState::Queued { .. } | ServerState::Starting { .. }
    )
}

fn starting(v: &ServerView) -> bool {
    matches!(v.state, ServerState::Starting { .. })
}

fn job_of(v: &ServerView) -> JobId {
    v.state.job().cloned().expect("a job")
}

fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_report_route_stop_cancel() {
    let world = world(&["alice"]).await;
    let cluster = cluster(Behaviour::default(), false);
    let s = spawning(&world, &cluster, None).await;

    s.start("alice", "", options(&[("ncpus", "2")]))
        .await
        .unwrap();
    let mut progress = s.progress("alice", "").expect("a progress stream");
    let view = wait_for(&s, "alice", "", "starting", starting).await;
    assert_eq!(view.user_options["ncpus"], "2");
    assert!(view.started.is_some());
    let job = job_of(&view);
    assert!(progress.has_changed().unwrap() || !progress.borrow_and_update().is_final());

    s.report("alice", "", "127.0.0.1", 47405).await.unwrap();
    let view = s.server("alice", "").await.unwrap();
    assert!(view.ready());
    assert_eq!(view.url.as_deref(), Some("/user/alice/"));
    assert!(progress.borrow_and_update().ready);
    let routes = world.proxy.routes().await.unwrap();
    assert_eq!(routes["/user/alice/"].target, "http://127.0.0.1:47405");
    assert_eq!(routes["/user/alice/"].data["user"], "alice");
    assert_eq!(routes["/user/alice/"].data["server_name"], "");
    assert!(
        routes.contains_key("/"),
        "the hub's route was reconciled in"
    );

    let stopped = s.stop("alice", "").await.unwrap();
    assert!(matches!(stopped, Stopped::Pending | Stopped::Done));
    let view = wait_for(&s, "alice", "", "stopped", |v| {
        matches!(v.state, ServerState::Stopped { .. })
    })
    .await;
    assert!(view.url.is_none());
    assert!(!world
        .proxy
        .routes()
        .await
        .unwrap()
        .contains_key("/user/alice/"));
    assert_eq!(
        cluster.cancels.lock().unwrap().as_slice(),
        std::slice::from_ref(&job)
    );
    let status = cluster.sim.status(std::slice::from_ref(&job)).await;
    assert!(status[&job].state.is_final(), "{:?}", status[&job]);
    assert_eq!(cluster.submits.load(Ordering::SeqCst), 1);

    // The stopped server's credentials are gone: its token and its OAuth client.
    let db = Db::connect(&world.db_url).await.unwrap();
    let token = cluster.tokens.lock().unwrap()[0].clone();
    assert!(db.lookup_token(&token, Utc::now()).await.unwrap().is_none());
    assert!(db
        .get_oauth_client("jupyterhub-user-alice")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_options_name_their_fields_and_submit_nothing() {
    let world = world(&["alice"]).await;
    let cluster = cluster(Behaviour::default(), false);
    let s = spawning(&world, &cluster, None).await;
    let err = s
        .start("alice", "", options(&[("ncpus", "999"), ("colour", "red")]))
        .await
        .unwrap_err();
    let ControlError::InvalidOptions(errors) = err else {
        panic!("not InvalidOptions: {err:?}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(
        fields.contains(&"ncpus") && fields.contains(&"colour"),
        "{fields:?}"
    );
    s.poll_once().await;
    assert_eq!(cluster.submits.load(Ordering::SeqCst), 0);
    assert!(s.server("alice", "").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spawn_limit_queues_the_excess_and_admits_as_slots_free() {
    let world = world(&["a", "b", "c", "d"]).await;
    let cluster = cluster(Behaviour::default(), true);
    let s = spawning(&world, &cluster, Some(2)).await;
    for user in ["a", "b", "c", "d"] {
        s.start(user, "", BTreeMap::new()).await.unwrap();
    }
    let state = |v: Option<ServerView>| v.unwrap().state;
    assert!(matches!(
        state(s.server("a", "").await),
        ServerState::Submitting { .. }
    ));
    assert!(matches!(
        state(s.server("b", "").await),
        ServerState::Submitting { .. }
    ));
    let c = s.server("c", "").await.unwrap();
    let d = s.server("d", "").await.unwrap();
    assert!(matches!(c.state, ServerState::Waiting { .. }));
    assert!(c.progress.unwrap().message.contains("position 1 of 2"));
    assert!(d.progress.unwrap().message.contains("position 2 of 2"));
    assert_eq!(
        s.progress("d", "").unwrap().borrow().message,
        s.server("d", "").await.unwrap().progress.unwrap().message,
    );

    // One submit answers: its job is queued or running, its slot goes to c.
    cluster.gate.as_ref().unwrap().add_permits(1);
    wait_for(&s, "c", "", "submitting", |v| {
        matches!(v.state, ServerState::Submitting { .. })
    })
    .await;
    let d = wait_for(&s, "d", "", "first in line", |v| {
        v.progress
            .as_ref()
            .is_some_and(|p| p.message.contains("position 1 of 1"))
    })
    .await;
    assert!(matches!(d.state, ServerState::Waiting { .. }));
    // d did not change, yet its progress stream learns its new place from the lines'
    // refresher (at most 250 ms after c moved).
    let mut d_progress = s.progress("d", "").unwrap();
    tokio::time::timeout(
        Duration::from_secs(5),
        d_progress.wait_for(|p| p.message.contains("position 1 of 1")),
    )
    .await
    .expect("d's progress stream shows its new place")
    .expect("the progress channel stays open");

    cluster.gate.as_ref().unwrap().add_permits(10);
    for user in ["a", "b", "c", "d"] {
        wait_for(&s, user, "", "running a job", has_job).await;
    }
    assert_eq!(cluster.submits.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_hub_re_adopts_jobs_and_routes() {
    let world = world(&["alice", "bob"]).await;
    let cluster = cluster(Behaviour::default(), false);
    let first = spawning(&world, &cluster, None).await;
    first.start("alice", "", BTreeMap::new()).await.unwrap();
    first.start("bob", "", BTreeMap::new()).await.unwrap();
    let alice_job = job_of(&wait_for(&first, "alice", "", "starting", starting).await);
    let bob_job = job_of(&wait_for(&first, "bob", "", "starting", starting).await);
    first.report("bob", "", "127.0.0.1", 40001).await.unwrap();
    first.shutdown().await;

    // The proxy loses bob's route while no hub runs.
    world.proxy.delete_route("/user/bob/").await.unwrap();

    let second = spawning(&world, &cluster, None).await;
    let routes = world.proxy.routes().await.unwrap();
    assert_eq!(routes["/user/bob/"].target, "http://127.0.0.1:40001");
    let bob = second.server("bob", "").await.unwrap();
    assert!(bob.ready());
    assert_eq!(job_of(&bob), bob_job);

    let alice = wait_for(&second, "alice", "", "starting", starting).await;
    assert_eq!(job_of(&alice), alice_job, "re-adopted, not resubmitted");
    second
        .report("alice", "", "127.0.0.1", 40002)
        .await
        .unwrap();
    let alice = second.server("alice", "").await.unwrap();
    assert!(alice.ready());
    assert_eq!(job_of(&alice), alice_job);
    assert_eq!(cluster.submits.load(Ordering::SeqCst), 2);
    assert!(
        cluster.cancels.lock().unwrap().is_empty(),
        "nothing deleted"
    );
    let status = cluster
        .sim
        .status(&[alice_job.clone(), bob_job.clone()])
        .await;
    assert_eq!(status[&alice_job].state, JobState::Running);
    assert_eq!(status[&bob_job].state, JobState::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_survives_a_restart() {
    let world = world(&["alice"]).await;
    // Nothing fits: the job stays queued.
    let cluster = cluster(Behaviour::default(), false);
    let first = spawning(&world, &cluster, None).await;
    first
        .start("alice", "", options(&[("ncpus", "32"), ("mem", "128gb")]))
        .await
        .unwrap();
    let job = job_of(&wait_for(&first, "alice", "", "with a job", has_job).await);
    drop(first);
    let second = spawning(&world, &cluster, None).await;
    let view = wait_for(&second, "alice", "", "with a job", has_job).await;
    assert_eq!(job_of(&view), job);
    assert_eq!(cluster.submits.load(Ordering::SeqCst), 1);
    assert!(cluster.cancels.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_ends_before_its_report_fails_with_its_exit_status() {
    let world = world(&["alice"]).await;
    let behaviour = Behaviour {
        runtime: Some(2),
        exit_status: 3,
        external: false,
    };
    let cluster = cluster(behaviour, false);
    let s = spawning(&world, &cluster, None).await;
    s.start("alice", "", BTreeMap::new()).await.unwrap();
    let view = wait_for(&s, "alice", "", "failed", |v| {
        matches!(v.state, ServerState::Failed { .. })
    })
    .await;
    let ServerState::Failed {
        reason,
        exit_status,
        job,
        ..
    } = &view.state
    else {
        unreachable!()
    };
    assert!(
        matches!(reason, FailReason::JobEndedBeforeReady { .. }),
        "{reason:?}"
    );
    assert_eq!(*exit_status, Some(3));
    assert!(job.is_some());
    assert!(view.progress.unwrap().failed);
    assert!(matches!(
        s.report("alice", "", "127.0.0.1", 1).await,
        Err(ControlError::NotExpectingReport(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_servers_are_limited() {
    let world = world(&["alice"]).await;
    let cluster = cluster(Behaviour::default(), false);
    let s = spawning(&world, &cluster, None).await;
    for name in ["a", "b", "c", "d"] {
        s.start("alice", name, BTreeMap::new()).await.unwrap();
    }
    assert!(matches!(
        s.start("alice", "e", BTreeMap::new()).await,
        Err(ControlError::NamedServerLimit(_))
    ));
    assert!(matches!(
        s.start("alice", "a", BTreeMap::new()).await,
        Err(ControlError::AlreadyActive(_))
    ));
    assert_eq!(s.servers("alice").await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_view_carries_what_the_cards_show() {
    let world = world(&["alice"]).await;
    let cluster = cluster(Behaviour::default(), false);
    let s = spawning(&world, &cluster, None).await;
    s.start(
        "alice",
        "",
        options(&[("ncpus", "2"), ("walltime", "02:00:00")]),
    )
    .await
    .unwrap();
    let view = wait_for(&s, "alice", "", "starting", starting).await;
    let job = job_of(&view);
    assert_eq!(view.walltime.map(|w| w.as_secs()), Some(7200));
    assert!(view.job_started.is_some());
    assert!(
        view.exec_host().is_some_and(|h| h.starts_with('n')),
        "{view:?}"
    );
    assert_eq!(view.job(), Some(&job));

    s.report("alice", "", "127.0.0.1", 47406).await.unwrap();
    let view = s.server("alice", "").await.unwrap();
    assert_eq!(view.exec_host().as_deref(), Some("127.0.0.1"));
    let left = view
        .time_left(Utc::now())
        .expect("a running server with a walltime");
    assert!(left.as_secs() > 7000 && left.as_secs() <= 7200, "{left:?}");

    s.stop("alice", "").await.unwrap();
    let view = wait_for(&s, "alice", "", "stopped", |v| {
        matches!(v.state, ServerState::Stopped { .. })
    })
    .await;
    assert_eq!(
        view.job(),
        Some(&job),
        "the last job is kept for its output"
    );
    assert_eq!(view.time_left(Utc::now()), None);

    // A bad named server name is refused before anything is submitted; the simulated
    // scheduler has no cluster summary.
    let err = s.start("alice", "a b", BTreeMap::new()).await.unwrap_err();
    assert!(matches!(err, ControlError::NamedServerLimit(_)), "{err:?}");
    assert!(matches!(
        s.cluster_summary().await,
        Err(ControlError::Unavailable(_))
    ));
    assert!(s.allows_named_servers());
}

/// A notebook server that listens only after it reported (as the real
/// `jupyterhub-singleuser` does), across a hub restart in that window: the first hub keeps
/// the address, the second waits for it again, and the server is routed once it answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_reported_before_it_listens_is_routed_once_it_answers_even_across_a_restart() {
    let world = world(&["alice"]).await;
    let cluster = cluster(Behaviour::default(), false);
    let waiting = SpawningConfig {
        wait_until_answering: true,
        ..config(None)
    };
    let first = spawning_with(&world, &cluster, waiting.clone()).await;
    first.start("alice", "", BTreeMap::new()).await.unwrap();
    let job = job_of(&wait_for(&first, "alice", "", "starting", starting).await);

    // The port is reported; nothing listens there yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    first.report("alice", "", "127.0.0.1", port).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alice = first.server("alice", "").await.unwrap();
    assert!(!alice.ready(), "routed before it answers: {alice:?}");
    assert!(!world
        .proxy
        .routes()
        .await
        .unwrap()
        .contains_key("/user/alice/"));
    first.shutdown().await;

    // A new hub; then the server starts listening. It never reports again.
    let second = spawning_with(&world, &cluster, waiting).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let app = axum::Router::new().route(
        "/user/alice/api",
        axum::routing::get(|| async { r#"{"version": "2.14.2"}"# }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let alice = wait_for(&second, "alice", "", "ready", |v| v.ready()).await;
    assert_eq!(job_of(&alice), job, "the same job, not resubmitted");
    let routes = world.proxy.routes().await.unwrap();
    assert_eq!(
        routes["/user/alice/"].target,
        format!("http://127.0.0.1:{port}")
    );
    assert!(
        cluster.cancels.lock().unwrap().is_empty(),
        "nothing deleted"
    );
    server.abort();
}

/// Starts alice's server on a first hub whose submit makes its job but never answers, and
/// kills that hub with the server still `Submitting`: the job runs, unknown to the hub.
async fn lose_a_submit_answer(world: &World, cluster: &Arc<Cluster>) -> JobId {
    cluster.lose_answers.store(true, Ordering::SeqCst);
    let first = spawning(world, cluster, None).await;
    first.start("alice", "", BTreeMap::new()).await.unwrap();
    for _ in 0..500 {
        if !cluster.made.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let made = cluster.made.lock().unwrap().clone();
    assert_eq!(made.len(), 1, "the submit made its job");
    let view = first.server("alice", "").await.unwrap();
    assert!(
        matches!(view.state, ServerState::Submitting { .. }),
        "{view:?}"
    );
    first.shutdown().await;
    cluster.lose_answers.store(false, Ordering::SeqCst);
    made[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_whose_answer_a_restart_lost_is_adopted_never_forgotten() {
    let world = world(&["alice"]).await;
    let cluster = cluster_now(Behaviour::default());
    let lost = lose_a_submit_answer(&world, &cluster).await;

    let second = spawning(&world, &cluster, None).await;
    let view = wait_for(&second, "alice", "", "adopted", has_job).await;
    assert_eq!(job_of(&view), lost, "the lost submit's job, adopted");
    let view = wait_for(&second, "alice", "", "starting", starting).await;
    assert_eq!(job_of(&view), lost);
    // Its notebook server reports with the token the lost submit gave it.
    second
        .report("alice", "", "127.0.0.1", 40011)
        .await
        .unwrap();
    let view = second.server("alice", "").await.unwrap();
    assert!(view.ready(), "{view:?}");
    assert_eq!(job_of(&view), lost);

    assert!(cluster.finds.load(Ordering::SeqCst) >= 1);
    assert_eq!(cluster.submits.load(Ordering::SeqCst), 1, "not resubmitted");
    assert!(
        cluster.cancels.lock().unwrap().is_empty(),
        "never cancelled"
    );
    let status = cluster.sim.status(std::slice::from_ref(&lost)).await;
    assert_eq!(status[&lost].state, JobState::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_candidate_jobs_fail_the_spawn_naming_both_and_neither_is_cancelled() {
    let world = world(&["alice"]).await;
    let cluster = cluster_now(Behaviour::default());
    let lost = lose_a_submit_answer(&world, &cluster).await;
    // Meanwhile alice submitted a job by hand under the hub's job name.
    let by_hand = JobSpec {
        owner: UserName::new("alice").unwrap(),
        name: JobName::new("jupyterhub").unwrap(),
        queue: None,
        resources: drivers::resources::ResourceList::parse(&["select=1:ncpus=1"]).unwrap(),
        environment: BTreeMap::new(),
        working_dir: PathBuf::from("/tmp"),
        command: vec!["sleep".into(), "600".into()],
    };
    let other = cluster.sim.submit(&by_hand).await.unwrap();

    let second = spawning(&world, &cluster, None).await;
    let view = wait_for(&second, "alice", "", "failed", |v| {
        matches!(v.state, ServerState::Failed { .. })
    })
    .await;
    let ServerState::Failed {
        reason: FailReason::SubmitAmbiguous { jobs },
        job: None,
        ..
    } = &view.state
    else {
        panic!("{view:?}");
    };
    let mut expected = vec![lost.clone(), other.clone()];
    expected.sort();
    assert_eq!(*jobs, expected);
    let message = view.progress.expect("a progress event").message;
    assert!(
        message.contains(lost.as_str()) && message.contains(other.as_str()),
        "{message}"
    );
    assert!(
        cluster.cancels.lock().unwrap().is_empty(),
        "never delete on a guess"
    );
    let status = cluster.sim.status(&[lost.clone(), other.clone()]).await;
    assert!(!status[&lost].state.is_final(), "{:?}", status[&lost]);
    assert!(!status[&other].state.is_final(), "{:?}", status[&other]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_lookup_is_asked_again_until_the_scheduler_answers() {
    let world = world(&["alice"]).await;
    let cluster = cluster_now(Behaviour::default());
    let lost = lose_a_submit_answer(&world, &cluster).await;
    cluster.failing_finds.store(2, Ordering::SeqCst);
    let mut config = config(None);
    config.spawner.cancel_retry = Duration::from_millis(100);
    let second = spawning_with(&world, &cluster, config).await;
    let view = wait_for(&second, "alice", "", "adopted", has_job).await;
    assert_eq!(job_of(&view), lost);
    assert!(
        cluster.finds.load(Ordering::SeqCst) >= 3,
        "two failures, then the answer"
    );
    assert!(cluster.cancels.lock().unwrap().is_empty());
}
