//! The client side of the shims: find the daemon, send one invocation, print its reply.
//!
//! Where the daemon is: `PBS_SIM_SOCKET`, else `PBS_SIM_SOCKET=` in a `pbs.conf` beside the
//! shim (written by `pbs-sim install-shims`), else [`default_socket`]. The server name used
//! in "cannot connect" errors comes the same way from `PBS_SERVER`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::daemon::protocol::{
    read_reply, write_request, Command, Invocation, Reply, Request, Script,
};
use crate::shims::qsub::{parse_command_line, JobSource};
use crate::shims::{self, ClientError};

/// `pbs_errno` of a client that cannot reach the server (PBSE_NOSERVER); commands exit
/// with it modulo 256, as PBS's do.
pub const PBSE_NOSERVER: i32 = 15010;

/// The default server name (Palmetto's).
pub const DEFAULT_SERVER: &str = "pbs02";

/// The version the simulated server reports unless told otherwise (PBS Pro 2022.1.1, whose
/// JSON generator the renderers follow).
pub const DEFAULT_PBS_VERSION: &str = "2022.1.1.20220926110806";

/// The socket used when nothing says otherwise: in `XDG_RUNTIME_DIR` if set, else `/tmp`.
pub fn default_socket() -> PathBuf {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    dir.join("pbs-sim.sock")
}

/// Where a shim finds its daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The daemon's socket.
    pub socket: PathBuf,
    /// `PBS_SERVER`, for error texts.
    pub server: String,
}

impl Target {
    /// The daemon a shim started as `argv0` talks to, given the environment `env`.
    pub fn find(argv0: &str, env: &BTreeMap<String, String>) -> Target {
        let conf = Path::new(argv0)
            .parent()
            .map(|dir| dir.join("pbs.conf"))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|text| parse_conf(&text))
            .unwrap_or_default();
        let pick = |key: &str| env.get(key).or_else(|| conf.get(key)).cloned();
        Target {
            socket: pick("PBS_SIM_SOCKET")
                .map(PathBuf::from)
                .unwrap_or_else(default_socket),
            server: pick("PBS_SERVER").unwrap_or_else(|| DEFAULT_SERVER.to_string()),
        }
    }
}

/// `KEY=value` lines (`#` comments), as in `/etc/pbs.conf`.
pub fn parse_conf(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// What PBS commands print when the server cannot be reached.
pub fn cannot_connect(command: &str, server: &str) -> Reply {
    Reply::err(
        PBSE_NOSERVER & 0xff,
        format!("{command}: cannot connect to server {server} (errno={PBSE_NOSERVER})\n"),
    )
}

/// Sends `request` to the daemon at `socket` and returns its reply; `None` if the daemon
/// cannot be reached or hangs up.
pub fn call(socket: &Path, request: &Request) -> Option<Reply> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .ok()?;
    runtime.block_on(async {
        let stream = tokio::net::UnixStream::connect(socket).await.ok()?;
        let (read, write) = stream.into_split();
        write_request(write, request).await.ok()?;
        read_reply(read).await.ok()
    })
}

/// Prints a reply as the command would and returns its exit code.
pub fn print(reply: &Reply) -> i32 {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(reply.stdout.as_bytes());
    let _ = out.flush();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(reply.stderr.as_bytes());
    let _ = err.flush();
    reply.exit_code
}

/// Runs the shim for `command`, started as `argv0` with `args`; returns its exit code.
///
/// Option errors are found here, before the server is contacted, as PBS's clients do; the
/// daemon parses the same words again and does the work. `qsub` reads its script here,
/// where the user's files are readable.
pub fn run_shim(command: Command, argv0: &str, args: Vec<String>) -> i32 {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let target = Target::find(&invoked_path(argv0, &env), &env);
    let script = match check_locally(command, &args) {
        Ok(script) => script,
        Err(e) => return print(&Reply::err(e.exit_code, e.stderr)),
    };
    let invocation = Invocation {
        command,
        args,
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "/".to_string()),
        host: host_name(),
        // Only qsub needs the environment (`-V`, `PBS_O_*`): keep the others' requests small.
        env: if command == Command::Qsub {
            env
        } else {
            BTreeMap::new()
        },
        script,
    };
    let version_only = shims::is_version_request(&invocation.args);
    match call(&target.socket, &Request::Run(invocation)) {
        Some(reply) => print(&reply),
        // The version is the client's own: it needs no server.
        None if version_only => print(&Reply::out(shims::version_output(DEFAULT_PBS_VERSION))),
        None => print(&cannot_connect(command.name(), &target.server)),
    }
}

/// What the client checks before it connects: option errors; for `qsub`, the script,
/// read from its file or from stdin.
fn check_locally(command: Command, args: &[String]) -> Result<Option<Script>, ClientError> {
    check_args(command, args, || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    })
}

