//! The engine behind the [`drivers::Scheduler`] trait, on tokio time.
//!
//! Simulated time is `start + elapsed × speedup`, where `elapsed` is tokio's clock: real time
//! in a normal runtime, virtual time under `#[tokio::test(start_paused = true)]` (days of
//! cluster time pass in milliseconds when a test sleeps). The engine is advanced lazily, on
//! every call, to the current simulated time: everything a caller can observe is exactly what
//! an eagerly-driven engine would show, with no background task to start or stop.

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use drivers::resources::Pbse;
use drivers::{
    FoundJob, JobId, JobName, JobSpec, JobState, JobStatus, Scheduler, SchedulerError, StatusMap,
    UserName,
};
use tokio::time::Instant;

use crate::engine::config::EngineConfig;
use crate::engine::inventory::Inventory;
use crate::engine::job::{Behaviour, SubmitRequest};
use crate::engine::res::SimTime;
use crate::engine::{ConfigError, Engine};

/// How the in-process cluster maps tokio time and what its jobs do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimOptions {
    /// Simulated seconds per tokio second (1.0 = real time).
    pub speedup: f64,
    /// Simulated time at creation; `None` for the engine configuration's `start_time`.
    pub start: Option<SimTime>,
    /// What every submitted job does once running. The default — run until deleted or
    /// killed at the walltime — is how a notebook server behaves.
    pub behaviour: Behaviour,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            speedup: 1.0,
            start: None,
            behaviour: Behaviour::default(),
        }
    }
}

/// A simulated PBS cluster usable as `Arc<dyn Scheduler>`.
#[derive(Debug, Clone)]
pub struct SimScheduler {
    engine: Arc<Mutex<Engine>>,
    origin: Instant,
    start: SimTime,
    speedup: f64,
    behaviour: Behaviour,
}

impl SimScheduler {
    /// A cluster with `config` over `inventory`. Must be called inside a tokio runtime.
    pub fn new(
        config: EngineConfig,
        inventory: &Inventory,
        options: SimOptions,
    ) -> Result<SimScheduler, ConfigError> {
        let start = options.start.unwrap_or(config.start_time);
        let mut config = config;
        config.start_time = start;
        let engine = Engine::new(config, inventory)?;
        Ok(SimScheduler {
            engine: Arc::new(Mutex::new(engine)),
            origin: Instant::now(),
            start,
            speedup: options.speedup,
            behaviour: options.behaviour,
        })
    }

    /// The default Palmetto-like 2000-node cluster, in real time.
    pub fn palmetto() -> SimScheduler {
        SimScheduler::new(
            EngineConfig::palmetto(),
            &Inventory::palmetto(),
            SimOptions::default(),
        )
        .expect("the built-in configuration is valid")
    }

    /// The simulated time now.
    pub fn now(&self) -> SimTime {
        let elapsed = self.origin.elapsed().as_secs_f64() * self.speedup;
        self.start.saturating_add(elapsed as u64)
    }

    /// The engine, advanced to now, for direct inspection or fault injection (node failures,
    /// holds). Do not hold the guard across an `.await`.
    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        engine.advance_to(self.now());
        engine
    }
}

#[async_trait]
impl Scheduler for SimScheduler {
    async fn submit(&self, spec: &JobSpec) -> Result<JobId, SchedulerError> {
        let now = self.now();
        let mut engine = self.engine();
        let request = SubmitRequest {
            owner: spec.owner.to_string(),
            name: spec.name.to_string(),
            queue: spec.queue.clone(),
            resources: spec.resources.clone(),
            behaviour: self.behaviour,
            hold: false,
            rerunnable: true,
        };
        let key = engine.submit(now, request)?;
        Ok(engine.job_id(key))
    }

    async fn status(&self, ids: &[JobId]) -> StatusMap {
        let engine = self.engine();
        ids.iter()
            .map(|id| {
                let status = engine
                    .key_of(id.as_str())
                    .and_then(|key| engine.status(key))
                    .unwrap_or_else(|| gone(id));
                (id.clone(), status)
            })
            .collect()
    }

    async fn cancel(&self, id: &JobId) -> Result<(), SchedulerError> {
        let now = self.now();
        let mut engine = self.engine();
        let Some(key) = engine.key_of(id.as_str()) else {
            return Err(SchedulerError::UnknownJob(id.clone()));
        };
        match engine.delete(now, key) {
            Ok(()) => Ok(()),
            // Already over: what the caller wanted is true.
            Err(e) if e.code() == Pbse::HistJobId => Ok(()),
            Err(e) if e.code() == Pbse::UnkJobId => Err(SchedulerError::UnknownJob(id.clone())),
            Err(e) => Err(e.into()),
        }
    }

    async fn find_jobs(
        &self,
        owner: &UserName,
        name: &JobName,
    ) -> Result<Vec<FoundJob>, SchedulerError> {
        Ok(self.engine().find_jobs(owner.as_str(), name.as_str()))
    }
}

/// The in-process server is authoritative: a job it does not know has ended and left its
/// history. Reported as finished with no exit status, and said so in the comment.
pub fn gone(id: &JobId) -> JobStatus {
    JobStatus {
        state: JobState::Finished,
        comment: Some(format!("Unknown Job Id {id}")),
        query_error: None,
        ..JobStatus::unknown("")
    }
}
