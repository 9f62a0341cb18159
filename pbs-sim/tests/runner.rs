//! The job runner with real processes: jobs run through the real `pbs-sim job-wrapper`,
//! everything in temporary directories.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::unistd::{geteuid, User};
use pbs_sim::runner::spool::{JobSpool, WrapperId};
use pbs_sim::runner::{Adopted, JobLaunch, JobScript, Join, KillReason, Runner, RunnerConfig};
use tempfile::TempDir;

/// How long any awaited event may take before the test fails (the machine may be busy).
const PATIENCE: Duration = Duration::from_secs(30);
/// `kill_delay` for these tests: long enough to tell SIGTERM from SIGKILL apart.
const KILL_DELAY: Duration = Duration::from_millis(700);

struct Cluster {
    dir: TempDir,
    runner: Runner,
}

impl Cluster {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["work", "tmp"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let runner = Runner::new(Self::config(dir.path()));
        Cluster { dir, runner }
    }

    fn config(dir: &Path) -> RunnerConfig {
        RunnerConfig {
            spool: dir.join("spool"),
            wrapper_exe: PathBuf::from(env!("CARGO_BIN_EXE_pbs-sim")),
            kill_delay: KILL_DELAY,
        }
    }

    /// A fresh runner over the same spool, as after a restart of the daemon.
    fn restart(&mut self) {
        self.runner = Runner::new(Self::config(self.dir.path()));
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn job(&self, seq: u32, script: &str) -> JobLaunch {
        let work = self.work();
        JobLaunch {
            job_id: format!("{seq}.pbs-sim"),
            job_name: "testjob".into(),
            owner: me(),
            queue: "workq".into(),
            script: JobScript::Text(script.into()),
            cwd: Some(work.clone()),
            output_path: work.join(format!("testjob.o{seq}")),
            error_path: work.join(format!("testjob.e{seq}")),
            join: Join::None,
            variables: vec![
                ("PBS_O_WORKDIR".into(), work.to_string_lossy().into_owned()),
                ("PBS_O_HOME".into(), "/home/someone".into()),
                ("PBS_O_QUEUE".into(), "workq".into()),
                ("MODE".into(), "debug".into()),
            ],
            nodes: vec!["node0001".into(), "node0002".into()],
            tmpdir_root: self.dir.path().join("tmp"),
            ncpus: 1,
        }
    }

    /// Polls until `job_id` ends and returns its `Exit_status`.
    fn wait_exit(&mut self, job_id: &str) -> i32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some((_, status)) = self.runner.poll().into_iter().find(|(id, _)| id == job_id) {
                return status;
            }
            assert!(Instant::now() < deadline, "job {job_id} did not end");
            sleep(Duration::from_millis(20));
        }
    }

    fn wrapper_log(&self, job_id: &str) -> String {
        let spool = JobSpool::new(&self.dir.path().join("spool"), job_id);
        fs::read_to_string(spool.wrapper_log()).unwrap_or_default()
    }
}

fn me() -> String {
    User::from_uid(geteuid())
        .unwrap()
        .expect("a passwd entry for the test's user")
        .name
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(20));
    }
}

/// Whether a process is gone (or a zombie no one has reaped yet: dead all the same).
fn process_gone(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap()
            .trim_start()
            .starts_with('Z'),
    }
}

#[test]
fn script_output_exit_code_and_error_file() {
    let mut c = Cluster::new();
    let job = c.job(
        1,
        "echo \"$PBS_JOBID $PBS_JOBNAME $PBS_O_WORKDIR\"\npwd\necho \"mode=$MODE\"\necho oops >&2\nexit 7\n",
    );
    c.runner.launch(&job).unwrap();
    assert_eq!(
        c.wait_exit("1.pbs-sim"),
        7,
        "{}",
        c.wrapper_log("1.pbs-sim")
    );
    let work = c.work();
    let expected = format!(
        "1.pbs-sim testjob {w}\n{w}\nmode=debug\n",
        w = work.display()
    );
    assert_eq!(read(&job.output_path), expected);
    assert_eq!(read(&job.error_path), "oops\n");
}

