//! Pure decisions of the job runner: whose identity a job takes, its environment, and how
//! its end becomes an `Exit_status`.

use std::path::Path;

use super::launch::JobLaunch;

/// MoM's resource-monitor port, which PBS exports as `PBS_MOMPORT`.
pub const PBS_MOMPORT: u16 = 15003;

/// `PATH` when the job's `Variable_List` carries none: PBS takes it from
/// `$PBS_HOME/pbs_environment`, which installs with this value.
pub const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// `JOB_EXEC_FAIL1`: the job could not be started (a file could not be made, the program
/// could not be executed).
pub const JOB_EXEC_FAIL1: i32 = -1;
/// `JOB_EXEC_FAIL2`: the job could not start in its directory.
pub const JOB_EXEC_FAIL2: i32 = -2;
/// `JOB_EXEC_INITABT`: the job's executor vanished without recording an end (PBS uses it
/// for jobs MoM finds gone when it restarts).
pub const JOB_EXEC_INITABT: i32 = -4;
/// `JOB_EXEC_FAILUID`: the owner's account could not be used.
pub const JOB_EXEC_FAILUID: i32 = -10;

/// Whose identity a job runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunAs {
    /// The runner's own user: the daemon is not root, or the owner is root itself.
    Current,
    /// Switch to this user (the daemon is root and the owner is someone else).
    User(String),
}

/// Whose identity a job takes. Only root can become another user, so a daemon run by an
/// ordinary user runs every job as itself, as a personal test cluster would.
pub fn decide_run_as(runner_is_root: bool, runner_name: &str, owner: &str) -> RunAs {
    if runner_is_root && owner != runner_name {
        RunAs::User(owner.to_string())
    } else {
        RunAs::Current
    }
}

/// The account a job runs under, from its passwd entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Login name (`USER`, `LOGNAME`).
    pub name: String,
    /// Home directory (`HOME`, `PBS_JOBDIR`).
    pub home: String,
    /// Login shell (`SHELL`).
    pub shell: String,
}

/// Where the wrapper put the job's per-run files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFiles<'a> {
    /// `PBS_NODEFILE`.
    pub nodefile: &'a Path,
    /// `TMPDIR`.
    pub tmpdir: &'a Path,
}

/// The job's whole environment, built as MoM builds it: `PATH` from `pbs_environment`,
/// then the `Variable_List` (which carries the `PBS_O_*` values and `-v`/`-V`), then the
/// values MoM computes, which win over anything the user passed with `-v`. Nothing comes
/// from the runner's own environment.
pub fn job_environment(
    job: &JobLaunch,
    account: &Account,
    files: &JobFiles<'_>,
) -> Vec<(String, String)> {
    let mut env = Env::default();
    env.set("PATH", DEFAULT_PATH);
    for (name, value) in &job.variables {
        env.set(name, value);
    }
    let ncpus = job.ncpus.to_string();
    let computed: [(&str, &str); 17] = [
        ("HOME", &account.home),
        ("LOGNAME", &account.name),
        ("USER", &account.name),
        ("SHELL", &account.shell),
        ("PBS_JOBNAME", &job.job_name),
        ("PBS_JOBID", &job.job_id),
        ("PBS_QUEUE", &job.queue),
        ("PBS_NODENUM", "0"),
        ("PBS_TASKNUM", "1"),
        ("PBS_MOMPORT", &PBS_MOMPORT.to_string()),
        ("PBS_NODEFILE", &files.nodefile.to_string_lossy()),
        ("PBS_ENVIRONMENT", "PBS_BATCH"),
        ("ENVIRONMENT", "BATCH"),
        ("TMPDIR", &files.tmpdir.to_string_lossy()),
        ("NCPUS", &ncpus),
        ("OMP_NUM_THREADS", &ncpus),
        // PBS_JOBDIR is the home directory unless the job asked for sandbox=PRIVATE.
        ("PBS_JOBDIR", &account.home),
    ];
    for (name, value) in computed {
        env.set(name, value);
    }
    env.0
}

/// An ordered environment where setting a name again replaces its value in place.
#[derive(Default)]
struct Env(Vec<(String, String)>);

impl Env {
    fn set(&mut self, name: &str, value: &str) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.0.push((name.to_string(), value.to_string())),
        }
    }
}

/// `Exit_status` from how the job's top process ended: its exit code, or 256 + the signal
/// that killed it (271 for SIGTERM, 265 for SIGKILL), as MoM reports it.
pub fn exit_status(code: Option<i32>, signal: Option<i32>) -> i32 {
    match (code, signal) {
        (Some(code), _) => code,
        (None, Some(signal)) => 256 + signal,
        (None, None) => JOB_EXEC_FAIL1,
    }
}

/// The line MoM appends to a job's standard error when it kills the job at its walltime.
pub fn walltime_message(used: u64, limit: u64) -> String {
    format!("=>> PBS: job killed: walltime {used} exceeded limit {limit}\n")
}

/// The job's `TMPDIR` under MoM's `$tmpdir`: `pbs.<job id>`, as MoM names it.
pub fn tmpdir_for(root: &Path, job_id: &str) -> std::path::PathBuf {
    root.join(format!("pbs.{job_id}"))
}
