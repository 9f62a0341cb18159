//! The scheduler's commands, run as the hub runs them: a fixed argv through
//! `spawner.exec_prefix` (as `--test-user`), the driver's allowlisted environment, a
//! timeout, no shell. Two commands: the one jobs are submitted through (run as the test
//! user, as `qsub`/`sbatch` are), and a query of the scheduler's server (as the hub polls).

use std::time::Duration;

use drivers::command::{as_user, CommandRunner, CommandSpec, ProcessRunner};
use drivers::pbs::config::PbsConfig;
use drivers::slurm::config::SlurmConfig;

use super::{DoctorOptions, Finding};
use crate::config::{HubConfig, SchedulerKind};

/// The longest a doctor's command may take: `spawner.command_timeout`, at most this.
const MAX_TIMEOUT: Duration = Duration::from_secs(20);

/// One command to try: its check name, program and arguments, and whether it runs as the
/// job's owner (through the prefix) or as the hub.
struct Probe<'a> {
    check: &'static str,
    program: &'a str,
    args: &'a [&'a str],
    as_owner: bool,
}

pub(super) async fn check(config: &HubConfig, options: &DoctorOptions) -> Vec<Finding> {
    let (allowlist, user_probe, hub_probe);
    let pbs = PbsConfig::default();
    let slurm = SlurmConfig::default();
    match config.spawner.scheduler {
        SchedulerKind::Sim => {
            return vec![Finding::ok(
                "scheduler",
                "simulated (spawner.scheduler = \"sim\"): no commands to run",
            )]
        }
        SchedulerKind::Pbs => {
            allowlist = pbs.env_allowlist.clone();
            user_probe = Probe {
                check: "scheduler: qstat --version",
                program: &pbs.qstat,
                args: &["--version"],
                as_owner: true,
            };
            hub_probe = Probe {
                check: "scheduler: qstat -B",
                program: &pbs.qstat,
                args: &["-B"],
                as_owner: false,
            };
        }
        SchedulerKind::Slurm => {
            allowlist = slurm.env_allowlist.clone();
            user_probe = Probe {
                check: "scheduler: squeue --version",
                program: &slurm.squeue,
                args: &["--version"],
                as_owner: true,
            };
            hub_probe = Probe {
                check: "scheduler: sinfo",
                program: &slurm.sinfo,
                args: &["--summarize"],
                as_owner: false,
            };
        }
    }
    if let Some(user) = &options.test_user {
        // The name goes into an argv (`sudo -u NAME`): a name that is not one is refused
        // here, as the spawner refuses it.
        if let Err(e) = drivers::UserName::new(user.as_str()) {
            return vec![Finding::fail(
                "scheduler",
                format!("--test-user {user:?}: {e}"),
                "give the login name of an ordinary cluster user",
            )];
        }
    }
    let env: Vec<(String, String)> = options
        .environment
        .iter()
        .filter(|(name, _)| allowlist.contains(name))
        .cloned()
        .collect();
    let timeout = config.spawner.command_timeout.get().min(MAX_TIMEOUT);
    // The driver's `{user}` is the config's `{username}`, as `hub serve` maps it.
    let prefix: Vec<String> = config
        .spawner
        .exec_prefix
        .iter()
        .map(|word| word.replace("{username}", "{user}"))
        .collect();
    let mut findings = Vec::new();
    for probe in [user_probe, hub_probe] {
        let (argv, whom) = match (&options.test_user, probe.as_owner) {
            (Some(user), true) => (
                as_user(&prefix, user, probe.program, probe.args),
                format!("as {user} through spawner.exec_prefix"),
            ),
            (None, true) => (
                as_user(&[], "", probe.program, probe.args),
                "as the doctor's own user (give --test-user NAME to go through spawner.exec_prefix)"
                    .to_string(),
            ),
            (_, false) => (
                as_user(&[], "", probe.program, probe.args),
                "as the hub polls".to_string(),
            ),
        };
        let spec = CommandSpec {
            argv,
            env: env.clone(),
            stdin: None,
            timeout,
        };
        let through_prefix = options.test_user.is_some() && probe.as_owner;
        findings.push(run(&ProcessRunner, probe.check, &spec, &whom, through_prefix).await);
    }
    findings
}

/// Runs one command and judges it: started and exited 0, or why not. The fix names
/// `spawner.exec_prefix` only when the command went through it.
async fn run(
    runner: &dyn CommandRunner,
    check: &str,
    spec: &CommandSpec,
    whom: &str,
    through_prefix: bool,
) -> Finding {
    let shown = spec.display();
    let program = spec.argv.first().cloned().unwrap_or_default();
    let path = spec
        .env
        .iter()
        .find(|(name, _)| name == "PATH")
        .map(|(_, value)| value.as_str())
        .unwrap_or("(none)");
    match runner.run(spec).await {
        Ok(out) if out.success() => {
            let first = out.stdout.lines().next().unwrap_or("").trim();
            Finding::ok(check, format!("`{shown}` ran {whom}: {first}"))
        }
        Ok(out) => {
            let said = out
                .stderr
                .lines()
                .chain(out.stdout.lines())
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            let code = out
                .code
                .map_or("a signal".to_string(), |c| format!("exit code {c}"));
            let fix = if through_prefix {
                "run that command by hand as the hub's user; check spawner.exec_prefix's sudo \
                 rule (`hub sudoers`) and that the scheduler's server answers"
            } else {
                "run that command by hand as the hub's user; check that the scheduler's server \
                 answers and that the hub's user may query it"
            };
            Finding::fail(
                check,
                format!("`{shown}` ({whom}) ended with {code}: {said}"),
                fix,
            )
        }
        Err(drivers::command::RunError::Spawn { source, .. }) => Finding::fail(
            check,
            format!("cannot start `{program}` ({whom}): {source}"),
            if through_prefix {
                format!("install it on PATH ({path}), or correct spawner.exec_prefix")
            } else {
                format!("install it on PATH ({path})")
            },
        ),
        Err(e) => Finding::fail(
            check,
            format!("`{shown}` ({whom}): {e}"),
            "check that the scheduler's server answers (a hung command stalls every spawn)",
        ),
    }
}
