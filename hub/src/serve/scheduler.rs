//! The batch system the config names, as the `Arc<dyn Scheduler>` the spawner drives.
//!
//! - `pbs` — [`PbsDriver`] running the site's `qsub`/`qstat`/`qdel` as processes, through
//!   the run-as prefix (`spawner.exec_prefix`).
//! - `sim` — a `pbs-sim` daemon (a simulated PBS Pro cluster whose jobs run as real local
//!   processes) inside the hub's process, driven by the same [`PbsDriver`] through a
//!   [`SocketRunner`]: the commands are PBS Pro's texts, only the `fork` is saved.
//! - `slurm` — [`SlurmDriver`] running the site's `sbatch`/`squeue`/`scancel` the same way,
//!   the form's resources mapped to Slurm's under `[slurm]`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use drivers::job_script::BodyTemplate;
use drivers::pbs::config::PbsConfig;
use drivers::pbs::driver::PbsDriver;
use drivers::slurm::config::SlurmConfig;
use drivers::slurm::driver::SlurmDriver;
use drivers::Scheduler;
use pbs_sim::client::{DEFAULT_PBS_VERSION, DEFAULT_SERVER};
use pbs_sim::daemon::clock::Clock as SimClock;
use pbs_sim::daemon::faults::FaultRates;
use pbs_sim::daemon::journal::{BackgroundSpec, Header, JOURNAL_VERSION};
use pbs_sim::daemon::serve::{serve, ServeOptions};
use pbs_sim::engine::inventory::Inventory;
use pbs_sim::socket_runner::SocketRunner;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{HubConfig, SchedulerKind, SimSection, SlurmSection};

/// The scheduler, and the simulated cluster's task when there is one.
pub(crate) struct BuiltScheduler {
    pub scheduler: Arc<dyn Scheduler>,
    /// The in-process cluster: stopped after the hub (its jobs keep running and are
    /// re-adopted by the next start, as a PBS server restart leaves them).
    pub sim: Option<SimCluster>,
}

/// The in-process `pbs-sim` daemon.
pub(crate) struct SimCluster {
    pub socket: PathBuf,
    /// Its journal and spool (absolute).
    pub state_dir: PathBuf,
    stop: CancellationToken,
    task: JoinHandle<Result<(), pbs_sim::daemon::serve::ServeError>>,
}

impl SimCluster {
    /// Stops the daemon and waits for it.
    pub async fn stop(self) {
        self.stop.cancel();
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the simulated cluster stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "the simulated cluster's task failed"),
        }
    }
}

/// Builds what `config.spawner.scheduler` names.
pub(crate) async fn build(config: &HubConfig) -> anyhow::Result<BuiltScheduler> {
    let spawner = &config.spawner;
    let body = match &spawner.batch_script_file {
        Some(file) => {
            let text = std::fs::read_to_string(file).with_context(|| {
                format!("cannot read spawner.batch_script_file {}", file.display())
            })?;
            BodyTemplate::parse(&text)
                .with_context(|| format!("spawner.batch_script_file {}", file.display()))?
        }
        None => BodyTemplate::default(),
    };
    // Both drivers take `{user}` where the config, as JupyterHub, writes `{username}`.
    let run_as: Vec<String> = spawner
        .exec_prefix
        .iter()
        .map(|word| word.replace("{username}", "{user}"))
        .collect();
    let pbs = PbsConfig {
        timeout: spawner.command_timeout.get(),
        body: body.clone(),
        ..PbsConfig::default()
    };
    match spawner.scheduler {
        SchedulerKind::Pbs => Ok(BuiltScheduler {
            scheduler: Arc::new(PbsDriver::new(PbsConfig { run_as, ..pbs })),
            sim: None,
        }),
        SchedulerKind::Sim => {
            let cluster = start_sim(&config.sim).await?;
            let runner = Arc::new(SocketRunner::new(cluster.socket.clone()));
            let driver = PbsDriver::with_runner(pbs, runner, Vec::new());
            Ok(BuiltScheduler {
                scheduler: Arc::new(driver),
                sim: Some(cluster),
            })
        }
        SchedulerKind::Slurm => {
            // The commands' environment is the driver's default allowlist (PATH, SLURM_CONF,
            // locale), as the PBS branch keeps PBS's; the job's own comes from `env_keep`.
            let slurm = SlurmConfig {
                run_as,
                timeout: spawner.command_timeout.get(),
                body,
                ..slurm_config(&config.slurm)
            };
            Ok(BuiltScheduler {
                scheduler: Arc::new(SlurmDriver::new(slurm)),
                sim: None,
            })
        }
    }
}

