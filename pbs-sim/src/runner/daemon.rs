//! The daemon's side of the job runner: [`Runner`] starts wrappers, signals jobs, and reads
//! how they ended. Every call is short and never waits on a process, so the daemon may make
//! them while holding its state lock.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::signal::killpg;
use nix::unistd::{self, Pid, User};

use super::env::{decide_run_as, walltime_message, RunAs, JOB_EXEC_INITABT};
use super::error::RunnerError;
use super::kill::{kill_step, KillState};
use super::launch::{is_valid_job_id, JobLaunch};
use super::procfs;
use super::spool::{private_file, read_int, write_atomic, JobSpool, WrapperId};
use super::WRAPPER_SUBCOMMAND;

/// How the runner is set up.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// The spool directory (one entry per job); it must outlive the daemon, so that a
    /// restarted daemon finds its running jobs.
    pub spool: PathBuf,
    /// The `pbs-sim` binary to start as `pbs-sim job-wrapper …` (the daemon's own).
    pub wrapper_exe: PathBuf,
    /// Between SIGTERM and SIGKILL when a job is killed (PBS's `kill_delay`, 10 s by
    /// default). The SIGKILL goes out on the first [`Runner::poll`] after it.
    pub kill_delay: Duration,
}

/// Why a job is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillReason {
    /// `qdel`.
    Deleted,
    /// The job ran past its walltime limit.
    Walltime {
        /// Seconds used.
        used: u64,
        /// The limit, in seconds.
        limit: u64,
    },
}

/// A job found again after a restart of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adopted {
    /// Its wrapper is still running it; the runner tracks it again.
    Running,
    /// It ended with this `Exit_status` while no daemon was watching.
    Exited(i32),
    /// Neither running nor ended: no spool entry, or its wrapper vanished.
    Lost,
}

/// Starts, signals and watches jobs through their wrappers (see the module docs).
#[derive(Debug)]
pub struct Runner {
    config: RunnerConfig,
    is_root: bool,
    /// The daemon's user name, to tell the owner's jobs that need no switch.
    user_name: String,
    jobs: BTreeMap<String, Tracked>,
    /// Wrappers started here whose jobs were forgotten before they ended: reaped in `poll`
    /// so they do not linger as zombies.
    orphans: Vec<Child>,
}

/// A job the runner watches.
#[derive(Debug)]
struct Tracked {
    spool: JobSpool,
    wrapper: WrapperId,
    /// The wrapper as our child, when this runner started it: `poll` reaps it. After a
    /// restart the wrapper is someone else's child and is watched through `/proc`.
    child: Option<Child>,
    /// Where the walltime message goes.
    stderr_file: PathBuf,
    /// The uid the job runs as (the owner of its `run/` directory).
    uid: u32,
    kill: KillState,
    /// Its end was returned by `poll` (or `adopt`): nothing more to report or signal.
    ended: bool,
}

impl Runner {
    /// A runner over `config.spool` (made on first launch). Relative paths are taken from
    /// the current directory now, since wrappers start in `/`.
    pub fn new(mut config: RunnerConfig) -> Self {
        for path in [&mut config.spool, &mut config.wrapper_exe] {
            if let Ok(absolute) = std::path::absolute(&*path) {
                *path = absolute;
            }
        }
        let euid = unistd::geteuid();
        let user_name = User::from_uid(euid)
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_default();
        Runner {
            config,
            is_root: euid.is_root(),
            user_name,
            jobs: BTreeMap::new(),
            orphans: Vec::new(),
        }
    }

    /// Starts `job`: writes its spool entry and starts its detached wrapper, which runs the
    /// job and records its end for [`Runner::poll`]. A leftover entry of the same id (a
    /// rerun) is replaced, so after a restart [`Runner::adopt`] jobs before relaunching
    /// any of them.
    pub fn launch(&mut self, job: &JobLaunch) -> Result<(), RunnerError> {
        let job_id = &job.job_id;
        if !is_valid_job_id(job_id) {
            return Err(RunnerError::InvalidJobId {
                job_id: job_id.clone(),
            });
        }
        if self.jobs.get(job_id).is_some_and(|t| !t.ended) {
            return Err(RunnerError::AlreadyRunning {
                job_id: job_id.clone(),
            });
        }
        let owner = match decide_run_as(self.is_root, &self.user_name, &job.owner) {
            RunAs::Current => None,
            RunAs::User(name) => Some(owner_ids(job_id, &name)?),
        };
        let spool = JobSpool::new(&self.config.spool, job_id);
        let spool_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RunnerError::Spool {
                job_id: job_id.clone(),
                path,
                source,
            }
        };
        self.make_spool_root()
            .map_err(spool_error(&self.config.spool))?;
        make_entry(&spool, owner).map_err(spool_error(spool.dir()))?;
        let launch_json = serde_json::to_vec_pretty(job).map_err(io::Error::from);
        launch_json
            .and_then(|json| write_atomic(&spool.launch(), &json))
            .map_err(spool_error(&spool.launch()))?;
        let log = private_file(&spool.wrapper_log()).map_err(spool_error(&spool.wrapper_log()))?;
        let log2 = log.try_clone().map_err(spool_error(&spool.wrapper_log()))?;

