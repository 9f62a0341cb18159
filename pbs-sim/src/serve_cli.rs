//! `pbs-sim serve` and `pbs-sim install-shims` (part of the binary, not the library): flags
//! to a [`ServeOptions`], the runtime, and signals.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use pbs_sim::client::{default_socket, DEFAULT_PBS_VERSION, DEFAULT_SERVER};
use pbs_sim::daemon::clock::Clock;
use pbs_sim::daemon::faults::FaultRates;
use pbs_sim::daemon::journal::{BackgroundSpec, Header, JOURNAL_VERSION};
use pbs_sim::daemon::serve::{serve, ServeOptions};
use pbs_sim::engine::inventory::Inventory;

use crate::PolicyArg;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The socket the shims connect to [default: $XDG_RUNTIME_DIR/pbs-sim.sock, else
    /// /tmp/pbs-sim.sock].
    #[arg(long, env = "PBS_SIM_SOCKET", value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Where the job journal and the job spool live; a cluster found there is resumed
    /// [default: /var/spool/pbs-sim as root, else $XDG_STATE_HOME/pbs-sim or
    /// ~/.local/state/pbs-sim].
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Start a new cluster even if the state directory holds one (its jobs are forgotten).
    #[arg(long)]
    fresh: bool,
    /// Node inventory TOML (default: the built-in 2000-node Palmetto-like cluster; see
    /// `pbs-sim inventory`).
    #[arg(long, value_name = "FILE", conflicts_with = "node_count")]
    nodes: Option<PathBuf>,
    /// The built-in cluster scaled to this many nodes.
    #[arg(long, value_name = "N")]
    node_count: Option<u32>,
    /// The server's name: job ids are `<seq>.<name>`.
    #[arg(long, default_value = DEFAULT_SERVER)]
    server_name: String,
    /// Scheduling policy: `easy` (strict ordering with EASY backfill, so waiting jobs get
    /// estimated start times for `qstat -T`) or `fifo` (PBS's shipped default).
    #[arg(long, value_enum, default_value_t = PolicyArg::Easy)]
    policy: PolicyArg,
    /// Top jobs calendared under --policy easy.
    #[arg(long, default_value_t = 1)]
    backfill_depth: u32,
    /// Seed of the background workload and of random faults.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated seconds per real second (jobs' own processes run in real time; their
    /// walltime is counted in simulated time).
    #[arg(long, default_value_t = 1.0)]
    speedup: f64,
    /// Keep the cluster busy with other users' jobs at this offered load (0.85 = 85% of
    /// the cores demanded); 0 for an empty cluster.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "LOAD",
        conflicts_with = "workload"
    )]
    background_load: f64,
    /// Replay a Standard Workload Format trace as the other users' jobs.
    #[arg(long, value_name = "TRACE.swf")]
    workload: Option<PathBuf>,
    /// Cores per node when mapping the trace's processor counts to chunks.
    #[arg(long, default_value_t = 16)]
    swf_cores_per_node: u32,
    /// Simulated seconds of background history before now, so the cluster starts busy.
    #[arg(long, default_value_t = 2 * 86_400, value_name = "SECONDS")]
    warmup: u64,
    /// Seconds a job spends in `E` after its script ends.
    #[arg(long, default_value_t = 1, value_name = "SECONDS")]
    exit_delay: u64,
    /// Seconds between SIGTERM and SIGKILL when a running job is killed (PBS's
    /// `kill_delay`).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    kill_delay: f64,
    /// Where jobs' `TMPDIR`s (`pbs.<job id>`) are made, MoM's `$tmpdir` [default: `tmp` in
    /// the state directory: clusters sharing a machine number their jobs alike, and would
    /// otherwise take each other's `/var/tmp/pbs.1.pbs02`].
    #[arg(long, value_name = "DIR")]
    tmpdir: Option<PathBuf>,
    /// What `pbs_version` says.
    #[arg(long, default_value = DEFAULT_PBS_VERSION)]
    pbs_version: String,
    /// Probability that a `qstat` call fails as if the server were down.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    qstat_fail_rate: f64,
    /// Probability that a `qstat` call answers late (by --qstat-slow-ms).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    qstat_slow_rate: f64,
    /// How late a slow `qstat` answers.
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    qstat_slow_ms: u64,
    /// Probability that a `qsub` is rejected (as by a site hook).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    qsub_reject_rate: f64,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn serve_command(args: ServeArgs) -> Result<()> {
    let options = options(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => eprintln!("pbs-sim: SIGTERM, shutting down"),
                _ = tokio::signal::ctrl_c() => eprintln!("pbs-sim: SIGINT, shutting down"),
            }
        };
        serve(options, shutdown).await.map_err(anyhow::Error::from)
    })
}