#[test]
fn join_oe_puts_stderr_into_the_output_file() {
    let mut c = Cluster::new();
    let mut job = c.job(2, "echo out\necho err >&2\n");
    job.join = Join::OutErr;
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("2.pbs-sim"), 0);
    assert_eq!(read(&job.output_path), "out\nerr\n");
    assert!(!job.error_path.exists());
}

#[test]
fn command_jobs_run_without_a_shell() {
    let mut c = Cluster::new();
    let mut job = c.job(3, "");
    job.script = JobScript::Command {
        program: "echo".into(),
        args: vec!["a  b".into(), "$HOME".into()],
    };
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("3.pbs-sim"), 0);
    assert_eq!(read(&job.output_path), "a  b $HOME\n");
}

#[test]
fn environment_is_pbs_s_and_nothing_leaks_from_the_daemon() {
    let mut c = Cluster::new();
    let job = c.job(4, "env\n");
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("4.pbs-sim"), 0);
    let out = read(&job.output_path);
    let env: Vec<(&str, &str)> = out.lines().filter_map(|l| l.split_once('=')).collect();
    let get = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    assert_eq!(get("PBS_ENVIRONMENT"), Some("PBS_BATCH"));
    assert_eq!(get("ENVIRONMENT"), Some("BATCH"));
    assert_eq!(get("PBS_JOBID"), Some("4.pbs-sim"));
    assert_eq!(get("PBS_QUEUE"), Some("workq"));
    assert_eq!(get("PBS_O_HOME"), Some("/home/someone"));
    assert_eq!(get("PBS_TASKNUM"), Some("1"));
    assert_eq!(get("PBS_NODENUM"), Some("0"));
    assert_eq!(get("PBS_MOMPORT"), Some("15003"));
    assert_eq!(get("USER"), Some(me().as_str()));
    assert_eq!(get("LOGNAME"), Some(me().as_str()));
    let home = User::from_uid(geteuid()).unwrap().unwrap().dir;
    assert_eq!(get("HOME"), Some(home.to_str().unwrap()));
    assert_eq!(get("PBS_JOBDIR"), Some(home.to_str().unwrap()));
    assert_eq!(get("NCPUS"), Some("1"));
    assert_eq!(get("OMP_NUM_THREADS"), Some("1"));
    let allowed = [
        "PATH",
        "HOME",
        "LOGNAME",
        "USER",
        "SHELL",
        "PBS_JOBNAME",
        "PBS_JOBID",
        "PBS_QUEUE",
        "PBS_NODENUM",
        "PBS_TASKNUM",
        "PBS_MOMPORT",
        "PBS_NODEFILE",
        "PBS_ENVIRONMENT",
        "ENVIRONMENT",
        "TMPDIR",
        "NCPUS",
        "OMP_NUM_THREADS",
        "PBS_JOBDIR",
        "PBS_O_WORKDIR",
        "PBS_O_HOME",
        "PBS_O_QUEUE",
        "MODE", // the job's Variable_List
        "PWD",
        "SHLVL",
        "_", // bash's own
    ];
    for (name, _) in &env {
        assert!(
            allowed.contains(name),
            "{name} leaked into the job's environment"
        );
    }
}

#[test]
fn tmpdir_lives_as_long_as_the_job_and_nodefile_lists_the_nodes() {
    let mut c = Cluster::new();
    let job = c.job(
        5,
        "test -d \"$TMPDIR\" && touch \"$TMPDIR/x\" && echo \"$TMPDIR\"\ncat \"$PBS_NODEFILE\"\n",
    );
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("5.pbs-sim"), 0);
    let out = read(&job.output_path);
    let mut lines = out.lines();
    let tmpdir = PathBuf::from(lines.next().expect("TMPDIR was a directory"));
    assert_eq!(tmpdir, c.dir.path().join("tmp/pbs.5.pbs-sim"));
    assert!(!tmpdir.exists(), "TMPDIR is removed at the end");
    assert_eq!(lines.collect::<Vec<_>>(), ["node0001", "node0002"]);
}

