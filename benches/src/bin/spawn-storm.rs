//! `spawn-storm`: N users start their servers at once through the hub's REST API.
//!
//! `benches/hub-storm/run.sh` starts the hub (with the in-process simulated cluster) and runs
//! this. In order: create the users (`POST /hub/api/users`, in batches; not timed as part of
//! the storm), then from t0 fire every `POST /hub/api/users/{name}/server` with bounded
//! concurrency, recording each request's latency, while
//! - a reader asks `GET /hub/api/users/{random}` a few times a second (the API's latency
//!   under the storm),
//! - a sampler reads the hub's `VmRSS`/`VmHWM` from `/proc/<pid>/status`,
//! - a watcher counts ready servers (`GET /hub/api/users?state=ready`, the pagination
//!   envelope's `total`) and the proxy's `/user/<prefix>…` routes, until both reach N.
//!
//! A start answered 429 (JupyterHub's `concurrent_spawn_limit`) is sent again after the
//! answer's `Retry-After`, as a well-behaved client does; a user's time to ready runs from
//! its first request to the moment its route appears in the proxy.
//!
//! With `--pbs-sim` and `--pbs-socket` (a `pbs-sim serve` cluster) it also counts the PBS
//! commands each phase ran, and can hold the servers for `--steady` seconds (the `qstat`s a
//! quiet hub runs) and inject a `qstat` outage of `--outage` seconds (what the hub keeps).
//! With `--hub-pid` it reads the hub's CPU time (its own and its reaped children's: the PBS
//! commands) and memory.
//!
//! Then a sample of users is fetched through the proxy (`GET <public>/user/<name>/`), every
//! server is stopped (`DELETE /hub/api/users/{name}/server`) and the client waits until no
//! server is active (`state=active`: every job has ended). Everything is bounded by
//! `--deadline`. `--timeline` and `--per-user` write CSV files for plots. The last line of
//! output is `RESULT key=value …` for the scripts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use batchhub_benches::cpu::{self, CpuTimes};
use batchhub_benches::pbs_calls::{self, ClusterStatus, PbsCalls};
use batchhub_benches::{proc_status_kib, Latencies};
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;

/// The pagination envelope's media type (JupyterHub's).
const PAGINATION: &str = "application/jupyterhub-pagination+json";

