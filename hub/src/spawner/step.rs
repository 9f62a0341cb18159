//! [`step`]: one server's state machine. Pure: state, event, config and the time in; the next
//! state and the actions to run after persisting it out.
//!
//! The rules that matter most, and where they are kept:
//! - An `Unknown` answer changes nothing but the state's `query_error` (`on_polled`).
//! - A job is dead only when the scheduler says so (`F`, `X`, `M`): [`JobState::is_final`].
//! - Every job id a submit returns is tracked or cancelled, whatever state its answer finds
//!   (`on_submitted`).
//! - Queue wait has no timeout unless configured; "running but not reporting" has one
//!   (`on_tick`).
//! - A restart re-adopts: no resubmit, no delete of a job the user still wants
//!   (`on_restarted`); a submit cut short is looked up, never forgotten ([`super::adopt`]).

use chrono::{DateTime, TimeDelta, Utc};
use drivers::{JobId, JobState, JobStatus};

use super::adopt;
use super::config::SpawnerConfig;
use super::event::{CancelError, Event, SubmitError};
use super::state::{
    EndCause, Ended, FailReason, QueueInfo, ReportedAddress, ServerState, StopReason,
};
use super::transition::{Action, Refusal, Transition};

/// One step of one server's state machine.
///
/// `now` is the hub's clock at the time of the event; nothing here reads a clock.
pub fn step(
    state: &ServerState,
    event: &Event,
    config: &SpawnerConfig,
    now: DateTime<Utc>,
) -> Transition {
    let next = match event {
        Event::StartRequested => on_start_requested(state, now),
        Event::Admitted => on_admitted(state, now),
        Event::Submitted(result) => on_submitted(state, result, now),
        Event::Polled { job, status } => on_polled(state, job, status, config, now),
        Event::AddressReported { host, port } => on_address_reported(state, host, *port, now),
        Event::Reported { host, port } => on_reported(state, host, *port, now),
        Event::StopRequested => on_stop_requested(state, now),
        Event::Cancelled { job, result } => on_cancelled(state, job, result, config, now),
        Event::OutputTail { job, tail } => on_output_tail(state, job, tail),
        Event::FoundSubmitted(result) => adopt::on_found_submitted(state, result, now),
        Event::Tick => on_tick(state, config, now),
        Event::Restarted => on_restarted(state, now),
    };
    Transition::new(state, next.state, next.actions, next.refusal)
}

/// What a handler decided; turned into a [`Transition`] by [`step`].
pub(super) struct Next {
    state: ServerState,
    actions: Vec<Action>,
    refusal: Option<Refusal>,
}

impl Next {
    pub(super) fn to(state: ServerState, actions: Vec<Action>) -> Self {
        Next {
            state,
            actions,
            refusal: None,
        }
    }

    pub(super) fn same(state: &ServerState) -> Self {
        Next::to(state.clone(), Vec::new())
    }

    fn refuse(state: &ServerState, refusal: Refusal) -> Self {
        Next {
            state: state.clone(),
            actions: Vec::new(),
            refusal: Some(refusal),
        }
    }
}

fn on_start_requested(state: &ServerState, now: DateTime<Utc>) -> Next {
    if state.is_active() {
        return Next::refuse(state, Refusal::AlreadyActive);
    }
    // Every start goes through the line, even when a slot is free: one path, and the
    // shell admits at once when it can (see `admit`).
    Next::to(ServerState::Waiting { since: now }, Vec::new())
}

fn on_admitted(state: &ServerState, now: DateTime<Utc>) -> Next {
    match state {
        ServerState::Waiting { .. } => {
            Next::to(ServerState::Submitting { since: now }, vec![Action::Submit])
        }
        // An admission that crossed a stop: nothing to do.
        _ => Next::same(state),
    }
}

