//! Property tests: one server driven through random sequences of requests, scheduler
//! answers (every `JobState`, `Unknown`, errors, answers about stale jobs), ticks, hub
//! restarts and hub crashes between persisting a transition and acting on it.
//!
//! A harness plays the shell: it loads the state from the persisted JSON before every step
//! (so every step starts from exactly what was saved), commits through a persist that
//! writes the JSON, and "runs" the actions against a reference model of the world: jobs
//! submitted, jobs cancelled, jobs seen ended, the proxy's route, the submit and cancels in
//! flight. After every step it checks:
//! - an `Unknown` answer causes no action at all (so never a `Cancel`) and changes nothing
//!   but the state's `query_error`;
//! - every job a successful submit returned is tracked by the state, cancelled, or seen
//!   ended;
//! - a submit cut short by a restart may have made a job: it is looked up, and the job is
//!   adopted, or (with other candidates) named in the failure and left alone, never lost
//!   and never cancelled on a guess;
//! - never two live jobs (or a live job and a submit in flight) for the server;
//! - `Cancel` only names jobs the scheduler returned; the state only tracks such jobs;
//! - a `Submit` is only asked for when nothing is live or in flight, never on a restart;
//! - the proxy holds a route exactly while the state is `Running`, to its url;
//! - the persisted JSON reads back as the state the step returned.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use drivers::{JobId, JobState, JobStatus};
use proptest::prelude::*;

use super::*;

/// One thing the harness makes happen.
#[derive(Debug, Clone)]
enum Op {
    Start,
    Admit,
    Stop,
    /// Answer the submit in flight, if there is one.
    AnswerSubmit {
        ok: bool,
        transient: bool,
    },
    /// A poll answer about the tracked job (`stale == false`) or an older one.
    Poll {
        stale: bool,
        state: JobState,
        exit_status: Option<i32>,
    },
    /// Answer one cancel in flight, if there is one.
    AnswerCancel {
        pick: usize,
        ok: bool,
    },
    Report {
        port: u16,
    },
    Tail,
    Tick {
        secs: u32,
    },
    /// The hub restarts (everything in flight is lost; the proxy keeps its routes). A
    /// submit in flight made its job (`made_job`) or not.
    Restart {
        made_job: bool,
    },
    /// Answer one lookup of an interrupted submit's job, if one is in flight: an error, or
    /// the lost jobs plus `strangers` other candidates (the user's own jobs by that name).
    AnswerFind {
        ok: bool,
        strangers: u8,
    },
    /// The next op's step is persisted, then the hub dies before acting, then restarts.
    CrashAfter(Box<Op>),
}

fn job_state() -> impl Strategy<Value = JobState> {
    prop_oneof![
        3 => Just(JobState::Unknown),
        1 => proptest::sample::select(JobState::PBS_STATES.to_vec()),
    ]
}

fn base_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Start),
        3 => Just(Op::Admit),
        2 => Just(Op::Stop),
        3 => (prop::bool::weighted(0.8), any::<bool>())
            .prop_map(|(ok, transient)| Op::AnswerSubmit { ok, transient }),
        8 => (prop::bool::weighted(0.15), job_state(), prop::option::of(-30i32..300))
            .prop_map(|(stale, state, exit_status)| Op::Poll { stale, state, exit_status }),
        2 => (0usize..4, prop::bool::weighted(0.7)).prop_map(|(pick, ok)| Op::AnswerCancel { pick, ok }),
        2 => (1024u16..1030).prop_map(|port| Op::Report { port }),
        1 => Just(Op::Tail),
        4 => (0u32..400).prop_map(|secs| Op::Tick { secs }),
        1 => any::<bool>().prop_map(|made_job| Op::Restart { made_job }),
        2 => (prop::bool::weighted(0.7), prop_oneof![4 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)])
            .prop_map(|(ok, strangers)| Op::AnswerFind { ok, strangers }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => base_op(),
        1 => base_op().prop_map(|op| Op::CrashAfter(Box::new(op))),
    ]
}

/// The world as the shell and the scheduler know it, and the checks on it.
struct World {
    config: SpawnerConfig,
    persisted: String,
    now: DateTime<Utc>,
    next_id: u32,
    submit_in_flight: bool,
    cancels_in_flight: Vec<JobId>,
    lookups_in_flight: usize,
    /// Jobs made by submits whose answer a restart lost.
    lost: BTreeSet<JobId>,
    /// Jobs named in a `SubmitAmbiguous` failure: the user's to sort out.
    left_alone: BTreeSet<JobId>,
    /// The user's own jobs by the hub's job name that a lookup found: not the hub's
    /// until it adopts one.
    strangers: BTreeSet<JobId>,
    submitted: BTreeSet<JobId>,
    cancelled: BTreeSet<JobId>,
    ended: BTreeSet<JobId>,
    route: Option<String>,
}

