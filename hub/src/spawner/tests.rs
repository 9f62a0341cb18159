//! Unit tests: each transition, and the hard cases (Unknown, early job end, outside delete,
//! stop in every state, timeouts, restart).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use drivers::{JobId, JobState, JobStatus, StatusMap};

use super::*;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap() + chrono::TimeDelta::seconds(secs)
}

fn job(n: u32) -> JobId {
    JobId::new(format!("{n}.pbs02")).unwrap()
}

fn status(state: JobState) -> JobStatus {
    JobStatus {
        state,
        query_error: None,
        ..JobStatus::unknown("")
    }
}

fn polled(n: u32, state: JobState) -> Event {
    Event::Polled {
        job: job(n),
        status: status(state),
    }
}

fn unknown(n: u32) -> Event {
    Event::Polled {
        job: job(n),
        status: JobStatus::unknown("qstat timed out after 30s"),
    }
}

/// One step with the default config, committed to a persist that cannot fail.
fn run(state: &ServerState, event: Event, now: DateTime<Utc>) -> (ServerState, Vec<Action>) {
    run_with(state, event, &SpawnerConfig::default(), now)
}

fn run_with(
    state: &ServerState,
    event: Event,
    config: &SpawnerConfig,
    now: DateTime<Utc>,
) -> (ServerState, Vec<Action>) {
    step(state, &event, config, now)
        .commit(|_| Ok::<(), ()>(()))
        .unwrap()
}

fn queued(n: u32) -> ServerState {
    ServerState::Queued {
        job: job(n),
        since: t(0),
        info: QueueInfo::default(),
        query_error: None,
    }
}

fn starting(n: u32) -> ServerState {
    ServerState::Starting {
        job: job(n),
        since: t(100),
        exec_host: Some("node0088/0*2".into()),
        query_error: None,
        reported: None,
    }
}

fn running(n: u32) -> ServerState {
    ServerState::Running {
        job: job(n),
        url: "http://node0088:50065".into(),
        since: t(200),
        query_error: None,
    }
}

fn stopping(n: u32) -> ServerState {
    ServerState::Stopping {
        job: Some(job(n)),
        since: t(300),
        reason: StopReason::Requested,
        cancel_sent: Some(t(300)),
        cancel_error: None,
        query_error: None,
        submit_since: None,
    }
}

fn failed() -> ServerState {
    ServerState::Failed {
        reason: FailReason::SubmitRefused {
            message: "Unknown queue".into(),
        },
        job: None,
        exit_status: None,
        output_tail: None,
        at: t(5),
    }
}

/// One state of each kind (with job 7 where there is a job).
fn every_state() -> Vec<ServerState> {
    vec![
        ServerState::new(),
        ServerState::Waiting { since: t(0) },
        ServerState::Submitting { since: t(0) },
        ServerState::Adopting {
            since: t(0),
            sent: t(1),
            lookup_error: None,
            stop_requested: false,
        },
        queued(7),
        starting(7),
        running(7),
        stopping(7),
        ServerState::Stopping {
            job: None,
            since: t(0),
            reason: StopReason::Requested,
            cancel_sent: None,
            cancel_error: None,
            query_error: None,
            submit_since: None,
        },
        failed(),
    ]
}

#[test]
fn a_spawn_from_request_to_route() {
    let s = ServerState::new();
    let (s, a) = run(&s, Event::StartRequested, t(0));
    assert_eq!(s, ServerState::Waiting { since: t(0) });
    assert!(a.is_empty());
    let (s, a) = run(&s, Event::Admitted, t(1));
    assert_eq!(s, ServerState::Submitting { since: t(1) });
    assert_eq!(a, vec![Action::Submit]);
    let (s, a) = run(&s, Event::Submitted(Ok(job(7))), t(2));
    assert_eq!(s, {
        let mut q = queued(7);
        if let ServerState::Queued { since, .. } = &mut q {
            *since = t(2);
        }
        q
    });
    assert!(a.is_empty());
    let mut r = status(JobState::Running);
    r.exec_host = Some("node0088/0*2".into());
    let (s, a) = run(
        &s,
        Event::Polled {
            job: job(7),
            status: r,
        },
        t(30),
    );
    assert!(
        matches!(&s, ServerState::Starting { since, exec_host: Some(_), .. } if *since == t(30))
    );
    assert!(a.is_empty());
    let report = Event::Reported {
        host: "node0088".into(),
        port: 50065,
    };
    let (s, a) = run(&s, report.clone(), t(40));
    assert!(matches!(&s, ServerState::Running { url, .. } if url == "http://node0088:50065"));
    assert_eq!(
        a,
        vec![Action::AddRoute {
            url: "http://node0088:50065".into()
        }]
    );
    // The wrapper retries its report: nothing new.
    let (again, a) = run(&s, report, t(41));
    assert_eq!(again, s);
    assert!(a.is_empty());
}

