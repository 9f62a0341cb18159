//! The job wrapper: `pbs-sim job-wrapper <spool> <job id>`, the small process that does for
//! one job what MoM does. The daemon starts it detached and forgets it; it outlives the
//! daemon, and tells it (or its successor) how the job ended through the spool.
//!
//! In order: leave the daemon's session; become the job's owner (when root); make the
//! job's files as that user; run the job in its own process group; record that group; wait;
//! kill what the job left behind (MoM ends every process of a finished job); remove
//! `TMPDIR`; record the `Exit_status`.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::stat::{umask, Mode};
use nix::unistd::{self, Pid, User};

use super::env::{
    decide_run_as, exit_status, job_environment, tmpdir_for, Account, JobFiles, RunAs,
    JOB_EXEC_FAIL1, JOB_EXEC_FAIL2, JOB_EXEC_FAILUID,
};
use super::launch::{JobLaunch, JobScript, Join};
use super::procfs;
use super::spool::{write_atomic, JobSpool};

/// Where bash is looked for; the job's own `PATH` is not trusted to find the shell.
const BASH_CANDIDATES: [&str; 3] = ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"];

/// Why a job could not be started; each maps to the `JOB_EXEC_*` code PBS would record.
#[derive(Debug, thiserror::Error)]
pub enum WrapperError {
    /// The launch file could not be read.
    #[error("reading {path}")]
    ReadLaunch {
        /// The launch file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The launch file is not a `JobLaunch`.
    #[error("parsing {path}")]
    ParseLaunch {
        /// The launch file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The owner has no passwd entry.
    #[error("no password entry for user {user}")]
    UnknownUser {
        /// The owner.
        user: String,
    },
    /// Taking on the owner's identity failed.
    #[error("cannot become user {user}")]
    SwitchUser {
        /// The owner.
        user: String,
        /// Why.
        #[source]
        source: nix::Error,
    },
    /// The job's start directory is missing or not a directory.
    #[error("could not chdir to {path}")]
    NoStartDir {
        /// The directory.
        path: PathBuf,
    },
    /// One of the job's files could not be made.
    #[error("cannot create {path}")]
    CreateFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// No bash was found.
    #[error("no bash in {BASH_CANDIDATES:?}")]
    NoBash,
    /// The job's program could not be started.
    #[error("cannot execute {program}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Waiting for the job failed.
    #[error("waiting for the job")]
    Wait(#[source] io::Error),
}

impl WrapperError {
    /// The `Exit_status` PBS records for a job that failed this way.
    pub fn exit_status(&self) -> i32 {
        match self {
            WrapperError::UnknownUser { .. } | WrapperError::SwitchUser { .. } => JOB_EXEC_FAILUID,
            WrapperError::NoStartDir { .. } => JOB_EXEC_FAIL2,
            _ => JOB_EXEC_FAIL1,
        }
    }
}

/// The wrapper's `main`: runs job `job_id` from `spool` to its end and records its
/// `Exit_status`. Returns the wrapper's own exit code (0 once the status is recorded).
pub fn wrapper_main(spool: &Path, job_id: &str) -> i32 {
    // Our own session and group: signals to the daemon's group or terminal, and to the
    // job's group, all miss us. Fails only if we already lead a group, which is harmless.
    let _ = unistd::setsid();
    // Handled (not ignored) signals: we survive TERM/HUP/INT/QUIT, yet the job, which
    // execs, starts with every signal at its default.
    let _shield = match shield_signals() {
        Ok(shield) => Some(shield),
        Err(e) => {
            eprintln!("pbs-sim job-wrapper {job_id}: cannot handle signals: {e}");
            None
        }
    };
    let spool = JobSpool::new(spool, job_id);
    let status = run(&spool).unwrap_or_else(|e| {
        eprintln!("pbs-sim job-wrapper {job_id}: {}", error_chain(&e));
        e.exit_status()
    });
    match write_atomic(&spool.exit(), status.to_string().as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pbs-sim job-wrapper {job_id}: recording exit status {status}: {e}");
            1
        }
    }
}

/// Signal handlers installed through tokio, which does it safely; kept alive for the
/// wrapper's life.
type Shield = (tokio::runtime::Runtime, Vec<tokio::signal::unix::Signal>);

fn shield_signals() -> io::Result<Shield> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let signals = {
        let _in_runtime = rt.enter();
        [
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::interrupt(),
            SignalKind::quit(),
        ]
        .into_iter()
        .map(signal)
        .collect::<io::Result<Vec<_>>>()?
    };
    Ok((rt, signals))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Runs the job and returns its `Exit_status`.
fn run(spool: &JobSpool) -> Result<i32, WrapperError> {
    let path = spool.launch();
    let text = fs::read(&path).map_err(|source| WrapperError::ReadLaunch {
        path: path.clone(),
        source,
    })?;
    let job: JobLaunch = serde_json::from_slice(&text)
        .map_err(|source| WrapperError::ParseLaunch { path, source })?;

    // Before any job file exists: files are then made by, and belong to, the owner.
    let account = become_owner(&job.owner)?;
    // MoM's umask for jobs that do not set `-W umask`.
    umask(Mode::from_bits_truncate(0o077));

    let tmpdir = TmpDir::create(tmpdir_for(&job.tmpdir_root, &job.job_id))?;
    let nodefile = spool.nodefile();
    let node_lines: String = job.nodes.iter().map(|n| format!("{n}\n")).collect();
    fs::write(&nodefile, node_lines).map_err(create_error(&nodefile))?;
    let env = job_environment(
        &job,
        &account,
        &JobFiles {
            nodefile: &nodefile,
            tmpdir: &tmpdir.0,
        },
    );
    let cwd = job
        .cwd
        .clone()
        .unwrap_or_else(|| PathBuf::from(&account.home));
    if !cwd.is_dir() {
        return Err(WrapperError::NoStartDir { path: cwd });
    }
    let (stdout, stderr) = open_outputs(&job)?;

    let (mut command, program) = match &job.script {
        JobScript::Text(script) => {
            let file = spool.script();
            fs::write(&file, script).map_err(create_error(&file))?;
            let bash = BASH_CANDIDATES
                .iter()
                .find(|b| Path::new(b).exists())
                .ok_or(WrapperError::NoBash)?;
            let mut command = Command::new(bash);
            command.arg(file);
            (command, bash.to_string())
        }
        JobScript::Command { program, args } => {
            let mut command = Command::new(program);
            command.args(args);
            (command, program.clone())
        }
    };
    let mut child = command
        .env_clear()
        .envs(env)
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        // The job's own group, which qdel and the walltime kill signal as a whole.
        .process_group(0)
        .spawn()
        .map_err(|source| WrapperError::Spawn { program, source })?;
    let pgid = child.id() as i32;
    if let Err(e) = write_atomic(&spool.pgid(), pgid.to_string().as_bytes()) {
        // The job runs regardless; only the daemon's ability to signal it is lost.
        eprintln!("pbs-sim job-wrapper {}: recording pgid: {e}", job.job_id);
    }
    let status = child.wait().map_err(WrapperError::Wait)?;
    kill_leftovers(pgid);
    drop(tmpdir);
    Ok(exit_status(status.code(), status.signal()))
}

/// MoM ends every process of a job when its top shell ends: the job's group, and any
/// process that left it for a group of its own (`set -m`, `setpgid`) but not our session,
/// which only the job's processes share with us. A process that made its own session
/// escapes; MoM catches those with cgroups, which we do not use.
fn kill_leftovers(pgid: i32) {
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    let me = std::process::id() as i32;
    for pid in procfs::session_members(me) {
        if pid != me {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// Takes on the owner's identity when root (see `decide_run_as`) and returns the account
/// the job runs under.
fn become_owner(owner: &str) -> Result<Account, WrapperError> {
    let me = User::from_uid(unistd::geteuid()).ok().flatten();
    let my_name = me.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    match decide_run_as(unistd::geteuid().is_root(), &my_name, owner) {
        RunAs::Current => Ok(match me {
            Some(user) => account(&user),
            // No passwd entry (as in some containers): still a usable environment.
            None => Account {
                name: unistd::geteuid().to_string(),
                home: "/".to_string(),
                shell: "/bin/sh".to_string(),
            },
        }),
        RunAs::User(name) => {
            let switch = |source| WrapperError::SwitchUser {
                user: name.clone(),
                source,
            };
            let user = User::from_name(&name)
                .map_err(switch)?
                .ok_or_else(|| WrapperError::UnknownUser { user: name.clone() })?;
            let c_name = CString::new(name.as_bytes())
                .map_err(|_| WrapperError::UnknownUser { user: name.clone() })?;
            // Groups first: once the uid is dropped, they can no longer be changed.
            unistd::initgroups(&c_name, user.gid).map_err(switch)?;
            unistd::setgid(user.gid).map_err(switch)?;
            unistd::setuid(user.uid).map_err(switch)?;
            Ok(account(&user))
        }
    }
}

fn account(user: &User) -> Account {
    Account {
        name: user.name.clone(),
        home: user.dir.to_string_lossy().into_owned(),
        shell: user.shell.to_string_lossy().into_owned(),
    }
}

fn create_error(path: &Path) -> impl FnOnce(io::Error) -> WrapperError + '_ {
    move |source| WrapperError::CreateFile {
        path: path.to_path_buf(),
        source,
    }
}

/// The job's stdout and stderr, joined per `-j`. Opened for appending, so the walltime line
/// the daemon appends is not overwritten by the job's next write.
fn open_outputs(job: &JobLaunch) -> Result<(File, File), WrapperError> {
    let out_path = job.stdout_file();
    let err_path = job.stderr_file();
    let out = open_output(out_path)?;
    let err = if job.join != Join::None || err_path == out_path {
        out.try_clone().map_err(create_error(err_path))?
    } else {
        open_output(err_path)?
    };
    Ok((out, err))
}

/// Opens an output file, emptied: a rerun job replaces its earlier output, as PBS's final
/// copy would.
fn open_output(path: &Path) -> Result<File, WrapperError> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(create_error(path))?;
    // Not `/dev/null` and the like, which cannot be truncated.
    if file.metadata().is_ok_and(|m| m.is_file()) {
        file.set_len(0).map_err(create_error(path))?;
    }
    Ok(file)
}

/// The job's `TMPDIR`, removed when dropped (after the job's processes are gone).
struct TmpDir(PathBuf);

impl TmpDir {
    fn create(path: PathBuf) -> Result<Self, WrapperError> {
        // A leftover of an earlier run of the same job id (a rerun after a crash).
        let _ = fs::remove_dir_all(&path);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(create_error(&path))?;
        Ok(TmpDir(path))
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