impl World {
    fn new(config: SpawnerConfig) -> Self {
        World {
            config,
            persisted: serde_json::to_string(&ServerState::new()).unwrap(),
            now: Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap(),
            next_id: 1,
            submit_in_flight: false,
            cancels_in_flight: Vec::new(),
            lookups_in_flight: 0,
            lost: BTreeSet::new(),
            left_alone: BTreeSet::new(),
            strangers: BTreeSet::new(),
            submitted: BTreeSet::new(),
            cancelled: BTreeSet::new(),
            ended: BTreeSet::new(),
            route: None,
        }
    }

    /// The state, exactly as persisted.
    fn state(&self) -> ServerState {
        serde_json::from_str(&self.persisted).expect("the persisted state reads back")
    }

    /// A job the scheduler now has.
    fn new_job(&mut self) -> JobId {
        let id = JobId::new(format!("{}.pbs02", self.next_id)).unwrap();
        self.next_id += 1;
        self.submitted.insert(id.clone());
        id
    }

    /// The event an op makes, given the world; `None` if it cannot happen now.
    fn event_for(&mut self, op: &Op) -> Option<Event> {
        let state = self.state();
        Some(match op {
            Op::Start => Event::StartRequested,
            Op::Admit => Event::Admitted,
            Op::Stop => Event::StopRequested,
            Op::AnswerSubmit { ok, transient } => {
                if !self.submit_in_flight {
                    return None;
                }
                self.submit_in_flight = false;
                if *ok {
                    let id = self.new_job();
                    Event::Submitted(Ok(id))
                } else {
                    Event::Submitted(Err(SubmitError {
                        message: "qsub: Job exceeds queue resource limits".into(),
                        transient: *transient,
                    }))
                }
            }
            Op::Poll {
                stale,
                state: job_state,
                exit_status,
            } => {
                let job = if *stale {
                    self.submitted.iter().next().cloned()?
                } else {
                    // What the poller would ask about: the plan over this one server.
                    let key = ServerKey::new("alice", "");
                    let ids = PollPlan::new([(&key, &state)]).ids();
                    ids.first().cloned()?
                };
                let status = if *job_state == JobState::Unknown {
                    JobStatus::unknown("qstat: cannot connect to server pbs02 (errno=15010)")
                } else {
                    JobStatus {
                        state: *job_state,
                        exit_status: *exit_status,
                        query_error: None,
                        ..JobStatus::unknown("")
                    }
                };
                if job_state.is_final() {
                    self.ended.insert(job.clone());
                }
                Event::Polled { job, status }
            }
            Op::AnswerCancel { pick, ok } => {
                if self.cancels_in_flight.is_empty() {
                    return None;
                }
                let job = self
                    .cancels_in_flight
                    .remove(pick % self.cancels_in_flight.len());
                let result = if *ok {
                    Ok(())
                } else {
                    Err(CancelError {
                        message: "qdel: Server is busy".into(),
                    })
                };
                if *ok {
                    self.cancelled.insert(job.clone());
                }
                Event::Cancelled { job, result }
            }
            Op::Report { port } => Event::Reported {
                host: "node0088".into(),
                port: *port,
            },
            Op::Tail => Event::OutputTail {
                job: match &state {
                    ServerState::Failed { job: Some(j), .. } => j.clone(),
                    _ => return None,
                },
                tail: Some("Traceback (most recent call last): ...".into()),
            },
            Op::Tick { secs } => {
                self.now += TimeDelta::seconds(i64::from(*secs));
                Event::Tick
            }
            Op::AnswerFind { ok, strangers } => {
                if self.lookups_in_flight == 0 {
                    return None;
                }
                self.lookups_in_flight -= 1;
                if !*ok {
                    return Some(Event::FoundSubmitted(Err(
                        "qstat: cannot connect to server pbs02 (errno=15010)".into(),
                    )));
                }
                // What the scheduler has that the shell would not filter out: the lost
                // jobs still alive and untouched, and the strangers.
                let mut found: Vec<JobId> = self
                    .lost
                    .iter()
                    .filter(|j| self.live().contains(*j) && Some(*j) != state.job())
                    .cloned()
                    .collect();
                for _ in 0..*strangers {
                    let id = JobId::new(format!("{}.pbs02", self.next_id)).unwrap();
                    self.next_id += 1;
                    self.strangers.insert(id.clone());
                    found.push(id);
                }
                Event::FoundSubmitted(Ok(found))
            }
            Op::Restart { .. } => Event::Restarted,
            Op::CrashAfter(_) => unreachable!("unwrapped by `apply`"),
        })
    }