#[test]
fn a_second_start_is_refused_while_active() {
    for state in every_state() {
        let tr = step(
            &state,
            &Event::StartRequested,
            &SpawnerConfig::default(),
            t(9),
        );
        if state.is_active() {
            assert_eq!(tr.refusal(), Some(Refusal::AlreadyActive), "{state:?}");
            assert_eq!(tr.state(), &state);
            assert!(!tr.changed());
        } else {
            assert_eq!(tr.refusal(), None);
            assert_eq!(tr.state(), &ServerState::Waiting { since: t(9) });
        }
    }
}

#[test]
fn unknown_in_every_state_changes_nothing_but_the_message() {
    for state in every_state() {
        let (next, actions) = run(&state, unknown(7), t(1000));
        assert!(actions.is_empty(), "{state:?} -> {actions:?}");
        assert_eq!(next.name(), state.name());
        assert_eq!(next.job(), state.job());
        if state.job().is_some() {
            assert_eq!(next.query_error(), Some("qstat timed out after 30s"));
            // A definite answer clears the message again.
            let keep = if matches!(state, ServerState::Queued { .. }) {
                JobState::Queued
            } else {
                JobState::Running
            };
            let (cleared, _) = run(&next, polled(7, keep), t(1001));
            assert_eq!(cleared.query_error(), None);
        } else {
            assert_eq!(next, state);
        }
    }
}

#[test]
fn many_unknowns_in_a_row_never_stop_a_running_server() {
    let mut s = running(7);
    for i in 0..1000 {
        let (next, actions) = run(&s, unknown(7), t(300 + i * 30));
        assert!(actions.is_empty());
        s = next;
        let (next, actions) = run(&s, Event::Tick, t(300 + i * 30 + 1));
        assert!(actions.is_empty());
        s = next;
    }
    assert!(matches!(s, ServerState::Running { .. }));
}

#[test]
fn a_queued_job_shows_the_schedulers_comment_and_estimated_start() {
    let mut st = status(JobState::Held);
    st.comment = Some("Not Running: Insufficient amount of resource: ngpus".into());
    st.estimated_start = Some(t(3600));
    st.queue = Some("gpuq".into());
    st.times.queued = Some(t(1));
    let (s, a) = run(
        &queued(7),
        Event::Polled {
            job: job(7),
            status: st,
        },
        t(30),
    );
    assert!(a.is_empty());
    let ServerState::Queued { info, since, .. } = &s else {
        panic!("{s:?}")
    };
    assert_eq!(*since, t(0), "the wait counts from the submit");
    assert_eq!(info.letter, Some('H'));
    assert_eq!(info.queue.as_deref(), Some("gpuq"));
    assert_eq!(info.estimated_start, Some(t(3600)));
    let p = progress(
        &s,
        Some(Position { position: 2, of: 5 }),
        "/user/alice/",
        t(630),
        &SchedulerTerms::PBS,
    )
    .unwrap();
    assert!(
        p.message.contains("Insufficient amount of resource: ngpus"),
        "{}",
        p.message
    );
    assert!(p.message.contains("2025-03-01 10:00 UTC"), "{}", p.message);
    assert!(p.message.contains("position 2 of"), "{}", p.message);
    assert!(p.message.contains("waiting for 10 min"), "{}", p.message);
    assert!(p.message.contains("is held"), "{}", p.message);
}

