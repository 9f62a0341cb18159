//! The hub, as the runner drives it: the real spawner core (`hub::spawner::step`, the
//! concurrent-spawn line `admit`, the batched `PollPlan`, `wanted_routes` and the route
//! reconciliation `plan`, the form's `validate` and `job_spec`) under a synchronous shell
//! that mirrors the hub's async one (`hub::spawning`): step, persist, then act; the
//! scheduler's answers come back as later events; a crash loses what was in flight.

use std::collections::{BTreeMap, BTreeSet};

use drivers::{FoundJob, JobId, JobName, JobState, JobStatus, StatusMap, UserName};
use hub::form::{self, FormConfig};
use hub::proxy_client::{plan, routespec, Route, Wanted};
use hub::spawner::{
    admit, adoption_candidates, wanted_routes, Action, Event, PollPlan, Refusal, ServerKey,
    ServerState, SpawnerConfig, SubmitError,
};
use pbs_sim::engine::job::{Behaviour, SubmitRequest};
use rand::Rng;
use serde_json::{Map, Value};

use super::event::Ev;
use super::World;

/// What the hub keeps about one server (its database row, in effect).
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// The persisted spawner state.
    pub state: ServerState,
    /// The form values of the current run.
    pub options: BTreeMap<String, String>,
    /// The job of the latest run, kept after it ends.
    pub last_job: Option<JobId>,
    /// Its route spec (`/user/alice/`).
    pub spec: String,
    /// When the current run's job was first seen running (the walltime counts from
    /// there), as the hub's shell keeps it.
    pub job_started: Option<chrono::DateTime<chrono::Utc>>,
}

/// The hub's state across events and restarts.
#[derive(Debug)]
pub struct HubSim {
    /// Whether the hub process runs.
    pub up: bool,
    /// Bumped by every crash: answers to an older hub's calls are never heard.
    pub epoch: u64,
    /// Every server, as persisted.
    pub servers: BTreeMap<ServerKey, Entry>,
    /// The spawner's tunables.
    pub config: SpawnerConfig,
    /// The spawn form.
    pub form: FormConfig,
    /// `spawner.job_name`.
    pub job_name: JobName,
    /// Whether the proxy answered at the hub's last check.
    pub proxy_seen_up: bool,
}

/// The base URL routes live under.
const BASE_URL: &str = "/";

impl HubSim {
    /// A hub with no servers yet.
    pub fn new(config: SpawnerConfig, form: FormConfig, job_name: JobName) -> HubSim {
        HubSim {
            up: true,
            epoch: 0,
            servers: BTreeMap::new(),
            config,
            form,
            job_name,
            proxy_seen_up: true,
        }
    }

    /// The server's state (never-run servers are stopped).
    pub fn state(&self, key: &ServerKey) -> ServerState {
        self.servers
            .get(key)
            .map(|e| e.state.clone())
            .unwrap_or_default()
    }
}

/// The route spec of a server.
pub fn spec_of(key: &ServerKey) -> String {
    routespec::user_server(BASE_URL, &key.user, &key.name)
}

/// The data JupyterHub puts on a user server's route (the hub's own function).
fn route_data(key: &ServerKey) -> Map<String, Value> {
    routespec::user_server_data(&key.user, &key.name)
}

