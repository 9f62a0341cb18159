//! The production PBS driver (`drivers::pbs`) against `pbs-sim serve` through its shims:
//! the real driver, real processes, the simulated PBS Pro server.

#[path = "daemon/cluster.rs"]
#[allow(dead_code)]
mod cluster;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cluster::Cluster;
use drivers::command::{CommandOutput, CommandRunner, CommandSpec, ProcessRunner, RunError};
use drivers::pbs::config::{PbsConfig, QstatFormat};
use drivers::pbs::driver::PbsDriver;
use drivers::resources::ResourceList;
use drivers::{JobId, JobName, JobSpec, JobState, JobStatus, Scheduler, SchedulerError, UserName};

/// Runs commands for real and counts them by program name.
#[derive(Default)]
struct Counting {
    qstat: AtomicUsize,
    qsub: AtomicUsize,
    qdel: AtomicUsize,
}

#[async_trait]
impl CommandRunner for Counting {
    async fn run(&self, spec: &CommandSpec) -> Result<CommandOutput, RunError> {
        let program = spec.argv.first().map(String::as_str).unwrap_or("");
        let counter = if program.ends_with("qstat") {
            &self.qstat
        } else if program.ends_with("qsub") {
            &self.qsub
        } else {
            &self.qdel
        };
        counter.fetch_add(1, Ordering::SeqCst);
        ProcessRunner.run(spec).await
    }
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name
}

/// A driver whose commands are the cluster's shims.
fn driver(
    cluster: &Cluster,
    runner: Arc<dyn CommandRunner>,
    tweak: impl FnOnce(&mut PbsConfig),
) -> PbsDriver {
    let bin = cluster.path("bin");
    let shim = |name: &str| bin.join(name).display().to_string();
    let mut config = PbsConfig {
        qsub: shim("qsub"),
        qstat: shim("qstat"),
        qdel: shim("qdel"),
        timeout: Duration::from_secs(20),
        ..PbsConfig::default()
    };
    tweak(&mut config);
    let env = vec![
        ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ("TZ".to_string(), "UTC".to_string()),
    ];
    PbsDriver::with_runner(config, runner, env)
}

fn spec(cluster: &Cluster, name: &str, resources: &[&str], command: &[&str]) -> JobSpec {
    JobSpec {
        owner: UserName::new(me()).unwrap(),
        name: JobName::new(name).unwrap(),
        queue: None,
        resources: ResourceList::parse(resources).unwrap(),
        environment: BTreeMap::from([
            (
                "JUPYTERHUB_API_TOKEN".to_string(),
                "tok-3f9a1c-secret".to_string(),
            ),
            ("GREETING".to_string(), "hello world".to_string()),
        ]),
        working_dir: cluster.dir.path().to_path_buf(),
        command: command.iter().map(|s| s.to_string()).collect(),
    }
}

