//! The client side of the shims: find the daemon, send one invocation, print its reply.
//!
//! Where the daemon is: `PBS_SIM_SOCKET`, else `PBS_SIM_SOCKET=` in a `pbs.conf` beside the
//! shim (written by `pbs-sim install-shims`), else [`default_socket`]. The server name used
//! in "cannot connect" errors comes the same way from `PBS_SERVER`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::daemon::protocol::{read_reply, write_request, Reply, Request};

/// `pbs_errno` of a client that cannot reach the server (PBSE_NOSERVER); commands exit
/// with it modulo 256, as PBS's do.
pub const PBSE_NOSERVER: i32 = 15010;

/// The default server name (Palmetto's).
pub const DEFAULT_SERVER: &str = "pbs02";

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