fn options(args: &ServeArgs) -> Result<ServeOptions> {
    for (name, p) in [
        ("--qstat-fail-rate", args.qstat_fail_rate),
        ("--qstat-slow-rate", args.qstat_slow_rate),
        ("--qsub-reject-rate", args.qsub_reject_rate),
    ] {
        if !(0.0..=1.0).contains(&p) {
            bail!("{name} must be between 0 and 1, got {p}");
        }
    }
    if !(args.speedup > 0.0 && args.speedup.is_finite()) {
        bail!("--speedup must be a positive number, got {}", args.speedup);
    }
    if !(0.0..10.0).contains(&args.background_load) {
        bail!(
            "--background-load must be between 0 and 10 (1 = every core demanded), got {}",
            args.background_load
        );
    }
    if !(args.kill_delay >= 0.0 && args.kill_delay.is_finite()) {
        bail!(
            "--kill-delay must be a number of seconds, got {}",
            args.kill_delay
        );
    }
    let inventory = match (&args.nodes, args.node_count) {
        (Some(path), _) => Inventory::from_file(path)?,
        (None, Some(0)) => bail!("--node-count must be at least 1"),
        (None, Some(n)) => Inventory::palmetto_with_nodes(n),
        (None, None) => Inventory::palmetto(),
    };
    let background = match &args.workload {
        Some(path) => {
            let path = std::path::absolute(path)
                .with_context(|| format!("resolving {}", path.display()))?;
            if !path.is_file() {
                bail!("--workload {}: no such file", path.display());
            }
            Some(BackgroundSpec::Swf {
                path,
                cores_per_node: args.swf_cores_per_node,
                warmup: args.warmup,
            })
        }
        None if args.background_load > 0.0 => Some(BackgroundSpec::Synthetic {
            load: args.background_load,
            warmup: args.warmup,
        }),
        None => None,
    };
    let header = Header {
        version: JOURNAL_VERSION,
        server_name: args.server_name.clone(),
        policy: match args.policy {
            PolicyArg::Fifo => "fifo",
            PolicyArg::Easy => "easy",
        }
        .to_string(),
        backfill_depth: args.backfill_depth,
        seed: args.seed,
        inventory_toml: inventory.to_toml_string(),
        clock: Clock::starting_now(args.speedup),
        background,
        exit_delay: args.exit_delay,
    };
    let state_dir = args.state_dir.clone().unwrap_or_else(default_state_dir);
    Ok(ServeOptions {
        socket: args.socket.clone().unwrap_or_else(default_socket),
        tmpdir_root: args
            .tmpdir
            .clone()
            .unwrap_or_else(|| ServeOptions::default_tmpdir_root(&state_dir)),
        state_dir,
        fresh: args.fresh,
        header,
        kill_delay: Duration::from_secs_f64(args.kill_delay),
        pbs_version: args.pbs_version.clone(),
        fault_rates: FaultRates {
            qstat_fail: args.qstat_fail_rate,
            qstat_slow: args.qstat_slow_rate,
            qstat_slow_ms: args.qstat_slow_ms,
            qsub_reject: args.qsub_reject_rate,
        },
    })
}

/// `/var/spool/pbs-sim` for root (as PBS keeps `/var/spool/pbs`), else the user's state
/// directory.
fn default_state_dir() -> PathBuf {
    if nix::unistd::Uid::effective().is_root() {
        return PathBuf::from("/var/spool/pbs-sim");
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("pbs-sim")
}

#[derive(clap::Args, Debug)]
pub struct InstallShimsArgs {
    /// The directory to put `qsub`, `qstat`, `qdel` and `pbsnodes` in (put it first on
    /// PATH).
    dir: PathBuf,
    /// The daemon's socket, written to `DIR/pbs.conf`.
    #[arg(long, env = "PBS_SIM_SOCKET", value_name = "PATH")]
    socket: Option<PathBuf>,
    /// `PBS_SERVER`, written to `DIR/pbs.conf` (shown when the server cannot be reached).
    #[arg(long, default_value = DEFAULT_SERVER)]
    server_name: String,
}

/// The commands the binary stands in for when started under their names.
pub const SHIMS: [&str; 4] = ["qsub", "qstat", "qdel", "pbsnodes"];

/// Makes `DIR/{qsub,qstat,qdel,pbsnodes}` links to this binary and `DIR/pbs.conf`.
pub fn install_shims(args: &InstallShimsArgs) -> Result<()> {
    let exe = std::env::current_exe().context("finding the pbs-sim binary")?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    for name in SHIMS {
        let link = args.dir.join(name);
        match std::fs::symlink_metadata(&link) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::remove_file(&link)
                .with_context(|| format!("replacing {}", link.display()))?,
            Ok(_) => bail!(
                "{} exists and is not a link; not replacing it",
                link.display()
            ),
            Err(_) => {}
        }
        std::os::unix::fs::symlink(&exe, &link)
            .with_context(|| format!("linking {}", link.display()))?;
    }
    let socket = args.socket.clone().unwrap_or_else(default_socket);
    let socket = std::path::absolute(&socket).unwrap_or(socket);
    let conf = format!(
        "# written by pbs-sim install-shims: where these shims find their server\n\
         PBS_SERVER={}\nPBS_SIM_SOCKET={}\n",
        args.server_name,
        socket.display()
    );
    let conf_path = args.dir.join("pbs.conf");
    std::fs::write(&conf_path, conf).with_context(|| format!("writing {}", conf_path.display()))?;
    println!(
        "installed qsub, qstat, qdel and pbsnodes in {} (server {}, socket {})",
        args.dir.display(),
        args.server_name,
        socket.display()
    );
    Ok(())
}
