//! The hub's users: they click "start" with the form's values (sometimes wrong ones), wait,
//! work, stop their server or leave it idle for the culler, and sometimes give up while
//! their job is queued. Their choices are drawn from the seed.

use std::collections::BTreeMap;

use drivers::UserName;
use hub::form;
use hub::spawner::{EndCause, Event, ServerKey, ServerState};
use rand::Rng;

use super::event::Ev;
use super::{ms, World};
use crate::spec::{Arrival, Scenario};

/// One user and their current session.
#[derive(Debug, Clone)]
pub struct UserSim {
    /// `nbuser0001`, …
    pub name: String,
    /// Their (default) server.
    pub key: ServerKey,
    /// The session under way (0-based).
    pub session: u32,
    /// This session's user leaves without stopping.
    pub idle: bool,
    /// This session's user gives up while queued.
    pub canceller: bool,
    /// This session's first request has a mistake in it.
    pub invalid_pending: bool,
    /// This session's form values.
    pub options: BTreeMap<String, String>,
}

/// What the runner notes about a server's current spawn (not the hub's business).
#[derive(Debug, Clone, Default)]
pub struct SpawnRecord {
    /// When the user clicked, ms.
    pub click_at: u64,
    /// The user.
    pub user: usize,
    /// Their session.
    pub session: u32,
    /// The form values were wrong and the hub should have refused them.
    pub invalid_input: bool,
    /// The server reached running in this spawn.
    pub ran: bool,
}

/// Mistakes users make in the form (and hostile input): each must be refused by the form's
/// validation before anything reaches `qsub`.
const MISTAKES: &[(&str, &str)] = &[
    ("ncpus", "0"),
    ("ncpus", "4; rm -rf ~"),
    ("ncpus", "99999"),
    ("mem", "lots"),
    ("mem", "-4gb"),
    ("mem", "16gb$(reboot)"),
    ("walltime", "99:00:00"),
    ("walltime", "`id`"),
    ("walltime", "1:00:00\nPBS -q root"),
];

/// Relative weights of arrivals per hour of a day (midnight first): a late-morning peak,
/// a smaller one after lunch, few at night.
const DAY_PROFILE: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 16, 10, 14, 16, 14, 10, 7, 5, 4, 3, 2, 2, 1,
];