#[test]
fn processes_left_behind_die_with_the_job_even_in_their_own_group() {
    let mut c = Cluster::new();
    // `set -m` puts the background job in a process group of its own.
    let job = c.job(
        19,
        "set -m\nsleep 300 &\necho $! > \"$PBS_O_WORKDIR/child.pid\"\nexit 0\n",
    );
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("19.pbs-sim"), 0);
    let child = read_pid(&c.work().join("child.pid")).expect("the job wrote its child's pid");
    wait_for("the job's leftover to die", || process_gone(child));
}

#[test]
fn a_job_starts_in_the_home_directory_by_default() {
    let mut c = Cluster::new();
    let mut job = c.job(20, "pwd\n");
    job.cwd = None;
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("20.pbs-sim"), 0);
    let home = User::from_uid(geteuid()).unwrap().unwrap().dir;
    assert_eq!(read(&job.output_path), format!("{}\n", home.display()));
}

#[test]
fn qdel_terminates_the_job_and_its_children_271() {
    let mut c = Cluster::new();
    let job = c.job(
        6,
        "sleep 300 &\necho $! > \"$PBS_O_WORKDIR/child.pid\"\nwait\n",
    );
    c.runner.launch(&job).unwrap();
    let pid_file = c.work().join("child.pid");
    wait_for("the job's child", || read_pid(&pid_file).is_some());
    let child = read_pid(&pid_file).unwrap();
    c.runner.kill("6.pbs-sim", KillReason::Deleted).unwrap();
    assert_eq!(c.wait_exit("6.pbs-sim"), 271);
    wait_for("the job's child to die", || process_gone(child));
}

fn read_pid(path: &Path) -> Option<i32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[test]
fn a_job_ignoring_sigterm_is_killed_after_kill_delay_265() {
    let mut c = Cluster::new();
    let job = c.job(
        7,
        "trap '' TERM\ntouch \"$PBS_O_WORKDIR/ready\"\nwhile :; do sleep 0.1; done\n",
    );
    c.runner.launch(&job).unwrap();
    wait_for("the job to trap TERM", || c.work().join("ready").exists());
    let killed = Instant::now();
    c.runner.kill("7.pbs-sim", KillReason::Deleted).unwrap();
    assert_eq!(c.wait_exit("7.pbs-sim"), 265);
    assert!(
        killed.elapsed() >= KILL_DELAY,
        "SIGKILL came before kill_delay"
    );
}

#[test]
fn a_job_trapping_sigterm_ends_with_its_own_code() {
    let mut c = Cluster::new();
    let job = c.job(
        8,
        "trap 'exit 3' TERM\ntouch \"$PBS_O_WORKDIR/ready\"\nwhile :; do sleep 0.1; done\n",
    );
    c.runner.launch(&job).unwrap();
    wait_for("the job to trap TERM", || c.work().join("ready").exists());
    c.runner.kill("8.pbs-sim", KillReason::Deleted).unwrap();
    assert_eq!(c.wait_exit("8.pbs-sim"), 3);
}

#[test]
fn walltime_kill_writes_moms_line_to_the_error_file() {
    let mut c = Cluster::new();
    let job = c.job(
        9,
        "echo started\ntouch \"$PBS_O_WORKDIR/ready\"\nsleep 300\n",
    );
    c.runner.launch(&job).unwrap();
    wait_for("the job to start", || c.work().join("ready").exists());
    c.runner
        .kill(
            "9.pbs-sim",
            KillReason::Walltime {
                used: 152,
                limit: 120,
            },
        )
        .unwrap();
    assert_eq!(c.wait_exit("9.pbs-sim"), 271);
    assert_eq!(
        read(&job.error_path),
        "=>> PBS: job killed: walltime 152 exceeded limit 120\n"
    );
    assert_eq!(read(&job.output_path), "started\n");
}

