//! Unit tests of the runner's pure core.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::env::*;
use super::kill::{kill_step, KillState};
use super::launch::*;
use super::procfs::{is_wrapper_cmdline, parse_stat, ProcStat};
use super::spool::{read_int, write_atomic};

fn job() -> JobLaunch {
    JobLaunch {
        job_id: "12.pbs-sim".into(),
        job_name: "nb".into(),
        owner: "alice".into(),
        queue: "workq".into(),
        script: JobScript::Text("true\n".into()),
        cwd: None,
        output_path: "/w/nb.o12".into(),
        error_path: "/w/nb.e12".into(),
        join: Join::None,
        variables: vec![
            ("PBS_O_WORKDIR".into(), "/w".into()),
            ("PBS_O_HOME".into(), "/home/alice".into()),
            ("HOME".into(), "/elsewhere".into()),
            ("PATH".into(), "/opt/bin:/usr/bin".into()),
            ("MODE".into(), "debug".into()),
        ],
        nodes: vec!["node0001".into()],
        tmpdir_root: "/var/tmp".into(),
        ncpus: 1,
    }
}

fn alice() -> Account {
    Account {
        name: "alice".into(),
        home: "/home/alice".into(),
        shell: "/bin/zsh".into(),
    }
}

fn environment(job: &JobLaunch) -> Vec<(String, String)> {
    let files = JobFiles {
        nodefile: Path::new("/spool/12.pbs-sim/run/nodefile"),
        tmpdir: Path::new("/var/tmp/pbs.12.pbs-sim"),
    };
    job_environment(job, &alice(), &files)
}

fn get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn only_root_switches_and_only_to_someone_else() {
    assert_eq!(decide_run_as(false, "hub", "alice"), RunAs::Current);
    assert_eq!(
        decide_run_as(true, "root", "alice"),
        RunAs::User("alice".into())
    );
    assert_eq!(decide_run_as(true, "root", "root"), RunAs::Current);
    assert_eq!(decide_run_as(false, "alice", "alice"), RunAs::Current);
}

#[test]
fn environment_has_what_mom_sets() {
    let env = environment(&job());
    let expect = [
        ("PBS_JOBID", "12.pbs-sim"),
        ("PBS_JOBNAME", "nb"),
        ("PBS_QUEUE", "workq"),
        ("PBS_O_WORKDIR", "/w"),
        ("PBS_O_HOME", "/home/alice"),
        ("PBS_ENVIRONMENT", "PBS_BATCH"),
        ("ENVIRONMENT", "BATCH"),
        ("PBS_NODEFILE", "/spool/12.pbs-sim/run/nodefile"),
        ("TMPDIR", "/var/tmp/pbs.12.pbs-sim"),
        ("PBS_JOBDIR", "/home/alice"),
        ("PBS_TASKNUM", "1"),
        ("PBS_NODENUM", "0"),
        ("PBS_MOMPORT", "15003"),
        ("USER", "alice"),
        ("LOGNAME", "alice"),
        ("SHELL", "/bin/zsh"),
        ("MODE", "debug"),
    ];
    for (name, value) in expect {
        assert_eq!(get(&env, name), Some(value), "{name}");
    }
}

#[test]
fn mom_values_win_over_v_but_a_v_path_wins_over_the_default() {
    let env = environment(&job());
    assert_eq!(get(&env, "HOME"), Some("/home/alice"));
    assert_eq!(get(&env, "PATH"), Some("/opt/bin:/usr/bin"));
    let mut bare = job();
    bare.variables.clear();
    let env = environment(&bare);
    assert_eq!(get(&env, "PATH"), Some(DEFAULT_PATH));
    assert_eq!(
        get(&env, "PBS_O_WORKDIR"),
        None,
        "PBS_O_* come from the server only"
    );
}

#[test]
fn environment_names_are_unique() {
    let env = environment(&job());
    let mut names: Vec<_> = env.iter().map(|(n, _)| n.as_str()).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count);
}

#[test]
fn exit_status_is_the_code_or_256_plus_the_signal() {
    assert_eq!(exit_status(Some(7), None), 7);
    assert_eq!(exit_status(Some(0), None), 0);
    assert_eq!(exit_status(None, Some(15)), 271);
    assert_eq!(exit_status(None, Some(9)), 265);
}

#[test]
fn walltime_message_is_moms() {
    assert_eq!(
        walltime_message(152, 120),
        "=>> PBS: job killed: walltime 152 exceeded limit 120\n"
    );
}

