//! The hub restarted under load (SIGTERM, as systemd restarts it, then SIGKILL, as a crash
//! or the OOM killer) while 50 notebook servers run and a client keeps requesting each
//! through the proxy: no proxied request fails (hub-proxy serves its routes while the hub is
//! down), no job is deleted or resubmitted (the restarted hub re-adopts every job from its
//! database), and every server is listed ready again after each restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use batchhub_tests::pbs_hub::{singleuser, start, World};
use batchhub_tests::{eventually, job_states, HubProcess, SimCluster};
use serde_json::Value;

/// How many users, each with one running server.
const USERS: usize = 50;
/// Nodes of the simulated cluster: room for every job at once.
const NODES: u32 = 8;
/// Concurrent client loops (a few users' browsers, not a load test).
const CLIENTS: usize = 4;
/// How long the hub stays down before it is started again.
const DOWN: Duration = Duration::from_secs(3);
/// How long the client keeps going before and after each restart.
const SETTLE: Duration = Duration::from_secs(3);

/// One proxied request that did not get the server's page.
#[derive(Debug)]
struct Failure {
    user: String,
    /// Since the client started.
    at: Duration,
    what: String,
}

/// What the client saw: the time of every success, and every failure.
#[derive(Debug, Default)]
struct Seen {
    successes: Vec<Instant>,
    failures: Vec<Failure>,
}

impl Seen {
    fn successes_between(&self, from: Instant, to: Instant) -> usize {
        self.successes
            .iter()
            .filter(|at| **at >= from && **at <= to)
            .count()
    }
}

/// Clients requesting `GET {public}/user/<u>/` for every user in turn until stopped.
struct Client {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    loops: Vec<tokio::task::JoinHandle<()>>,
}