#[test]
fn a_job_that_ends_before_it_is_ready_fails_with_its_exit_status() {
    for state in [queued(7), starting(7)] {
        let mut st = status(JobState::Finished);
        st.exit_status = Some(1);
        st.comment = Some("Job run at Sat Mar 01 at 09:00 on (node0088:ncpus=2) and failed".into());
        let (s, a) = run(
            &state,
            Event::Polled {
                job: job(7),
                status: st,
            },
            t(500),
        );
        let ServerState::Failed {
            reason,
            exit_status,
            job: failed_job,
            ..
        } = &s
        else {
            panic!("{s:?}")
        };
        assert!(matches!(
            reason,
            FailReason::JobEndedBeforeReady { comment: Some(_) }
        ));
        assert_eq!(*exit_status, Some(1));
        assert_eq!(failed_job.as_ref(), Some(&job(7)));
        assert_eq!(
            a,
            vec![Action::ReadOutputTail(job(7))],
            "no cancel of an ended job"
        );
        // The shell reads the output; the tail is kept once.
        let (s, a) = run(
            &s,
            Event::OutputTail {
                job: job(7),
                tail: Some("ModuleNotFoundError: No module named 'jupyterhub'".into()),
            },
            t(501),
        );
        assert!(a.is_empty());
        assert!(
            matches!(&s, ServerState::Failed { output_tail: Some(t), .. } if t.contains("jupyterhub"))
        );
        let p = progress(&s, None, "/user/alice/", t(502), &SchedulerTerms::PBS).unwrap();
        assert!(p.failed && p.message.starts_with("Spawn failed: "));
        assert!(p.message.contains("exit status 1"), "{}", p.message);
    }
}

#[test]
fn every_final_state_ends_a_job_and_no_other_does() {
    for letter in JobState::PBS_STATES {
        let (s, _) = run(&queued(7), polled(7, letter), t(10));
        assert_eq!(
            matches!(s, ServerState::Failed { .. }),
            letter.is_final(),
            "{letter:?}"
        );
        let (s, _) = run(&running(7), polled(7, letter), t(10));
        let ended = matches!(s, ServerState::Stopped { .. });
        assert_eq!(ended, letter.is_final(), "{letter:?}");
    }
}

#[test]
fn a_running_server_whose_job_ends_is_stopped_and_unrouted() {
    let mut st = status(JobState::Finished);
    st.exit_status = Some(-29);
    let (s, a) = run(
        &running(7),
        Event::Polled {
            job: job(7),
            status: st,
        },
        t(4000),
    );
    assert_eq!(a, vec![Action::DeleteRoute]);
    let ServerState::Stopped { last: Some(ended) } = &s else {
        panic!("{s:?}")
    };
    assert_eq!(
        ended.cause,
        EndCause::JobEnded {
            exit_status: Some(-29),
            comment: None
        }
    );
    let p = progress(&s, None, "/user/alice/", t(4001), &SchedulerTerms::PBS).unwrap();
    assert!(p.message.contains("walltime"), "{}", p.message);
}

#[test]
fn an_outside_delete_is_noticed_at_the_next_poll() {
    // The PBS driver reports a job absent from enough answers as F with a comment.
    let mut gone = status(JobState::Finished);
    gone.comment = Some("no longer known to PBS: absent from 3 consecutive qstat answers".into());
    for state in [queued(7), starting(7), running(7)] {
        let (s, a) = run(
            &state,
            Event::Polled {
                job: job(7),
                status: gone.clone(),
            },
            t(900),
        );
        assert!(!s.is_active(), "{state:?} -> {s:?}");
        assert!(!a.iter().any(|a| matches!(a, Action::Cancel(_))));
    }
}

#[test]
fn a_requeued_job_goes_back_to_the_queue() {
    let (s, a) = run(&running(7), polled(7, JobState::Queued), t(900));
    assert!(matches!(s, ServerState::Queued { .. }));
    assert_eq!(a, vec![Action::DeleteRoute]);
    let (s, a) = run(&starting(7), polled(7, JobState::Queued), t(900));
    assert!(matches!(s, ServerState::Queued { .. }));
    assert!(a.is_empty());
}

#[test]
fn stop_works_in_every_state() {
    let cases: Vec<(ServerState, Vec<Action>)> = vec![
        (ServerState::new(), vec![]),
        (ServerState::Waiting { since: t(0) }, vec![]),
        (ServerState::Submitting { since: t(0) }, vec![]),
        (
            ServerState::Adopting {
                since: t(0),
                sent: t(1),
                lookup_error: None,
                stop_requested: false,
            },
            vec![],
        ),
        (queued(7), vec![Action::Cancel(job(7))]),
        (starting(7), vec![Action::Cancel(job(7))]),
        (
            running(7),
            vec![Action::DeleteRoute, Action::Cancel(job(7))],
        ),
        (stopping(7), vec![]),
        (failed(), vec![]),
    ];
    for (state, expected) in cases {
        let (s, a) = run(&state, Event::StopRequested, t(700));
        assert_eq!(a, expected, "{state:?}");
        match &state {
            ServerState::Waiting { .. } => assert!(!s.is_active()),
            // The lookup goes on; what it finds is deleted.
            ServerState::Adopting { .. } => assert!(
                matches!(
                    s,
                    ServerState::Adopting {
                        stop_requested: true,
                        ..
                    }
                ),
                "{s:?}"
            ),
            ServerState::Stopped { .. }
            | ServerState::Failed { .. }
            | ServerState::Stopping { .. } => {
                assert_eq!(s, state)
            }
            _ => assert!(matches!(s, ServerState::Stopping { .. }), "{s:?}"),
        }
    }
}