#[test]
fn walltime_line_goes_to_the_output_file_when_joined() {
    let mut c = Cluster::new();
    let mut job = c.job(
        10,
        "echo started\ntouch \"$PBS_O_WORKDIR/ready\"\nsleep 300\n",
    );
    job.join = Join::OutErr;
    c.runner.launch(&job).unwrap();
    wait_for("the job to start", || c.work().join("ready").exists());
    c.runner
        .kill(
            "10.pbs-sim",
            KillReason::Walltime {
                used: 61,
                limit: 60,
            },
        )
        .unwrap();
    assert_eq!(c.wait_exit("10.pbs-sim"), 271);
    assert_eq!(
        read(&job.output_path),
        "started\n=>> PBS: job killed: walltime 61 exceeded limit 60\n"
    );
}

#[test]
fn a_restarted_runner_adopts_a_running_job_and_sees_it_end() {
    let mut c = Cluster::new();
    let job = c.job(
        11,
        "touch \"$PBS_O_WORKDIR/ready\"\nwhile [ ! -e \"$PBS_O_WORKDIR/go\" ]; do sleep 0.05; done\nexit 5\n",
    );
    c.runner.launch(&job).unwrap();
    wait_for("the job to start", || c.work().join("ready").exists());
    c.restart();
    let adopted = c.runner.adopt(&["11.pbs-sim".into(), "999.pbs-sim".into()]);
    assert_eq!(
        adopted,
        [
            ("11.pbs-sim".to_string(), Adopted::Running),
            ("999.pbs-sim".to_string(), Adopted::Lost),
        ]
    );
    assert!(c.runner.poll().is_empty(), "still running");
    fs::write(c.work().join("go"), "").unwrap();
    assert_eq!(c.wait_exit("11.pbs-sim"), 5);
}

#[test]
fn an_adopted_job_can_be_killed() {
    let mut c = Cluster::new();
    let job = c.job(12, "touch \"$PBS_O_WORKDIR/ready\"\nsleep 300\n");
    c.runner.launch(&job).unwrap();
    wait_for("the job to start", || c.work().join("ready").exists());
    c.restart();
    assert_eq!(
        c.runner.adopt(&["12.pbs-sim".into()])[0].1,
        Adopted::Running
    );
    c.runner.kill("12.pbs-sim", KillReason::Deleted).unwrap();
    assert_eq!(c.wait_exit("12.pbs-sim"), 271);
}

#[test]
fn a_job_that_ended_while_no_runner_watched_is_exited() {
    let mut c = Cluster::new();
    let job = c.job(13, "exit 4\n");
    c.runner.launch(&job).unwrap();
    let id = "13.pbs-sim".to_string();
    let deadline = Instant::now() + PATIENCE;
    let found = loop {
        // A new runner each time: none of them watched the job run.
        c.restart();
        match c.runner.adopt(std::slice::from_ref(&id)).remove(0).1 {
            Adopted::Running => {}
            other => break other,
        }
        assert!(Instant::now() < deadline, "job never ended");
        sleep(Duration::from_millis(20));
    };
    assert_eq!(found, Adopted::Exited(4));
    assert_eq!(c.runner.adopt(&["../etc".into()])[0].1, Adopted::Lost);
}

