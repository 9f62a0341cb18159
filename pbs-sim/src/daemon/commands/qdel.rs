//! `qdel`: silent on success; per job, PBS's error text with the id as typed, exiting with
//! the last error's code. A running job's process gets SIGTERM, then SIGKILL after the
//! `kill_delay`, and the job goes R → E → F.

use drivers::resources::Pbse;
use drivers::JobState;

use super::{client_error, version};
use crate::daemon::handle::{Daemon, Peer};
use crate::daemon::protocol::{Invocation, Reply};
use crate::shims::qdel_args::parse_qdel;
use crate::shims::Invocation as Parsed;

/// Runs `qdel` for `peer`.
pub fn qdel(daemon: &mut Daemon, peer: &Peer, invocation: &Invocation) -> Reply {
    let args = match parse_qdel(&invocation.args) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Version) => return version(daemon),
        Err(e) => return client_error(e),
    };
    let mut reply = Reply::default();
    let server_name = daemon.server.header().server_name.clone();
    for target in args.targets {
        let id = match target {
            Ok(id) => id,
            Err(e) => {
                reply.stderr.push_str(&e.stderr);
                reply.exit_code = e.exit_code;
                continue;
            }
        };
        let parent = id.parent_server.as_deref().unwrap_or(&server_name);
        let engine = daemon.server.engine();
        let Some((key, owner, state)) = engine
            .key_of(&format!("{}.{parent}", id.seq))
            .and_then(|k| engine.job(k))
            .map(|j| (j.key, j.owner.clone(), j.state))
        else {
            fail(&mut reply, Pbse::UnkJobId, &id.typed);
            continue;
        };
        if owner != peer.user && !peer.manager {
            fail(&mut reply, Pbse::Perm, &id.typed);
            continue;
        }
        match state {
            // `-x` purges history; the simulator keeps it, but the command succeeds.
            JobState::Finished if args.delete_history => continue,
            JobState::Finished => {
                fail(&mut reply, Pbse::HistJobId, &id.typed);
                continue;
            }
            // Its process is already being killed; forcing asks for nothing more.
            JobState::Exiting if args.force => continue,
            _ => {}
        }
        let now = daemon.now();
        if let Err(e) = daemon.server.delete(now, key) {
            fail(&mut reply, e.code(), &id.typed);
        }
    }
    reply
}

/// `qdel: <text> <id as typed>`; the exit code is the last error's.
fn fail(reply: &mut Reply, code: Pbse, typed: &str) {
    reply
        .stderr
        .push_str(&format!("qdel: {} {typed}\n", code.base_text()));
    reply.exit_code = i32::from(code.exit_code());
}