#[test]
fn a_submit_answered_after_a_stop_has_its_job_cancelled() {
    let (s, a) = run(
        &ServerState::Submitting { since: t(0) },
        Event::StopRequested,
        t(1),
    );
    assert!(a.is_empty(), "no cancel of a guess");
    assert!(matches!(s, ServerState::Stopping { job: None, .. }));
    let (s, a) = run(&s, Event::Submitted(Ok(job(8))), t(2));
    assert_eq!(a, vec![Action::Cancel(job(8))]);
    assert_eq!(s.job(), Some(&job(8)));
    let (s, a) = run(
        &s,
        Event::Cancelled {
            job: job(8),
            result: Ok(()),
        },
        t(3),
    );
    assert!(a.is_empty());
    assert!(matches!(&s, ServerState::Stopped { last: Some(e) } if e.cause == EndCause::Requested));

    // The same with a failed submit: nothing to cancel.
    let (s, _) = run(
        &ServerState::Submitting { since: t(0) },
        Event::StopRequested,
        t(1),
    );
    let err = SubmitError {
        message: "qsub: Unknown queue".into(),
        transient: false,
    };
    let (s, a) = run(&s, Event::Submitted(Err(err)), t(2));
    assert!(a.is_empty());
    assert!(matches!(s, ServerState::Stopped { .. }));
}

#[test]
fn a_job_id_nobody_waits_for_is_cancelled_but_a_repeated_answer_is_not() {
    for state in every_state() {
        // Those wait for a submit's job (`Adopting`: the lookup's, see `adopt`).
        if matches!(
            state,
            ServerState::Submitting { .. }
                | ServerState::Adopting { .. }
                | ServerState::Stopping { job: None, .. }
        ) {
            continue;
        }
        let (s, a) = run(&state, Event::Submitted(Ok(job(99))), t(50));
        assert_eq!(s, state);
        assert_eq!(a, vec![Action::Cancel(job(99))], "{state:?}");
        if state.job().is_some() {
            let (s, a) = run(&state, Event::Submitted(Ok(job(7))), t(50));
            assert_eq!(s, state);
            assert!(a.is_empty());
        }
    }
}

#[test]
fn submit_errors_keep_the_schedulers_words() {
    let cases = [
        (
            false,
            "Job exceeds queue resource limits",
            "refused the job: Job exceeds",
        ),
        (
            true,
            "scheduler unavailable: Connection refused",
            "Try again",
        ),
    ];
    for (transient, text, expected) in cases {
        let err = SubmitError {
            message: text.into(),
            transient,
        };
        let (s, a) = run(
            &ServerState::Submitting { since: t(0) },
            Event::Submitted(Err(err)),
            t(1),
        );
        assert!(a.is_empty());
        let ServerState::Failed { reason, job, .. } = &s else {
            panic!("{s:?}")
        };
        assert!(job.is_none());
        assert!(reason.message(&SchedulerTerms::PBS).contains(text));
        assert!(
            reason.message(&SchedulerTerms::PBS).contains(expected),
            "{}",
            reason.message(&SchedulerTerms::PBS)
        );
    }
    let from = SubmitError::from(&drivers::SchedulerError::Unavailable {
        reason: "no route".into(),
    });
    assert!(from.transient);
    assert_eq!(from.message, "scheduler unavailable: no route");
}