/// [`check_locally`] with `qsub`'s standard input read by `stdin` (the in-process
/// [`crate::socket_runner::SocketRunner`] has it in memory).
pub(crate) fn check_args(
    command: Command,
    args: &[String],
    stdin: impl FnOnce() -> std::io::Result<String>,
) -> Result<Option<Script>, ClientError> {
    use crate::shims::Invocation::Run;
    match command {
        Command::Qsub => match parse_command_line(args)? {
            Run(cmdline) => read_script(&cmdline.source, stdin).map(Some),
            shims::Invocation::Version => Ok(None),
        },
        Command::Qstat => shims::qstat_args::parse_qstat(args).map(|_| None),
        Command::Qdel => shims::qdel_args::parse_qdel(args).map(|_| None),
        Command::Pbsnodes => shims::pbsnodes_args::parse_pbsnodes(args).map(|_| None),
    }
}

/// `qsub`'s script: the file operand (`qsub: script file:: <error>` if it cannot be read,
/// as PBS's `perror` puts it), stdin, or none for `qsub -- program`.
fn read_script(
    source: &JobSource,
    stdin: impl FnOnce() -> std::io::Result<String>,
) -> Result<Script, ClientError> {
    match source {
        JobSource::Script(path) => {
            if Path::new(path).is_dir() {
                return Err(ClientError::new("qsub: script not a file\n", 1));
            }
            match std::fs::read(path) {
                Ok(bytes) => Ok(Script {
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    path: Some(path.clone()),
                }),
                Err(e) => Err(ClientError::new(
                    format!("qsub: script file:: {}\n", io_message(&e)),
                    1,
                )),
            }
        }
        JobSource::Stdin => {
            let text = stdin().map_err(|e| {
                ClientError::new(format!("qsub: reading stdin: {}\n", io_message(&e)), 1)
            })?;
            Ok(Script { text, path: None })
        }
        JobSource::Command { .. } => Ok(Script {
            text: String::new(),
            path: None,
        }),
    }
}

/// An I/O error as `perror` words it (`No such file or directory`), without Rust's
/// ` (os error 2)`.
fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The path the shim was started by: `argv0` itself when it holds a `/`, else the first
/// match on `PATH` — so the `pbs.conf` beside the link is found, not the one beside the
/// binary it points to.
fn invoked_path(argv0: &str, env: &BTreeMap<String, String>) -> String {
    if argv0.contains('/') {
        return argv0.to_string();
    }
    env.get("PATH")
        .into_iter()
        .flat_map(|path| path.split(':'))
        .map(|dir| Path::new(dir).join(argv0))
        .find(|candidate| candidate.exists())
        .map_or_else(|| argv0.to_string(), |p| p.display().to_string())
}

/// This host's name (`PBS_O_HOST`).
pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_beats_pbs_conf_which_beats_the_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pbs.conf"),
            "# written by pbs-sim install-shims\nPBS_SERVER=pbs99\nPBS_SIM_SOCKET=/run/x.sock\n",
        )
        .unwrap();
        let argv0 = dir.path().join("qstat").display().to_string();
        let found = Target::find(&argv0, &BTreeMap::new());
        assert_eq!(found.server, "pbs99");
        assert_eq!(found.socket, PathBuf::from("/run/x.sock"));
        let env = BTreeMap::from([("PBS_SIM_SOCKET".to_string(), "/tmp/y".to_string())]);
        assert_eq!(Target::find(&argv0, &env).socket, PathBuf::from("/tmp/y"));
        let bare = Target::find("qstat", &BTreeMap::new());
        assert_eq!(bare.server, DEFAULT_SERVER);
    }

    #[test]
    fn a_bare_command_name_is_found_on_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("qstat"), "").unwrap();
        let env = BTreeMap::from([(
            "PATH".to_string(),
            format!("/nonexistent:{}", dir.path().display()),
        )]);
        assert_eq!(
            invoked_path("qstat", &env),
            dir.path().join("qstat").display().to_string()
        );
        assert_eq!(invoked_path("./bin/qstat", &env), "./bin/qstat");
    }

    #[test]
    fn a_missing_script_is_reported_as_perror_does() {
        let e = read_script(&JobSource::Script("/nonexistent/job.sh".into()), || {
            unreachable!("a script file is not read from stdin")
        })
        .unwrap_err();
        assert_eq!(e.stderr, "qsub: script file:: No such file or directory\n");
        assert_eq!(e.exit_code, 1);
    }

    #[test]
    fn an_unreachable_server_is_reported_as_pbs_does() {
        let reply = cannot_connect("qstat", "pbs02");
        assert_eq!(
            reply.stderr,
            "qstat: cannot connect to server pbs02 (errno=15010)\n"
        );
        assert_eq!(reply.exit_code, 15010 & 0xff);
        let dir = tempfile::tempdir().unwrap();
        let request = Request::Control(crate::daemon::protocol::Control::Status);
        assert!(call(&dir.path().join("none.sock"), &request).is_none());
    }
}
