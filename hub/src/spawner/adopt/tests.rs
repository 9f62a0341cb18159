//! The adoption of a submit cut short by a restart, step by step.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use drivers::{FoundJob, JobId, JobState};

use super::super::*;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap() + chrono::TimeDelta::seconds(secs)
}

fn job(n: u32) -> JobId {
    JobId::new(format!("{n}.pbs02")).unwrap()
}

fn run(state: &ServerState, event: Event, now: DateTime<Utc>) -> (ServerState, Vec<Action>) {
    step(state, &event, &SpawnerConfig::default(), now)
        .commit(|_| Ok::<(), ()>(()))
        .unwrap()
}

/// A server whose submit began at t(0) and whose hub restarted at t(1000).
fn looking() -> ServerState {
    let (s, a) = run(
        &ServerState::Submitting { since: t(0) },
        Event::Restarted,
        t(1000),
    );
    assert_eq!(a, vec![Action::FindSubmitted { since: t(0) }]);
    s
}

fn found(jobs: &[u32]) -> Event {
    Event::FoundSubmitted(Ok(jobs.iter().map(|n| job(*n)).collect()))
}

#[test]
fn a_restart_in_submitting_looks_the_job_up_and_holds_its_slot() {
    let s = looking();
    assert_eq!(
        s,
        ServerState::Adopting {
            since: t(0),
            sent: t(1000),
            lookup_error: None,
            stop_requested: false,
        }
    );
    assert!(s.is_active() && s.is_spawning());
    assert!(holds_spawn_slot(&s));
    assert_eq!(s.name(), "adopting");
    assert_eq!(s.job(), None);
    let p = progress(&s, None, "/user/alice/", t(1000), &SchedulerTerms::PBS).unwrap();
    assert!(!p.is_final());
    assert!(p.message.contains("restarted"), "{}", p.message);
}

#[test]
fn exactly_one_job_found_is_adopted_as_queued() {
    let (s, a) = run(&looking(), found(&[7]), t(1001));
    assert!(a.is_empty());
    match &s {
        ServerState::Queued { job: j, since, .. } => {
            assert_eq!(*j, job(7));
            assert_eq!(*since, t(0), "it has waited since the submit");
        }
        other => panic!("{other:?}"),
    }
    // The next poll takes it from there.
    let (s, _) = run(
        &s,
        Event::Polled {
            job: job(7),
            status: drivers::JobStatus {
                state: JobState::Running,
                query_error: None,
                ..drivers::JobStatus::unknown("")
            },
        },
        t(1030),
    );
    assert!(matches!(s, ServerState::Starting { .. }), "{s:?}");
}

#[test]
fn no_job_found_fails_as_an_interrupted_submit() {
    let (s, a) = run(&looking(), found(&[]), t(1001));
    assert!(a.is_empty());
    assert!(
        matches!(
            s,
            ServerState::Failed {
                reason: FailReason::SubmitInterrupted,
                job: None,
                ..
            }
        ),
        "{s:?}"
    );
}

#[test]
fn several_jobs_found_are_named_and_left_alone() {
    let (s, a) = run(&looking(), found(&[8, 7]), t(1001));
    assert!(
        !a.iter().any(|a| matches!(a, Action::Cancel(_))),
        "never delete on a guess: {a:?}"
    );
    assert!(a.is_empty());
    let ServerState::Failed {
        reason, job: None, ..
    } = &s
    else {
        panic!("{s:?}");
    };
    assert_eq!(
        *reason,
        FailReason::SubmitAmbiguous {
            jobs: vec![job(7), job(8)]
        }
    );
    let text = reason.message(&SchedulerTerms::PBS);
    assert!(text.contains("7.pbs02, 8.pbs02"), "{text}");
    assert!(text.contains("left them all"), "{text}");
    assert!(text.contains("qstat") && text.contains("qdel"), "{text}");
    // The same job named twice is one candidate.
    let (s, _) = run(&looking(), found(&[7, 7]), t(1001));
    assert!(matches!(s, ServerState::Queued { .. }), "{s:?}");
}