#[test]
fn the_start_timeout_deletes_the_job_and_says_why() {
    let config = SpawnerConfig::default();
    let s = starting(7); // since t(100)
    let (same, a) = run_with(&s, Event::Tick, &config, t(399));
    assert_eq!(same, s);
    assert!(a.is_empty());
    let (s, a) = run_with(&s, Event::Tick, &config, t(400));
    assert_eq!(a, vec![Action::Cancel(job(7))]);
    assert!(matches!(
        s,
        ServerState::Stopping {
            reason: StopReason::StartTimeout,
            ..
        }
    ));
    let (s, a) = run_with(
        &s,
        Event::Cancelled {
            job: job(7),
            result: Ok(()),
        },
        &config,
        t(401),
    );
    assert_eq!(a, vec![Action::ReadOutputTail(job(7))]);
    let ServerState::Failed { reason, .. } = &s else {
        panic!("{s:?}")
    };
    assert_eq!(reason, &FailReason::StartTimeout { after_secs: 300 });
    assert!(reason.message(&SchedulerTerms::PBS).contains("300 s"));
}

#[test]
fn queue_wait_has_no_timeout_unless_configured() {
    let (s, a) = run(&queued(7), Event::Tick, t(30 * 24 * 3600));
    assert_eq!(s, queued(7));
    assert!(a.is_empty());
    let config = SpawnerConfig {
        queue_timeout: Some(Duration::from_secs(3600)),
        ..SpawnerConfig::default()
    };
    let (s, a) = run_with(&queued(7), Event::Tick, &config, t(3599));
    assert!(a.is_empty());
    let (s, a) = run_with(&s, Event::Tick, &config, t(3600));
    assert_eq!(a, vec![Action::Cancel(job(7))]);
    // The poll, not the cancel's answer, confirms here.
    let (s, a) = run_with(&s, polled(7, JobState::Finished), &config, t(3630));
    assert_eq!(a, vec![Action::ReadOutputTail(job(7))]);
    assert!(matches!(
        s,
        ServerState::Failed {
            reason: FailReason::QueueTimeout { after_secs: 3600 },
            ..
        }
    ));
}

#[test]
fn a_failed_cancel_is_sent_again_after_a_while() {
    let s = stopping(7); // cancel sent at t(300)
    let err = CancelError {
        message: "qdel: Server is busy".into(),
    };
    let (s, a) = run(
        &s,
        Event::Cancelled {
            job: job(7),
            result: Err(err),
        },
        t(301),
    );
    assert!(a.is_empty());
    assert!(matches!(
        &s,
        ServerState::Stopping {
            cancel_error: Some(_),
            ..
        }
    ));
    let (s, a) = run(&s, Event::Tick, t(329));
    assert!(a.is_empty());
    let (s, a) = run(&s, Event::Tick, t(330));
    assert_eq!(a, vec![Action::Cancel(job(7))]);
    assert!(matches!(&s, ServerState::Stopping { cancel_sent: Some(at), .. } if *at == t(330)));
    // A poll that still sees it running keeps the stop going; one that sees it ended ends it.
    let (s, a) = run(&s, polled(7, JobState::Exiting), t(340));
    assert!(a.is_empty() && matches!(s, ServerState::Stopping { .. }));
    let (s, a) = run(&s, polled(7, JobState::Finished), t(370));
    assert!(a.is_empty());
    assert!(matches!(s, ServerState::Stopped { .. }));
}

#[test]
fn a_restart_re_adopts_without_resubmitting_or_deleting_what_the_user_wants() {
    let config = SpawnerConfig::default();
    for state in every_state() {
        let json = serde_json::to_string(&state).unwrap();
        let reloaded: ServerState = serde_json::from_str(&json).unwrap();
        assert_eq!(reloaded, state);
        let (s, a) = run_with(&reloaded, Event::Restarted, &config, t(10_000));
        assert!(!a.contains(&Action::Submit), "{state:?}");
        match &state {
            ServerState::Queued { .. } | ServerState::Waiting { .. } => {
                assert_eq!(s, state);
                assert!(a.is_empty());
            }
            ServerState::Starting { .. } => {
                assert!(matches!(&s, ServerState::Starting { since, .. } if *since == t(10_000)));
                assert!(a.is_empty());
            }
            ServerState::Running { url, .. } => {
                assert_eq!(s, state);
                assert_eq!(a, vec![Action::AddRoute { url: url.clone() }]);
            }
            // Only a stop decided before the restart is carried out.
            ServerState::Stopping { job: Some(j), .. } => {
                assert_eq!(a, vec![Action::Cancel(j.clone())]);
            }
            // Stopped while submitting: the submit's job is looked up, to be deleted.
            ServerState::Stopping { job: None, .. } => {
                assert!(
                    matches!(a.as_slice(), [Action::FindSubmitted { .. }]),
                    "{a:?}"
                );
                assert!(matches!(
                    s,
                    ServerState::Adopting {
                        stop_requested: true,
                        ..
                    }
                ));
            }
            // The job the submit may have made is looked up, never forgotten.
            ServerState::Submitting { since } | ServerState::Adopting { since, .. } => {
                assert_eq!(a, vec![Action::FindSubmitted { since: *since }]);
                assert!(
                    matches!(s, ServerState::Adopting { sent, .. } if sent == t(10_000)),
                    "{s:?}"
                );
            }
            ServerState::Stopped { .. } | ServerState::Failed { .. } => {
                assert_eq!(s, state);
                assert!(a.is_empty());
            }
        }
    }
}

