//! Starting the site's `jupyterhub-singleuser` on the reported port.
//!
//! The port is bound by `hub-singleuser` (so it is known to be free when reported) and
//! released just before the exec, for the real server to bind again. Between the two,
//! another process on the node could take it; batchspawner has the same window (it binds,
//! closes, reports, then starts the server). The window is a few milliseconds, and a lost
//! race makes the server fail to bind, which the hub sees as a failed start.

use std::ffi::{OsStr, OsString};
use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The program run when no command is given.
pub const DEFAULT_PROGRAM: &str = "jupyterhub-singleuser";

/// `service_url` with its port replaced by `port`, e.g.
/// `http://0.0.0.0:0/user/alice/` → `http://0.0.0.0:50065/user/alice/`.
pub fn service_url_with_port(service_url: &str, port: u16) -> Result<String, String> {
    let (scheme, rest) = service_url
        .split_once("://")
        .ok_or_else(|| format!("JUPYTERHUB_SERVICE_URL {service_url:?}: no scheme"))?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let host = if authority.starts_with('[') {
        // An IPv6 literal: the port, if any, follows the closing bracket.
        let end = authority
            .find(']')
            .ok_or_else(|| format!("JUPYTERHUB_SERVICE_URL {service_url:?}: unclosed ["))?;
        &authority[..=end]
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(format!("JUPYTERHUB_SERVICE_URL {service_url:?}: no host"));
    }
    Ok(format!("{scheme}://{host}:{port}{path}"))
}

/// The first executable file named `program` in the directories of `path` (a `PATH`
/// value). A `program` holding a `/` is taken as it is, if executable.
pub fn find_program(program: &OsStr, path: Option<&OsStr>) -> Option<PathBuf> {
    let executable = |candidate: &Path| {
        candidate
            .metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if Path::new(program).components().count() > 1 {
        let candidate = PathBuf::from(program);
        return executable(&candidate).then_some(candidate);
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

/// The command that runs the notebook server: `program args… --port=P --ip=IP`, with
/// `JUPYTERHUB_SERVICE_URL` rewritten to `port` when the hub set it.
pub fn server_command(
    program: &Path,
    args: &[OsString],
    ip: IpAddr,
    port: u16,
    service_url: Option<&str>,
) -> Result<Command, String> {
    let mut command = Command::new(program);
    command
        .args(args)
        .arg(format!("--port={port}"))
        .arg(format!("--ip={ip}"));
    if let Some(url) = service_url {
        command.env("JUPYTERHUB_SERVICE_URL", service_url_with_port(url, port)?);
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn the_port_is_replaced() {
        let cases = [
            (
                "http://0.0.0.0:0/user/alice/",
                "http://0.0.0.0:50065/user/alice/",
            ),
            ("http://node7/user/a/", "http://node7:50065/user/a/"),
            ("https://node7:8888", "https://node7:50065"),
            ("http://[::]:0/user/a/", "http://[::]:50065/user/a/"),
            ("http://[::1]/x?y=1", "http://[::1]:50065/x?y=1"),
        ];
        for (from, to) in cases {
            assert_eq!(service_url_with_port(from, 50065).as_deref(), Ok(to));
        }
        for bad in ["node7:80/user", "http://:80/", "http://[::1/"] {
            assert!(service_url_with_port(bad, 1).is_err(), "{bad}");
        }
    }

    #[test]
    fn programs_are_found_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("jupyterhub-singleuser");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let path = std::env::join_paths([Path::new("/nonexistent"), dir.path()]).unwrap();

        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(find_program(OsStr::new(DEFAULT_PROGRAM), Some(&path)), None);

        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            find_program(OsStr::new(DEFAULT_PROGRAM), Some(&path)),
            Some(script.clone())
        );
        assert_eq!(find_program(OsStr::new(DEFAULT_PROGRAM), None), None);
        assert_eq!(find_program(script.as_os_str(), None), Some(script.clone()));
    }

    #[test]
    fn the_command_gets_port_ip_and_service_url() {
        let command = server_command(
            Path::new("/opt/jh/bin/jupyterhub-singleuser"),
            &["--debug".into()],
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            50065,
            Some("http://0.0.0.0:0/user/alice/"),
        )
        .unwrap();
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args, ["--debug", "--port=50065", "--ip=0.0.0.0"]);
        let envs: Vec<_> = command.get_envs().collect();
        assert_eq!(
            envs,
            [(
                OsStr::new("JUPYTERHUB_SERVICE_URL"),
                Some(OsStr::new("http://0.0.0.0:50065/user/alice/"))
            )]
        );
    }
}
