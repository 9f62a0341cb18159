//! The server side of each shim: the invocation as typed, parsed with the shims' own
//! parsers, carried out on the cluster, and answered with exactly what PBS Pro's command
//! prints and the code it exits with.
//!
//! - [`qsub`], [`qstat`], [`qdel`], [`pbsnodes`] — one command each.
//! - [`control`](mod@control) — the operator's `pbs-sim status` and `pbs-sim fault …`.

pub mod control;
pub mod pbsnodes;
pub mod qdel;
pub mod qstat;
pub mod qsub;

use std::time::Duration;

use super::handle::{Daemon, Peer};
use super::protocol::{Command, Invocation, Reply};
use crate::format::{Ctx, Zone};
use crate::shims::{version_output, ClientError};

pub use control::control;

/// Runs one shim invocation.
pub fn run(daemon: &mut Daemon, peer: &Peer, invocation: &Invocation) -> (Reply, Option<Duration>) {
    match invocation.command {
        Command::Qsub => (qsub::qsub(daemon, peer, invocation), None),
        Command::Qstat => qstat::qstat(daemon, invocation),
        Command::Qdel => (qdel::qdel(daemon, peer, invocation), None),
        Command::Pbsnodes => (pbsnodes::pbsnodes(daemon, peer, invocation), None),
    }
}

/// What a client prints for an error it found in its own arguments.
pub fn client_error(e: ClientError) -> Reply {
    Reply::err(e.exit_code, e.stderr)
}

/// `cmd --version`.
pub fn version(daemon: &Daemon) -> Reply {
    Reply::out(version_output(&daemon.pbs_version))
}

/// What the renderers need: the server's name and version, and the time now.
pub fn render_ctx(daemon: &Daemon) -> Ctx {
    Ctx {
        server: daemon.server.header().server_name.clone(),
        pbs_version: daemon.pbs_version.clone(),
        now: i64::try_from(daemon.now()).unwrap_or(i64::MAX),
        zone: Zone::Local,
    }
}

/// A reply for an option this simulator does not implement: said plainly, exit 1, rather
/// than output a client might mistake for PBS's.
pub fn unsupported(command: &str, what: &str) -> Reply {
    Reply::err(
        1,
        format!("{command}: {what} is not supported by pbs-sim\n"),
    )
}
