//! Running scheduler commands: a fixed argv (never `sh -c`), an environment built from an
//! allowlist, the job script on stdin, and a timeout that kills the command's whole process
//! group (a `sudo` and the `qsub` under it alike).

mod program_path;

use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use crate::error::SchedulerError;
use crate::job::JobId;

/// One command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// The whole environment of the command (nothing is inherited).
    pub env: Vec<(String, String)>,
    /// Bytes written to its standard input (then closed); `None` for no input.
    pub stdin: Option<Vec<u8>>,
    /// How long it may take before it is killed.
    pub timeout: Duration,
}

impl CommandSpec {
    /// The command line for messages: argv joined by spaces.
    pub fn display(&self) -> String {
        self.argv.join(" ")
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// The exit code; `None` if a signal ended it.
    pub code: Option<i32>,
    /// Standard output (lossily decoded).
    pub stdout: String,
    /// Standard error (lossily decoded).
    pub stderr: String,
}

impl CommandOutput {
    /// It exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Why a command produced no output at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// It could not be started.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It ran past its timeout and was killed.
    #[error("no answer within {0:?}; killed")]
    Timeout(Duration),
    /// Talking to it failed.
    #[error("i/o with the command: {0}")]
    Io(#[source] std::io::Error),
}

/// Runs commands. The production implementation is [`ProcessRunner`]; tests substitute
/// their own to count or script what runs.
#[async_trait]
pub trait CommandRunner: Send + Sync {
    /// Runs `spec` to completion (or to its timeout).
    async fn run(&self, spec: &CommandSpec) -> Result<CommandOutput, RunError>;
}

/// Runs commands as child processes.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessRunner;

#[async_trait]
impl CommandRunner for ProcessRunner {
    async fn run(&self, spec: &CommandSpec) -> Result<CommandOutput, RunError> {
        let Some((program, args)) = spec.argv.split_first() else {
            return Err(RunError::Spawn {
                program: String::new(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty argv"),
            });
        };
        let mut command =
            tokio::process::Command::new(program_path::program_to_start(program, &spec.env));
        command
            // The child sees the name it was given, as it would have from execvp.
            .arg0(program)
            .args(args)
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(if spec.stdin.is_some() {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            // Its own process group, so a timeout kills what it started too.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|source| RunError::Spawn {
            program: program.clone(),
            source,
        })?;
        let pid = child.id();
        if let (Some(input), Some(mut stdin)) = (&spec.stdin, child.stdin.take()) {
            // A command that exits without reading all of it is not our error: its exit
            // status says what happened.
            let _ = stdin.write_all(input).await;
            drop(stdin);
        }
        match tokio::time::timeout(spec.timeout, child.wait_with_output()).await {
            Ok(Ok(out)) => Ok(CommandOutput {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }),
            Ok(Err(e)) => Err(RunError::Io(e)),
            Err(_) => {
                if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
                Err(RunError::Timeout(spec.timeout))
            }
        }
    }
}

/// `prefix` with `{user}` replaced by `user`, then `program` and `args`: the argv that runs
/// a scheduler command as a job's owner (`sudo -n -u {user} --`), or as the hub itself when
/// the prefix is empty.
pub fn as_user(prefix: &[String], user: &str, program: &str, args: &[&str]) -> Vec<String> {
    prefix
        .iter()
        .map(|word| word.replace("{user}", user))
        .chain(std::iter::once(program.to_string()))
        .chain(args.iter().map(|a| a.to_string()))
        .collect()
}

/// The variables of this process's environment whose names are in `allowlist`: all a
/// scheduler command gets.
pub fn allowlisted_env(allowlist: &[String]) -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| allowlist.contains(name))
        .collect()
}

/// Runs `spec` through `runner`, turning a failure to run into the scheduler error it is
/// (a timeout is transient; a program that cannot be started is not).
pub async fn run_command(
    runner: &dyn CommandRunner,
    spec: &CommandSpec,
) -> Result<CommandOutput, SchedulerError> {
    runner.run(spec).await.map_err(|e| match e {
        RunError::Timeout(timeout) => SchedulerError::Timeout {
            command: spec.display(),
            timeout,
        },
        RunError::Spawn { source, .. } | RunError::Io(source) => SchedulerError::Io {
            command: spec.display(),
            source,
        },
    })
}

/// Submits a job: runs `command` (its script on stdin: no file, and nothing of it on a
/// command line) and reads the job id from its stdout with `read_id`; a non-zero exit is
/// the error `failure` makes of it.
pub async fn submit_on_stdin<E: std::fmt::Display>(
    runner: &dyn CommandRunner,
    command: &CommandSpec,
    read_id: impl FnOnce(&str) -> Result<JobId, E>,
    failure: impl FnOnce(&CommandSpec, &CommandOutput) -> SchedulerError,
) -> Result<JobId, SchedulerError> {
    let out = run_command(runner, command).await?;
    if !out.success() {
        return Err(failure(command, &out));
    }
    read_id(&out.stdout).map_err(|e| SchedulerError::BadOutput {
        command: command.display(),
        reason: e.to_string(),
    })
}

/// `ids` in consecutive groups whose ids, one separator byte each, stay within `max_bytes`
/// (a group holds at least one id): one status query per group keeps each command line far
/// below the kernel's limit however many jobs the hub tracks.
pub fn id_batches(ids: &[JobId], max_bytes: usize) -> Vec<&[JobId]> {
    let mut batches = Vec::new();
    let mut start = 0;
    while start < ids.len() {
        let mut bytes = 0;
        let mut end = start;
        while end < ids.len() {
            let len = ids[end].as_str().len() + 1;
            if end > start && bytes + len > max_bytes {
                break;
            }
            bytes += len;
            end += 1;
        }
        batches.push(&ids[start..end]);
        start = end;
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str]) -> CommandSpec {
        CommandSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            stdin: None,
            timeout: Duration::from_secs(10),
        }
    }

    #[tokio::test]
    async fn output_status_and_stdin_go_through_without_a_shell() {
        let mut s = spec(&[
            "/bin/sh",
            "-c",
            "cat; echo err >&2; exit 3",
            "$(touch /tmp/x)",
        ]);
        s.stdin = Some(b"script text; $(not run)\n".to_vec());
        let out = ProcessRunner.run(&s).await.unwrap();
        assert_eq!(out.code, Some(3));
        assert_eq!(out.stdout, "script text; $(not run)\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[tokio::test]
    async fn the_environment_is_only_what_was_given() {
        let mut s = spec(&["/usr/bin/env"]);
        s.env.push(("ONLY".into(), "this".into()));
        let out = ProcessRunner.run(&s).await.unwrap();
        let mut lines: Vec<&str> = out.stdout.lines().collect();
        lines.sort_unstable();
        assert_eq!(lines, vec!["ONLY=this", "PATH=/usr/bin:/bin"]);
    }

    #[tokio::test]
    async fn a_command_past_its_timeout_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let mut s = spec(&["/bin/sh", "-c", &script]);
        s.timeout = Duration::from_millis(300);
        let started = std::time::Instant::now();
        let err = ProcessRunner.run(&s).await.unwrap_err();
        assert!(matches!(err, RunError::Timeout(_)), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild got the group's SIGKILL too (give the kernel a moment).
        let mut gone = false;
        for _ in 0..50 {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Gone, or a zombie waiting for its reaper.
            if state.is_empty() || state.split_whitespace().nth(2) == Some("Z") {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone, "the command's child survived the timeout");
    }

    #[test]
    fn id_batches_stay_under_the_limit_and_keep_every_id_in_order() {
        let ids: Vec<JobId> = (0..100)
            .map(|i| JobId::new(format!("{i}.pbs02")).unwrap())
            .collect();
        let batches = id_batches(&ids, 64);
        assert!(batches.len() > 1);
        for batch in &batches {
            let bytes: usize = batch.iter().map(|id| id.as_str().len() + 1).sum();
            assert!(bytes <= 64 || batch.len() == 1, "{bytes} bytes");
        }
        let flat: Vec<&JobId> = batches.iter().flat_map(|b| b.iter()).collect();
        assert_eq!(flat, ids.iter().collect::<Vec<_>>());
        assert!(id_batches(&[], 64).is_empty());
        // One id longer than the limit still gets its own query.
        let long = [JobId::new("9".repeat(100)).unwrap()];
        assert_eq!(id_batches(&long, 64).len(), 1);
    }

    #[test]
    fn as_user_fills_the_prefix() {
        let prefix = ["sudo", "-n", "-u", "{user}", "--"].map(String::from);
        assert_eq!(
            as_user(&prefix, "alice", "qdel", &["7.pbs02"]),
            ["sudo", "-n", "-u", "alice", "--", "qdel", "7.pbs02"]
        );
        assert_eq!(as_user(&[], "alice", "qstat", &[]), ["qstat"]);
    }

    #[tokio::test]
    async fn a_bare_name_runs_from_the_commands_path_under_its_own_name() {
        // `qstat` here is cat, which prints the command line it was started with.
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/bin/cat", dir.path().join("qstat")).unwrap();
        let mut s = spec(&["qstat", "/proc/self/cmdline"]);
        s.env = vec![(
            "PATH".into(),
            format!("/nonexistent:{}", dir.path().display()),
        )];
        let out = ProcessRunner.run(&s).await.unwrap();
        assert!(out.success(), "{out:?}");
        assert_eq!(out.stdout, "qstat\0/proc/self/cmdline\0");
    }

    #[tokio::test]
    async fn a_missing_program_is_a_spawn_error() {
        let err = ProcessRunner
            .run(&spec(&["/nonexistent/qsub"]))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot start `/nonexistent/qsub`"),
            "{err}"
        );
    }
}