    /// Applies one op: one step (or, for a crash, a step whose actions are lost and then a
    /// restart), checking every invariant after each step.
    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::CrashAfter(inner) => {
                // The actions of the crashed step were never taken: no submit went out.
                let restart = Op::Restart { made_job: false };
                if matches!(**inner, Op::CrashAfter(_) | Op::Restart { .. }) {
                    return self.apply(&restart);
                }
                if let Some(event) = self.event_for(inner) {
                    self.step(&event, false)?;
                }
                self.apply(&restart)
            }
            Op::Restart { made_job } => {
                // Whatever was in flight died with the hub; the proxy keeps its routes. A
                // submit in flight may have made its job all the same.
                if self.submit_in_flight && *made_job {
                    let id = self.new_job();
                    self.lost.insert(id);
                }
                self.submit_in_flight = false;
                self.cancels_in_flight.clear();
                self.lookups_in_flight = 0;
                self.step(&Event::Restarted, true)?;
                // Start-up reconciliation: stale routes go (see `wanted_routes`).
                let key = ServerKey::new("alice", "");
                let state = self.state();
                let wanted = wanted_routes([(&key, &state)]);
                if wanted.is_empty() {
                    self.route = None;
                }
                self.check(&state)
            }
            other => match self.event_for(other) {
                Some(event) => self.step(&event, true),
                None => Ok(()),
            },
        }
    }

    /// One step: load, step, persist, then (if `act`) run the actions against the model.
    fn step(&mut self, event: &Event, act: bool) -> Result<(), TestCaseError> {
        let before = self.state();
        let transition = step(&before, event, &self.config, self.now);
        let mut written = None;
        let (after, actions) = transition
            .commit(|s| {
                written = Some(serde_json::to_string(s).unwrap());
                Ok::<(), ()>(())
            })
            .unwrap();
        self.persisted = written.expect("commit persists before handing out actions");
        prop_assert_eq!(&self.state(), &after, "the persisted state is the state");
        // An adopted stranger is the hub's job from now on.
        if let Some(job) = after.job() {
            if self.strangers.remove(job) {
                self.submitted.insert(job.clone());
            }
        }

        // An Unknown answer does nothing and changes nothing but the message.
        if let Event::Polled { status, .. } = event {
            if status.state == JobState::Unknown {
                prop_assert!(actions.is_empty(), "Unknown caused {:?}", actions);
                prop_assert_eq!(after.name(), before.name());
                prop_assert_eq!(after.job(), before.job());
            }
        }
        if matches!(event, Event::Restarted) {
            prop_assert!(!actions.contains(&Action::Submit), "resubmit on restart");
        }
        // Several candidates: named, none tracked, none cancelled.
        if let ServerState::Failed {
            reason: FailReason::SubmitAmbiguous { jobs },
            ..
        } = &after
        {
            if !matches!(before, ServerState::Failed { .. }) {
                prop_assert!(jobs.len() > 1, "ambiguous with {:?}", jobs);
                for job in jobs {
                    prop_assert!(!actions.contains(&Action::Cancel(job.clone())));
                    self.left_alone.insert(job.clone());
                }
            }
        }

        let live_before = self.live();
        if act {
            for action in &actions {
                match action {
                    Action::Submit => {
                        prop_assert!(!self.submit_in_flight, "two submits in flight");
                        prop_assert!(live_before.is_empty(), "submit beside {:?}", live_before);
                        self.submit_in_flight = true;
                    }
                    Action::Cancel(job) => {
                        prop_assert!(self.submitted.contains(job), "cancel of a guess {}", job);
                        self.cancels_in_flight.push(job.clone());
                    }
                    Action::AddRoute { url } => self.route = Some(url.clone()),
                    Action::DeleteRoute => self.route = None,
                    Action::ReadOutputTail(job) => {
                        prop_assert!(self.submitted.contains(job));
                    }
                    Action::FindSubmitted { .. } => {
                        prop_assert!(
                            matches!(after, ServerState::Adopting { .. }),
                            "a lookup from {:?}",
                            after
                        );
                        self.lookups_in_flight += 1;
                    }
                }
            }
            // A restart is checked after the start-up route reconciliation (`apply`).
            if !matches!(event, Event::Restarted) {
                self.check(&after)?;
            }
        }
        Ok(())
    }

    /// Jobs the scheduler has that have neither been cancelled, seen ended, nor left to the
    /// user.
    fn live(&self) -> BTreeSet<JobId> {
        self.submitted
            .iter()
            .filter(|j| {
                !self.cancelled.contains(*j)
                    && !self.ended.contains(*j)
                    && !self.left_alone.contains(*j)
            })
            .cloned()
            .collect()
    }

    fn check(&self, state: &ServerState) -> Result<(), TestCaseError> {
        let tracked = state.job();
        if let Some(job) = tracked {
            prop_assert!(self.submitted.contains(job), "tracks unknown job {}", job);
        }
        // Every submitted job is tracked, cancelled (or being cancelled), ended, named to the
        // user as left alone, or (a lost submit's) being looked up.
        let looking = matches!(state, ServerState::Adopting { .. });
        for job in &self.submitted {
            let accounted = Some(job) == tracked
                || self.cancelled.contains(job)
                || self.cancels_in_flight.contains(job)
                || self.ended.contains(job)
                || self.left_alone.contains(job)
                || (looking && self.lost.contains(job));
            prop_assert!(accounted, "job {} lost; state {:?}", job, state);
        }
        // Never two live jobs, nor a live job beside a submit in flight.
        let live = self.live();
        prop_assert!(live.len() <= 1, "two live jobs: {:?}", live);
        prop_assert!(
            !self.submit_in_flight || live.is_empty(),
            "a submit in flight beside {:?}",
            live
        );
        if let Some(job) = live.iter().next() {
            let being_cancelled = self.cancels_in_flight.contains(job);
            prop_assert!(
                Some(job) == tracked || being_cancelled || (looking && self.lost.contains(job)),
                "live job {} untracked",
                job
            );
        }
        if self.submit_in_flight {
            prop_assert!(
                matches!(
                    state,
                    ServerState::Submitting { .. } | ServerState::Stopping { job: None, .. }
                ),
                "a submit in flight but state {:?}",
                state
            );
        }
        // The proxy routes a server exactly while it is running.
        match state {
            ServerState::Running { url, .. } => {
                prop_assert_eq!(self.route.as_ref(), Some(url))
            }
            _ => prop_assert_eq!(self.route.as_ref(), None, "route left for {:?}", state),
        }
        Ok(())
    }
}

