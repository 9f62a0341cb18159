//! `qsub`: the request checked as the client library and the server check it, queued, and
//! its id printed.

use drivers::pbs::script::quote;
use drivers::resources::{PbsError, Pbse};

use super::{client_error, version};
use crate::daemon::handle::{Daemon, Peer};
use crate::daemon::protocol::{Invocation, Reply};
use crate::daemon::userjob::{Dependency, Fixed, Join, UserJob};
use crate::shims::qsub::{self, JobBody, QsubRequest, SubmitContext};
use crate::shims::Invocation as Parsed;

/// The `pbs_errno` of a hook's rejection (PBSE_HOOKERROR), whose text is the hook's.
const HOOK_REJECT: i32 = 15136;

/// Runs `qsub` for `peer`.
pub fn qsub(daemon: &mut Daemon, peer: &Peer, invocation: &Invocation) -> Reply {
    let cmdline = match qsub::parse_command_line(&invocation.args) {
        Ok(Parsed::Run(c)) => c,
        Ok(Parsed::Version) => return version(daemon),
        Err(e) => return client_error(e),
    };
    let (text, path) = invocation
        .script
        .as_ref()
        .map_or(("", None), |s| (s.text.as_str(), s.path.as_deref()));
    let context = SubmitContext {
        env: invocation.env.clone(),
        cwd: invocation.cwd.clone(),
        user: peer.user.clone(),
        host: invocation.host.clone(),
    };
    let request = match qsub::build_request(&cmdline, text, path, &context) {
        Ok(r) => r,
        Err(e) => return client_error(e),
    };
    if let Some(message) = daemon.faults.next_qsub() {
        return Reply::err(HOOK_REJECT & 0xff, format!("qsub: {message}\n"));
    }
    if request.array_range.is_some() {
        return Reply::err(1, "qsub: array jobs (-J) are not supported by pbs-sim\n");
    }
    let mut job = match user_job(&request) {
        Ok(job) => job,
        Err(e) => return pbs_error(&e),
    };
    job.mark_directories();
    let now = daemon.now();
    match daemon.server.submit(now, job) {
        Ok(key) if request.suppress_id => {
            let _ = key;
            Reply::default()
        }
        Ok(key) => Reply::out(format!("{}\n", daemon.server.engine().job_id(key))),
        Err(e) => pbs_error(&e),
    }
}

/// `qsub: <text>`, exiting with the error's code.
fn pbs_error(e: &PbsError) -> Reply {
    Reply::err(i32::from(e.exit_code()), format!("qsub: {}\n", e.text()))
}

/// The job as the server keeps it.
fn user_job(request: &QsubRequest) -> Result<UserJob, PbsError> {
    let script = match &request.body {
        JobBody::Script(text) => text.clone(),
        JobBody::Command { program, args } => command_script(program, args)?,
    };
    Ok(UserJob {
        owner: request.user.clone(),
        submit_host: request.submit_host.clone(),
        name: request.job_name.clone(),
        queue: request.queue.clone().filter(|q| !q.is_empty()),
        resources: request.resources.clone(),
        hold: request.user_hold,
        rerunnable: request.rerunnable,
        join: match request.join {
            qsub::Join::No => Join::No,
            qsub::Join::OutputAndError => Join::OutErr,
            qsub::Join::ErrorAndOutput => Join::ErrOut,
        },
        output_path: request.output_path.clone(),
        error_path: request.error_path.clone(),
        variables: request.variables.clone(),
        script,
        depend: request.depend.as_deref().map(dependency).transpose()?,
        account: request.account.clone(),
        mail_points: request.mail_points.clone(),
        mail_users: request.mail_users.clone(),
        priority: request.priority,
        submit_args: request.submit_arguments.clone(),
        project: request.project.clone(),
        fixed: Fixed::default(),
    })
}

/// `-W depend=<kind>:<id>[:<id>…]`, of the kinds the server supports.
fn dependency(text: &str) -> Result<Dependency, PbsError> {
    let bad = || PbsError::new(Pbse::BadDepend, "");
    let mut parts = text.split(':');
    let kind = parts.next().ok_or_else(bad)?;
    if !matches!(kind, "after" | "afterok" | "afternotok" | "afterany") {
        return Err(bad());
    }
    let jobs: Vec<String> = parts.map(str::to_string).collect();
    if jobs.is_empty() || jobs.iter().any(String::is_empty) {
        return Err(bad());
    }
    Ok(Dependency {
        kind: kind.to_string(),
        jobs,
    })
}

/// The script PBS writes for `qsub -- program args…`: the program run directly, its words
/// quoted so that none of them is read by the shell (a NUL, which no word can carry, is
/// refused).
fn command_script(program: &str, args: &[String]) -> Result<String, PbsError> {
    let mut line = String::from("exec");
    for word in std::iter::once(program).chain(args.iter().map(String::as_str)) {
        let quoted = quote(word, "the command")
            .map_err(|e| PbsError::with_text(Pbse::BadAtVal, e.to_string()))?;
        line.push(' ');
        line.push_str(&quoted);
    }
    line.push('\n');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_quoted_word_by_word() {
        let script =
            command_script("/bin/echo", &["it's".into(), "$HOME; rm -rf /".into()]).unwrap();
        assert!(command_script("/bin/echo", &["a\0b".into()]).is_err());
        assert_eq!(script, "exec '/bin/echo' 'it'\\''s' '$HOME; rm -rf /'\n");
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "it's $HOME; rm -rf /\n"
        );
    }

    #[test]
    fn dependencies_of_unknown_kinds_are_refused() {
        let d = dependency("afterok:12.pbs02:13").unwrap();
        assert_eq!(d.kind, "afterok");
        assert_eq!(d.jobs, vec!["12.pbs02", "13"]);
        for bad in ["before:1", "afterok", "afterok:", "afterok:1::2"] {
            let e = dependency(bad).unwrap_err();
            assert_eq!(e.text(), "Invalid dependency", "{bad}");
        }
    }
}