impl Client {
    fn start(public: &str, users: &[String]) -> Client {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let began = Instant::now();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let loops = (0..CLIENTS)
            .map(|n| {
                // Each loop starts at its own user so that all users are asked for evenly.
                let mut mine: Vec<String> = users.to_vec();
                mine.rotate_left(n * users.len() / CLIENTS);
                let (public, http) = (public.to_string(), http.clone());
                let (seen, stop) = (seen.clone(), stop.clone());
                tokio::spawn(async move {
                    for user in mine.iter().cycle() {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let outcome = page(&http, &format!("{public}/user/{user}/")).await;
                        {
                            let mut seen = seen.lock().expect("not poisoned");
                            match outcome {
                                Ok(()) => seen.successes.push(Instant::now()),
                                Err(what) => seen.failures.push(Failure {
                                    user: user.clone(),
                                    at: began.elapsed(),
                                    what,
                                }),
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
            })
            .collect();
        Client { seen, stop, loops }
    }

    fn successes_between(&self, from: Instant, to: Instant) -> usize {
        self.seen
            .lock()
            .expect("not poisoned")
            .successes_between(from, to)
    }

    /// Stops the loops; what they saw.
    async fn finish(self) -> Seen {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.loops {
            task.await.expect("a client loop ran to its end");
        }
        Arc::try_unwrap(self.seen)
            .expect("the loops are done")
            .into_inner()
            .expect("not poisoned")
    }
}

/// One request for a user's server: `Ok` only for its page with status 200.
async fn page(http: &reqwest::Client, url: &str) -> Result<(), String> {
    let response = http.get(url).send().await.map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| format!("body: {e:?}"))?;
    if status != 200 {
        return Err(format!("status {status}: {body:.200}"));
    }
    if !body.contains("batchhub built-in test server") {
        return Err(format!("not the server's page: {body:.200}"));
    }
    Ok(())
}

/// The users `GET /hub/api/users` lists with a ready default server, if the API answers.
async fn ready_users(world: &World) -> Option<Vec<String>> {
    let (status, body) = world.api(reqwest::Method::GET, "/users", None).await;
    if status != 200 {
        return None;
    }
    let mut ready: Vec<String> = body
        .as_array()?
        .iter()
        .filter(|user| user.pointer("/servers//ready") == Some(&Value::Bool(true)))
        .filter_map(|user| user["name"].as_str().map(str::to_string))
        .collect();
    ready.sort();
    Some(ready)
}

/// Waits until every user is listed ready and routed in the proxy.
async fn wait_all_ready(world: &World, users: &[String], limit: Duration, when: &str) {
    let what = format!("{when}: all {USERS} servers are listed ready and routed");
    eventually(limit, &what, || async {
        if ready_users(world).await.as_deref() != Some(users) {
            return None;
        }
        let routes = world.routes().await;
        users
            .iter()
            .all(|user| routes.get(format!("/user/{user}")).is_some())
            .then_some(())
    })
    .await;
}

/// Restarts the hub with `kill` (SIGTERM or SIGKILL) while the client runs; checks that
/// the hub comes back with every server ready, the same jobs and the same proxy. The
/// client's successes while the hub was down.
async fn restart(
    world: &World,
    cluster: &SimCluster,
    hub: HubProcess,
    users: &[String],
    client: &Client,
    how: &str,
    kill: fn(HubProcess),
) -> (HubProcess, usize) {
    let jobs = job_states(cluster);
    let proxy = world.proxy_pid();
    tokio::time::sleep(SETTLE).await;

    let down = Instant::now();
    tokio::task::spawn_blocking(move || kill(hub))
        .await
        .expect("the hub is stopped");
    tokio::time::sleep(DOWN).await;
    let mut hub = world.start_hub(cluster);
    world.wait_up().await;
    let up = Instant::now();
    let while_down = client.successes_between(down, up);
    wait_all_ready(world, users, Duration::from_secs(60), how).await;
    assert!(hub.running(), "after {how}: the restarted hub runs");

    assert_eq!(
        world.proxy_pid(),
        proxy,
        "after {how}: the hub adopted the running proxy\n{}",
        world.log()
    );
    assert_eq!(
        job_states(cluster),
        jobs,
        "after {how}: the same jobs, still running\n{}",
        world.log()
    );
    tokio::time::sleep(SETTLE).await;
    eprintln!(
        "{how}: hub down (signal to API) {:?}, {while_down} proxied pages served meanwhile",
        up - down
    );
    (hub, while_down)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_restarted_with_sigterm_and_sigkill_under_load_drops_no_request_and_no_job() {
    let began = Instant::now();
    let (world, cluster, hub) = start(&singleuser(0), NODES).await;
    let users: Vec<String> = (0..USERS).map(|n| format!("user{n:02}")).collect();
    for (user, status) in users.iter().zip(world.create_and_start(&users).await) {
        assert!(status == 202 || status == 201, "{user}: {status}");
    }
    wait_all_ready(&world, &users, Duration::from_secs(120), "at start").await;
    let jobs = job_states(&cluster);
    assert_eq!(jobs.len(), USERS, "one job per server: {jobs:?}");
    assert!(jobs.iter().all(|(_, s)| s == "R"), "{jobs:?}");
    eprintln!("{USERS} servers ready after {:?}", began.elapsed());

    let client = Client::start(&world.public, &users);
    let (hub, down_term) = restart(
        &world,
        &cluster,
        hub,
        &users,
        &client,
        "SIGTERM",
        HubProcess::stop,
    )
    .await;
    let (hub, down_kill) = restart(
        &world,
        &cluster,
        hub,
        &users,
        &client,
        "SIGKILL",
        HubProcess::kill9,
    )
    .await;
    let seen = client.finish().await;

    eprintln!(
        "{} proxied pages served, {} failed",
        seen.successes.len(),
        seen.failures.len()
    );
    let failures: Vec<String> = seen
        .failures
        .iter()
        .map(|f| format!("{:>8.3?} {}: {}", f.at, f.user, f.what))
        .collect();
    assert!(
        failures.is_empty(),
        "{} proxied requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every server many times over while the hub was down (a stalled client would pass
    // the check above with nothing done).
    for (how, served) in [("SIGTERM", down_term), ("SIGKILL", down_kill)] {
        assert!(
            served >= USERS,
            "while the hub was down after {how}, only {served} pages were served"
        );
    }
    assert_eq!(job_states(&cluster), jobs, "no job deleted or resubmitted");
    let log = world.log();
    for word in ["cancelling", "qdel", "cancel failed"] {
        assert!(!log.contains(word), "the hub log says {word:?}:\n{log}");
    }

    for user in &users {
        let (status, _) = world
            .api(
                reqwest::Method::DELETE,
                &format!("/users/{user}/server"),
                None,
            )
            .await;
        assert!(status == 204 || status == 202, "stop {user}: {status}");
    }
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    world.wait_all_ended(&cluster, &names).await;
    hub.stop();
    eprintln!("the whole test took {:?}", began.elapsed());
}
