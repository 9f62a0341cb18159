//! Adopting the job of a submit cut short by a hub restart: the rule "a job the hub started
//! is never forgotten and never killed on a guess".
//!
//! A hub killed between `submit` answering and the job id being persisted restarts with the
//! server `Submitting`: the job may exist, unknown to the hub. The server moves to
//! [`ServerState::Adopting`] and the shell looks the job up ([`Action::FindSubmitted`]):
//! the owner's jobs with the hub's job name, queued since the submit began, that no other
//! server tracks ([`adoption_candidates`]). Exactly one is adopted (`Queued`; the next poll
//! takes it from there); none fails the spawn as before; several are named to the user and
//! left alone. A failed lookup is asked again after `cancel_retry`. A server stopped while
//! its submit was on its way (`Stopping` without a job) is looked up the same way on a
//! restart, and what is found is deleted: that job was the user's to stop.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use drivers::{FoundJob, JobId};

use super::config::SpawnerConfig;
use super::state::{EndCause, FailReason, QueueInfo, ServerState, StopReason};
use super::step::{delta, elapsed, failed, stop_job, stopped, Next};
use super::transition::Action;

/// How much earlier than the submit began a candidate job may have been queued: the hub's
/// and the scheduler's clocks may differ by this much (NTP keeps them far closer).
pub const ADOPT_CLOCK_SLACK: TimeDelta = TimeDelta::seconds(60);

/// The jobs the interrupted submit that began at `since` may have made, among `found` (the
/// owner's jobs with the hub's job name): those queued at or after `since` less
/// [`ADOPT_CLOCK_SLACK`] (or whose queue time the scheduler did not say), minus those in
/// `tracked` (every other server's job, current or last, in whatever form of its id:
/// [`JobId::same_job`]). Ordered by id, without repeats.
pub fn adoption_candidates(
    found: &[FoundJob],
    since: DateTime<Utc>,
    tracked: &BTreeSet<JobId>,
) -> Vec<JobId> {
    let earliest = since.checked_sub_signed(ADOPT_CLOCK_SLACK).unwrap_or(since);
    let candidates: BTreeSet<JobId> = found
        .iter()
        .filter(|job| job.queued.is_none_or(|queued| queued >= earliest))
        .filter(|job| !tracked.iter().any(|t| t.same_job(&job.id)))
        .map(|job| job.id.clone())
        .collect();
    candidates.into_iter().collect()
}

/// Looks (again) for the job of the submit that began at `since`.
pub(super) fn look_up(
    since: DateTime<Utc>,
    lookup_error: Option<String>,
    stop_requested: bool,
    now: DateTime<Utc>,
) -> Next {
    Next::to(
        ServerState::Adopting {
            since,
            sent: now,
            lookup_error,
            stop_requested,
        },
        vec![Action::FindSubmitted { since }],
    )
}

/// The lookup's answer.
pub(super) fn on_found_submitted(
    state: &ServerState,
    result: &Result<Vec<JobId>, String>,
    now: DateTime<Utc>,
) -> Next {
    let ServerState::Adopting {
        since,
        sent,
        stop_requested,
        ..
    } = state
    else {
        // An answer that crossed an adoption (a resent lookup answered twice): the first
        // answer decided.
        return Next::same(state);
    };
    match result {
        Err(error) => Next::to(
            ServerState::Adopting {
                since: *since,
                sent: *sent,
                lookup_error: Some(error.clone()),
                stop_requested: *stop_requested,
            },
            Vec::new(),
        ),
        Ok(jobs) => {
            let jobs: Vec<JobId> = jobs
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            match jobs.as_slice() {
                [] if *stop_requested => Next::to(stopped(EndCause::Requested, now), Vec::new()),
                [] => Next::to(
                    failed(FailReason::SubmitInterrupted, None, None, now),
                    Vec::new(),
                ),
                [job] => adopt(job.clone(), *since, *stop_requested, now),
                // Never delete on a guess: name them all, track none.
                _ => Next::to(
                    failed(FailReason::SubmitAmbiguous { jobs }, None, None, now),
                    Vec::new(),
                ),
            }
        }
    }
}

/// Takes `job` as the server's: queued (the next poll says more), or deleted at once if a
/// stop was asked for meanwhile.
pub(super) fn adopt(
    job: JobId,
    since: DateTime<Utc>,
    stop_requested: bool,
    now: DateTime<Utc>,
) -> Next {
    if stop_requested {
        return stop_job(job, StopReason::Requested, now, Vec::new());
    }
    Next::to(
        ServerState::Queued {
            job,
            since,
            info: QueueInfo::default(),
            query_error: None,
        },
        Vec::new(),
    )
}

/// A failed lookup is sent again once `cancel_retry` has passed since it was sent.
pub(super) fn on_tick(state: &ServerState, config: &SpawnerConfig, now: DateTime<Utc>) -> Next {
    match state {
        ServerState::Adopting {
            since,
            sent,
            lookup_error: Some(error),
            stop_requested,
        } if elapsed(*sent, now) >= delta(config.cancel_retry) => {
            look_up(*since, Some(error.clone()), *stop_requested, now)
        }
        _ => Next::same(state),
    }
}

#[cfg(test)]
mod tests;