fn on_submitted(
    state: &ServerState,
    result: &Result<JobId, SubmitError>,
    now: DateTime<Utc>,
) -> Next {
    match (state, result) {
        (ServerState::Submitting { .. }, Ok(job)) => Next::to(
            ServerState::Queued {
                job: job.clone(),
                since: now,
                info: QueueInfo::default(),
                query_error: None,
            },
            Vec::new(),
        ),
        (ServerState::Submitting { .. }, Err(e)) => {
            let reason = if e.transient {
                FailReason::SubmitUnavailable {
                    message: e.message.clone(),
                }
            } else {
                FailReason::SubmitRefused {
                    message: e.message.clone(),
                }
            };
            Next::to(failed(reason, None, None, now), Vec::new())
        }
        // Stopped while submitting: the job the submit returns is deleted at once.
        (
            ServerState::Stopping {
                job: None,
                since,
                reason,
                ..
            },
            Ok(job),
        ) => Next::to(
            ServerState::Stopping {
                job: Some(job.clone()),
                since: *since,
                reason: *reason,
                cancel_sent: Some(now),
                cancel_error: None,
                query_error: None,
                submit_since: None,
            },
            vec![Action::Cancel(job.clone())],
        ),
        (ServerState::Stopping { job: None, .. }, Err(_)) => {
            Next::to(stopped(EndCause::Requested, now), Vec::new())
        }
        // The lost answer came after all (a restart fed to a live shell): it is the job the
        // lookup is after.
        (
            ServerState::Adopting {
                since,
                stop_requested,
                ..
            },
            Ok(job),
        ) => adopt::adopt(job.clone(), *since, *stop_requested, now),
        // The same answer twice: already tracked.
        (_, Ok(job)) if state.job() == Some(job) => Next::same(state),
        // A job nobody waits for any more: never leave it running untracked.
        (_, Ok(job)) => Next::to(state.clone(), vec![Action::Cancel(job.clone())]),
        (_, Err(_)) => Next::same(state),
    }
}

fn on_polled(
    state: &ServerState,
    polled: &JobId,
    status: &JobStatus,
    config: &SpawnerConfig,
    now: DateTime<Utc>,
) -> Next {
    if state.job() != Some(polled) {
        // An answer about a job this state no longer tracks (it raced a stop or a restart).
        return Next::same(state);
    }
    if status.state == JobState::Unknown {
        // The scheduler could not tell: keep everything, say why in the message only.
        let error = status
            .query_error
            .clone()
            .unwrap_or_else(|| "the scheduler gave no answer".to_string());
        return Next::to(with_query_error(state, Some(error)), Vec::new());
    }
    let job = polled.clone();
    let ended = status.state.is_final();
    let runs = status.state.holds_nodes();
    match state {
        ServerState::Queued { since, .. } => {
            if ended {
                failed_before_ready(job, status, now)
            } else if runs {
                Next::to(starting(job, status, now), Vec::new())
            } else {
                Next::to(queued(job, *since, status), Vec::new())
            }
        }
        ServerState::Starting {
            since, reported, ..
        } => {
            if ended {
                failed_before_ready(job, status, now)
            } else if runs {
                Next::to(
                    ServerState::Starting {
                        job,
                        since: *since,
                        exec_host: status.exec_host.clone(),
                        query_error: None,
                        reported: reported.clone(),
                    },
                    Vec::new(),
                )
            } else {
                // Requeued (a node failed and PBS reruns the job): back in the queue.
                Next::to(queued(job, now, status), Vec::new())
            }
        }
        ServerState::Running { .. } => {
            if ended {
                let cause = EndCause::JobEnded {
                    exit_status: status.exit_status,
                    comment: status.comment.clone(),
                };
                Next::to(stopped(cause, now), vec![Action::DeleteRoute])
            } else if runs {
                Next::to(with_query_error(state, None), Vec::new())
            } else {
                // Requeued: the server is gone; the rerun job will report again.
                Next::to(queued(job, now, status), vec![Action::DeleteRoute])
            }
        }
        ServerState::Stopping { reason, .. } => {
            if ended {
                finish_stop(*reason, Some(job), Some(status), config, now)
            } else {
                Next::to(with_query_error(state, None), Vec::new())
            }
        }
        // States without a job were excluded above.
        ServerState::Stopped { .. }
        | ServerState::Waiting { .. }
        | ServerState::Submitting { .. }
        | ServerState::Adopting { .. }
        | ServerState::Failed { .. } => Next::same(state),
    }
}