#[test]
fn a_failed_lookup_waits_shows_why_and_is_sent_again_after_cancel_retry() {
    let error = "scheduler unavailable: cannot connect to server pbs02".to_string();
    let (s, a) = run(
        &looking(),
        Event::FoundSubmitted(Err(error.clone())),
        t(1002),
    );
    assert!(a.is_empty());
    assert_eq!(
        s,
        ServerState::Adopting {
            since: t(0),
            sent: t(1000),
            lookup_error: Some(error.clone()),
            stop_requested: false,
        }
    );
    assert_eq!(s.query_error(), Some(error.as_str()));
    let p = progress(&s, None, "/user/alice/", t(1002), &SchedulerTerms::PBS).unwrap();
    assert!(p.message.contains("cannot connect"), "{}", p.message);

    let retry = SpawnerConfig::default().cancel_retry;
    assert_eq!(retry, Duration::from_secs(30));
    let (same, a) = run(&s, Event::Tick, t(1029));
    assert!(a.is_empty());
    assert_eq!(same, s);
    let (s, a) = run(&s, Event::Tick, t(1030));
    assert_eq!(a, vec![Action::FindSubmitted { since: t(0) }]);
    assert!(matches!(s, ServerState::Adopting { sent, .. } if sent == t(1030)));
    // Answered at last.
    let (s, _) = run(&s, found(&[7]), t(1031));
    assert!(matches!(s, ServerState::Queued { .. }));
}

#[test]
fn a_lookup_that_has_not_failed_is_not_resent_by_ticks() {
    let (s, a) = run(&looking(), Event::Tick, t(5000));
    assert!(a.is_empty());
    assert_eq!(s, looking());
}

#[test]
fn a_stop_during_the_lookup_deletes_the_job_found_or_stops_if_none() {
    let (stopping, a) = run(&looking(), Event::StopRequested, t(1001));
    assert!(a.is_empty());
    assert!(matches!(
        stopping,
        ServerState::Adopting {
            stop_requested: true,
            ..
        }
    ));
    assert!(stopping.is_active());

    let (s, a) = run(&stopping, found(&[7]), t(1002));
    assert_eq!(a, vec![Action::Cancel(job(7))]);
    assert!(
        matches!(&s, ServerState::Stopping { job: Some(j), reason: StopReason::Requested, .. } if *j == job(7)),
        "{s:?}"
    );
    let (s, a) = run(
        &s,
        Event::Cancelled {
            job: job(7),
            result: Ok(()),
        },
        t(1003),
    );
    assert!(a.is_empty());
    assert!(!s.is_active());

    let (s, a) = run(&stopping, found(&[]), t(1002));
    assert!(a.is_empty());
    assert!(matches!(s, ServerState::Stopped { .. }), "{s:?}");

    // Several: still never a guess.
    let (s, a) = run(&stopping, found(&[7, 8]), t(1002));
    assert!(a.is_empty());
    assert!(matches!(
        s,
        ServerState::Failed {
            reason: FailReason::SubmitAmbiguous { .. },
            ..
        }
    ));
}

#[test]
fn a_restart_during_the_lookup_sends_it_again_keeping_a_stop() {
    let (stopping, _) = run(&looking(), Event::StopRequested, t(1001));
    let (s, a) = run(&stopping, Event::Restarted, t(2000));
    assert_eq!(a, vec![Action::FindSubmitted { since: t(0) }]);
    assert_eq!(
        s,
        ServerState::Adopting {
            since: t(0),
            sent: t(2000),
            lookup_error: None,
            stop_requested: true,
        }
    );
}

#[test]
fn answers_outside_a_lookup_change_nothing() {
    for state in [
        ServerState::new(),
        ServerState::Submitting { since: t(0) },
        ServerState::Queued {
            job: job(7),
            since: t(0),
            info: QueueInfo::default(),
            query_error: None,
        },
    ] {
        let (s, a) = run(&state, found(&[9]), t(10));
        assert_eq!(s, state);
        assert!(a.is_empty());
    }
}

#[test]
fn the_lost_submit_answer_arriving_during_the_lookup_is_adopted() {
    let (s, a) = run(&looking(), Event::Submitted(Ok(job(7))), t(1001));
    assert!(a.is_empty());
    assert!(matches!(&s, ServerState::Queued { job: j, .. } if *j == job(7)));
}