impl World<'_> {
    /// Applies one event to one server: step (through the spawner variant), persist,
    /// act. `options` replaces the stored form values when a start is taken up. Returns the
    /// refusal, if the event was refused.
    pub fn apply(
        &mut self,
        key: &ServerKey,
        event: Event,
        options: Option<BTreeMap<String, String>>,
    ) -> Option<Refusal> {
        let before = self.hub.state(key);
        let now = self.hub_now();
        let transition = self.variant.step(&before, &event, &self.hub.config, now);
        let refusal = transition.refusal();
        if refusal.is_some() || (!transition.changed() && transition.planned_actions().is_empty()) {
            return refusal;
        }
        let entry = self
            .hub
            .servers
            .entry(key.clone())
            .or_insert_with(|| Entry {
                spec: spec_of(key),
                ..Entry::default()
            });
        if event == Event::StartRequested {
            entry.options = options.unwrap_or_default();
        }
        // Persist, then act: the commit hands the actions out only after the state is
        // stored (the database write cannot fail here).
        let committed = transition.commit(|state| {
            entry.state = state.clone();
            Ok::<(), std::convert::Infallible>(())
        });
        let (state, actions) = match committed {
            Ok(done) => done,
            Err(never) => match never {},
        };
        // As the hub's shell: the latest job is kept after it ends, forgotten at a new start.
        if let Some(job) = state.job() {
            entry.last_job = Some(job.clone());
        } else if event == Event::StartRequested {
            entry.last_job = None;
        }
        match &state {
            ServerState::Starting { since, .. } => entry.job_started = Some(*since),
            ServerState::Running { .. } => {}
            _ => entry.job_started = None,
        }
        self.on_transition(key, &before, &state);
        let caused_by_unknown = matches!(
            &event,
            Event::Polled { status, .. } if status.state == JobState::Unknown
        );
        self.carry_out(key, actions, caused_by_unknown);
        None
    }

    /// Carries out a persisted transition's actions.
    fn carry_out(&mut self, key: &ServerKey, actions: Vec<Action>, caused_by_unknown: bool) {
        let epoch = self.hub.epoch;
        for action in actions {
            match action {
                Action::Submit => self.submit(key),
                Action::Cancel(job) => {
                    if caused_by_unknown {
                        self.checks.delete_on_unknown(self.now, key, &job);
                    }
                    self.counts.cancels += 1;
                    let at = self.now + self.command_ms();
                    self.queue.push(
                        at,
                        Ev::QdelArrives {
                            epoch,
                            key: key.clone(),
                            job,
                        },
                    );
                }
                Action::AddRoute { url } => {
                    let spec = spec_of(key);
                    if self.proxy.up {
                        self.proxy.routes.insert(spec, url);
                        self.counts.routes_added += 1;
                    }
                    // A proxy that does not answer: the hub logs it and the reconciliation
                    // puts the route back once the proxy is there again.
                }
                Action::DeleteRoute => {
                    if self.proxy.up && self.proxy.routes.remove(&spec_of(key)).is_some() {
                        self.counts.routes_deleted += 1;
                    }
                }
                Action::ReadOutputTail(job) => {
                    let at = self.now + 10;
                    self.queue.push(
                        at,
                        Ev::OutputTail {
                            epoch,
                            key: key.clone(),
                            job,
                        },
                    );
                }
                Action::FindSubmitted { since } => {
                    // The lookup reaches PBS after the command's time; its answer is
                    // narrowed when it arrives, against the servers of that moment.
                    let found = if self.faults.qstat_down() {
                        Err("qstat: cannot connect to server pbs02 (errno=111)".to_string())
                    } else {
                        let name = self.hub.job_name.to_string();
                        Ok(self.engine.find_jobs(&key.user, &name))
                    };
                    let at = self.now + 2 * self.command_ms();
                    self.queue.push(
                        at,
                        Ev::FindAnswer {
                            epoch,
                            key: key.clone(),
                            since,
                            found,
                        },
                    );
                }
            }
        }
    }

    /// The shell's `submit`: the stored options validated again against the form, the job
    /// spec built from them, and `qsub` sent.
    fn submit(&mut self, key: &ServerKey) {
        let epoch = self.hub.epoch;
        let options = self
            .hub
            .servers
            .get(key)
            .map(|e| e.options.clone())
            .unwrap_or_default();
        let refused = |message: String| SubmitError {
            message,
            transient: false,
        };
        let built = UserName::new(key.user.as_str())
            .map_err(|e| refused(e.to_string()))
            .and_then(|owner| {
                let request =
                    form::validate(&self.hub.form, &options, &owner).map_err(|errors| {
                        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                        refused(format!(
                            "the stored options no longer fit the form: {}",
                            list.join("; ")
                        ))
                    })?;
                Ok(request.job_spec(
                    owner,
                    self.hub.job_name.clone(),
                    BTreeMap::new(),
                    format!("/home/{}", key.user).into(),
                    vec!["hub-singleuser".to_string()],
                ))
            });
        let spec = match built {
            Ok(spec) => spec,
            Err(e) => {
                let at = self.now + 1;
                self.queue.push(
                    at,
                    Ev::QsubAnswer {
                        epoch,
                        key: key.clone(),
                        result: Err(e),
                    },
                );
                return;
            }
        };
        self.counts.submits += 1;
        let invalid = self.spawns.get(key).is_some_and(|s| s.invalid_input);
        let request = SubmitRequest {
            owner: spec.owner.to_string(),
            name: spec.name.to_string(),
            queue: spec.queue.clone(),
            resources: spec.resources.clone(),
            // The notebook server runs until deleted or killed; the runner plays its
            // process (reports, deaths, exits after a kill).
            behaviour: Behaviour {
                runtime: None,
                exit_status: 0,
                external: true,
            },
            hold: false,
            rerunnable: true,
        };
        let at = self.now + self.command_ms();
        self.queue.push(
            at,
            Ev::QsubArrives {
                epoch,
                key: key.clone(),
                request: Box::new(request),
                invalid,
            },
        );
    }

    /// An interrupted submit's lookup answered: the candidates narrowed as the hub's shell
    /// does (`hub::spawner::adoption_candidates`, against every other server's jobs now),
    /// then fed to the server.
    pub fn found_submitted(
        &mut self,
        key: &ServerKey,
        since: chrono::DateTime<chrono::Utc>,
        found: Result<Vec<FoundJob>, String>,
    ) {
        let tracked: BTreeSet<JobId> = self
            .hub
            .servers
            .iter()
            .filter(|(other, _)| *other != key)
            .flat_map(|(_, e)| e.state.job().cloned().into_iter().chain(e.last_job.clone()))
            .collect();
        let answer = found.map(|found| adoption_candidates(&found, since, &tracked));
        self.apply(key, Event::FoundSubmitted(answer), None);
        self.admit();
    }

    /// The poller's round: one batched `qstat` for every tracked job (its answer arrives
    /// after the command's time, or later when `qstat` is slow).
    pub fn poll(&mut self) {
        if !self.hub.up {
            return;
        }
        let plan = PollPlan::new(self.hub.servers.iter().map(|(k, e)| (k, &e.state)));
        let mut answer = StatusMap::new();
        if !plan.is_empty() {
            self.counts.polls += 1;
            let outage = self.faults.qstat_down();
            let missing = self.faults.qstat_missing_share();
            if outage || missing > 0.0 {
                self.counts.failed_polls += 1;
            }
            for id in plan.ids() {
                if outage {
                    let error = "qstat: cannot connect to server pbs02 (errno=111)";
                    answer.insert(id, JobStatus::unknown(error));
                    continue;
                }
                if missing > 0.0 && self.rng.gen_bool(missing) {
                    // Cut from a truncated answer: the plan makes it `Unknown`.
                    continue;
                }
                let status = self
                    .engine
                    .key_of(id.as_str())
                    .and_then(|k| self.engine.status(k))
                    .unwrap_or_else(|| pbs_sim::inproc::gone(&id));
                answer.insert(id, status);
            }
        }
        let delay = self.command_ms() + self.faults.qstat_delay_ms();
        let epoch = self.hub.epoch;
        self.queue.push(
            self.now + delay,
            Ev::PollAnswer {
                epoch,
                plan,
                answer,
            },
        );
    }

    /// A poll's answer: the events it gives, then a tick for every active server, then
    /// admission (the order of the hub's poller).
    pub fn poll_answered(&mut self, plan: PollPlan, answer: StatusMap) {
        let active: Vec<ServerKey> = self
            .hub
            .servers
            .iter()
            .filter(|(_, e)| e.state.is_active())
            .map(|(k, _)| k.clone())
            .collect();
        for (key, event) in plan.events(&answer) {
            self.apply(&key, event, None);
        }
        for key in active {
            self.apply(&key, Event::Tick, None);
        }
        self.admit();
    }

    /// Lets waiting servers submit, as the concurrent-spawn limit allows.
    pub fn admit(&mut self) {
        if !self.hub.up {
            return;
        }
        let admitted = admit(
            self.hub.servers.iter().map(|(k, e)| (k, &e.state)),
            &self.hub.config,
        );
        for key in admitted {
            self.apply(&key, Event::Admitted, None);
        }
    }

    /// The hub's route reconciliation: the proxy's table made to match the running
    /// servers, leaving alone the routes of servers still starting.
    pub fn reconcile(&mut self) {
        if !self.hub.up || !self.proxy.up {
            return;
        }
        let states = || self.hub.servers.iter().map(|(k, e)| (k, &e.state));
        let wanted: BTreeMap<String, Wanted> = wanted_routes(states())
            .into_iter()
            .map(|(key, target)| {
                let want = Wanted {
                    target,
                    data: route_data(&key),
                };
                (spec_of(&key), want)
            })
            .collect();
        let pending: Vec<String> = states()
            .filter(|(_, s)| s.is_spawning())
            .map(|(k, _)| spec_of(k))
            .collect();
        let actual: BTreeMap<String, Route> = self
            .proxy
            .routes
            .iter()
            .map(|(spec, target)| {
                let route = Route {
                    target: target.clone(),
                    data: Map::new(),
                    last_activity: None,
                };
                (spec.clone(), route)
            })
            .collect();
        let changes = plan(&wanted, &actual, &pending);
        for (spec, want) in changes.add {
            self.proxy.routes.insert(spec, want.target);
            self.counts.routes_added += 1;
        }
        for spec in changes.delete {
            self.proxy.routes.remove(&spec);
            self.counts.routes_deleted += 1;
        }
    }

    /// SIGKILL: nothing in flight is heard of again.
    pub fn crash_hub(&mut self) {
        self.hub.up = false;
        self.hub.epoch += 1;
    }

    /// The hub starts again from its database: every server re-adopted (`Restarted`), the
    /// routes reconciled, waiting servers admitted.
    pub fn restart_hub(&mut self) {
        self.hub.up = true;
        self.hub.epoch += 1;
        self.counts.hub_restarts += 1;
        let keys: Vec<ServerKey> = self.hub.servers.keys().cloned().collect();
        for key in keys {
            self.apply(&key, Event::Restarted, None);
            // A server that reported while the old hub waited for it to answer does not
            // report again: the new hub probes it (as `hub::spawning` resumes).
            if let ServerState::Starting {
                reported: Some(address),
                ..
            } = self.hub.state(&key)
            {
                let at = self.now + 500;
                let epoch = self.hub.epoch;
                self.queue.push(
                    at,
                    Ev::Answering {
                        epoch,
                        server: key.clone(),
                        host: address.host,
                        port: address.port,
                    },
                );
            }
        }
        self.reconcile();
        self.hub.proxy_seen_up = self.proxy.up;
        self.admit();
    }

    /// The hub's check that the proxy answers: one that answers again after not answering
    /// may have lost its routes, so they are reconciled at once.
    pub fn check_proxy(&mut self) {
        if !self.hub.up {
            return;
        }
        if self.proxy.up && !self.hub.proxy_seen_up {
            self.reconcile();
        }
        self.hub.proxy_seen_up = self.proxy.up;
    }

    /// How long one scheduler command takes this time, in ms.
    pub fn command_ms(&mut self) -> u64 {
        let (min, max) = (
            super::ms(self.s.hub.command_min),
            super::ms(self.s.hub.command_max),
        );
        self.rng.gen_range(min..=max)
    }
}
