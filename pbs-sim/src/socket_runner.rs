//! The production PBS driver's commands, answered by a `pbs-sim` daemon over its socket
//! without starting a process: what the shims would do, in the caller's process.
//!
//! `hub demo` and `hub serve` with `scheduler = "sim"` run the daemon in the hub's own
//! process and give [`drivers::pbs::driver::PbsDriver`] this runner: every `qsub`, `qstat`
//! and `qdel` is still a text command parsed and printed as PBS Pro does, so the driver's
//! parsing is exercised exactly as against a real server, while thousands of status polls
//! cost no `fork`.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use drivers::command::{CommandOutput, CommandRunner, CommandSpec, RunError};

use crate::client::{cannot_connect, check_args, host_name, DEFAULT_SERVER};
use crate::daemon::protocol::{read_reply, write_request, Command, Invocation, Request};
use crate::shims::ClientError;

/// Runs `qsub`/`qstat`/`qdel`/`pbsnodes` argvs against the daemon at a socket.
#[derive(Debug, Clone)]
pub struct SocketRunner {
    socket: PathBuf,
}

impl SocketRunner {
    /// A runner talking to the daemon listening on `socket`.
    pub fn new(socket: impl Into<PathBuf>) -> SocketRunner {
        SocketRunner {
            socket: socket.into(),
        }
    }

    /// The daemon's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

#[async_trait]
impl CommandRunner for SocketRunner {
    async fn run(&self, spec: &CommandSpec) -> Result<CommandOutput, RunError> {
        let invocation = invocation(spec)?;
        let invocation = match invocation {
            Ok(invocation) => invocation,
            // An option error is the client's own answer, as a real qsub's would be.
            Err(refused) => return Ok(output(refused.exit_code, String::new(), refused.stderr)),
        };
        let name = invocation.command.name();
        let exchange = async {
            let stream = tokio::net::UnixStream::connect(&self.socket).await?;
            let (read, write) = stream.into_split();
            write_request(write, &Request::Run(invocation))
                .await
                .map_err(std::io::Error::other)?;
            read_reply(read).await.map_err(std::io::Error::other)
        };
        match tokio::time::timeout(spec.timeout, exchange).await {
            Err(_) => Err(RunError::Timeout(spec.timeout)),
            Ok(Ok(reply)) => Ok(output(reply.exit_code, reply.stdout, reply.stderr)),
            // What the shim prints when the daemon cannot be reached.
            Ok(Err(_)) => {
                let server = spec
                    .env
                    .iter()
                    .find(|(k, _)| k == "PBS_SERVER")
                    .map_or(DEFAULT_SERVER, |(_, v)| v.as_str());
                let reply = cannot_connect(name, server);
                Ok(output(reply.exit_code, reply.stdout, reply.stderr))
            }
        }
    }
}

fn output(code: i32, stdout: String, stderr: String) -> CommandOutput {
    CommandOutput {
        code: Some(code),
        stdout,
        stderr,
    }
}

/// The invocation a shim would send for `spec`; `Ok(Err(_))` for an option error the client
/// finds itself; `Err` for an argv that names no PBS command.
fn invocation(spec: &CommandSpec) -> Result<Result<Invocation, ClientError>, RunError> {
    let (program, args) = spec.argv.split_first().ok_or_else(|| RunError::Spawn {
        program: String::new(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty argv"),
    })?;
    let base = Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program);
    let command = Command::from_name(base).ok_or_else(|| RunError::Spawn {
        program: program.clone(),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the simulated cluster runs only qsub, qstat, qdel and pbsnodes (no run-as prefix)",
        ),
    })?;
    let stdin = String::from_utf8_lossy(spec.stdin.as_deref().unwrap_or_default()).into_owned();
    let script = match check_args(command, args, || Ok(stdin)) {
        Ok(script) => script,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Invocation {
        command,
        args: args.to_vec(),
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "/".to_string()),
        host: host_name(),
        env: if command == Command::Qsub {
            spec.env.iter().cloned().collect()
        } else {
            Default::default()
        },
        script,
    }))
}