#[test]
fn a_report_during_the_lookup_is_refused_so_the_server_retries() {
    let report = Event::Reported {
        host: "node0088".into(),
        port: 50065,
    };
    let refused = step(&looking(), &report, &SpawnerConfig::default(), t(1001));
    assert_eq!(refused.refusal(), Some(Refusal::NotExpectingReport));
}

#[test]
fn an_old_submitting_row_still_reads_and_the_new_state_round_trips() {
    // A row written before adoption existed.
    let old = r#"{"state":"submitting","since":"2025-03-01T09:00:00Z"}"#;
    let state: ServerState = serde_json::from_str(old).unwrap();
    assert_eq!(state, ServerState::Submitting { since: t(0) });
    let json = serde_json::to_value(looking()).unwrap();
    assert_eq!(json["state"], "adopting");
    assert_eq!(
        serde_json::from_value::<ServerState>(json).unwrap(),
        looking()
    );
    // `stop_requested` may be absent.
    let short = r#"{"state":"adopting","since":"2025-03-01T09:00:00Z","sent":"2025-03-01T09:16:40Z","lookup_error":null}"#;
    assert_eq!(
        serde_json::from_str::<ServerState>(short).unwrap(),
        looking()
    );
    let reason = FailReason::SubmitAmbiguous {
        jobs: vec![job(7), job(8)],
    };
    let json = serde_json::to_value(&reason).unwrap();
    assert_eq!(json["reason"], "submit_ambiguous");
    assert_eq!(json["jobs"][1], "8.pbs02");
}

fn found_job(n: u32, queued: Option<i64>) -> FoundJob {
    FoundJob {
        id: job(n),
        state: JobState::Queued,
        queued: queued.map(t),
    }
}

#[test]
fn candidates_are_queued_since_the_submit_less_the_slack_and_tracked_by_no_one_else() {
    let since = t(1000);
    let found = [
        found_job(1, Some(1000 - 61)), // before the submit: not it
        found_job(2, Some(1000 - 60)), // within the clock slack
        found_job(3, Some(1005)),
        found_job(4, None),       // the scheduler did not say: kept
        found_job(5, Some(1010)), // another server's
        found_job(3, Some(1005)), // named twice
    ];
    let tracked = BTreeSet::from([job(5)]);
    assert_eq!(
        adoption_candidates(&found, since, &tracked),
        vec![job(2), job(3), job(4)]
    );
    assert_eq!(adoption_candidates(&[], since, &tracked), vec![]);
    // qstat may print another server's job with its domain: still that server's.
    let long = FoundJob {
        id: JobId::new("5.pbs02.cluster.edu").unwrap(),
        state: JobState::Running,
        queued: Some(t(1010)),
    };
    assert_eq!(adoption_candidates(&[long], since, &tracked), vec![]);
}

#[test]
fn a_restart_while_a_stopped_submit_awaited_its_answer_looks_the_job_up_to_delete_it() {
    let (s, a) = run(
        &ServerState::Submitting { since: t(0) },
        Event::StopRequested,
        t(5),
    );
    assert!(a.is_empty());
    assert!(matches!(
        s,
        ServerState::Stopping {
            job: None,
            submit_since: Some(since),
            ..
        } if since == t(0)
    ));
    let (s, a) = run(&s, Event::Restarted, t(1000));
    assert_eq!(a, vec![Action::FindSubmitted { since: t(0) }]);
    let (s, a) = run(&s, found(&[7]), t(1001));
    assert_eq!(a, vec![Action::Cancel(job(7))]);
    assert!(matches!(s, ServerState::Stopping { job: Some(_), .. }));

    // A row from before `submit_since`: the stop's time bounds the submit's.
    let old = r#"{"state":"stopping","job":null,"since":"2025-03-01T09:00:05Z","reason":"requested","cancel_sent":null,"cancel_error":null,"query_error":null}"#;
    let s: ServerState = serde_json::from_str(old).unwrap();
    let (_, a) = run(&s, Event::Restarted, t(1000));
    assert_eq!(a, vec![Action::FindSubmitted { since: t(5) }]);
}
