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
//! Then a sample of users is fetched through the proxy (`GET <public>/user/<name>/`), every
//! server is stopped (`DELETE /hub/api/users/{name}/server`) and the client waits until no
//! server is active (`state=active`: every job has ended). Everything is bounded by `--deadline`. The last line of output is
//! `RESULT key=value …` for the script.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use batchhub_benches::{proc_status_kib, Latencies};
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use tokio::sync::Semaphore;
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

    /// How many users have a ready server (the pagination envelope's total).
    async fn ready_count(&self) -> anyhow::Result<u64> {
        self.count("ready").await
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
        let response = self
            .hub(
                reqwest::Method::GET,
                &format!("/users?state={state}&limit=1"),
            )
            .header("Accept", PAGINATION)
            .send()
            .await?
            .error_for_status()?;
        let page: Page = serde_json::from_slice(&response.bytes().await?)?;
        Ok(page.pagination.total)
    }

    /// How many of the proxy's routes start with `/user/<prefix>`.
    async fn route_count(&self, prefix: &str) -> anyhow::Result<usize> {
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
        Ok(routes.keys().filter(|k| k.starts_with(&spec)).count())
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
    /// (seconds since t0, ready, routed), at most one a second.
    timeline: Vec<(f64, u64, usize)>,
    errors: usize,
}

async fn watch(api: Api, args: Arc<Args>, t0: Instant, done: Arc<AtomicBool>) -> Watched {
    let mut w = Watched::default();
    let deadline = t0 + Duration::from_secs(args.deadline);
    let mut last_line = 0.0;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    while Instant::now() < deadline {
        tick.tick().await;
        if w.all_ready.is_none() {
            match api.ready_count().await {
                Ok(n) => {
                    w.last_ready = n;
                    if n as usize >= args.users {
                        w.all_ready = Some(t0.elapsed());
                    }
                }
                Err(_) => w.errors += 1,
            }
        }
        if w.all_routed.is_none() {
            match api.route_count(&args.prefix).await {
                Ok(n) => {
                    w.last_routed = n;
                    if n >= args.users {
                        w.all_routed = Some(t0.elapsed());
                    }
                }
                Err(_) => w.errors += 1,
            }
        }
        let at = t0.elapsed().as_secs_f64();
        if at - last_line >= 1.0 {
            last_line = at;
            w.timeline.push((at, w.last_ready, w.last_routed));
            eprintln!(
                "  t={at:6.1}s ready {:5} routed {:5}",
                w.last_ready, w.last_routed
            );
        }
        if w.all_ready.is_some() && w.all_routed.is_some() {
            break;
        }
    }
    done.store(true, Ordering::Relaxed);
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

    // The storm.
    let t0 = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch(api.clone(), args.clone(), t0, done.clone()));
    let reader = tokio::spawn(read_while(api.clone(), args.clone(), done.clone()));
    let sampler = tokio::spawn(sample_memory(args.hub_pid, done.clone()));
    let proxy_sampler = tokio::spawn(sample_memory(args.proxy_pid, done.clone()));

    let permits = Arc::new(Semaphore::new(args.concurrency));
    let mut starts = JoinSet::new();
    for i in 0..n {
        let permit = permits.clone().acquire_owned().await?;
        let api = api.clone();
        let user = name(&args.prefix, i);
        starts.spawn(async move {
            let start = Instant::now();
            let status = api
                .hub(reqwest::Method::POST, &format!("/users/{user}/server"))
                .send()
                .await
                .map(|r| r.status());
            drop(permit);
            (start.elapsed(), status)
        });
    }
    let mut start_latency = Latencies::default();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(joined) = starts.join_next().await {
        let (took, status) = joined?;
        start_latency.push(took);
        let key = match status {
            Ok(s) => s.as_u16().to_string(),
            Err(e) => format!("error({})", if e.is_timeout() { "timeout" } else { "io" }),
        };
        *by_status.entry(key).or_default() += 1;
    }
    let all_sent = t0.elapsed();
    eprintln!(
        "all {n} start requests answered at {:.2}s: {by_status:?}",
        all_sent.as_secs_f64()
    );

    let watched = watcher.await?;
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

    // A sample through the proxy: the built-in server answers under the user's prefix.
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

    // Stop every server, then wait for the ready count to reach 0.
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

    let kib_to_mib = |k: u64| k as f64 / 1024.0;
    let (hub_rss_end, hub_hwm) = hub_at_end.unwrap_or_default();
    let (proxy_rss_end, proxy_hwm) = proxy_at_end.unwrap_or_default();
    println!("spawn storm: {n} users, {} start requests in flight at most; cluster time = wall time (speedup 1.0)", args.concurrency);
    println!(
        "  start requests answered      {:>8} s  {by_status:?}",
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
        "  stop all: DELETEs answered   {:>8} s, no server active {:>8} s ({stop_failures} DELETEs failed); watcher errors {}",
        secs(Some(stops_answered)),
        secs(all_stopped),
        watched.errors
    );
    println!(
        "RESULT users={n} sent_s={} ready_s={} routed_s={} start_p50_ms={} start_p99_ms={} read_p50_ms={} read_p99_ms={} read_n={} proxy_ok={proxy_ok}/{sample} hub_hwm_mib={:.1} hub_rss_end_mib={:.1} proxy_hwm_mib={:.1} job_procs={} job_pss_mib={:.1} stopped_s={}",
        secs(Some(all_sent)),
        secs(watched.all_ready),
        secs(watched.all_routed),
        ms(start_latency.percentile(50.0)),
        ms(start_latency.percentile(99.0)),
        ms(reads.percentile(50.0)),
        ms(reads.percentile(99.0)),
        reads.len(),
        kib_to_mib(hub_hwm),
        kib_to_mib(hub_rss_end),
        kib_to_mib(proxy_hwm),
        jobs.map_or(0, |j| j.0),
        kib_to_mib(jobs.map_or(0, |j| j.2)),
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