fn config() -> impl Strategy<Value = SpawnerConfig> {
    (prop::option::of(60u64..1200), 60u64..600, 5u64..60).prop_map(|(queue, start, retry)| {
        SpawnerConfig {
            start_timeout: Duration::from_secs(start),
            queue_timeout: queue.map(Duration::from_secs),
            cancel_retry: Duration::from_secs(retry),
            concurrent_spawn_limit: Some(10),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_spawner_never_loses_kills_on_unknown_or_doubles_a_job(
        config in config(),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut world = World::new(config);
        for op in &ops {
            world.apply(op)?;
        }
    }

    /// With the scheduler answering and nothing failing, a started server gets running:
    /// the machine does not get stuck.
    #[test]
    fn a_start_with_good_answers_reaches_running(unknowns in 0usize..20) {
        let mut world = World::new(SpawnerConfig::default());
        world.apply(&Op::Start)?;
        world.apply(&Op::Admit)?;
        world.apply(&Op::AnswerSubmit { ok: true, transient: false })?;
        for _ in 0..unknowns {
            world.apply(&Op::Poll { stale: false, state: JobState::Unknown, exit_status: None })?;
        }
        world.apply(&Op::Poll { stale: false, state: JobState::Running, exit_status: None })?;
        world.apply(&Op::Restart { made_job: false })?;
        world.apply(&Op::Report { port: 1025 })?;
        let running = matches!(world.state(), ServerState::Running { .. });
        prop_assert!(running, "not running: {:?}", world.state());
        prop_assert_eq!(world.route.as_deref(), Some("http://node0088:1025"));
    }
}

proptest! {
    /// A submit whose answer a restart lost, its job made: after the lookup, the job is
    /// tracked (or, with other candidates, left alone and named), whatever errors came first.
    #[test]
    fn a_lost_submit_answer_is_adopted_not_forgotten(failures in 0usize..5, strangers in 0u8..3) {
        let mut world = World::new(SpawnerConfig::default());
        world.apply(&Op::Start)?;
        world.apply(&Op::Admit)?;
        world.apply(&Op::Restart { made_job: true })?;
        for _ in 0..failures {
            world.apply(&Op::AnswerFind { ok: false, strangers: 0 })?;
            world.apply(&Op::Tick { secs: 31 })?;
        }
        world.apply(&Op::AnswerFind { ok: true, strangers })?;
        let lost = world.lost.iter().next().cloned().expect("the submit made a job");
        let state = world.state();
        if strangers == 0 {
            prop_assert_eq!(state.job(), Some(&lost), "{:?}", state);
        } else {
            let named = matches!(
                &state,
                ServerState::Failed { reason: FailReason::SubmitAmbiguous { jobs }, .. }
                    if jobs.contains(&lost)
            );
            prop_assert!(named, "{:?}", state);
            prop_assert!(world.cancels_in_flight.is_empty());
        }
    }
}
