//! [`Transition`]: the outcome of one step — a state to persist, then actions to run.
//!
//! "Persist before act" is structural: the actions of a transition can only be taken out by
//! [`Transition::commit`] (or [`Transition::commit_async`]), which first hands the new state
//! to the caller's persist function and gives the actions back only if it succeeded. A hub
//! killed at any moment therefore restarts from a state that already records every action
//! it may have taken (a `Stopping` state before any `cancel`, a `Submitting` state before
//! any `submit`).

use std::future::Future;

use chrono::{DateTime, Utc};
use drivers::JobId;

use super::state::ServerState;

/// Something the shell must do after persisting a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Build the job spec from the server's stored options and submit it; answer with
    /// [`Event::Submitted`](super::Event::Submitted).
    Submit,
    /// Look up the job this interrupted submit may have made: the owner's jobs with the
    /// hub's job name queued at or after `since` (less
    /// [`ADOPT_CLOCK_SLACK`](super::ADOPT_CLOCK_SLACK)) that no other server tracks (see
    /// [`adoption_candidates`](super::adoption_candidates)); answer with
    /// [`Event::FoundSubmitted`](super::Event::FoundSubmitted).
    FindSubmitted {
        /// When the interrupted submit began.
        since: DateTime<Utc>,
    },
    /// Delete the job; answer with [`Event::Cancelled`](super::Event::Cancelled).
    Cancel(JobId),
    /// Route the server's prefix to `url` in the proxy (add or replace).
    AddRoute {
        /// The target, e.g. `http://node0088:50065`.
        url: String,
    },
    /// Remove the server's route from the proxy.
    DeleteRoute,
    /// Read the tail of the job's output (where readable); answer with
    /// [`Event::OutputTail`](super::Event::OutputTail).
    ReadOutputTail(JobId),
}

/// Why an event was not taken up. The state is unchanged; the API layer turns this into an
/// answer (e.g. 400 "already running", or 409 to a port report so that the wrapper retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A start was asked for a server that is already waiting, starting, running or
    /// stopping.
    AlreadyActive,
    /// A port report came for a server that is not expecting one (not submitted yet, or no
    /// longer starting).
    NotExpectingReport,
}

/// The outcome of one [`step`](fn@super::step): the next state and what to do once it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a transition does nothing until it is committed"]
pub struct Transition {
    state: ServerState,
    actions: Vec<Action>,
    refusal: Option<Refusal>,
    changed: bool,
}

impl Transition {
    pub(crate) fn new(
        before: &ServerState,
        state: ServerState,
        actions: Vec<Action>,
        refusal: Option<Refusal>,
    ) -> Self {
        let changed = *before != state;
        Transition {
            state,
            actions,
            refusal,
            changed,
        }
    }

    /// The state to persist.
    pub fn state(&self) -> &ServerState {
        &self.state
    }

    /// Whether the state differs from the one the step started from (if not, and there are
    /// no actions, the shell may skip the database write).
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Why the event was refused, if it was.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refusal
    }

    /// The actions, to inspect (tests, logs). To run them, use [`Transition::commit`].
    pub fn planned_actions(&self) -> &[Action] {
        &self.actions
    }

    /// Persists the new state with `persist`, then hands back the state and the actions to
    /// run. If `persist` fails, the actions are dropped and its error returned: nothing may
    /// be done that the database does not record.
    pub fn commit<E>(
        self,
        persist: impl FnOnce(&ServerState) -> Result<(), E>,
    ) -> Result<(ServerState, Vec<Action>), E> {
        persist(&self.state)?;
        Ok((self.state, self.actions))
    }

    /// [`Transition::commit`] with an asynchronous `persist` (a database write). It gets a
    /// copy of the state, so its future borrows nothing and can be `Send`.
    pub async fn commit_async<F, Fut, E>(self, persist: F) -> Result<(ServerState, Vec<Action>), E>
    where
        F: FnOnce(ServerState) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        persist(self.state.clone()).await?;
        Ok((self.state, self.actions))
    }
}
