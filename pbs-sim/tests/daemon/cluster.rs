//! A `pbs-sim serve` daemon in a temporary directory, with its shims installed there, run
//! exactly as a user runs them: real processes, a real socket, real job processes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

/// The daemon's flags every test uses: a small cluster, no background load, quick kills.
pub const SMALL: &[&str] = &[
    "--node-count",
    "20",
    "--kill-delay",
    "1",
    "--exit-delay",
    "0",
];

/// A running daemon and its directory; stopped (SIGTERM) when dropped.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    daemon: Option<Child>,
    flags: Vec<String>,
}

impl Cluster {
    /// A daemon with [`SMALL`] plus `extra` flags, its shims in `<dir>/bin`.
    pub fn start(extra: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        // `extra` overrides SMALL's flag of the same name (SMALL's are all `--flag value`).
        let mut flags: Vec<String> = Vec::new();
        for pair in SMALL.chunks(2) {
            if !extra.contains(&pair[0]) {
                flags.extend(pair.iter().map(|s| s.to_string()));
            }
        }
        flags.extend(extra.iter().map(|s| s.to_string()));
        let mut cluster = Cluster {
            dir,
            daemon: None,
            flags,
        };
        let out = cluster
            .pbs_sim()
            .args(["install-shims", "bin", "--socket"])
            .arg(cluster.socket())
            .output()
            .expect("install-shims runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Jobs' TMPDIRs go where the daemon puts them by default: `state/tmp`.
        cluster.restart();
        cluster
    }

    /// `pbs-sim` in the cluster's directory, with a clean environment for the socket.
    pub fn pbs_sim(&self) -> Command {
        let mut cmd = Command::cargo_bin("pbs-sim").expect("pbs-sim is built");
        cmd.current_dir(self.dir.path())
            .env_remove("PBS_SIM_SOCKET")
            .env_remove("PBS_SERVER")
            .env("TZ", "UTC");
        cmd
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("pbs.sock")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the daemon (again, after [`Cluster::stop`]) and waits until it answers.
    pub fn restart(&mut self) {
        let child = self
            .pbs_sim()
            .arg("serve")
            .arg("--socket")
            .arg(self.socket())
            .arg("--state-dir")
            .arg(self.path("state"))
            .args(&self.flags)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pbs-sim serve starts");
        self.daemon = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self
                .pbs_sim()
                .arg("status")
                .arg("--socket")
                .arg(self.socket())
                .output()
                .unwrap();
            if out.status.success() {
                return;
            }
            if let Some(status) = self.daemon.as_mut().unwrap().try_wait().unwrap() {
                let out = self.daemon.take().unwrap().wait_with_output().unwrap();
                panic!(
                    "the daemon exited ({status}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not answer in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERMs the daemon and returns its exit status and stderr.
    pub fn stop(&mut self) -> (std::process::ExitStatus, String) {
        let child = self.daemon.take().expect("the daemon is running");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .expect("signal the daemon");
        let out = child.wait_with_output().expect("the daemon exits");
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// What `pbs-sim status` prints for this daemon.
    pub fn status(&self) -> String {
        self.operator("status", &[])
    }

    /// `pbs-sim fault <args>` against this daemon; the test fails if it is refused.
    pub fn fault(&self, args: &[&str]) {
        self.operator("fault", args);
    }

    /// `pbs-sim <command> --socket <this daemon's> <args>`; its stdout. The test fails if
    /// the daemon refuses it.
    fn operator(&self, command: &str, args: &[&str]) -> String {
        let out = self
            .pbs_sim()
            .arg(command)
            .arg("--socket")
            .arg(self.socket())
            .args(args)
            .output()
            .expect("pbs-sim runs");
        assert!(
            out.status.success(),
            "pbs-sim {command} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A shim, as `<dir>/bin/<name>` (it finds the daemon through `bin/pbs.conf`).
    pub fn shim(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.dir.path().join("bin").join(name));
        cmd.current_dir(self.dir.path())
            .env_remove("PBS_SIM_SOCKET")
            .env_remove("PBS_SERVER")
            .env("TZ", "UTC");
        cmd
    }

    /// Runs a shim; returns (exit code, stdout, stderr).
    pub fn run(&self, name: &str, args: &[&str]) -> (i32, String, String) {
        let out = self.shim(name).args(args).output().expect("the shim runs");
        (
            out.status.code().expect("exited"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Writes `script` to `<dir>/<file>` and submits it with `args`; returns the job id.
    pub fn submit(&self, file: &str, script: &str, args: &[&str]) -> String {
        std::fs::write(self.path(file), script).unwrap();
        let mut all: Vec<&str> = args.to_vec();
        all.push(file);
        let (code, out, err) = self.run("qsub", &all);
        assert_eq!(code, 0, "qsub failed: {err}");
        let id = out.trim_end().to_string();
        assert!(is_job_id(&id), "qsub printed {out:?}");
        id
    }

    /// The job's attributes from `qstat -x -f -F json`.
    pub fn job(&self, id: &str) -> Value {
        let (code, out, err) = self.run("qstat", &["-x", "-f", "-F", "json", id]);
        assert_eq!(code, 0, "qstat -xf {id}: {err}");
        let json: Value = serde_json::from_str(&out).expect("qstat -F json prints JSON");
        json["Jobs"][id].clone()
    }

    /// Waits until the job's state is `state`; returns its attributes then. Records every
    /// state seen on the way.
    pub fn wait_for(&self, id: &str, state: &str, seen: &mut Vec<String>) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let job = self.job(id);
            let now = job["job_state"].as_str().unwrap_or("?").to_string();
            if seen.last() != Some(&now) {
                seen.push(now.clone());
            }
            if now == state {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} never reached {state}; states seen {seen:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(child) = &self.daemon {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        if let Some(mut child) = self.daemon.take() {
            let _ = child.wait();
        }
    }
}

/// `<digits>.pbs02`.
pub fn is_job_id(text: &str) -> bool {
    text.split_once('.').is_some_and(|(seq, server)| {
        !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()) && server == "pbs02"
    })
}

/// Whether a process with this pid exists.
pub fn process_exists(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}