/// The driver's settings that `[slurm]` names; the rest are the driver's defaults.
fn slurm_config(section: &SlurmSection) -> SlurmConfig {
    let defaults = SlurmConfig::default();
    SlurmConfig {
        sacct: if section.sacct {
            defaults.sacct.clone()
        } else {
            None
        },
        mapping: section.mapping(),
        ..defaults
    }
}

/// Starts the simulated cluster's daemon in this process and waits until it answers.
async fn start_sim(sim: &SimSection) -> anyhow::Result<SimCluster> {
    let state_dir = std::path::absolute(&sim.state_dir)
        .with_context(|| format!("sim.state_dir {}", sim.state_dir.display()))?;
    let socket = state_dir.join("pbs-sim.sock");
    let background = (sim.background_load > 0.0).then_some(BackgroundSpec::Synthetic {
        load: sim.background_load,
        warmup: 2 * 86_400,
    });
    let header = Header {
        version: JOURNAL_VERSION,
        server_name: DEFAULT_SERVER.to_string(),
        policy: "easy".to_string(),
        backfill_depth: 1,
        seed: sim.seed,
        inventory_toml: Inventory::palmetto_with_nodes(sim.node_count).to_toml_string(),
        clock: SimClock::starting_now(sim.speedup),
        background,
        exit_delay: 1,
    };
    let options_state_dir = state_dir.clone();
    let options = ServeOptions {
        socket: socket.clone(),
        state_dir,
        fresh: false,
        header,
        kill_delay: Duration::from_secs(5),
        pbs_version: DEFAULT_PBS_VERSION.to_string(),
        fault_rates: FaultRates::default(),
        tmpdir_root: ServeOptions::default_tmpdir_root(&options_state_dir),
    };
    let stop = CancellationToken::new();
    let shutdown = stop.clone().cancelled_owned();
    let task = tokio::spawn(serve(options, shutdown));
    // The socket exists once the daemon listens (a stale one is replaced first).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if task.is_finished() {
            let result = task.await.context("the simulated cluster's task failed")?;
            result.context("cannot start the simulated cluster")?;
            bail!("the simulated cluster stopped as it started");
        }
        if tokio::net::UnixStream::connect(&socket).await.is_ok() {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "the simulated cluster did not listen on {} within 60 s",
                socket.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tracing::info!(socket = %socket.display(), nodes = sim.node_count, "simulated PBS cluster up");
    Ok(SimCluster {
        socket,
        state_dir: options_state_dir,
        stop,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slurm_is_built_from_the_slurm_section() {
        let text = "[spawner]\nscheduler = \"slurm\"\n\n[slurm]\nfeatures = [\"interconnect\"]\ngpu_type = \"gpu_model\"\nsacct = false\n";
        let config = crate::config::check_config(text, "hub.toml").unwrap();
        let built = build(&config).await.unwrap();
        assert!(built.sim.is_none());
        let slurm = slurm_config(&config.slurm);
        assert_eq!(slurm.sacct, None);
        assert_eq!(slurm.mapping.features, ["interconnect"]);
        assert_eq!(slurm.mapping.gpu_type.as_deref(), Some("gpu_model"));
        assert!(slurm.env_allowlist.iter().any(|name| name == "SLURM_CONF"));
        let with_accounting = slurm_config(&SlurmSection::default());
        assert_eq!(with_accounting.sacct.as_deref(), Some("sacct"));
    }
}
