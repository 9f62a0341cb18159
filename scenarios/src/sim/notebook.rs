//! The notebook servers inside the jobs, as the runner plays them: a started job reports
//! its address after a start-up time (retrying while the hub does not take it), answers
//! HTTP a moment later, dies early when a fault says so, and exits when PBS kills it.

use drivers::JobState;
use hub::spawner::{server_url, Event, Refusal, ServerKey, ServerState};
use pbs_sim::engine::job::JobKey;
use rand::Rng;

use super::event::Ev;
use super::World;

/// Reports a wrapper sends before it gives up (`hub-singleuser` retries for minutes).
const MAX_REPORTS: u32 = 60;

impl World<'_> {
    /// A hub job started (run `run`, at engine time `started`): its server will report.
    pub fn notebook_started(&mut self, key: JobKey, run: u32, started_ms: u64) {
        let startup = self.draw(self.s.hub.startup_min, self.s.hub.startup_max);
        let at = started_ms.max(self.now) + startup;
        self.queue.push(
            at,
            Ev::Report {
                key,
                run,
                attempt: 0,
            },
        );
        let death = self.faults.job_death_share();
        if death > 0.0 && self.rng.gen_bool(death) {
            let max = 2 * super::ms(self.s.hub.startup_max);
            let after = self.rng.gen_range(1_000..=max.max(1_000));
            self.queue.push(
                self.now + after,
                Ev::ScriptExit {
                    key,
                    run,
                    status: 1,
                },
            );
        }
    }

    /// The wrapper reports the server's address to the hub.
    pub fn notebook_reports(&mut self, key: JobKey, run: u32, attempt: u32) {
        let Some(job) = self.engine.job(key) else {
            return;
        };
        if job.state != JobState::Running || job.run_count != run {
            return;
        }
        let Some(node) = job.alloc.as_ref().and_then(|a| a.first()).map(|s| s.node) else {
            return;
        };
        let host = self.engine.cluster().nodes[node as usize].def.name.clone();
        let Some(server) = self.jobs.get(&key).cloned() else {
            return;
        };
        let retry = |world: &mut Self| {
            if attempt + 1 < MAX_REPORTS {
                let at = world.now + super::ms(world.s.hub.report_retry);
                let next = Ev::Report {
                    key,
                    run,
                    attempt: attempt + 1,
                };
                world.queue.push(at, next);
            }
        };
        if !self.hub.up {
            retry(self);
            return;
        }
        let port = 20_000 + (key % 40_000) as u16;
        // As the hub's port-report handler (`hub::spawning`): a running server reporting
        // its own address again is fine; one reporting a new address runs again elsewhere
        // (PBS reran its job between two polls) and is re-routed once it answers.
        if let ServerState::Running { url, .. } = self.hub.state(&server) {
            if url != server_url(&host, port) {
                self.answer_later(server, host, port);
            }
            return;
        }
        let refused = self.apply(
            &server,
            Event::AddressReported {
                host: host.clone(),
                port,
            },
            None,
        );
        if refused == Some(Refusal::NotExpectingReport) {
            // 409: the wrapper tries again (the hub may not have seen the job run yet).
            retry(self);
            return;
        }
        self.answer_later(server, host, port);
    }

    /// The reported server starts answering HTTP a moment after its report.
    fn answer_later(&mut self, server: ServerKey, host: String, port: u16) {
        let answers_in = self.rng.gen_range(200..=3_000);
        let epoch = self.hub.epoch;
        self.queue.push(
            self.now + answers_in,
            Ev::Answering {
                epoch,
                server,
                host,
                port,
            },
        );
    }

    /// The reported server answers HTTP: the hub routes it.
    pub fn notebook_answers(
        &mut self,
        epoch: u64,
        server: hub::spawner::ServerKey,
        host: String,
        port: u16,
    ) {
        if epoch != self.hub.epoch || !self.hub.up {
            return;
        }
        self.apply(&server, Event::Reported { host, port }, None);
        self.admit();
    }

    /// The job's process ended with `status`.
    pub fn notebook_exits(&mut self, key: JobKey, run: u32, status: i32) {
        let Some(job) = self.engine.job(key) else {
            return;
        };
        if job.run_count != run {
            return;
        }
        let now = self.engine_now();
        self.engine.script_exited(now, key, status);
    }
}