impl World<'_> {
    /// Creates the users and schedules their first clicks.
    pub fn create_users(&mut self) {
        let count = self.s.users.count as usize;
        for i in 0..count {
            let name = format!("nbuser{:04}", i + 1);
            let key = ServerKey::new(name.as_str(), "");
            let mut user = UserSim {
                name,
                key,
                session: 0,
                idle: false,
                canceller: false,
                invalid_pending: false,
                options: BTreeMap::new(),
            };
            self.draw_session(&mut user);
            self.users.push(user);
            let at = self.first_arrival();
            self.queue.push(at, Ev::UserClick { user: i });
        }
    }

    /// When a user's first session begins, ms.
    fn first_arrival(&mut self) -> u64 {
        match &self.s.users.arrival {
            Arrival::Burst { start, over } => ms(*start) + self.rng.gen_range(0..=ms(*over)),
            Arrival::Day => {
                let total: u32 = DAY_PROFILE.iter().sum();
                let mut pick = self.rng.gen_range(0..total);
                let mut hour = 0;
                for (h, w) in DAY_PROFILE.iter().enumerate() {
                    if pick < *w {
                        hour = h as u64;
                        break;
                    }
                    pick -= w;
                }
                // The day's profile is stretched over the run's duration.
                let hour_ms = ms(self.s.duration) / 24;
                hour * hour_ms + self.rng.gen_range(0..hour_ms.max(1))
            }
        }
    }

    /// Draws what this session's user will do.
    fn draw_session(&mut self, user: &mut UserSim) {
        let u = &self.s.users;
        user.idle = self.rng.gen_bool(u.idle_share);
        user.canceller = self.rng.gen_bool(u.cancel_share);
        user.invalid_pending = self.rng.gen_bool(u.invalid_share);
        let total: u64 = u.options.iter().map(|o| u64::from(o.weight)).sum();
        let mut pick = self.rng.gen_range(0..total.max(1));
        for choice in &u.options {
            if pick < u64::from(choice.weight) {
                user.options = choice.values.clone();
                break;
            }
            pick -= u64::from(choice.weight);
        }
    }

    /// A user clicks "start".
    pub fn user_click(&mut self, index: usize) {
        if !self.users_active {
            return;
        }
        self.counts.spawn_requests += 1;
        let user = self.users[index].clone();
        if !self.hub.up {
            // The hub's page does not answer: the user tries again a minute later.
            self.counts.requests_while_hub_down += 1;
            self.queue
                .push(self.now + 60_000, Ev::UserClick { user: index });
            return;
        }
        if self.hub.state(&user.key).is_active() {
            return;
        }
        let mut options = user.options.clone();
        if user.invalid_pending {
            let (field, value) = MISTAKES[self.rng.gen_range(0..MISTAKES.len())];
            options.insert(field.to_string(), value.to_string());
        }
        let Ok(owner) = UserName::new(user.name.as_str()) else {
            return;
        };
        if let Err(errors) = form::validate(&self.hub.form, &options, &owner) {
            // The form shows the error; the user corrects it and asks again.
            if !user.invalid_pending {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                self.checks
                    .valid_input_refused(self.now, &user.key, &list.join("; "));
            }
            self.counts.invalid_requests += 1;
            self.users[index].invalid_pending = false;
            self.queue
                .push(self.now + 30_000, Ev::UserClick { user: index });
            return;
        }
        if user.invalid_pending {
            self.checks
                .invalid_input_accepted(self.now, &user.key, &options);
        }
        self.spawns.insert(
            user.key.clone(),
            SpawnRecord {
                click_at: self.now,
                user: index,
                session: user.session,
                invalid_input: user.invalid_pending,
                ran: false,
            },
        );
        self.apply(&user.key, Event::StartRequested, Some(options));
        if user.canceller {
            let patience = self.draw(self.s.users.patience_min, self.s.users.patience_max);
            let session = user.session;
            self.queue.push(
                self.now + patience,
                Ev::UserCancel {
                    user: index,
                    session,
                },
            );
        }
        self.admit();
    }

    /// A user (or the culler) stops their server.
    pub fn user_stop(&mut self, index: usize, session: u32, culler: bool) {
        let user = &self.users[index];
        if user.session != session || (!culler && !self.users_active) {
            return;
        }
        let key = user.key.clone();
        if !self.hub.up {
            let ev = if culler {
                Ev::CullStop {
                    user: index,
                    session,
                }
            } else {
                Ev::UserStop {
                    user: index,
                    session,
                }
            };
            self.queue.push(self.now + 60_000, ev);
            return;
        }
        if self.hub.state(&key).is_active() {
            self.apply(&key, Event::StopRequested, None);
            self.admit();
        }
    }

    /// A user gives up while their job waits in the queue.
    pub fn user_cancel(&mut self, index: usize, session: u32) {
        let user = &self.users[index];
        if user.session != session || !self.users_active || !self.hub.up {
            return;
        }
        let key = user.key.clone();
        if matches!(
            self.hub.state(&key),
            ServerState::Waiting { .. } | ServerState::Queued { .. }
        ) {
            self.counts.spawns_cancelled += 1;
            self.apply(&key, Event::StopRequested, None);
            self.admit();
        }
    }

    /// Follows a server's changes of phase: latencies, outcomes, the user's next move.
    pub fn on_transition(&mut self, key: &ServerKey, before: &ServerState, after: &ServerState) {
        self.rec.phase(self.now, key, after.name());
        if before.name() == after.name() {
            return;
        }
        if let ServerState::Failed { reason, .. } = after {
            let message = reason.message(&self.terms);
            self.checks.failure_explained(self.now, key, &message);
            *self
                .counts
                .spawns_failed
                .entry(fail_kind(reason))
                .or_default() += 1;
        }
        let Some(record) = self.spawns.get(key).cloned() else {
            return;
        };
        match after {
            ServerState::Running { job, .. } if !record.ran => {
                self.counts.spawns_running += 1;
                let latency = (self.now - record.click_at) / 1000;
                let free = self.job_did_not_queue(job);
                self.rec.spawn_latency(latency, free);
                if let Some(r) = self.spawns.get_mut(key) {
                    r.ran = true;
                }
                let user = &self.users[record.user];
                let (idle, session) = (user.idle, user.session);
                let work = self.draw(self.s.users.session_min, self.s.users.session_max);
                if !idle {
                    let ev = Ev::UserStop {
                        user: record.user,
                        session,
                    };
                    self.queue.push(self.now + work, ev);
                } else if let Some(cull) = self.s.hub.cull_idle {
                    let ev = Ev::CullStop {
                        user: record.user,
                        session,
                    };
                    self.queue.push(self.now + work + ms(cull), ev);
                }
            }
            ServerState::Stopped { last } if before.is_active() => {
                if matches!(before, ServerState::Running { .. }) {
                    self.check_walltime_warning(key, before.job());
                    self.warned.remove(key);
                }
                if record.ran {
                    self.counts.servers_stopped += 1;
                    if matches!(last, Some(e) if matches!(e.cause, EndCause::JobEnded { .. })) {
                        self.counts.servers_ended_by_job += 1;
                    }
                }
                self.session_over(record.user);
            }
            ServerState::Failed { .. } if before.is_active() => self.session_over(record.user),
            _ => {}
        }
    }

    /// The session ended: the user comes back for the next one after a pause.
    fn session_over(&mut self, index: usize) {
        let mut user = self.users[index].clone();
        user.session += 1;
        self.draw_session(&mut user);
        let more = user.session < self.s.users.sessions;
        self.users[index] = user;
        if more {
            let gap = self.draw(self.s.users.gap_min, self.s.users.gap_max);
            self.queue
                .push(self.now + gap, Ev::UserClick { user: index });
        }
    }

    /// Whether `job` started without waiting in the queue (nodes were free).
    fn job_did_not_queue(&self, job: &drivers::JobId) -> bool {
        self.engine
            .key_of(job.as_str())
            .and_then(|k| self.engine.job(k))
            .and_then(|j| j.started.map(|s| s.saturating_sub(j.queued_at) <= 1))
            .unwrap_or(false)
    }
}

/// A failure's kind, for counting: the reason's variant name.
fn fail_kind(reason: &hub::spawner::FailReason) -> String {
    let debug = format!("{reason:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("Unknown")
        .to_string()
}

/// The scenario's form choices checked against the form before the run: a scenario whose
/// "valid" choices the form refuses tests nothing.
pub fn check_choices(s: &Scenario, form: &form::FormConfig) -> Result<(), (String, String)> {
    let Ok(owner) = UserName::new("nbuser0001") else {
        return Ok(());
    };
    for (i, choice) in s.users.options.iter().enumerate() {
        if let Err(errors) = form::validate(form, &choice.values, &owner) {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err((
                format!("users.options[{i}].values"),
                format!("the hub's form refuses these values: {}", list.join("; ")),
            ));
        }
    }
    Ok(())
}
