//! The daemon's state between requests, and what it does with each: the cluster
//! ([`Server`]), the job processes ([`Runner`]) and pending faults, moved along by
//! [`Daemon::tick`] and asked by the shims through [`handle`].

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::commands;
use super::faults::Faults;
use super::protocol::{Command, Reply, Request};
use super::server::{Action, Server};
use super::userjob::{local_path, Join};
use crate::engine::job::{EndReason, JobKey};
use crate::engine::res::SimTime;
use crate::runner::env::{JOB_EXEC_FAIL1, JOB_EXEC_FAILUID, JOB_EXEC_INITABT};
use crate::runner::{self, Adopted, JobLaunch, JobScript, KillReason, Runner, RunnerError};

/// Who sent a request: from the socket's peer credentials, never from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The user id.
    pub uid: u32,
    /// The user name (the uid in digits when it has no account).
    pub user: String,
    /// A PBS manager: root, or the user the daemon runs as (who owns the simulated cluster).
    pub manager: bool,
}

impl Peer {
    /// The peer with user id `uid`.
    pub fn from_uid(uid: u32) -> Peer {
        let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |u| u.name);
        Peer {
            uid,
            user,
            manager: uid == 0 || uid == nix::unistd::Uid::effective().as_raw(),
        }
    }
}

/// Everything the daemon holds.
#[derive(Debug)]
pub struct Daemon {
    /// The cluster.
    pub server: Server,
    /// The user jobs' processes.
    pub runner: Runner,
    /// Faults waiting to strike.
    pub faults: Faults,
    /// What `pbs_version` says.
    pub pbs_version: String,
    /// Where jobs' `TMPDIR`s are made (MoM's `$tmpdir`).
    pub tmpdir_root: PathBuf,
    /// How many times each command has been run since the daemon started (`pbs-sim
    /// status`): what a hub costs the PBS server, counted where every shim ends up.
    pub calls: CallCounts,
}

/// Shim invocations by command, since the daemon started (not journaled: a restarted
/// daemon counts from zero).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// `qsub` runs.
    pub qsub: u64,
    /// `qstat` runs, failed ones included.
    pub qstat: u64,
    /// `qdel` runs.
    pub qdel: u64,
    /// `pbsnodes` runs.
    pub pbsnodes: u64,
}

impl CallCounts {
    /// Counts one run of `command`.
    pub fn count(&mut self, command: Command) {
        let slot = match command {
            Command::Qsub => &mut self.qsub,
            Command::Qstat => &mut self.qstat,
            Command::Qdel => &mut self.qdel,
            Command::Pbsnodes => &mut self.pbsnodes,
        };
        *slot += 1;
    }
}

impl Daemon {
    /// Simulated time now.
    pub fn now(&self) -> SimTime {
        self.server.header().clock.now()
    }

    /// Moves the cluster to now: arrivals, ends and walltime kills that fell due, processes
    /// that exited; then starts and kills processes as the server asks.
    pub fn tick(&mut self) {
        let now = self.now();
        self.server.step(now);
        for (job_id, status) in self.runner.poll() {
            if let Some(key) = self.server.engine().key_of(&job_id) {
                self.server.script_exited(now, key, status);
            }
        }
        let actions = self.server.take_actions();
        self.carry_out(actions);
    }

    /// [`Daemon::tick`] without looking at the job processes: what simulated time alone
    /// brings (arrivals, ends, walltime kills). Run before every request, it keeps answers
    /// true to the moment at a cost independent of the number of running jobs; a process
    /// that exited is learned by the tick loop, at most 100 ms later, as a
    /// real MoM's report reaches the server a little after the job ends.
    pub fn advance_clock(&mut self) {
        let now = self.now();
        self.server.step(now);
        let actions = self.server.take_actions();
        self.carry_out(actions);
    }

    /// How long the tick loop may sleep before something is due in simulated time.
    pub fn until_next_wakeup(&mut self) -> Duration {
        match self.server.next_wakeup() {
            Some(t) => Duration::from_millis(self.server.header().clock.real_ms_until(t)),
            None => Duration::MAX,
        }
    }