#[derive(Debug, Parser)]
#[command(name = "spawn-storm")]
struct Args {
    /// The hub's API, e.g. `http://127.0.0.1:8081/hub/api`.
    #[arg(long)]
    hub_api: String,
    /// File holding a service token with the admin role.
    #[arg(long)]
    token_file: PathBuf,
    /// The proxy's route API, e.g. `http://127.0.0.1:8001`.
    #[arg(long)]
    proxy_api: String,
    /// File holding the proxy's API token.
    #[arg(long)]
    proxy_token_file: PathBuf,
    /// The public URL (through the proxy), e.g. `http://127.0.0.1:8000`.
    #[arg(long)]
    public: String,
    /// How many users start a server.
    #[arg(long, default_value_t = 2000)]
    users: usize,
    /// User names are `<prefix><index>`.
    #[arg(long, default_value = "storm")]
    prefix: String,
    /// Start requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Reads per second by the reader under the storm.
    #[arg(long, default_value_t = 5.0)]
    reads_per_sec: f64,
    /// Users fetched through the proxy once all are routed.
    #[arg(long, default_value_t = 50)]
    sample: usize,
    /// The hub's pid, for its memory.
    #[arg(long)]
    hub_pid: Option<u32>,
    /// The proxy's pid, for its memory.
    #[arg(long)]
    proxy_pid: Option<u32>,
    /// Measure the job processes once all are routed: those whose command line names this
    /// directory (the wrappers, `hub job-wrapper <DIR>/…/spool …`) or whose working
    /// directory is under it (the jobs), the hub and proxy pids excepted.
    #[arg(long)]
    jobs_under: Option<PathBuf>,
    /// Give up on the storm after this many seconds from t0.
    #[arg(long, default_value_t = 150)]
    deadline: u64,
    /// Seconds to wait for every server to stop at the end.
    #[arg(long, default_value_t = 60)]
    stop_deadline: u64,
    /// The reader's and the sample's random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The longest wait for a 429's `Retry-After` (seconds); a 429 without one waits 1 s.
    #[arg(long, default_value_t = 120)]
    max_retry_after: u64,
    /// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100.0)]
    clk_tck: f64,
    /// The `pbs-sim` binary, to read the cluster's command counts and inject faults.
    #[arg(long, requires = "pbs_socket")]
    pbs_sim: Option<PathBuf>,
    /// The cluster daemon's socket.
    #[arg(long, requires = "pbs_sim")]
    pbs_socket: Option<PathBuf>,
    /// Once all are routed, hold the servers this many seconds and count the PBS commands
    /// the hub runs meanwhile.
    #[arg(long, default_value_t = 0)]
    steady: u64,
    /// After the steady phase, make every `qstat` fail for this many seconds, then let the
    /// hub see the cluster again for `--recover` seconds, and count what it kept.
    #[arg(long, default_value_t = 0, requires = "pbs_sim")]
    outage: u64,
    /// Seconds after the outage before counting what the hub kept.
    #[arg(long, default_value_t = 75)]
    recover: u64,
    /// Write the watcher's samples here: `t_s,ready,routed`.
    #[arg(long)]
    timeline: Option<PathBuf>,
    /// Write each user's times here: `user,first_request_s,routed_s,retries_429`.
    #[arg(long)]
    per_user: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct Api {
    client: Client,
    hub: String,
    token: String,
    proxy: String,
    proxy_token: String,
}

impl Api {
    fn hub(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.hub))
            .header("Authorization", format!("token {}", self.token))
    }

    /// How many users have a ready server, by the hub's own count (the pagination
    /// envelope's total: one cheap request). JupyterHub 6 counts a spawn still pending in
    /// it, so [`Api::ready_listed`] decides.
    async fn ready_count(&self) -> anyhow::Result<u64> {
        self.count("ready").await
    }

    /// How many users the hub lists with a ready default server, page by page.
    async fn ready_listed(&self) -> anyhow::Result<u64> {
        #[derive(Deserialize)]
        struct Server {
            #[serde(default)]
            ready: bool,
        }
        #[derive(Deserialize)]
        struct User {
            #[serde(default)]
            servers: BTreeMap<String, Server>,
        }
        #[derive(Deserialize)]
        struct Next {
            offset: u64,
        }
        #[derive(Deserialize)]
        struct Info {
            next: Option<Next>,
        }
        #[derive(Deserialize)]
        struct Page {
            items: Vec<User>,
            #[serde(rename = "_pagination")]
            pagination: Info,
        }
        let (mut offset, mut ready) = (0, 0);
        loop {
            let page: Page = self
                .users_page(&format!("state=ready&offset={offset}&limit=200"))
                .await?;
            ready += page
                .items
                .iter()
                .filter(|u| u.servers.get("").is_some_and(|s| s.ready))
                .count() as u64;
            match page.pagination.next {
                Some(next) if next.offset > offset => offset = next.offset,
                _ => return Ok(ready),
            }
        }
    }

    /// How many users have a server in `state` (`ready`, `active`, `inactive`).
    async fn count(&self, state: &str) -> anyhow::Result<u64> {
        #[derive(Deserialize)]
        struct Info {
            total: u64,
        }
        #[derive(Deserialize)]
        struct Page {
            #[serde(rename = "_pagination")]
            pagination: Info,
        }
        let page: Page = self.users_page(&format!("state={state}&limit=1")).await?;
        Ok(page.pagination.total)
    }

    /// One page of `GET /users?<query>` in JupyterHub's pagination envelope.
    async fn users_page<T: serde::de::DeserializeOwned>(&self, query: &str) -> anyhow::Result<T> {
        let response = self
            .hub(reqwest::Method::GET, &format!("/users?{query}"))
            .header("Accept", PAGINATION)
            .send()
            .await?
            .error_for_status()?;
        Ok(serde_json::from_slice(&response.bytes().await?)?)
    }

    /// The indices of the users the proxy has a route for (`/user/<prefix><index>/`).
    async fn routed_users(&self, prefix: &str) -> anyhow::Result<Vec<usize>> {
        let routes = self
            .client
            .get(format!("{}/api/routes", self.proxy))
            .header("Authorization", format!("token {}", self.proxy_token))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let routes: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&routes)?;
        let spec = format!("/user/{prefix}");
        Ok(routes
            .keys()
            .filter_map(|k| k.strip_prefix(&spec))
            .filter_map(|rest| rest.trim_end_matches('/').parse().ok())
            .collect())
    }
}