/// A report while the job is queued (the poll has not seen it run yet) or starting: the
/// address is kept, and the start timeout keeps counting from when the job ran.
fn on_address_reported(state: &ServerState, host: &str, port: u16, now: DateTime<Utc>) -> Next {
    let reported = Some(ReportedAddress {
        host: host.to_string(),
        port,
    });
    match state {
        ServerState::Queued { job, .. } => Next::to(
            ServerState::Starting {
                job: job.clone(),
                since: now,
                exec_host: None,
                query_error: None,
                reported,
            },
            Vec::new(),
        ),
        ServerState::Starting {
            job,
            since,
            exec_host,
            query_error,
            ..
        } => Next::to(
            ServerState::Starting {
                job: job.clone(),
                since: *since,
                exec_host: exec_host.clone(),
                query_error: query_error.clone(),
                reported,
            },
            Vec::new(),
        ),
        _ => Next::refuse(state, Refusal::NotExpectingReport),
    }
}

fn on_reported(state: &ServerState, host: &str, port: u16, now: DateTime<Utc>) -> Next {
    let url = server_url(host, port);
    match state {
        ServerState::Queued { job, .. } | ServerState::Starting { job, .. } => Next::to(
            ServerState::Running {
                job: job.clone(),
                url: url.clone(),
                since: now,
                query_error: None,
            },
            vec![Action::AddRoute { url }],
        ),
        ServerState::Running {
            url: current, job, ..
        } => {
            if *current == url {
                // The wrapper retried a report the hub already took.
                Next::same(state)
            } else {
                Next::to(
                    ServerState::Running {
                        job: job.clone(),
                        url: url.clone(),
                        since: now,
                        query_error: None,
                    },
                    vec![Action::AddRoute { url }],
                )
            }
        }
        _ => Next::refuse(state, Refusal::NotExpectingReport),
    }
}

fn on_stop_requested(state: &ServerState, now: DateTime<Utc>) -> Next {
    match state {
        ServerState::Waiting { .. } => Next::to(stopped(EndCause::Requested, now), Vec::new()),
        // No job id yet: nothing to cancel but a guess. The submit's answer is awaited and
        // its job cancelled then (`on_submitted`).
        ServerState::Submitting { since } => Next::to(
            ServerState::Stopping {
                job: None,
                since: now,
                reason: StopReason::Requested,
                cancel_sent: None,
                cancel_error: None,
                query_error: None,
                submit_since: Some(*since),
            },
            Vec::new(),
        ),
        // The lookup goes on: a job it finds is deleted, not adopted (`adopt`).
        ServerState::Adopting {
            since,
            sent,
            lookup_error,
            ..
        } => Next::to(
            ServerState::Adopting {
                since: *since,
                sent: *sent,
                lookup_error: lookup_error.clone(),
                stop_requested: true,
            },
            Vec::new(),
        ),
        ServerState::Queued { job, .. } | ServerState::Starting { job, .. } => {
            stop_job(job.clone(), StopReason::Requested, now, Vec::new())
        }
        ServerState::Running { job, .. } => stop_job(
            job.clone(),
            StopReason::Requested,
            now,
            vec![Action::DeleteRoute],
        ),
        // Already stopping, or nothing to stop: stopping is idempotent.
        ServerState::Stopping { .. } | ServerState::Stopped { .. } | ServerState::Failed { .. } => {
            Next::same(state)
        }
    }
}

fn on_cancelled(
    state: &ServerState,
    cancelled: &JobId,
    result: &Result<(), CancelError>,
    config: &SpawnerConfig,
    now: DateTime<Utc>,
) -> Next {
    let ServerState::Stopping {
        job: Some(job),
        since,
        reason,
        cancel_sent,
        query_error,
        ..
    } = state
    else {
        return Next::same(state);
    };
    if job != cancelled {
        return Next::same(state);
    }
    match result {
        // The scheduler took the delete (or the job had ended): the job is no longer ours
        // to track. A job that lingers in `E` is the driver's to force.
        Ok(()) => finish_stop(*reason, Some(job.clone()), None, config, now),
        Err(e) => Next::to(
            ServerState::Stopping {
                job: Some(job.clone()),
                since: *since,
                reason: *reason,
                cancel_sent: *cancel_sent,
                cancel_error: Some(e.message.clone()),
                query_error: query_error.clone(),
                submit_since: None,
            },
            Vec::new(),
        ),
    }
}