/// Polls `status` until the job reaches `state`; returns its status then.
async fn wait_for(driver: &PbsDriver, id: &JobId, state: JobState) -> JobStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let map = driver.status(std::slice::from_ref(id)).await;
        let status = map[id].clone();
        if status.state == state {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never reached {state}: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn seq(id: &JobId) -> &str {
    id.as_str().split('.').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_submitted_runs_and_finishes_and_its_token_stays_private() {
    let cluster = Cluster::start(&[]);
    let driver = driver(&cluster, Arc::new(ProcessRunner), |_| {});
    let job = spec(
        &cluster,
        "notebook",
        &["select=1:ncpus=2:mem=2gb", "walltime=00:10:00"],
        &[
            "/bin/sh",
            "-c",
            "echo \"$GREETING from $PWD\"; echo ${#JUPYTERHUB_API_TOKEN}; sleep 1",
        ],
    );
    let id = driver.submit(&job).await.unwrap();
    assert!(id.as_str().ends_with(".pbs02"), "{id}");
    let running = wait_for(&driver, &id, JobState::Running).await;
    assert!(running.exec_host.as_deref().unwrap().starts_with("node"));
    assert!(running.times.started.is_some());
    // Other users read qstat -f: the token must not be in it.
    let (_, full, _) = cluster.run("qstat", &["-f", id.as_str()]);
    assert!(full.contains("Job_Name = notebook"), "{full}");
    assert!(
        !full.contains("tok-3f9a1c-secret"),
        "the token leaked into qstat -f:\n{full}"
    );
    let done = wait_for(&driver, &id, JobState::Finished).await;
    assert_eq!(done.exit_status, Some(0));
    let out = std::fs::read_to_string(cluster.path(&format!("notebook.o{}", seq(&id)))).unwrap();
    assert_eq!(
        out,
        format!("hello world from {}\n17\n", cluster.dir.path().display())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_2000_jobs_runs_exactly_one_qstat() {
    let cluster = Cluster::start(&[]);
    let counting = Arc::new(Counting::default());
    let driver = driver(&cluster, counting.clone(), |_| {});
    // Jobs no node can hold stay queued, whatever the test's pace.
    let job = spec(
        &cluster,
        "big",
        &["select=1:ncpus=4096", "walltime=01:00:00"],
        &["true"],
    );
    let mut ids = Vec::new();
    for _ in 0..2000 {
        ids.push(driver.submit(&job).await.unwrap());
    }
    assert_eq!(counting.qstat.load(Ordering::SeqCst), 0);
    let map = driver.status(&ids).await;
    assert_eq!(
        counting.qstat.load(Ordering::SeqCst),
        1,
        "one qstat for 2,000 jobs"
    );
    assert_eq!(map.len(), 2000);
    for id in &ids {
        let status = &map[id];
        assert_eq!(status.state, JobState::Queued, "{id}: {status:?}");
        assert!(
            status
                .comment
                .as_deref()
                .unwrap_or("")
                .starts_with("Can Never Run"),
            "{status:?}"
        );
    }
    // A small argument budget splits the same query, and still answers for every job.
    let split = self::driver(&cluster, counting.clone(), |c| c.max_arg_bytes = 4096);
    let before = counting.qstat.load(Ordering::SeqCst);
    let map = split.status(&ids).await;
    let calls = counting.qstat.load(Ordering::SeqCst) - before;
    assert!(calls > 1 && calls < 20, "{calls} qstat calls");
    assert!(ids.iter().all(|id| map[id].state == JobState::Queued));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_works_in_every_state() {
    let cluster = Cluster::start(&[]);
    let driver = driver(&cluster, Arc::new(ProcessRunner), |_| {});
    let queued = driver
        .submit(&spec(
            &cluster,
            "queued",
            &["select=1:ncpus=4096"],
            &["true"],
        ))
        .await
        .unwrap();
    let running = driver
        .submit(&spec(
            &cluster,
            "running",
            &["select=1:ncpus=1"],
            &["sleep", "60"],
        ))
        .await
        .unwrap();
    let quick = driver
        .submit(&spec(&cluster, "quick", &["select=1:ncpus=1"], &["true"]))
        .await
        .unwrap();
    wait_for(&driver, &running, JobState::Running).await;
    wait_for(&driver, &quick, JobState::Finished).await;

    driver.cancel(&queued).await.unwrap();
    driver.cancel(&running).await.unwrap();
    driver.cancel(&quick).await.unwrap(); // already finished: not an error
    let unknown = JobId::new("99999.pbs02").unwrap();
    driver.cancel(&unknown).await.unwrap(); // unknown: already gone
    let q = wait_for(&driver, &queued, JobState::Finished).await;
    assert_eq!(q.exit_status, None, "deleted before it ran");
    let r = wait_for(&driver, &running, JobState::Finished).await;
    assert_eq!(r.exit_status, Some(271), "SIGTERM");
    assert!(r.comment.unwrap().contains("terminated by"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walltime_kill_and_unknown_ids_are_reported_as_pbs_says() {
    let cluster = Cluster::start(&[]);
    let driver = driver(&cluster, Arc::new(ProcessRunner), |c| {
        c.gone_after_misses = 3
    });
    let id = driver
        .submit(&spec(
            &cluster,
            "long",
            &["select=1:ncpus=1", "walltime=00:00:02"],
            &["sleep", "60"],
        ))
        .await
        .unwrap();
    let done = wait_for(&driver, &id, JobState::Finished).await;
    assert_eq!(done.exit_status, Some(-29));
    assert!(done
        .comment
        .unwrap()
        .ends_with("exceeded resource walltime"));

    let unknown = JobId::new("99999.pbs02").unwrap();
    for round in 1..=2 {
        let map = driver.status(&[id.clone(), unknown.clone()]).await;
        assert_eq!(
            map[&id].state,
            JobState::Finished,
            "a known job is unaffected"
        );
        let status = &map[&unknown];
        assert_eq!(
            status.state,
            JobState::Unknown,
            "round {round}: not gone yet"
        );
        assert!(status
            .query_error
            .as_deref()
            .unwrap()
            .contains(&format!("{round} of 3")));
    }
    let map = driver.status(std::slice::from_ref(&unknown)).await;
    assert_eq!(
        map[&unknown].state,
        JobState::Finished,
        "gone after 3 answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qstat_outage_makes_jobs_unknown_then_nothing_is_lost() {
    let cluster = Cluster::start(&[]);
    let driver = driver(&cluster, Arc::new(ProcessRunner), |c| {
        c.gone_after_misses = 2
    });
    let ids: Vec<JobId> = {
        let mut ids = Vec::new();
        for _ in 0..5 {
            let job = spec(&cluster, "held", &["select=1:ncpus=4096"], &["true"]);
            ids.push(driver.submit(&job).await.unwrap());
        }
        ids
    };
    cluster.fault(&["qstat-fail", "--count", "3"]);
    for _ in 0..3 {
        let map = driver.status(&ids).await;
        for id in &ids {
            assert_eq!(map[id].state, JobState::Unknown);
            assert!(map[id]
                .query_error
                .as_deref()
                .unwrap()
                .contains("cannot connect to server"));
        }
    }
    // Three failed queries with gone_after_misses = 2: none of them counted as an absence.
    let map = driver.status(&ids).await;
    assert!(
        ids.iter().all(|id| map[id].state == JobState::Queued),
        "{map:?}"
    );

    // Cut JSON is asked again as text; cut text is no answer either.
    cluster.fault(&["qstat-truncate", "--count", "2"]);
    let map = driver.status(&ids).await;
    for id in &ids {
        assert_eq!(
            map[id].state,
            JobState::Unknown,
            "a cut answer is no answer"
        );
        let why = map[id].query_error.as_deref().unwrap();
        assert!(why.contains("cut short"), "{why}");
    }
    // A single cut JSON answer is recovered by the text one.
    cluster.fault(&["qstat-truncate", "--count", "1"]);
    let map = driver.status(&ids).await;
    assert!(
        ids.iter().all(|id| map[id].state == JobState::Queued),
        "{map:?}"
    );
    let map = driver.status(&ids).await;
    assert!(ids.iter().all(|id| map[id].state == JobState::Queued));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_carry_pbs_own_words() {
    let cluster = Cluster::start(&[]);
    let driver = driver(&cluster, Arc::new(ProcessRunner), |_| {});
    cluster.fault(&[
        "qsub-reject",
        "--message",
        "Project quota exceeded for alice",
    ]);
    let err = driver
        .submit(&spec(&cluster, "x", &["select=1:ncpus=1"], &["true"]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Project quota exceeded for alice"),
        "{err}"
    );
    assert!(!err.is_transient(), "{err:?}");

    let mut job = spec(&cluster, "x", &["select=1:ncpus=1"], &["true"]);
    job.queue = Some("nosuch".into());
    match driver.submit(&job).await.unwrap_err() {
        SchedulerError::Refused {
            command,
            code,
            stderr,
            error,
        } => {
            assert_eq!(error.text(), "Unknown queue");
            assert_eq!(code, Some(170));
            assert_eq!(stderr, "qsub: Unknown queue");
            assert!(command.ends_with("qsub"), "{command}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    // The server itself down: transient, with PBS's text.
    let mut cluster = cluster;
    cluster.stop();
    let err = driver
        .submit(&spec(&cluster, "x", &["select=1:ncpus=1"], &["true"]))
        .await
        .unwrap_err();
    assert!(err.is_transient());
    assert!(
        err.to_string().contains("cannot connect to server pbs02"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_format_reads_the_same_as_json() {
    let cluster = Cluster::start(&[]);
    let json = driver(&cluster, Arc::new(ProcessRunner), |_| {});
    let text = driver(&cluster, Arc::new(ProcessRunner), |c| {
        c.format = QstatFormat::Text
    });
    let id = json
        .submit(&spec(
            &cluster,
            "both",
            &["select=1:ncpus=1"],
            &["sleep", "2"],
        ))
        .await
        .unwrap();
    wait_for(&json, &id, JobState::Running).await;
    let a = json.status(std::slice::from_ref(&id)).await[&id].clone();
    let b = text.status(std::slice::from_ref(&id)).await[&id].clone();
    assert_eq!(a.state, b.state);
    assert_eq!(a.exec_host, b.exec_host);
    assert_eq!(a.exec_vnode, b.exec_vnode);
    assert_eq!(a.times, b.times);
    assert_eq!(a.queue, b.queue);
    let done = wait_for(&text, &id, JobState::Finished).await;
    assert_eq!(done.exit_status, Some(0));
}

/// What pbs-sim's `qsub` reads from a script the driver rendered for `resources`.
fn read_back(
    resources: &ResourceList,
    queue: Option<&str>,
) -> (String, pbs_sim::shims::qsub::QsubRequest) {
    use pbs_sim::shims::qsub::{build_request, parse_command_line, SubmitContext};
    use pbs_sim::shims::Invocation;
    let job = JobSpec {
        owner: UserName::new("alice").unwrap(),
        name: JobName::new("rt").unwrap(),
        queue: queue.map(str::to_string),
        resources: resources.clone(),
        environment: BTreeMap::from([("TOKEN".to_string(), "x'y".to_string())]),
        working_dir: PathBuf::from("/home/alice"),
        command: vec!["true".into()],
    };
    let script = drivers::pbs::script::render(&job, &Default::default()).unwrap();
    let Ok(Invocation::Run(cmdline)) = parse_command_line(&[]) else {
        panic!("qsub with no arguments reads stdin");
    };
    let ctx = SubmitContext {
        user: "alice".into(),
        host: "login001".into(),
        cwd: "/".into(),
        ..Default::default()
    };
    let request = build_request(&cmdline, &script, None, &ctx)
        .unwrap_or_else(|e| panic!("pbs-sim's qsub refused the script ({e}):\n{script}"));
    (script, request)
}

#[test]
fn a_rendered_script_reads_back_to_the_same_resources_with_pbs_sim_s_qsub() {
    let cases: &[&[&str]] = &[
        &["select=1:ncpus=2:mem=4gb", "walltime=02:00:00"],
        &[
            "select=2:ncpus=8:mpiprocs=8+1:ncpus=1:ngpus=1",
            "place=scatter:excl",
            "walltime=72:00:00",
        ],
        &[
            "select=1:ncpus=1:chip_type=e5-2665:interconnect=fdr",
            "walltime=00:30:00",
        ],
        &["ncpus=4", "mem=16gb", "walltime=1:00:00"],
    ];
    for resources in cases {
        let list = ResourceList::parse(resources).unwrap();
        let (script, request) = read_back(&list, Some("workq"));
        assert_eq!(request.resources, list.assignments(), "{script}");
        assert_eq!(request.job_name, "rt");
        assert_eq!(request.queue.as_deref(), Some("workq"));
        assert_eq!(request.join, pbs_sim::shims::qsub::Join::OutputAndError);
        assert_eq!(request.output_path.as_deref(), Some("/home/alice/"));
    }
}

proptest::proptest! {
    /// Any valid request the driver renders, PBS's directive parser (pbs-sim's) reads back
    /// to the same resources.
    #[test]
    fn any_rendered_request_reads_back_the_same(
        chunks in proptest::collection::vec((1u32..5, 1u32..65, proptest::option::of(1u32..513), proptest::option::of(1u32..5)), 1..4),
        place in proptest::option::of(proptest::sample::select(vec!["pack", "scatter", "free", "scatter:excl", "pack:shared"])),
        walltime in proptest::option::of((0u32..200, 0u32..60, 0u32..60)),
    ) {
        let select: Vec<String> = chunks
            .iter()
            .map(|(n, ncpus, mem, ngpus)| {
                let mut chunk = format!("{n}:ncpus={ncpus}");
                if let Some(gb) = mem { chunk.push_str(&format!(":mem={gb}gb")); }
                if let Some(g) = ngpus { chunk.push_str(&format!(":ngpus={g}")); }
                chunk
            })
            .collect();
        let mut items = vec![format!("select={}", select.join("+"))];
        if let Some(p) = place { items.push(format!("place={p}")); }
        if let Some((h, m, s)) = walltime { items.push(format!("walltime={h:02}:{m:02}:{s:02}")); }
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let list = ResourceList::parse(&refs).unwrap();
        let (script, request) = read_back(&list, None);
        proptest::prop_assert_eq!(&request.resources, &list.assignments(), "{}", script);
        let back: Vec<&str> = request.resources.iter().map(String::as_str).collect();
        proptest::prop_assert_eq!(ResourceList::parse(&back).unwrap(), list);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_busy_cluster_a_job_waits_with_pbs_reason_and_cancel_works_while_exiting() {
    let cluster = Cluster::start(&[
        "--background-load",
        "0.95",
        "--warmup",
        "30000",
        "--exit-delay",
        "3",
    ]);
    let driver = driver(&cluster, Arc::new(ProcessRunner), |_| {});
    // Every core of the 20-node cluster: it waits behind the other users' jobs.
    let (_, nodes, _) = cluster.run("pbsnodes", &["-a"]);
    let cores: u32 = nodes
        .lines()
        .filter_map(|l| l.trim().strip_prefix("resources_available.ncpus = "))
        .map(|n| n.parse::<u32>().unwrap())
        .sum();
    let select = format!("select={cores}:ncpus=1");
    let big = driver
        .submit(&spec(
            &cluster,
            "big",
            &[&select, "walltime=01:00:00"],
            &["true"],
        ))
        .await
        .unwrap();
    let status = driver.status(std::slice::from_ref(&big)).await[&big].clone();
    assert_eq!(status.state, JobState::Queued, "{status:?}");
    let comment = status.comment.unwrap_or_default();
    assert!(comment.starts_with("Not Running: "), "{comment}");
    driver.cancel(&big).await.unwrap();
    assert_eq!(
        wait_for(&driver, &big, JobState::Finished)
            .await
            .exit_status,
        None
    );

    // A job in E (its script is done, PBS is still wrapping up) is cancelled all the same;
    // on a quiet cluster, so that it starts at once.
    let cluster = Cluster::start(&["--exit-delay", "3"]);
    let driver = self::driver(&cluster, Arc::new(ProcessRunner), |_| {});
    let quick = driver
        .submit(&spec(&cluster, "quick", &["select=1:ncpus=1"], &["true"]))
        .await
        .unwrap();
    let mut exiting = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let s = driver.status(std::slice::from_ref(&quick)).await[&quick].clone();
        if s.state == JobState::Exiting {
            exiting = true;
            break;
        }
        assert_ne!(s.state, JobState::Finished, "missed the E state: {s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exiting, "the small job never ran");
    driver.cancel(&quick).await.unwrap();
    assert_eq!(
        wait_for(&driver, &quick, JobState::Finished)
            .await
            .exit_status,
        Some(0)
    );
}

/// The hub's `sim` scheduler: the same driver, its commands sent straight to the daemon's
/// socket by `SocketRunner` (no shim process), reads the same answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_runner_drives_the_daemon_without_processes() {
    use pbs_sim::socket_runner::SocketRunner;
    let cluster = Cluster::start(&[]);
    let runner = Arc::new(SocketRunner::new(cluster.socket()));
    let driver = PbsDriver::with_runner(
        PbsConfig {
            timeout: Duration::from_secs(20),
            ..PbsConfig::default()
        },
        runner.clone(),
        Vec::new(),
    );
    let job = spec(
        &cluster,
        "notebook",
        &["select=1:ncpus=2:mem=2gb", "walltime=00:10:00"],
        &["/bin/sh", "-c", "echo \"$GREETING\"; sleep 60"],
    );
    let id = driver.submit(&job).await.unwrap();
    assert!(id.as_str().ends_with(".pbs02"), "{id}");
    let running = wait_for(&driver, &id, JobState::Running).await;
    assert!(running.exec_host.as_deref().unwrap().starts_with("node"));
    driver.cancel(&id).await.unwrap();
    let finished = wait_for(&driver, &id, JobState::Finished).await;
    assert!(finished.exit_status.is_some(), "{finished:?}");
    // An option error is the client's own answer, without the daemon.
    let spec = CommandSpec {
        argv: vec!["qstat".into(), "-Z".into()],
        env: Vec::new(),
        stdin: None,
        timeout: Duration::from_secs(5),
    };
    let out = runner.run(&spec).await.unwrap();
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("invalid option"), "{out:?}");
    // A daemon that is gone reads as PBS's "cannot connect".
    let gone = SocketRunner::new(cluster.path("no-such.sock"));
    let out = gone
        .run(&CommandSpec {
            argv: vec!["qstat".into(), id.as_str().into()],
            ..spec
        })
        .await
        .unwrap();
    assert!(
        out.stderr
            .starts_with("qstat: cannot connect to server pbs02"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_jobs_is_one_qstat_and_finds_the_owners_jobs_by_name_in_both_formats() {
    let cluster = Cluster::start(&[]);
    let counting = Arc::new(Counting::default());
    let json = driver(&cluster, counting.clone(), |_| {});
    let text = driver(&cluster, Arc::new(ProcessRunner), |c| {
        c.format = QstatFormat::Text
    });
    let wanted = spec(&cluster, "adopt", &["select=1:ncpus=4096"], &["true"]);
    let first = json.submit(&wanted).await.unwrap();
    let second = json.submit(&wanted).await.unwrap();
    let other = spec(&cluster, "other", &["select=1:ncpus=4096"], &["true"]);
    json.submit(&other).await.unwrap();

    let owner = UserName::new(me()).unwrap();
    let name = JobName::new("adopt").unwrap();
    let before = counting.qstat.load(Ordering::SeqCst);
    let found = json.find_jobs(&owner, &name).await.unwrap();
    assert_eq!(counting.qstat.load(Ordering::SeqCst) - before, 1);
    let ids: Vec<&JobId> = found.iter().map(|f| &f.id).collect();
    assert_eq!(ids, [&first, &second]);
    assert!(found
        .iter()
        .all(|f| f.state == JobState::Queued && f.queued.is_some()));
    assert_eq!(text.find_jobs(&owner, &name).await.unwrap(), found);

    let nobody = JobName::new("nothing-by-this-name").unwrap();
    assert_eq!(json.find_jobs(&owner, &nobody).await.unwrap(), []);
}