/// A process's resident memory now and at its peak, KiB.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((
        proc_status_kib(&status, "VmRSS")?,
        proc_status_kib(&status, "VmHWM")?,
    ))
}

fn name(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:05}")
}

fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_string(), |d| format!("{:.2}", d.as_secs_f64()))
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "-".to_string(),
        |d| format!("{:.1}", d.as_secs_f64() * 1e3),
    )
}

/// The job processes' count, summed `VmRSS` and summed `Pss` (KiB): see `Args::jobs_under`.
fn job_memory(dir: &std::path::Path, except: &[u32]) -> (usize, u64, u64) {
    let dir = dir.to_string_lossy().into_owned();
    let (mut count, mut rss, mut pss) = (0, 0, 0);
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return (0, 0, 0);
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if except.contains(&pid) {
            continue;
        }
        let base = entry.path();
        let cmdline = std::fs::read(base.join("cmdline")).unwrap_or_default();
        let in_cmdline = String::from_utf8_lossy(&cmdline).contains(dir.as_str());
        let in_cwd = std::fs::read_link(base.join("cwd"))
            .is_ok_and(|cwd| cwd.to_string_lossy().starts_with(dir.as_str()));
        if !in_cmdline && !in_cwd {
            continue;
        }
        let status = std::fs::read_to_string(base.join("status")).unwrap_or_default();
        let rollup = std::fs::read_to_string(base.join("smaps_rollup")).unwrap_or_default();
        count += 1;
        rss += proc_status_kib(&status, "VmRSS").unwrap_or(0);
        pss += proc_status_kib(&rollup, "Pss").unwrap_or(0);
    }
    (count, rss, pss)
}

/// What the watcher saw.
#[derive(Debug, Default)]
struct Watched {
    all_ready: Option<Duration>,
    all_routed: Option<Duration>,
    last_ready: u64,
    last_routed: usize,
    /// (seconds since t0, ready, routed), every sample.
    timeline: Vec<(f64, u64, usize)>,
    /// When each user's route first appeared.
    routed_at: Vec<Option<Duration>>,
    errors: usize,
}

async fn watch(api: Api, args: Arc<Args>, t0: Instant, done: Arc<AtomicBool>) -> Watched {
    // Two loops, so that a hub slow to answer its API does not delay seeing the routes
    // (nor the reverse): the proxy's routes are what a user reaches a server by.
    let ready = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let routed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let hub_side = tokio::spawn(watch_ready(
        api.clone(),
        args.clone(),
        t0,
        ready.clone(),
        routed.clone(),
    ));
    let mut w = watch_routes(api, args, t0, ready, routed).await;
    let (all_ready, errors) = hub_side.await.unwrap_or((None, 1));
    w.all_ready = all_ready;
    w.errors += errors;
    done.store(true, Ordering::Relaxed);
    w
}

/// Asks the hub how many servers are ready every 250 ms, until it lists all N ready; when
/// that was, and how many requests failed.
async fn watch_ready(
    api: Api,
    args: Arc<Args>,
    t0: Instant,
    ready: Arc<std::sync::atomic::AtomicU64>,
    routed: Arc<std::sync::atomic::AtomicUsize>,
) -> (Option<Duration>, usize) {
    let deadline = t0 + Duration::from_secs(args.deadline);
    let mut errors = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    while Instant::now() < deadline {
        tick.tick().await;
        match api.ready_count().await {
            Ok(n) => ready.store(n, Ordering::Relaxed),
            Err(_) => errors += 1,
        }
        // Once the hub's count or the proxy's routes say all, check the list itself.
        if ready.load(Ordering::Relaxed) as usize >= args.users
            || routed.load(Ordering::Relaxed) >= args.users
        {
            match api.ready_listed().await {
                Ok(n) if n as usize >= args.users => return (Some(t0.elapsed()), errors),
                Ok(_) => {}
                Err(_) => errors += 1,
            }
        }
    }
    (None, errors)
}