#[test]
fn tmpdir_is_pbs_dot_job_id() {
    assert_eq!(
        tmpdir_for(Path::new("/var/tmp"), "7.srv"),
        PathBuf::from("/var/tmp/pbs.7.srv")
    );
}

#[test]
fn join_picks_the_files() {
    let mut j = job();
    assert_eq!(j.stderr_file(), Path::new("/w/nb.e12"));
    j.join = Join::OutErr;
    assert_eq!(j.stderr_file(), Path::new("/w/nb.o12"));
    assert_eq!(j.stdout_file(), Path::new("/w/nb.o12"));
    j.join = Join::ErrOut;
    assert_eq!(j.stderr_file(), Path::new("/w/nb.e12"));
    assert_eq!(j.stdout_file(), Path::new("/w/nb.e12"));
}

#[test]
fn job_ids_must_be_plain_names() {
    assert!(is_valid_job_id("1234.pbs02"));
    assert!(is_valid_job_id("12[3].srv"));
    for bad in ["", ".", "..", "a/b", "../x", "a\0b"] {
        assert!(!is_valid_job_id(bad), "{bad:?}");
    }
}

#[test]
fn launch_round_trips_through_json() {
    let mut j = job();
    j.script = JobScript::Command {
        program: "sleep".into(),
        args: vec!["5".into()],
    };
    let json = serde_json::to_string(&j).unwrap();
    assert_eq!(serde_json::from_str::<JobLaunch>(&json).unwrap(), j);
}

#[test]
fn stat_is_parsed_past_a_tricky_command_name() {
    let text = "4242 (a) b (c) S 1 4300 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 \
                1000 200 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    assert_eq!(
        parse_stat(text),
        Some(ProcStat {
            state: 'S',
            pgrp: 4300,
            session: 4200,
            start_time: 987654,
        })
    );
    assert_eq!(parse_stat("garbage"), None);
    assert_eq!(parse_stat("1 (x) S 0"), None);
}

#[test]
fn own_stat_reads() {
    let me = super::procfs::stat(std::process::id() as i32).expect("our own /proc entry");
    assert_ne!(me.state, 'Z');
}

#[test]
fn wrapper_command_line_is_recognised() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let ours = args(&["/usr/bin/pbs-sim", "job-wrapper", "/spool", "7.srv"]);
    assert!(is_wrapper_cmdline(&ours, "7.srv"));
    assert!(!is_wrapper_cmdline(&ours, "8.srv"));
    assert!(!is_wrapper_cmdline(
        &args(&["sleep", "job-wrapper", "x", "7.srv", "y"]),
        "7.srv"
    ));
    assert!(!is_wrapper_cmdline(&args(&["7.srv"]), "7.srv"));
}

#[test]
fn kill_sequence_terms_then_kills_after_the_delay() {
    let t0 = Instant::now();
    let delay = Duration::from_secs(10);
    // Group not known yet: wait for it.
    assert_eq!(
        kill_step(KillState::TermPending, t0, delay, false),
        (KillState::TermPending, None)
    );
    let (state, sig) = kill_step(KillState::TermPending, t0, delay, true);
    assert_eq!(
        (state, sig),
        (KillState::KillAt(t0 + delay), Some(Signal::SIGTERM))
    );
    let early = t0 + Duration::from_secs(9);
    assert_eq!(kill_step(state, early, delay, true), (state, None));
    let due = t0 + delay;
    assert_eq!(
        kill_step(state, due, delay, true),
        (KillState::Killed, Some(Signal::SIGKILL))
    );
    assert_eq!(
        kill_step(state, due, delay, false),
        (KillState::Killed, None)
    );
    assert_eq!(
        kill_step(KillState::Killed, due, delay, true),
        (KillState::Killed, None)
    );
    assert_eq!(
        kill_step(KillState::Idle, due, delay, true),
        (KillState::Idle, None)
    );
}

#[test]
fn atomic_writes_replace_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exit");
    assert_eq!(read_int(&path), None);
    write_atomic(&path, b"271").unwrap();
    assert_eq!(read_int(&path), Some(271));
    write_atomic(&path, b"-4").unwrap();
    assert_eq!(read_int(&path), Some(-4));
    assert!(!dir.path().join("exit.tmp").exists());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "readable by its writer only");
}

#[test]
fn the_runner_can_live_in_the_daemon_s_mutex() {
    fn send<T: Send>() {}
    send::<super::Runner>();
}