#[test]
fn the_wrapper_survives_signals_meant_for_the_daemon() {
    let mut c = Cluster::new();
    let job = c.job(
        14,
        "touch \"$PBS_O_WORKDIR/ready\"\nwhile [ ! -e \"$PBS_O_WORKDIR/go\" ]; do sleep 0.05; done\nexit 6\n",
    );
    c.runner.launch(&job).unwrap();
    wait_for("the job to start", || c.work().join("ready").exists());
    let spool = JobSpool::new(&c.dir.path().join("spool"), "14.pbs-sim");
    let wrapper: WrapperId = serde_json::from_slice(&fs::read(spool.wrapper()).unwrap()).unwrap();
    for sig in ["HUP", "TERM", "INT"] {
        let status = std::process::Command::new("kill")
            .args([format!("-{sig}"), wrapper.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
    fs::write(c.work().join("go"), "").unwrap();
    assert_eq!(
        c.wait_exit("14.pbs-sim"),
        6,
        "{}",
        c.wrapper_log("14.pbs-sim")
    );
}

#[test]
fn forget_removes_the_spool_entry() {
    let mut c = Cluster::new();
    let job = c.job(15, "true\n");
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("15.pbs-sim"), 0);
    let spool = JobSpool::new(&c.dir.path().join("spool"), "15.pbs-sim");
    assert!(spool.dir().exists());
    c.runner.forget("15.pbs-sim");
    assert!(!spool.dir().exists());
    assert!(c.runner.kill("15.pbs-sim", KillReason::Deleted).is_err());
}

#[test]
fn a_missing_start_directory_fails_the_job_as_pbs_does() {
    let mut c = Cluster::new();
    let mut job = c.job(16, "true\n");
    job.cwd = Some(c.dir.path().join("no-such-home"));
    c.runner.launch(&job).unwrap();
    assert_eq!(c.wait_exit("16.pbs-sim"), -2); // JOB_EXEC_FAIL2
}

#[test]
fn launch_refuses_ids_that_are_not_file_names_and_duplicates() {
    let mut c = Cluster::new();
    let mut job = c.job(17, "sleep 300\n");
    job.job_id = "../17".into();
    assert!(c.runner.launch(&job).is_err());
    let job = c.job(17, "touch \"$PBS_O_WORKDIR/ready\"\nsleep 300\n");
    c.runner.launch(&job).unwrap();
    assert!(c.runner.launch(&job).is_err(), "already running");
    wait_for("the job to start", || c.work().join("ready").exists());
    c.runner.kill("17.pbs-sim", KillReason::Deleted).unwrap();
    assert_eq!(c.wait_exit("17.pbs-sim"), 271);
}

/// Run with `--include-ignored` as root (as CI does): a root daemon runs the job as its
/// owner. Fails loudly if it cannot check that.
#[test]
#[ignore = "needs root and a `nobody` account"]
fn as_root_a_job_runs_as_its_owner_needs_root_and_nobody() {
    assert!(
        geteuid().is_root(),
        "this test must run as root to switch users"
    );
    let nobody = User::from_name("nobody")
        .unwrap()
        .expect("this test needs a `nobody` account");
    let mut c = Cluster::new();
    // The owner must reach its files, as on a real cluster.
    fs::set_permissions(c.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(c.work(), fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(c.dir.path().join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
    let mut job = c.job(
        18,
        "id -un\necho \"$USER $HOME\"\ntest -O \"$TMPDIR\" && echo owns-tmpdir\ntouch \"$PBS_O_WORKDIR/ready\"\nsleep 300\n",
    );
    job.owner = "nobody".into();
    c.runner.launch(&job).unwrap();
    wait_for("the job to start", || c.work().join("ready").exists());
    c.runner
        .kill("18.pbs-sim", KillReason::Walltime { used: 2, limit: 1 })
        .unwrap();
    assert_eq!(
        c.wait_exit("18.pbs-sim"),
        271,
        "{}",
        c.wrapper_log("18.pbs-sim")
    );
    assert_eq!(
        read(&job.output_path),
        format!("nobody\nnobody {}\nowns-tmpdir\n", nobody.dir.display())
    );
    assert_eq!(
        read(&job.error_path),
        "=>> PBS: job killed: walltime 2 exceeded limit 1\n"
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        fs::metadata(&job.output_path).unwrap().uid(),
        nobody.uid.as_raw()
    );
}