/// Reads the proxy's routes every 250 ms until every user has one: when each appeared,
/// and the timeline.
async fn watch_routes(
    api: Api,
    args: Arc<Args>,
    t0: Instant,
    ready: Arc<std::sync::atomic::AtomicU64>,
    routed: Arc<std::sync::atomic::AtomicUsize>,
) -> Watched {
    let mut w = Watched {
        routed_at: vec![None; args.users],
        ..Watched::default()
    };
    let deadline = t0 + Duration::from_secs(args.deadline);
    let mut last_line = 0.0;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    while Instant::now() < deadline && w.all_routed.is_none() {
        tick.tick().await;
        match api.routed_users(&args.prefix).await {
            Ok(users) => {
                let now = t0.elapsed();
                for i in users {
                    if let Some(slot @ None) = w.routed_at.get_mut(i) {
                        *slot = Some(now);
                    }
                }
                let n = w.routed_at.iter().filter(|t| t.is_some()).count();
                w.last_routed = n;
                routed.store(n, Ordering::Relaxed);
                if n >= args.users {
                    w.all_routed = Some(now);
                }
            }
            Err(_) => w.errors += 1,
        }
        w.last_ready = ready.load(Ordering::Relaxed);
        let at = t0.elapsed().as_secs_f64();
        w.timeline.push((at, w.last_ready, w.last_routed));
        if at - last_line >= 1.0 {
            last_line = at;
            eprintln!(
                "  t={at:6.1}s ready {:5} routed {:5}",
                w.last_ready, w.last_routed
            );
        }
    }
    w
}

