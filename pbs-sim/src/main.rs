//! `pbs-sim`: the simulated PBS Pro cluster's command line.
//!
//! - `pbs-sim simulate` — runs a workload (synthetic or an SWF trace) through the engine under
//!   PBS's default policy or EASY backfill and prints what it measured.
//! - `pbs-sim inventory` — prints the default 2000-node inventory as an editable TOML file.
//! - `pbs-sim serve` — one simulated cluster behind a local socket ([`serve_cli`]).
//! - `pbs-sim install-shims DIR` — links `qsub`, `qstat`, `qdel`, `pbsnodes` to this binary;
//!   started under one of those names, it is that command ([`pbs_sim::client::run_shim`]).
//! - `pbs-sim status`, `pbs-sim fault …` — ask a running daemon ([`control_cli`]).

mod control_cli;
mod serve_cli;

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use pbs_sim::engine::config::{EngineConfig, Policy};
use pbs_sim::engine::inventory::Inventory;
use pbs_sim::engine::Engine;
use pbs_sim::simulate::{self, Outcome};
use pbs_sim::workload::swf::{SwfMapping, SwfReader};
use pbs_sim::workload::synthetic::{Synthetic, SyntheticConfig};

use pbs_sim::daemon::protocol::Command as Shim;

// A simulation allocates and frees millions of small job records; mimalloc does that
// markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(name = "pbs-sim", version, about = "A simulated PBS Pro cluster")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a workload through the simulated cluster and report waits, utilization and speed.
    Simulate(SimulateArgs),
    /// Print the default 2000-node Palmetto-like inventory as TOML (edit it, pass it back
    /// with --nodes).
    Inventory,
    /// Serve one simulated cluster to the qsub/qstat/qdel/pbsnodes shims until SIGTERM.
    Serve(Box<serve_cli::ServeArgs>),
    /// Make qsub, qstat, qdel and pbsnodes in DIR: links to this binary, plus a pbs.conf
    /// naming the daemon's socket.
    InstallShims(serve_cli::InstallShimsArgs),
    /// Print a running daemon's summary of its cluster.
    Status(control_cli::StatusArgs),
    /// Make a running daemon misbehave on purpose: failing or slow qstat, rejected qsub,
    /// nodes going down, jobs dying.
    Fault(control_cli::FaultArgs),
    /// Runs one job as MoM would (started by `pbs-sim serve`, not by people).
    #[command(hide = true)]
    JobWrapper { spool: PathBuf, job_id: String },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyArg {
    /// PBS's shipped default: start every job that fits, in priority then submit order.
    Fifo,
    /// Strict ordering with EASY backfill (`--backfill-depth` top jobs calendared).
    Easy,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum QueuesArg {
    /// Palmetto-like: a routing `workq` sending jobs to gpu, bigmem, c1_single, c2_multi.
    Palmetto,
    /// One execution queue `workq` without limits.
    Single,
}

#[derive(clap::Args, Debug)]
struct SimulateArgs {
    /// Number of synthetic jobs (ignored with --swf).
    #[arg(long, default_value_t = 100_000)]
    jobs: u64,
    /// Seed of the synthetic workload.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Offered load of the synthetic workload: demanded core-seconds over capacity.
    #[arg(long, default_value_t = 0.9)]
    load: f64,
    /// Replay a Standard Workload Format trace instead of a synthetic workload.
    #[arg(long, value_name = "FILE")]
    swf: Option<PathBuf>,
    /// Cores per node when mapping SWF processor counts to chunks.
    #[arg(long, default_value_t = 16)]
    swf_cores_per_node: u32,
    /// Scheduling policy.
    #[arg(long, value_enum, default_value_t = PolicyArg::Easy)]
    policy: PolicyArg,
    /// Top jobs calendared under --policy easy (PBS's backfill_depth).
    #[arg(long, default_value_t = 1)]
    backfill_depth: u32,
    /// Queue layout.
    #[arg(long, value_enum, default_value_t = QueuesArg::Palmetto)]
    queues: QueuesArg,
    /// Node inventory TOML (default: the built-in 2000-node cluster).
    #[arg(long, value_name = "FILE", conflicts_with = "node_count")]
    nodes: Option<PathBuf>,
    /// The built-in Palmetto-like cluster scaled to this many nodes (each phase keeps its
    /// share), to see how cost grows with the cluster.
    #[arg(long, value_name = "N")]
    node_count: Option<u32>,
    /// Print a progress line every this many submitted jobs (0: never).
    #[arg(long, default_value_t = 100_000)]
    progress: u64,
}

fn main() -> Result<()> {
    // Started as `qsub`, `qstat`, `qdel` or `pbsnodes` (a link made by install-shims)?
    let mut argv = std::env::args();
    let argv0 = argv.next().unwrap_or_default();
    let name = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(shim) = Shim::from_name(&name) {
        std::process::exit(pbs_sim::client::run_shim(shim, &argv0, argv.collect()));
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve_cli::serve_command(*args),
        Command::InstallShims(args) => serve_cli::install_shims(&args),
        Command::Status(args) => std::process::exit(control_cli::status(&args)?),
        Command::Fault(args) => std::process::exit(control_cli::fault(args)?),
        Command::Simulate(args) => simulate_command(&args),
        Command::Inventory => {
            print!("{}", Inventory::palmetto().to_toml_string());
            Ok(())
        }
        Command::JobWrapper { spool, job_id } => {
            std::process::exit(pbs_sim::runner::wrapper_main(&spool, &job_id))
        }
    }
}

fn simulate_command(args: &SimulateArgs) -> Result<()> {
    let inventory = match (&args.nodes, args.node_count) {
        (Some(path), _) => Inventory::from_file(path)?,
        (None, Some(0)) => bail!("--node-count must be at least 1"),
        (None, Some(n)) => Inventory::palmetto_with_nodes(n),
        (None, None) => Inventory::palmetto(),
    };
    let policy = match args.policy {
        PolicyArg::Fifo => Policy::Fifo,
        PolicyArg::Easy => Policy::EasyBackfill {
            depth: args.backfill_depth,
        },
    };
    let config = match args.queues {
        QueuesArg::Palmetto => EngineConfig {
            policy,
            ..EngineConfig::palmetto()
        },
        QueuesArg::Single => EngineConfig::single_queue(policy),
    };
    if !(args.load > 0.0 && args.load.is_finite()) {
        bail!("--load must be a positive number, got {}", args.load);
    }
    let mut engine = Engine::new(config, &inventory).context("building the simulated server")?;
    let progress = |n: u64| eprintln!("pbs-sim: {n} jobs submitted");
    let started = Instant::now();
    let (source, outcome) = match &args.swf {
        Some(path) => {
            let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let mapping = SwfMapping {
                cores_per_node: args.swf_cores_per_node,
                ..SwfMapping::default()
            };
            let reader = SwfReader::new(BufReader::new(file), mapping);
            let outcome = simulate::run(&mut engine, reader, args.progress, progress)
                .with_context(|| format!("reading {}", path.display()))?;
            (format!("swf {}", path.display()), outcome)
        }
        None => {
            let config = SyntheticConfig {
                jobs: args.jobs,
                seed: args.seed,
                offered_load: args.load,
                ..SyntheticConfig::default()
            };
            let workload = Synthetic::new(config, &inventory)?;
            let jobs = workload.map(Ok::<_, std::convert::Infallible>);
            let outcome = match simulate::run(&mut engine, jobs, args.progress, progress) {
                Ok(o) => o,
                Err(never) => match never {},
            };
            (
                format!(
                    "synthetic, {} jobs, seed {}, load {}",
                    args.jobs, args.seed, args.load
                ),
                outcome,
            )
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let stats = engine.stats();
    eprintln!(
        "pbs-sim: {} full scheduling passes, {} jobs looked at, {} reservations computed",
        stats.full_passes, stats.considered, stats.reservations_computed
    );
    report(args, &inventory, &source, &outcome, elapsed);
    Ok(())
}

fn report(args: &SimulateArgs, inventory: &Inventory, source: &str, o: &Outcome, elapsed: f64) {
    let policy = match args.policy {
        PolicyArg::Fifo => "fifo (PBS default)".to_string(),
        PolicyArg::Easy => format!("easy backfill, depth {}", args.backfill_depth),
    };
    let hours = |s: f64| s / 3600.0;
    println!("workload      {source}");
    println!(
        "cluster       {} nodes, {} cpus",
        inventory.nodes.len(),
        inventory.total_ncpus()
    );
    println!("policy        {policy}");
    println!(
        "jobs          {} offered, {} accepted, {} rejected at submit",
        o.offered, o.accepted, o.rejected
    );
    println!(
        "              {} completed ({} killed at walltime), {} can never run",
        o.completed, o.walltime_killed, o.never_ran
    );
    println!(
        "wait          mean {:.2} h, median {:.2} h, p95 {:.2} h",
        hours(o.wait_mean),
        hours(o.wait_median as f64),
        hours(o.wait_p95 as f64)
    );
    println!(
        "utilization   {:.1} % over {:.1} simulated days",
        o.utilization * 100.0,
        o.makespan as f64 / 86400.0
    );
    println!(
        "speed         {:.2} s host time, {:.0} jobs/s",
        elapsed,
        o.offered as f64 / elapsed.max(1e-9)
    );
    if let Some(kb) = peak_rss_kb() {
        println!("peak memory   {:.0} MiB", kb as f64 / 1024.0);
    }
    println!("seed          {}", args.seed);
}

/// The process's peak resident set (`VmHWM`), on Linux.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
