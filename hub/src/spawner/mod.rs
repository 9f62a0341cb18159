//! The spawner's pure core: one deterministic state machine per server, driven by an async
//! shell (written elsewhere) the way `pbs-sim`'s engine is driven by its daemon.
//!
//! The shell feeds [`Event`]s (a start or stop request, a submit's or cancel's answer, a
//! poll's answer, a port report, a tick of the clock, a hub restart) to [`step()`], which
//! returns a [`Transition`]: the next [`ServerState`] and the [`Action`]s to run. The
//! actions come out only through [`Transition::commit`], after the state is persisted, so a
//! hub killed at any point restarts from a state that already records what it may have done.
//!
//! ```text
//! Stopped/Failed --start--> Waiting --admitted--> Submitting --job id--> Queued
//!   Queued --R--> Starting --report--> Running --F--> Stopped (server ended)
//!   Queued/Starting --F--> Failed (exit status, output tail)
//!   Starting --start timeout--> Stopping --> Failed;  Queued --queue timeout (opt.)--> ...
//!   any --stop--> Stopping --cancel ok / F--> Stopped
//!   Unknown answers: no state change but the message.
//!   Submitting --restart--> Adopting --one job found--> Queued  (none: Failed; several:
//!   Failed naming them, left alone)
//! ```
//!
//! Layout:
//! - [`state`] — [`ServerState`], [`FailReason`] (what the user reads), [`ServerKey`].
//! - [`event`] — [`Event`], [`SubmitError`], [`CancelError`].
//! - [`transition`] — [`Transition`], [`Action`], [`Refusal`]: persist, then act.
//! - [`step`](mod@step) — the transition function, [`step()`].
//! - [`poll`] — [`PollPlan`] (one batched status call for every tracked job) and
//!   [`queue_positions`].
//! - [`adopt`] — a submit cut short by a restart: look its job up, adopt exactly one
//!   ([`adoption_candidates`]).
//! - [`admission`] — the concurrent-spawn limit as a line: [`admit`], [`waiting_positions`].
//! - [`place`] — [`place_in_line`]: one server's place, in one pass over the others.
//! - [`progress`](mod@progress) — JupyterHub progress events from a state: [`progress()`].
//! - [`routes`] — [`wanted_routes`]: the route table to reconcile the proxy with at start-up.
//! - [`config`] — [`SpawnerConfig`].
//! - [`terms`] — [`SchedulerTerms`]: the scheduler's own words for queues and time limits.

pub mod admission;
pub mod adopt;
pub mod config;
pub mod event;
pub mod place;
pub mod poll;
pub mod progress;
pub mod routes;
pub mod state;
pub mod step;
pub mod terms;
pub mod transition;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use admission::{admit, holds_spawn_slot, waiting_positions};
pub use adopt::{adoption_candidates, ADOPT_CLOCK_SLACK};
pub use config::SpawnerConfig;
pub use event::{CancelError, Event, SubmitError};
pub use place::place_in_line;
pub use poll::{queue_positions, PollPlan, Position};
pub use progress::{progress, ProgressEvent};
pub use routes::wanted_routes;
pub use state::{
    describe_exit_status, EndCause, Ended, FailReason, QueueInfo, ReportedAddress, ServerKey,
    ServerState, StopReason,
};
pub use step::{server_url, step};
pub use terms::SchedulerTerms;
pub use transition::{Action, Refusal, Transition};
