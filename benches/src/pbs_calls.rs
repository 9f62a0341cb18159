//! How many PBS commands a hub ran: the `commands:` line of `pbs-sim status`, which the
//! simulated server counts as every shim connects to it.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

/// Runs of each PBS command since the cluster daemon started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PbsCalls {
    /// `qsub` runs.
    pub qsub: u64,
    /// `qstat` runs.
    pub qstat: u64,
    /// `qdel` runs.
    pub qdel: u64,
}

impl PbsCalls {
    /// The runs between `earlier` and `self`.
    pub fn since(&self, earlier: &PbsCalls) -> PbsCalls {
        PbsCalls {
            qsub: self.qsub - earlier.qsub,
            qstat: self.qstat - earlier.qstat,
            qdel: self.qdel - earlier.qdel,
        }
    }
}

/// What `pbs-sim status` printed, summed up: the commands run, and the jobs running now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterStatus {
    /// The commands run so far.
    pub calls: PbsCalls,
    /// Jobs in R or E now.
    pub running: u64,
}

/// Parses `pbs-sim status` output: `commands:    qsub 3, qstat 9, qdel 1, pbsnodes 0` and
/// `jobs:        2 running, …`.
pub fn parse_status(text: &str) -> Option<ClusterStatus> {
    let line = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label).map(str::trim))
    };
    let mut calls = PbsCalls::default();
    for part in line("commands:")?.split(", ") {
        let (name, count) = part.split_once(' ')?;
        let count: u64 = count.parse().ok()?;
        match name {
            "qsub" => calls.qsub = count,
            "qstat" => calls.qstat = count,
            "qdel" => calls.qdel = count,
            _ => {}
        }
    }
    let running = line("jobs:")?.split_whitespace().next()?.parse().ok()?;
    Some(ClusterStatus { calls, running })
}

/// Asks the daemon on `socket` with `pbs-sim status`.
pub fn ask(pbs_sim: &Path, socket: &Path) -> anyhow::Result<ClusterStatus> {
    let out = Command::new(pbs_sim)
        .arg("status")
        .arg("--socket")
        .arg(socket)
        .output()
        .with_context(|| format!("running {} status", pbs_sim.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pbs-sim status failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_status(&text).with_context(|| format!("unexpected pbs-sim status output:\n{text}"))
}

/// `pbs-sim fault ARGS…` against the daemon on `socket`.
pub fn fault(pbs_sim: &Path, socket: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(pbs_sim)
        .arg("fault")
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()
        .with_context(|| format!("running {} fault", pbs_sim.display()))?;
    if !out.status.success() {
        bail!(
            "pbs-sim fault {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read() {
        let text = "server:      pbs02 (easy, seed 1)\n\
                    jobs:        12 running, 3 queued, 0 held, 40 finished\n\
                    processes:   52 qsub jobs launched\n\
                    commands:    qsub 55, qstat 901, qdel 40, pbsnodes 2\n";
        let status = parse_status(text).unwrap();
        assert_eq!(status.running, 12);
        assert_eq!(
            status.calls,
            PbsCalls {
                qsub: 55,
                qstat: 901,
                qdel: 40
            }
        );
        let earlier = PbsCalls {
            qsub: 50,
            qstat: 900,
            qdel: 0,
        };
        assert_eq!(
            status.calls.since(&earlier),
            PbsCalls {
                qsub: 5,
                qstat: 1,
                qdel: 40
            }
        );
    }

    #[test]
    fn an_old_daemon_without_counts_is_none() {
        assert_eq!(parse_status("jobs:        1 running, 0 queued\n"), None);
    }
}
