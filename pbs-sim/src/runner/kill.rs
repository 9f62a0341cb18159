//! The kill sequence MoM follows for qdel and walltime (SIGTERM, `kill_delay`, SIGKILL), as
//! a pure state machine the daemon steps from `Runner::poll`.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

/// Where a job is in its kill sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KillState {
    /// Nobody asked to kill the job.
    #[default]
    Idle,
    /// Asked, but the job's process group is not known yet (the wrapper is still starting
    /// it): SIGTERM goes out as soon as it is.
    TermPending,
    /// SIGTERM sent; SIGKILL follows at this instant if the job is still running.
    KillAt(Instant),
    /// SIGKILL sent; nothing more to do.
    Killed,
}

/// The next step of the sequence: the state after `now` and the signal to send to the job's
/// process group, if any. `group_known` says whether the group can be signalled.
pub fn kill_step(
    state: KillState,
    now: Instant,
    kill_delay: Duration,
    group_known: bool,
) -> (KillState, Option<Signal>) {
    match state {
        KillState::TermPending if group_known => {
            (KillState::KillAt(now + kill_delay), Some(Signal::SIGTERM))
        }
        KillState::KillAt(at) if now >= at && group_known => {
            (KillState::Killed, Some(Signal::SIGKILL))
        }
        // The group vanished before its deadline: the job is ending on its own.
        KillState::KillAt(at) if now >= at => (KillState::Killed, None),
        other => (other, None),
    }
}