#[test]
fn answers_about_another_job_are_ignored() {
    for state in every_state() {
        for letter in JobState::PBS_STATES {
            let (s, a) = run(&state, polled(8, letter), t(77));
            assert_eq!(s, state);
            assert!(a.is_empty());
        }
        let (s, a) = run(
            &state,
            Event::Cancelled {
                job: job(8),
                result: Ok(()),
            },
            t(77),
        );
        assert_eq!(s, state);
        assert!(a.is_empty());
    }
}

#[test]
fn a_report_is_refused_unless_the_job_is_submitted_and_not_stopping() {
    let report = Event::Reported {
        host: "fe80::1".into(),
        port: 8888,
    };
    for state in every_state() {
        let tr = step(&state, &report, &SpawnerConfig::default(), t(60));
        let expected = matches!(
            state,
            ServerState::Queued { .. } | ServerState::Starting { .. } | ServerState::Running { .. }
        );
        assert_eq!(tr.refusal().is_none(), expected, "{state:?}");
        if expected {
            assert_eq!(
                tr.planned_actions(),
                &[Action::AddRoute {
                    url: "http://[fe80::1]:8888".into()
                }]
            );
        }
    }
}

#[test]
fn a_reported_address_is_kept_unrouted_until_the_server_answers_and_survives_a_restart() {
    let config = SpawnerConfig::default();
    let report = Event::AddressReported {
        host: "node0088".into(),
        port: 50065,
    };
    let address = Some(ReportedAddress {
        host: "node0088".into(),
        port: 50065,
    });
    // From Starting: kept, no route yet, the start timeout still counts from the job's start.
    let (s, a) = run(&starting(3), report.clone(), t(130));
    assert!(a.is_empty(), "{a:?}");
    match &s {
        ServerState::Starting {
            since, reported, ..
        } => {
            assert_eq!(*since, t(100));
            assert_eq!(*reported, address);
        }
        other => panic!("{other:?}"),
    }
    // The pending page says the hub is connecting.
    let event = progress(&s, None, "/user/alice/", t(130), &SchedulerTerms::PBS).unwrap();
    assert!(
        event.message.contains("node0088:50065; connecting"),
        "{event:?}"
    );
    assert_eq!(event.progress, Some(80));
    // A poll that sees the job still running keeps the address.
    let (s, _) = run(&s, polled(3, JobState::Running), t(131));
    assert!(matches!(&s, ServerState::Starting { reported, .. } if *reported == address));
    // A restart keeps it too (the shell waits again for the server to answer).
    let (s, _) = run(&s, Event::Restarted, t(200));
    assert!(matches!(&s, ServerState::Starting { reported, .. } if *reported == address));
    // It survives the database: the state round-trips through JSON.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(serde_json::from_value::<ServerState>(json).unwrap(), s);
    // A state saved before the field existed still reads.
    let mut old = serde_json::to_value(starting(3)).unwrap();
    old.as_object_mut().unwrap().values_mut().for_each(|v| {
        if let Some(o) = v.as_object_mut() {
            o.remove("reported");
        }
    });
    assert_eq!(
        serde_json::from_value::<ServerState>(old).unwrap(),
        starting(3)
    );
    // The server answers: routed and running.
    let (s, a) = run(
        &s,
        Event::Reported {
            host: "node0088".into(),
            port: 50065,
        },
        t(210),
    );
    assert!(matches!(s, ServerState::Running { .. }), "{s:?}");
    assert_eq!(
        a,
        vec![Action::AddRoute {
            url: "http://node0088:50065".into()
        }]
    );
    // From Queued (the poll has not yet seen the job run): Starting, from now.
    let (s, a) = run(&queued(4), report.clone(), t(50));
    assert!(a.is_empty());
    assert!(
        matches!(&s, ServerState::Starting { since, reported, .. } if *since == t(50) && *reported == address)
    );
    // Elsewhere it is refused.
    for state in every_state() {
        let tr = step(&state, &report, &config, t(60));
        let expected = matches!(
            state,
            ServerState::Queued { .. } | ServerState::Starting { .. }
        );
        assert_eq!(tr.refusal().is_none(), expected, "{state:?}");
    }
}