        let child = Command::new(&self.config.wrapper_exe)
            .arg(WRAPPER_SUBCOMMAND)
            .arg(&self.config.spool)
            .arg(job_id)
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|source| RunnerError::Spawn {
                job_id: job_id.clone(),
                exe: self.config.wrapper_exe.clone(),
                source,
            })?;
        // Our unreaped child: its /proc entry is there even if it already exited.
        let pid = child.id() as i32;
        let start_time = procfs::stat(pid).map_or(0, |st| st.start_time);
        let wrapper = WrapperId { pid, start_time };
        let wrapper_json = serde_json::to_vec(&wrapper).map_err(io::Error::from);
        if let Err(e) = wrapper_json.and_then(|json| write_atomic(&spool.wrapper(), &json)) {
            // The job runs; only a restarted daemon will not find it again.
            eprintln!("pbs-sim: job {job_id}: recording its wrapper: {e}");
        }
        let uid = owner.map_or_else(|| unistd::geteuid().as_raw(), |(uid, _)| uid);
        self.jobs.insert(
            job_id.clone(),
            Tracked {
                spool,
                wrapper,
                child: Some(child),
                stderr_file: job.stderr_file().to_path_buf(),
                uid,
                kill: KillState::Idle,
                ended: false,
            },
        );
        Ok(())
    }

    /// The spool root; when root, passable by everyone so that owners reach their own
    /// entries' `run/` directories (entries themselves cannot be listed).
    fn make_spool_root(&self) -> io::Result<()> {
        fs::create_dir_all(&self.config.spool)?;
        if self.is_root {
            fs::set_permissions(&self.config.spool, fs::Permissions::from_mode(0o711))?;
        }
        Ok(())
    }

    /// Kills a running job as MoM does: for a walltime kill, first the
    /// `=>> PBS: job killed: walltime …` line on the job's stderr; then SIGTERM to the job's
    /// process group and, `kill_delay` later, SIGKILL if it is still there. The SIGKILL is
    /// sent by [`Runner::poll`] once its deadline has passed, so this call does not wait.
    /// Killing a job that already ended does nothing.
    pub fn kill(&mut self, job_id: &str, reason: KillReason) -> Result<(), RunnerError> {
        let job = self
            .jobs
            .get_mut(job_id)
            .ok_or_else(|| RunnerError::UnknownJob {
                job_id: job_id.to_string(),
            })?;
        if job.ended || job.spool.exit().exists() || job.kill != KillState::Idle {
            return Ok(());
        }
        if let KillReason::Walltime { used, limit } = reason {
            let text = walltime_message(used, limit);
            if let Err(e) = append_as_owner(&job.stderr_file, job.uid, &text) {
                eprintln!(
                    "pbs-sim: job {job_id}: writing the walltime message to {}: {e}",
                    job.stderr_file.display()
                );
            }
        }
        job.kill = KillState::TermPending;
        step_kill(job, Instant::now(), self.config.kill_delay);
        Ok(())
    }

    /// The jobs whose end was recorded since the last call, with their `Exit_status`; also
    /// sends the SIGTERMs and SIGKILLs that have become due. A job whose wrapper vanished
    /// without recording an end is reported with `JOB_EXEC_INITABT` (-4). Cheap: a few
    /// system calls per job still running.
    pub fn poll(&mut self) -> Vec<(String, i32)> {
        self.orphans
            .retain_mut(|c| matches!(c.try_wait(), Ok(None)));
        let now = Instant::now();
        let mut ended = Vec::new();
        for (id, job) in self.jobs.iter_mut().filter(|(_, j)| !j.ended) {
            // Wrapper first, then its record: a wrapper that is gone wrote its record
            // before it went, if it wrote one at all.
            let wrapper_gone = match &mut job.child {
                Some(child) => !matches!(child.try_wait(), Ok(None)),
                None => !wrapper_alive(job.wrapper),
            };
            let status = read_exit(&job.spool).or(wrapper_gone.then_some(JOB_EXEC_INITABT));
            match status {
                Some(status) => {
                    job.ended = true;
                    if status < 0 {
                        // MoM's own failure, not the job's: say why, as mom_logs would (the
                        // spool entry holding the wrapper's words goes with the job).
                        let log =
                            std::fs::read_to_string(job.spool.wrapper_log()).unwrap_or_default();
                        eprintln!(
                            "pbs-sim: job {id} could not run (Exit_status {status}): {}",
                            log.trim()
                        );
                    }
                    ended.push((id.clone(), status));
                }
                None => step_kill(job, now, self.config.kill_delay),
            }
        }
        ended
    }

    /// Finds jobs again after a restart of the daemon: each is [`Adopted::Running`] (and
    /// tracked from now on), [`Adopted::Exited`] or [`Adopted::Lost`]. A kill in progress
    /// before the restart is not resumed; kill the job again if it must end.
    pub fn adopt(&mut self, job_ids: &[String]) -> Vec<(String, Adopted)> {
        job_ids
            .iter()
            .map(|id| (id.clone(), self.adopt_one(id)))
            .collect()
    }

    fn adopt_one(&mut self, job_id: &str) -> Adopted {
        if !is_valid_job_id(job_id) {
            return Adopted::Lost;
        }
        let spool = JobSpool::new(&self.config.spool, job_id);
        let wrapper: Option<WrapperId> = fs::read(spool.wrapper())
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok());
        // Alive first, then the record, for the same reason as in `poll`.
        let alive = wrapper.is_some_and(|w| procfs::is_live_wrapper(w, job_id));
        if let Some(status) = read_exit(&spool) {
            return Adopted::Exited(status);
        }
        let (Some(wrapper), true) = (wrapper, alive) else {
            return Adopted::Lost;
        };
        let launch: Option<JobLaunch> = fs::read(spool.launch())
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok());
        let Some(launch) = launch else {
            return Adopted::Lost;
        };
        let uid = fs::metadata(spool.run_dir()).map_or(u32::MAX, |m| m.uid());
        if let Some(Tracked { child: Some(c), .. }) = self.jobs.remove(job_id) {
            self.orphans.push(c);
        }
        self.jobs.insert(
            job_id.to_string(),
            Tracked {
                spool,
                wrapper,
                child: None,
                stderr_file: launch.stderr_file().to_path_buf(),
                uid,
                kill: KillState::Idle,
                ended: false,
            },
        );
        Adopted::Running
    }

    /// Drops a job whose end the daemon has recorded: stops tracking it and removes its
    /// spool entry.
    pub fn forget(&mut self, job_id: &str) {
        if let Some(job) = self.jobs.remove(job_id) {
            if let Some(mut child) = job.child {
                if matches!(child.try_wait(), Ok(None)) {
                    self.orphans.push(child);
                }
            }
        }
        if is_valid_job_id(job_id) {
            let _ = fs::remove_dir_all(JobSpool::new(&self.config.spool, job_id).dir());
        }
    }
}