fn on_output_tail(state: &ServerState, tailed: &JobId, tail: &Option<String>) -> Next {
    match state {
        ServerState::Failed {
            reason,
            job: Some(job),
            exit_status,
            output_tail: None,
            at,
        } if job == tailed => Next::to(
            ServerState::Failed {
                reason: reason.clone(),
                job: Some(job.clone()),
                exit_status: *exit_status,
                output_tail: tail.clone(),
                at: *at,
            },
            Vec::new(),
        ),
        _ => Next::same(state),
    }
}

fn on_tick(state: &ServerState, config: &SpawnerConfig, now: DateTime<Utc>) -> Next {
    match state {
        ServerState::Queued { job, since, .. } => match config.queue_timeout {
            Some(limit) if elapsed(*since, now) >= delta(limit) => {
                stop_job(job.clone(), StopReason::QueueTimeout, now, Vec::new())
            }
            _ => Next::same(state),
        },
        ServerState::Starting { job, since, .. }
            if elapsed(*since, now) >= delta(config.start_timeout) =>
        {
            stop_job(job.clone(), StopReason::StartTimeout, now, Vec::new())
        }
        ServerState::Stopping {
            job: Some(job),
            cancel_sent,
            ..
        } => {
            let due = match cancel_sent {
                None => true,
                Some(sent) => elapsed(*sent, now) >= delta(config.cancel_retry),
            };
            if due {
                resend_cancel(state, job, now)
            } else {
                Next::same(state)
            }
        }
        ServerState::Adopting { .. } => adopt::on_tick(state, config, now),
        _ => Next::same(state),
    }
}

fn on_restarted(state: &ServerState, now: DateTime<Utc>) -> Next {
    match state {
        // The submit died with the old hub; its answer will never come, but its job may
        // exist: look it up before deciding (`adopt`).
        ServerState::Submitting { since } => adopt::look_up(*since, None, false, now),
        // The lookup's answer died with the old hub: ask again.
        ServerState::Adopting {
            since,
            lookup_error,
            stop_requested,
            ..
        } => adopt::look_up(*since, lookup_error.clone(), *stop_requested, now),
        // The submit's answer died with the old hub, but its job may exist: look it up and
        // delete what is found (`adopt`). A row from before `submit_since` existed has only
        // the stop's time, the latest the submit can have begun.
        ServerState::Stopping {
            job: None,
            since,
            submit_since,
            ..
        } => adopt::look_up(submit_since.unwrap_or(*since), None, true, now),
        // The cancel may not have been sent before the hub died: send it (again).
        ServerState::Stopping { job: Some(job), .. } => resend_cancel(state, job, now),
        // The server may have tried to report while the hub was down: give it a full
        // start timeout from now rather than kill it for the hub's absence.
        ServerState::Starting {
            job,
            exec_host,
            query_error,
            reported,
            ..
        } => Next::to(
            ServerState::Starting {
                job: job.clone(),
                since: now,
                exec_host: exec_host.clone(),
                query_error: query_error.clone(),
                reported: reported.clone(),
            },
            Vec::new(),
        ),
        // The proxy may have lost the route (it restarted too): add it again. The next poll
        // says whether the job still runs.
        ServerState::Running { url, .. } => {
            Next::to(state.clone(), vec![Action::AddRoute { url: url.clone() }])
        }
        // Queued: the next poll decides. Waiting: still in line. Stopped, Failed: nothing.
        ServerState::Queued { .. }
        | ServerState::Waiting { .. }
        | ServerState::Stopped { .. }
        | ServerState::Failed { .. } => Next::same(state),
    }
}

/// Deletes `job`: a `Stopping` state and the cancel, after any `before` actions.
pub(super) fn stop_job(
    job: JobId,
    reason: StopReason,
    now: DateTime<Utc>,
    before: Vec<Action>,
) -> Next {
    let mut actions = before;
    actions.push(Action::Cancel(job.clone()));
    Next::to(
        ServerState::Stopping {
            job: Some(job),
            since: now,
            reason,
            cancel_sent: Some(now),
            cancel_error: None,
            query_error: None,
            submit_since: None,
        },
        actions,
    )
}

