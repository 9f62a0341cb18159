//! Walltime warnings: a server killed at its walltime must have shown its user the warning
//! first. The runner looks at what the home page's card would say (the hub's own
//! `ServerView::time_left`) at every sample.

use std::time::Duration;

use drivers::resources::Walltime;
use hub::control::ServerView;
use hub::form;
use hub::spawner::{ServerKey, ServerState};
use pbs_sim::engine::job::{Comment, EndReason};

use super::World;

/// The home page warns below this much walltime left (the hub's `WALLTIME_WARNING`).
pub const WARNING: Duration = Duration::from_secs(10 * 60);

impl World<'_> {
    /// At a sample: notes the running servers whose card shows the warning now.
    pub fn look_at_time_left(&mut self) {
        let now = self.hub_now();
        let mut warned = Vec::new();
        for (key, entry) in &self.hub.servers {
            if !matches!(entry.state, ServerState::Running { .. }) {
                continue;
            }
            let mut view = ServerView::never_started(key.clone());
            view.state = entry.state.clone();
            view.walltime = entry
                .options
                .get(form::spec::WALLTIME)
                .and_then(|text| text.parse::<Walltime>().ok());
            view.job_started = entry.job_started;
            if view.time_left(now).is_some_and(|left| left < WARNING) {
                warned.push(key.clone());
            }
        }
        self.warned.extend(warned);
    }

    /// A running server stopped: if its job was killed at its walltime, it must have been
    /// warned (when its walltime was long enough for a warning to show).
    pub fn check_walltime_warning(&mut self, key: &ServerKey, job: Option<&drivers::JobId>) {
        let Some(job) = job
            .and_then(|id| self.job_keys.get(id))
            .and_then(|k| self.engine.job(*k))
        else {
            return;
        };
        let killed = matches!(
            job.comment,
            Comment::Ran {
                end: Some(EndReason::Walltime),
                ..
            }
        );
        let long_enough = job.need.walltime >= 2 * WARNING.as_secs();
        if killed && long_enough && !self.warned.contains(key) {
            let at = self.now;
            self.checks.violate(
                "walltime_warned",
                at,
                format!("{key} was killed at its walltime without the warning showing first"),
            );
        }
        if killed {
            self.counts.walltime_kills += 1;
        }
    }
}