/// The owner's uid and gid, for a job that will run as them.
fn owner_ids(job_id: &str, owner: &str) -> Result<(u32, u32), RunnerError> {
    let unknown = |source| RunnerError::UnknownOwner {
        job_id: job_id.to_string(),
        owner: owner.to_string(),
        source,
    };
    match User::from_name(owner) {
        Ok(Some(user)) => Ok((user.uid.as_raw(), user.gid.as_raw())),
        Ok(None) => Err(unknown(None)),
        Err(e) => Err(unknown(Some(e))),
    }
}

/// Makes a fresh spool entry; `owner` (uid, gid) gets the `run/` directory.
fn make_entry(spool: &JobSpool, owner: Option<(u32, u32)>) -> io::Result<()> {
    match fs::remove_dir_all(spool.dir()) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::DirBuilder::new().mode(0o711).create(spool.dir())?;
    fs::DirBuilder::new().mode(0o700).create(spool.run_dir())?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(spool.run_dir(), Some(uid), Some(gid))?;
    }
    Ok(())
}

fn read_exit(spool: &JobSpool) -> Option<i32> {
    read_int(&spool.exit()).and_then(|s| i32::try_from(s).ok())
}

/// Whether the wrapper is still running (a cheaper check than `is_live_wrapper`, for
/// `poll`: the pid's start time pins the process).
fn wrapper_alive(wrapper: WrapperId) -> bool {
    procfs::stat(wrapper.pid)
        .is_some_and(|st| st.state != 'Z' && st.start_time == wrapper.start_time)
}

/// The job's process group, if it can be signalled: recorded by the wrapper, and checked
/// to lie in the wrapper's session (the file is the owner's to write, the signal is ours).
fn job_group(job: &Tracked) -> Option<Pid> {
    let pgid = i32::try_from(read_int(&job.spool.pgid())?).ok()?;
    (wrapper_alive(job.wrapper) && procfs::is_job_group(pgid, job.wrapper))
        .then(|| Pid::from_raw(pgid))
}

/// Advances the job's kill sequence and sends the signal it calls for.
fn step_kill(job: &mut Tracked, now: Instant, kill_delay: Duration) {
    if matches!(job.kill, KillState::Idle | KillState::Killed) {
        return;
    }
    let group = job_group(job);
    let (next, signal) = kill_step(job.kill, now, kill_delay, group.is_some());
    job.kill = next;
    if let (Some(group), Some(signal)) = (group, signal) {
        // ESRCH: the group ended between the check and the signal.
        let _ = killpg(group, signal);
    }
}

/// Appends MoM's message to the job's stderr file. The path is the user's choice, so when
/// the daemon is root it writes only to a regular file the job's user owns, and follows no
/// symbolic link to get there.
fn append_as_owner(path: &Path, uid: u32, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .append(true)
        // A FIFO without a reader would block us; a final symlink could point anywhere.
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "not a regular file of the job's user",
        ));
    }
    file.write_all(text.as_bytes())
}