    /// After a restart: finds the processes of the jobs the journal says were launched. A
    /// process still running is watched again (and killed again if its job was being
    /// killed); one that ended while the daemon was down reports its exit status; one that
    /// vanished without a trace ends its job with `JOB_EXEC_INITABT`. Jobs the journal
    /// started but never launched are launched now.
    pub fn adopt(&mut self) {
        let actions = self.server.take_actions();
        let launching: BTreeSet<JobKey> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Launch(key) => Some(*key),
                _ => None,
            })
            .collect();
        let engine = self.server.engine();
        let ids: Vec<String> = self
            .server
            .launched()
            .filter(|key| !launching.contains(key))
            .map(|key| engine.job_id(key).to_string())
            .collect();
        let now = self.now();
        for (job_id, adopted) in self.runner.adopt(&ids) {
            let Some(key) = self.server.engine().key_of(&job_id) else {
                continue;
            };
            match adopted {
                Adopted::Running => {
                    let exiting = self
                        .server
                        .engine()
                        .job(key)
                        .is_some_and(|j| j.state == drivers::JobState::Exiting);
                    if exiting {
                        // It was being killed when the daemon stopped: finish the job.
                        let _ = self.runner.kill(&job_id, KillReason::Deleted);
                    }
                }
                Adopted::Exited(status) => self.server.script_exited(now, key, status),
                Adopted::Lost => {
                    eprintln!("pbs-sim: the process of job {job_id} is gone without a trace");
                    self.server.script_exited(now, key, JOB_EXEC_INITABT);
                }
            }
        }
        let mut actions = actions;
        actions.extend(self.server.take_actions());
        self.carry_out(actions);
    }

    /// Starts, kills and forgets processes as the server asked; a launch that fails ends its
    /// job at once with MoM's status for it.
    fn carry_out(&mut self, mut actions: Vec<Action>) {
        while !actions.is_empty() {
            for action in std::mem::take(&mut actions) {
                match action {
                    Action::Launch(key) => {
                        if let Err((status, e)) = self.launch(key) {
                            eprintln!("pbs-sim: cannot start job {key}: {e}");
                            let now = self.now();
                            self.server.script_exited(now, key, status);
                        }
                    }
                    Action::Kill(key, reason) => self.kill(key, &reason),
                    Action::Forget(key) => {
                        let id = self.server.engine().job_id(key).to_string();
                        self.runner.forget(&id);
                    }
                }
            }
            // A failed launch ends its job, which may free room for others.
            actions = self.server.take_actions();
        }
    }

    fn launch(&mut self, key: JobKey) -> Result<(), (i32, RunnerError)> {
        let launch = self.job_launch(key);
        self.runner.launch(&launch).map_err(|e| {
            let status = match e {
                RunnerError::UnknownOwner { .. } => JOB_EXEC_FAILUID,
                _ => JOB_EXEC_FAIL1,
            };
            (status, e)
        })
    }

    /// What MoM receives for user job `key`, which the engine has started.
    fn job_launch(&self, key: JobKey) -> JobLaunch {
        let engine = self.server.engine();
        let job = engine.job(key).expect("a started job is in the table");
        let user = self
            .server
            .user_job(key)
            .expect("only user jobs are launched");
        let nodes = job
            .alloc
            .iter()
            .flatten()
            .map(|slot| engine.cluster().nodes[slot.node as usize].def.name.clone())
            .collect();
        JobLaunch {
            job_id: engine.job_id(key).to_string(),
            job_name: job.name.clone(),
            owner: job.owner.clone(),
            queue: engine.config().queues[job.queue].name.clone(),
            script: JobScript::Text(user.script.clone()),
            cwd: None,
            output_path: PathBuf::from(local_path(&user.output_path(key))),
            error_path: PathBuf::from(local_path(&user.error_path(key))),
            join: match user.join {
                Join::No => runner::Join::None,
                Join::OutErr => runner::Join::OutErr,
                Join::ErrOut => runner::Join::ErrOut,
            },
            variables: user.variables.clone(),
            nodes,
            ncpus: job
                .alloc
                .as_ref()
                .and_then(|a| a.first())
                .map_or(1, |s| s.res.ncpus),
            tmpdir_root: self.tmpdir_root.clone(),
        }
    }

    fn kill(&mut self, key: JobKey, reason: &EndReason) {
        let engine = self.server.engine();
        let id = engine.job_id(key).to_string();
        let reason = match (reason, engine.job(key)) {
            (EndReason::Walltime, Some(job)) => {
                let limit = job.request.walltime.map_or(0, |w| w.as_secs());
                let used = self.now().saturating_sub(job.started.unwrap_or(0));
                // MoM kills only once the walltime *exceeds* the limit, so what it reports
                // is always past it.
                KillReason::Walltime {
                    used: used.max(limit + 1),
                    limit,
                }
            }
            _ => KillReason::Deleted,
        };
        if let Err(e) = self.runner.kill(&id, reason) {
            eprintln!("pbs-sim: cannot kill job {id}: {e}");
        }
    }
}

/// Answers one request from `peer`; the delay, if any, is how long to wait before
/// answering (an injected slow server).
pub fn handle(daemon: &mut Daemon, peer: &Peer, request: Request) -> (Reply, Option<Duration>) {
    // Bring the cluster to now first: what the client sees is the cluster at this moment.
    // (Not `tick`: checking every running job's process on each of a thousand qsubs made
    // a storm quadratic.)
    daemon.advance_clock();
    let result = match request {
        Request::Run(invocation) => {
            daemon.calls.count(invocation.command);
            commands::run(daemon, peer, &invocation)
        }
        Request::Control(control) => (commands::control(daemon, peer, control), None),
    };
    // A submission or deletion may have started or killed jobs.
    let actions = daemon.server.take_actions();
    daemon.carry_out(actions);
    result
}