/// Sends the cancel of a `Stopping` state's job again, noting when.
fn resend_cancel(state: &ServerState, job: &JobId, now: DateTime<Utc>) -> Next {
    let next = match state {
        ServerState::Stopping {
            since,
            reason,
            cancel_error,
            query_error,
            ..
        } => ServerState::Stopping {
            job: Some(job.clone()),
            since: *since,
            reason: *reason,
            cancel_sent: Some(now),
            cancel_error: cancel_error.clone(),
            query_error: query_error.clone(),
            submit_since: None,
        },
        other => other.clone(),
    };
    Next::to(next, vec![Action::Cancel(job.clone())])
}

/// The end of a stop: `Stopped` if it was asked for, `Failed` if a timeout caused it.
fn finish_stop(
    reason: StopReason,
    job: Option<JobId>,
    status: Option<&JobStatus>,
    config: &SpawnerConfig,
    now: DateTime<Utc>,
) -> Next {
    let fail = match reason {
        StopReason::Requested => {
            return Next::to(stopped(EndCause::Requested, now), Vec::new());
        }
        StopReason::StartTimeout => FailReason::StartTimeout {
            after_secs: config.start_timeout.as_secs(),
        },
        StopReason::QueueTimeout => FailReason::QueueTimeout {
            after_secs: config.queue_timeout.unwrap_or_default().as_secs(),
        },
    };
    let exit_status = status.and_then(|s| s.exit_status);
    let actions = job
        .iter()
        .map(|j| Action::ReadOutputTail(j.clone()))
        .collect();
    Next::to(failed(fail, job, exit_status, now), actions)
}

/// The job ended before its server reported: fail with its exit status, read its output.
fn failed_before_ready(job: JobId, status: &JobStatus, now: DateTime<Utc>) -> Next {
    let reason = FailReason::JobEndedBeforeReady {
        comment: status.comment.clone(),
    };
    Next::to(
        failed(reason, Some(job.clone()), status.exit_status, now),
        vec![Action::ReadOutputTail(job)],
    )
}

pub(super) fn failed(
    reason: FailReason,
    job: Option<JobId>,
    exit_status: Option<i32>,
    now: DateTime<Utc>,
) -> ServerState {
    ServerState::Failed {
        reason,
        job,
        exit_status,
        output_tail: None,
        at: now,
    }
}

pub(super) fn stopped(cause: EndCause, now: DateTime<Utc>) -> ServerState {
    ServerState::Stopped {
        last: Some(Ended { at: now, cause }),
    }
}

fn queued(job: JobId, since: DateTime<Utc>, status: &JobStatus) -> ServerState {
    ServerState::Queued {
        job,
        since,
        info: QueueInfo {
            letter: status.state.letter(),
            comment: status.comment.clone(),
            estimated_start: status.estimated_start,
            queue: status.queue.clone(),
            queued_at: status.times.queued,
        },
        query_error: None,
    }
}

fn starting(job: JobId, status: &JobStatus, now: DateTime<Utc>) -> ServerState {
    ServerState::Starting {
        job,
        since: now,
        exec_host: status.exec_host.clone(),
        query_error: None,
        reported: None,
    }
}

/// The same state with its `query_error` replaced (states without one are unchanged).
fn with_query_error(state: &ServerState, error: Option<String>) -> ServerState {
    let mut next = state.clone();
    match &mut next {
        ServerState::Queued { query_error, .. }
        | ServerState::Starting { query_error, .. }
        | ServerState::Running { query_error, .. }
        | ServerState::Stopping { query_error, .. } => *query_error = error,
        ServerState::Stopped { .. }
        | ServerState::Waiting { .. }
        | ServerState::Submitting { .. }
        | ServerState::Adopting { .. }
        | ServerState::Failed { .. } => {}
    }
    next
}

/// The proxy target for a server at `host:port` (IPv6 literals in brackets).
pub fn server_url(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("http://[{host}]:{port}")
    } else {
        format!("http://{host}:{port}")
    }
}

pub(super) fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> TimeDelta {
    now.signed_duration_since(since)
}

/// A configured duration as a chrono delta; durations beyond chrono's range never expire.
pub(super) fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
