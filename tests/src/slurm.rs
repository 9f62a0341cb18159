//! A real, private Slurm cluster for the Slurm driver's tests: `.ci/slurm-cluster.sh` run
//! in a temporary directory, on free ports, so tests can run side by side.
//!
//! It needs Slurm installed (`.ci/slurm-cluster.sh install`); tests that use it are
//! `#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running cluster: munged, slurmctld and one slurmd per node, all under [`dir`].
/// Partitions `batch` (the default, no time limit) and `debug` (`MaxTime=00:30:00`) span
/// every node. Stopped and removed when dropped.
///
/// [`dir`]: SlurmCluster::dir
#[derive(Debug)]
pub struct SlurmCluster {
    dir: tempfile::TempDir,
}

impl SlurmCluster {
    /// Starts `nodes` nodes (`node0001`…) of `cpus` CPUs each; returns once every node is
    /// idle. Panics with the script's stderr if it cannot.
    pub fn start(nodes: u32, cpus: u32) -> SlurmCluster {
        let dir = tempfile::Builder::new()
            .prefix("bh-slurm-")
            .tempdir()
            .expect("a temporary directory");
        // Jobs run as their submitters, who must reach the config and munge socket inside.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod the cluster directory");
        }
        let cluster = SlurmCluster { dir };
        let ctld_port = crate::free_port();
        let node_port_base = free_port_range(nodes, ctld_port) - 1;
        let out = cluster
            .script()
            .arg("up")
            .env("SLURM_NODES", nodes.to_string())
            .env("SLURM_CPUS", cpus.to_string())
            .env("SLURM_CTLD_PORT", ctld_port.to_string())
            .env("SLURM_NODE_PORT_BASE", node_port_base.to_string())
            .output()
            .expect("slurm-cluster.sh runs");
        check("up", &out);
        cluster
    }

    /// The cluster's directory (config, state, spool, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its `slurm.conf`: what `SLURM_CONF` must name for the clients to reach it.
    pub fn conf(&self) -> PathBuf {
        self.dir().join("etc/slurm.conf")
    }

    /// The environment a Slurm client needs: `SLURM_CONF`, and `PATH` (this process's).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("SLURM_CONF".into(), self.conf().display().to_string()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ]
    }

    /// Runs a Slurm client (`sbatch`, `squeue`, …) against this cluster; its output.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .env("SLURM_CONF", self.conf())
            .output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"))
    }

    /// Stops slurmctld alone (a controller outage); the nodes and their jobs go on.
    pub fn stop_ctld(&self) {
        let out = self
            .script()
            .arg("stop-ctld")
            .output()
            .expect("slurm-cluster.sh runs");
        check("stop-ctld", &out);
    }

    /// Starts slurmctld again over its saved state.
    pub fn start_ctld(&self) {
        let out = self
            .script()
            .arg("start-ctld")
            .output()
            .expect("slurm-cluster.sh runs");
        check("start-ctld", &out);
    }

    fn script(&self) -> Command {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/slurm-cluster.sh");
        let mut command = Command::new("bash");
        command.arg(path).env("SLURM_DIR", self.dir());
        command
    }
}

impl Drop for SlurmCluster {
    fn drop(&mut self) {
        match self.script().args(["down", "--clean"]).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "slurm-cluster.sh down failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("slurm-cluster.sh down does not run: {e}"),
        }
    }
}

fn check(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "slurm-cluster.sh {what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The first of `count` consecutive ports that are free now (slurmd binds `0.0.0.0`), none
/// of them `avoid`.
fn free_port_range(count: u32, avoid: u16) -> u16 {
    for _ in 0..100 {
        let first = crate::free_port();
        let Some(last) = first.checked_add(count as u16) else {
            continue;
        };
        let all_free =
            (first..last).all(|port| port != avoid && TcpListener::bind(("0.0.0.0", port)).is_ok());
        if all_free {
            return first;
        }
    }
    panic!("no {count} consecutive free ports found");
}