#[test]
fn nothing_is_done_when_the_state_cannot_be_saved() {
    let tr = step(
        &queued(7),
        &Event::StopRequested,
        &SpawnerConfig::default(),
        t(1),
    );
    assert_eq!(tr.planned_actions(), &[Action::Cancel(job(7))]);
    let mut saved = None;
    let result = tr.commit(|s| {
        saved = Some(s.clone());
        Err::<(), _>("disk full")
    });
    assert_eq!(result, Err("disk full"));
    assert!(matches!(saved, Some(ServerState::Stopping { .. })));
}

#[test]
fn commit_async_persists_first() {
    let tr = step(
        &queued(7),
        &Event::StopRequested,
        &SpawnerConfig::default(),
        t(1),
    );
    let fut = tr.commit_async(|state| async move {
        assert!(matches!(state, ServerState::Stopping { .. }));
        Ok::<(), ()>(())
    });
    // No runtime needed: the future is ready at once.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut fut = std::pin::pin!(fut);
    let std::task::Poll::Ready(Ok((_, actions))) = std::future::Future::poll(fut.as_mut(), &mut cx)
    else {
        panic!("not ready")
    };
    assert_eq!(actions, vec![Action::Cancel(job(7))]);
}

fn servers(states: Vec<(&str, ServerState)>) -> BTreeMap<ServerKey, ServerState> {
    states
        .into_iter()
        .map(|(user, s)| (ServerKey::new(user, ""), s))
        .collect()
}

#[test]
fn one_poll_asks_about_every_tracked_job_once_and_a_missing_answer_is_unknown() {
    let all = servers(vec![
        ("a", queued(3)),
        ("b", running(1)),
        ("c", ServerState::Submitting { since: t(0) }),
        ("d", stopping(2)),
        ("e", failed()),
    ]);
    let plan = PollPlan::new(&all);
    assert_eq!(plan.ids(), vec![job(1), job(2), job(3)]);
    let mut answer = StatusMap::new();
    answer.insert(job(1), status(JobState::Running));
    answer.insert(job(3), status(JobState::Queued));
    let events = plan.events(&answer);
    assert_eq!(events.len(), 3);
    let (key, Event::Polled { status, .. }) = &events[1] else {
        panic!()
    };
    assert_eq!(key, &ServerKey::new("d", ""));
    assert_eq!(status.state, JobState::Unknown);
    assert!(PollPlan::new(&servers(vec![("x", failed())])).is_empty());
}

#[test]
fn queue_positions_are_per_queue_in_order_of_queued_time() {
    let mut a = queued(5);
    let mut b = queued(6);
    let mut c = queued(7);
    for (s, queue, at) in [
        (&mut a, "workq", 30),
        (&mut b, "workq", 10),
        (&mut c, "gpuq", 50),
    ] {
        if let ServerState::Queued { info, .. } = s {
            info.queue = Some(queue.into());
            info.queued_at = Some(t(at));
        }
    }
    let all = servers(vec![("a", a), ("b", b), ("c", c), ("d", running(9))]);
    let p = queue_positions(&all);
    assert_eq!(p[&ServerKey::new("b", "")], Position { position: 1, of: 2 });
    assert_eq!(p[&ServerKey::new("a", "")], Position { position: 2, of: 2 });
    assert_eq!(p[&ServerKey::new("c", "")], Position { position: 1, of: 1 });
    assert_eq!(p.len(), 3);
}