/// Reads random users' models until `done`; their latencies and failures.
async fn read_while(api: Api, args: Arc<Args>, done: Arc<AtomicBool>) -> (Latencies, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut reads = Latencies::default();
    let mut failed = 0;
    let period = Duration::from_secs_f64(1.0 / args.reads_per_sec.max(0.1));
    let mut tick = tokio::time::interval(period);
    while !done.load(Ordering::Relaxed) {
        tick.tick().await;
        let user = name(&args.prefix, rng.gen_range(0..args.users));
        let start = Instant::now();
        let ok = match api
            .hub(reqwest::Method::GET, &format!("/users/{user}"))
            .send()
            .await
        {
            Ok(r) => r.status() == StatusCode::OK && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        reads.push(start.elapsed());
        if !ok {
            failed += 1;
        }
    }
    (reads, failed)
}

/// Samples the peak resident memory of `pid` until `done`: the largest `VmRSS` seen.
async fn sample_memory(pid: Option<u32>, done: Arc<AtomicBool>) -> u64 {
    let Some(pid) = pid else { return 0 };
    let mut max_rss = 0;
    while !done.load(Ordering::Relaxed) {
        if let Some((rss, _)) = memory(pid) {
            max_rss = max_rss.max(rss);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    max_rss
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    let read = |path: &PathBuf| -> anyhow::Result<String> {
        Ok(std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim()
            .to_string())
    };
    let api = Api {
        client: Client::builder()
            .pool_max_idle_per_host(args.concurrency + 8)
            .timeout(Duration::from_secs(60))
            .build()?,
        hub: args.hub_api.trim_end_matches('/').to_string(),
        token: read(&args.token_file)?,
        proxy: args.proxy_api.trim_end_matches('/').to_string(),
        proxy_token: read(&args.proxy_token_file)?,
    };
    let n = args.users;

    // Users, 200 to a request (JupyterHub's page size), before the clock starts.
    let created = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let names: Vec<String> = chunk.iter().map(|&i| name(&args.prefix, i)).collect();
        let response = api
            .hub(reqwest::Method::POST, "/users")
            .header("Content-Type", "application/json")
            .body(serde_json::json!({ "usernames": names }).to_string())
            .send()
            .await?;
        if !matches!(
            response.status(),
            StatusCode::CREATED | StatusCode::CONFLICT
        ) {
            bail!(
                "creating users: HTTP {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
    }
    eprintln!(
        "created {n} users in {:.2}s",
        created.elapsed().as_secs_f64()
    );
    let hub_before = args.hub_pid.and_then(memory);
    let cluster = Cluster::new(&args);
    let status_t0 = cluster.status()?;
    let cpu_t0 = hub_cpu(&args);

    // The storm.
    let t0 = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch(api.clone(), args.clone(), t0, done.clone()));
    let reader = tokio::spawn(read_while(api.clone(), args.clone(), done.clone()));
    let sampler = tokio::spawn(sample_memory(args.hub_pid, done.clone()));
    let proxy_sampler = tokio::spawn(sample_memory(args.proxy_pid, done.clone()));

    let permits = Arc::new(Semaphore::new(args.concurrency));
    let first_request: Arc<Mutex<Vec<Option<Duration>>>> = Arc::new(Mutex::new(vec![None; n]));
    let mut starts = JoinSet::new();
    for i in 0..n {
        let (api, args, permits) = (api.clone(), args.clone(), permits.clone());
        let first_request = first_request.clone();
        starts.spawn(async move {
            let user = name(&args.prefix, i);
            let mut retries = 0;
            loop {
                let permit = permits.clone().acquire_owned().await.expect("never closed");
                first_request.lock().await[i].get_or_insert(t0.elapsed());
                let start = Instant::now();
                let answer = api
                    .hub(reqwest::Method::POST, &format!("/users/{user}/server"))
                    .send()
                    .await;
                let took = start.elapsed();
                drop(permit);
                match answer {
                    Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
                        retries += 1;
                        let wait =
                            retry_after(r.headers()).min(Duration::from_secs(args.max_retry_after));
                        tokio::time::sleep(wait).await;
                    }
                    other => return (i, took, other.map(|r| r.status()), retries),
                }
            }
        });
    }
    let mut start_latency = Latencies::default();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut retries_429 = vec![0u32; n];
    while let Some(joined) = starts.join_next().await {
        let (i, took, status, retries) = joined?;
        start_latency.push(took);
        retries_429[i] = retries;
        let key = match status {
            Ok(s) => s.as_u16().to_string(),
            Err(e) => format!("error({})", if e.is_timeout() { "timeout" } else { "io" }),
        };
        *by_status.entry(key).or_default() += 1;
    }
    let all_sent = t0.elapsed();
    let total_429: u32 = retries_429.iter().sum();
    eprintln!(
        "all {n} start requests answered at {:.2}s: {by_status:?}, {total_429} answers 429 retried",
        all_sent.as_secs_f64()
    );

    let watched = watcher.await?;
    let cpu_storm = hub_cpu(&args)
        .zip(cpu_t0)
        .map(|(now, then)| now.since(&then));
    let proxy_cpu = args
        .proxy_pid
        .and_then(|pid| cpu::of_pid(pid, args.clk_tck));
    let status_storm = cluster.status()?;
    let (reads, read_failures) = reader.await?;
    let peak_rss_sampled = sampler.await?;
    let proxy_peak_sampled = proxy_sampler.await?;
    let hub_at_end = args.hub_pid.and_then(memory);
    let mut except: Vec<u32> = args
        .hub_pid
        .iter()
        .chain(&args.proxy_pid)
        .copied()
        .collect();
    except.push(std::process::id());
    let jobs = args
        .jobs_under
        .as_deref()
        .map(|dir| job_memory(dir, &except));
    let proxy_at_end = args.proxy_pid.and_then(memory);
    let first_request = first_request.lock().await.clone();
    let mut to_ready = Latencies::default();
    for (first, routed) in first_request.iter().zip(&watched.routed_at) {
        if let (Some(first), Some(routed)) = (first, routed) {
            to_ready.push(routed.saturating_sub(*first));
        }
    }
    write_csvs(&args, &watched, &first_request, &retries_429)?;

    // A sample through the proxy: the stand-in answers under the user's prefix.
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x5eed);
    let mut through_proxy = Latencies::default();
    let mut proxy_ok = 0;
    let sample = args.sample.min(n);
    for _ in 0..sample {
        let user = name(&args.prefix, rng.gen_range(0..n));
        let url = format!("{}/user/{user}/", args.public.trim_end_matches('/'));
        let start = Instant::now();
        let ok = match api.client.get(&url).send().await {
            Ok(r) if r.status() == StatusCode::OK => {
                r.text().await.is_ok_and(|body| body.contains(&user))
            }
            _ => false,
        };
        through_proxy.push(start.elapsed());
        if ok {
            proxy_ok += 1;
        }
    }

    // The steady phase: every server up, nobody starting or stopping.
    let steady = if args.steady > 0 {
        let (before, cpu_before) = (cluster.status()?, hub_cpu(&args));
        eprintln!("holding {n} servers for {} s", args.steady);
        tokio::time::sleep(Duration::from_secs(args.steady)).await;
        let (after, cpu_after) = (cluster.status()?, hub_cpu(&args));
        Some((
            after.map(|a| a.calls.since(&before.unwrap_or_default().calls)),
            cpu_after.zip(cpu_before).map(|(a, b)| a.since(&b)),
        ))
    } else {
        None
    };

    let outage = if args.outage > 0 {
        Some(outage(&api, &args, &cluster).await?)
    } else {
        None
    };

    // Stop every server, then wait for the active count to reach 0.
    let status_before_stop = cluster.status()?;
    let stop_t0 = Instant::now();
    let mut stops = JoinSet::new();
    let mut stop_failures = 0;
    for i in 0..n {
        let permit = permits.clone().acquire_owned().await?;
        let api = api.clone();
        let user = name(&args.prefix, i);
        stops.spawn(async move {
            let r = api
                .hub(reqwest::Method::DELETE, &format!("/users/{user}/server"))
                .send()
                .await;
            drop(permit);
            r.map(|r| r.status().is_success()).unwrap_or(false)
        });
    }
    while let Some(joined) = stops.join_next().await {
        if !joined? {
            stop_failures += 1;
        }
    }
    let stops_answered = stop_t0.elapsed();
    let stop_deadline = Instant::now() + Duration::from_secs(args.stop_deadline);
    let mut all_stopped = None;
    while Instant::now() < stop_deadline {
        if matches!(api.count("active").await, Ok(0)) {
            all_stopped = Some(stop_t0.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let status_end = cluster.status()?;

    let kib_to_mib = |k: u64| k as f64 / 1024.0;
    let (hub_rss_end, hub_hwm) = hub_at_end.unwrap_or_default();
    let (proxy_rss_end, proxy_hwm) = proxy_at_end.unwrap_or_default();
    let calls = |to: Option<ClusterStatus>, from: Option<ClusterStatus>| {
        to.zip(from).map(|(to, from)| to.calls.since(&from.calls))
    };
    let storm_calls = calls(status_storm, status_t0);
    let stop_calls = calls(status_end, status_before_stop);
    println!(
        "spawn storm: {n} users, {} start requests in flight at most",
        args.concurrency
    );
    println!(
        "  start requests answered      {:>8} s  {by_status:?}; {total_429} answers 429 (retried after Retry-After)",
        secs(Some(all_sent))
    );
    println!(
        "  all ready (hub)              {:>8} s  (last count {})",
        secs(watched.all_ready),
        watched.last_ready
    );
    println!(
        "  all routed (proxy)           {:>8} s  (last count {})",
        secs(watched.all_routed),
        watched.last_routed
    );
    println!("  per-user time to routed      {}", to_ready.summary_ms());
    println!(
        "  start request latency        {}",
        start_latency.summary_ms()
    );
    println!(
        "  GET /users/{{name}} under storm {}  failures {read_failures}",
        reads.summary_ms()
    );
    println!(
        "  through the proxy            {}/{sample} answered by their server; {}",
        proxy_ok,
        through_proxy.summary_ms()
    );
    if let Some(cpu) = cpu_storm {
        println!(
            "  hub CPU, storm (t0 to all routed)  own {:.2} s + reaped children (PBS commands) {:.2} s",
            cpu.own, cpu.children
        );
    }
    if let Some(cpu) = proxy_cpu {
        println!("  proxy CPU since it started   {:.2} s", cpu.own);
    }
    if let Some(c) = storm_calls {
        println!(
            "  PBS commands, storm          qsub {}, qstat {}, qdel {}",
            c.qsub, c.qstat, c.qdel
        );
    }
    if let Some((c, cpu)) = &steady {
        let per_min = |k: u64| k as f64 * 60.0 / args.steady as f64;
        if let Some(c) = c {
            println!(
                "  steady {} s: PBS commands   qstat {} ({:.1}/min), qsub {}, qdel {}",
                args.steady,
                c.qstat,
                per_min(c.qstat),
                c.qsub,
                c.qdel
            );
        }
        if let Some(cpu) = cpu {
            println!(
                "  steady {} s: hub CPU        own {:.2} s + PBS commands {:.2} s",
                args.steady, cpu.own, cpu.children
            );
        }
    }
    if let Some(o) = &outage {
        println!(
            "  qstat outage {} s, then {} s: servers ready before {} after {} (lost {}); qstat {} qdel {} during and after; jobs running {}, of them unknown to the hub {}",
            args.outage,
            args.recover,
            o.ready_before,
            o.ready_after,
            o.ready_before.saturating_sub(o.ready_after),
            o.calls.qstat,
            o.calls.qdel,
            o.jobs_running_after,
            o.jobs_running_after.saturating_sub(o.ready_after),
        );
    }
    println!(
        "  hub memory                   before {:.1} MiB, peak (VmHWM) {:.1} MiB, max sampled VmRSS {:.1} MiB, at end {:.1} MiB",
        kib_to_mib(hub_before.map_or(0, |m| m.0)),
        kib_to_mib(hub_hwm),
        kib_to_mib(peak_rss_sampled),
        kib_to_mib(hub_rss_end)
    );
    println!(
        "  proxy memory                 peak (VmHWM) {:.1} MiB, max sampled VmRSS {:.1} MiB, at end {:.1} MiB",
        kib_to_mib(proxy_hwm),
        kib_to_mib(proxy_peak_sampled),
        kib_to_mib(proxy_rss_end)
    );
    if let Some((count, rss, pss)) = jobs {
        println!(
            "  job processes (all routed)   {count} processes, RSS sum {:.1} MiB, PSS sum {:.1} MiB, PSS per server {:.2} MiB",
            kib_to_mib(rss),
            kib_to_mib(pss),
            kib_to_mib(pss) / n as f64
        );
    }
    println!(
        "  stop all: DELETEs answered   {:>8} s, no server active {:>8} s ({stop_failures} DELETEs failed); qdel {}; watcher errors {}",
        secs(Some(stops_answered)),
        secs(all_stopped),
        stop_calls.map_or("-".to_string(), |c| c.qdel.to_string()),
        watched.errors
    );
    let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    let cpu_field = |c: Option<CpuTimes>, f: fn(&CpuTimes) -> f64| {
        c.map_or("-".to_string(), |c| format!("{:.2}", f(&c)))
    };
    let steady_calls = steady.as_ref().and_then(|s| s.0);
    println!(
        "RESULT users={n} sent_s={} ready_s={} routed_s={} to_ready_p50_s={} to_ready_p99_s={} start_p50_ms={} start_p99_ms={} read_p50_ms={} read_p99_ms={} read_n={} read_failures={read_failures} retries_429={total_429} failed_starts={} proxy_ok={proxy_ok}/{sample} hub_cpu_s={} pbs_cpu_s={} hub_hwm_mib={:.1} hub_rss_end_mib={:.1} proxy_hwm_mib={:.1} job_procs={} job_pss_mib={:.1} qsub={} qstat={} qdel={} steady_s={} steady_qstat={} outage_lost={} outage_qdel={} outage_orphans={} stop_qdel={} stopped_s={}",
        secs(Some(all_sent)),
        secs(watched.all_ready),
        secs(watched.all_routed),
        secs(to_ready.percentile(50.0)),
        secs(to_ready.percentile(99.0)),
        ms(start_latency.percentile(50.0)),
        ms(start_latency.percentile(99.0)),
        ms(reads.percentile(50.0)),
        ms(reads.percentile(99.0)),
        reads.len(),
        by_status
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "200" | "201" | "202"))
            .map(|(_, v)| v)
            .sum::<usize>(),
        cpu_field(cpu_storm, |c| c.own),
        cpu_field(cpu_storm, |c| c.children),
        kib_to_mib(hub_hwm),
        kib_to_mib(hub_rss_end),
        kib_to_mib(proxy_hwm),
        jobs.map_or(0, |j| j.0),
        kib_to_mib(jobs.map_or(0, |j| j.2)),
        opt(storm_calls.map(|c| c.qsub)),
        opt(storm_calls.map(|c| c.qstat)),
        opt(storm_calls.map(|c| c.qdel)),
        args.steady,
        opt(steady_calls.map(|c| c.qstat)),
        opt(outage.as_ref().map(|o| o.ready_before.saturating_sub(o.ready_after))),
        opt(outage.as_ref().map(|o| o.calls.qdel)),
        opt(outage
            .as_ref()
            .map(|o| o.jobs_running_after.saturating_sub(o.ready_after))),
        opt(stop_calls.map(|c| c.qdel)),
        secs(all_stopped),
    );
    if watched.all_routed.is_none() || watched.all_ready.is_none() {
        bail!(
            "not all {n} servers were ready and routed within {} s",
            args.deadline
        );
    }
    Ok(())
}

/// The hub's CPU times now (with `--hub-pid`).
fn hub_cpu(args: &Args) -> Option<CpuTimes> {
    cpu::of_pid(args.hub_pid?, args.clk_tck)
}

/// How long a 429 asks to wait: its `Retry-After` in seconds, else 1 s.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs(1), Duration::from_secs_f64)
}

/// The simulated cluster, when the script names it.
struct Cluster {
    tools: Option<(PathBuf, PathBuf)>,
}

impl Cluster {
    fn new(args: &Args) -> Cluster {
        Cluster {
            tools: args.pbs_sim.clone().zip(args.pbs_socket.clone()),
        }
    }

    /// Its command counts and running jobs now; `None` without `--pbs-sim`.
    fn status(&self) -> anyhow::Result<Option<ClusterStatus>> {
        self.tools
            .as_ref()
            .map(|(exe, socket)| pbs_calls::ask(exe, socket))
            .transpose()
    }

    fn fault(&self, args: &[&str]) -> anyhow::Result<()> {
        let (exe, socket) = self.tools.as_ref().context("no --pbs-sim")?;
        pbs_calls::fault(exe, socket, args)
    }
}

/// What the hub kept through a `qstat` outage.
struct Outage {
    ready_before: u64,
    ready_after: u64,
    /// Commands run from the outage's start to the count after it.
    calls: PbsCalls,
    /// Jobs running in the cluster at the count.
    jobs_running_after: u64,
}

/// Every `qstat` fails for `--outage` seconds; `--recover` seconds later the hub's ready
/// servers are counted against the jobs still running.
async fn outage(api: &Api, args: &Args, cluster: &Cluster) -> anyhow::Result<Outage> {
    let ready_before = api.ready_listed().await?;
    let before = cluster.status()?.context("no cluster status")?;
    // More failures than any hub can ask for in the outage; cleared when it ends.
    cluster.fault(&["qstat-fail", "--count", "1000000"])?;
    eprintln!(
        "qstat outage for {} s with {ready_before} servers ready",
        args.outage
    );
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(args.outage) {
        tokio::time::sleep(
            Duration::from_secs(30)
                .min(Duration::from_secs(args.outage).saturating_sub(started.elapsed())),
        )
        .await;
        let status = cluster.status()?.unwrap_or_default();
        let calls = status.calls.since(&before.calls);
        eprintln!(
            "  outage t={:4.0}s: hub ready {}, jobs running {}, qstat {} qdel {} since it began",
            started.elapsed().as_secs_f64(),
            api.ready_listed()
                .await
                .map_or("?".to_string(), |n| n.to_string()),
            status.running,
            calls.qstat,
            calls.qdel,
        );
    }
    cluster.fault(&["clear"])?;
    eprintln!("qstat answers again; counting in {} s", args.recover);
    tokio::time::sleep(Duration::from_secs(args.recover)).await;
    let after = cluster.status()?.context("no cluster status")?;
    Ok(Outage {
        ready_before,
        ready_after: api.ready_listed().await?,
        calls: after.calls.since(&before.calls),
        jobs_running_after: after.running,
    })
}

/// Writes `--timeline` and `--per-user`.
fn write_csvs(
    args: &Args,
    watched: &Watched,
    first_request: &[Option<Duration>],
    retries_429: &[u32],
) -> anyhow::Result<()> {
    let s = |d: Option<Duration>| d.map_or(String::new(), |d| format!("{:.3}", d.as_secs_f64()));
    if let Some(path) = &args.timeline {
        let mut text = String::from("t_s,ready,routed\n");
        for (t, ready, routed) in &watched.timeline {
            text.push_str(&format!("{t:.3},{ready},{routed}\n"));
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.per_user {
        let mut text = String::from("user,first_request_s,routed_s,retries_429\n");
        for i in 0..args.users {
            text.push_str(&format!(
                "{},{},{},{}\n",
                name(&args.prefix, i),
                s(first_request[i]),
                s(watched.routed_at[i]),
                retries_429[i]
            ));
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