#[test]
fn the_spawn_limit_queues_excess_requests_and_shows_their_place() {
    let config = SpawnerConfig {
        concurrent_spawn_limit: Some(2),
        ..SpawnerConfig::default()
    };
    let all = servers(vec![
        ("a", ServerState::Submitting { since: t(0) }),
        ("b", queued(1)), // queued jobs hold no slot
        ("c", ServerState::Waiting { since: t(20) }),
        ("d", ServerState::Waiting { since: t(10) }),
        ("e", ServerState::Waiting { since: t(30) }),
    ]);
    assert_eq!(admit(&all, &config), vec![ServerKey::new("d", "")]);
    let places = waiting_positions(&all);
    assert_eq!(
        places[&ServerKey::new("c", "")],
        Position { position: 2, of: 3 }
    );
    let p = progress(
        &all[&ServerKey::new("e", "")],
        Some(places[&ServerKey::new("e", "")]),
        "/user/e/",
        t(90),
        &SchedulerTerms::PBS,
    )
    .unwrap();
    assert!(p.message.contains("position 3 of 3"), "{}", p.message);
    let unlimited = SpawnerConfig {
        concurrent_spawn_limit: None,
        ..config
    };
    assert_eq!(admit(&all, &unlimited).len(), 3);
}

#[test]
fn progress_events_follow_jupyterhubs_shape() {
    assert_eq!(
        progress(
            &ServerState::new(),
            None,
            "/user/alice/",
            t(0),
            &SchedulerTerms::PBS
        ),
        None
    );
    let ready = progress(
        &running(7),
        None,
        "/user/alice/",
        t(0),
        &SchedulerTerms::PBS,
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&ready).unwrap(),
        serde_json::json!({
            "progress": 100,
            "message": "Server ready at /user/alice/",
            "ready": true,
            "url": "/user/alice/"
        })
    );
    let cancelled = run(
        &ServerState::Waiting { since: t(0) },
        Event::StopRequested,
        t(1),
    )
    .0;
    let p = progress(&cancelled, None, "/user/alice/", t(1), &SchedulerTerms::PBS).unwrap();
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        serde_json::json!({"progress": 100, "message": "Spawn cancelled", "failed": true})
    );
    let unknown_queued = run(&queued(7), unknown(7), t(5)).0;
    let p = progress(
        &unknown_queued,
        None,
        "/user/alice/",
        t(5),
        &SchedulerTerms::PBS,
    )
    .unwrap();
    assert!(!p.is_final());
    assert!(p.message.contains("qstat timed out"), "{}", p.message);
    assert!(p.message.contains("is kept"), "{}", p.message);
}

#[test]
fn the_persisted_json_names_its_state() {
    let v = serde_json::to_value(running(7)).unwrap();
    assert_eq!(v["state"], "running");
    assert_eq!(v["job"], "7.pbs02");
    let v = serde_json::to_value(failed()).unwrap();
    assert_eq!(v["reason"]["reason"], "submit_refused");
}

#[test]
fn exit_statuses_are_explained() {
    let pbs = SchedulerTerms::PBS;
    assert_eq!(describe_exit_status(0, &pbs), "exit status 0");
    assert_eq!(describe_exit_status(271, &pbs), "271: killed by signal 15");
    assert!(describe_exit_status(-29, &pbs).contains("walltime"));
    assert!(describe_exit_status(-1, &pbs).contains("PBS could not run"));
    let slurm = SchedulerTerms::SLURM;
    assert_eq!(
        describe_exit_status(-29, &slurm),
        "-29: the job exceeded its time limit"
    );
    assert_eq!(
        describe_exit_status(-2, &slurm),
        "-2: Slurm could not run the job"
    );
}

#[test]
fn only_running_servers_want_a_route() {
    let all = servers(vec![
        ("a", running(1)),
        ("b", stopping(2)),
        ("c", queued(3)),
    ]);
    let wanted = wanted_routes(&all);
    assert_eq!(wanted.len(), 1);
    assert_eq!(wanted[&ServerKey::new("a", "")], "http://node0088:50065");
}

#[test]
fn slurm_progress_and_failures_speak_slurm() {
    let slurm = SchedulerTerms::SLURM;
    let queued = ServerState::Queued {
        job: job(9),
        since: t(0),
        info: QueueInfo {
            queue: Some("batch".into()),
            ..QueueInfo::default()
        },
        query_error: None,
    };
    let p = progress(&queued, None, "/user/alice/", t(5), &slurm).unwrap();
    assert!(
        p.message.contains("is pending in partition batch"),
        "{}",
        p.message
    );
    let interrupted = FailReason::SubmitInterrupted.message(&slurm);
    assert!(interrupted.contains("check with squeue and delete it with scancel"));
    let timeout = FailReason::QueueTimeout { after_secs: 60 }.message(&slurm);
    assert!(timeout.contains("another partition"), "{timeout}");
    let pbs = FailReason::SubmitInterrupted.message(&SchedulerTerms::PBS);
    assert!(pbs.contains("check with qstat and delete it with qdel"));
}
