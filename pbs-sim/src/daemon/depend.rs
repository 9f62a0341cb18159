//! `qsub -W depend=`: whether a job's condition on other jobs holds yet, can still come
//! to hold, or never will. The server holds a dependent job (system hold, substate 22)
//! until the condition holds, then releases it; one whose condition can no longer hold is
//! deleted, as PBS deletes it.

use drivers::JobState;

use super::userjob::Dependency;
use crate::engine::Engine;

/// Where a dependency stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Every job it names is where the condition asks: the job may run.
    Met,
    /// Some job it names has not got there yet.
    Waiting,
    /// Some job it names ended in a way that can never satisfy it.
    Broken,
}

/// Where `dependency` stands on `engine`'s jobs. A job id the server does not know (its
/// history expired) breaks the condition.
pub fn standing(dependency: &Dependency, engine: &Engine) -> Standing {
    let mut all = Standing::Met;
    for id in &dependency.jobs {
        let Some(job) = engine.key_of(id).and_then(|k| engine.job(k)) else {
            return Standing::Broken;
        };
        // A job deleted before it ran has no Exit_status: it did not succeed.
        let succeeded = job.exit_status == Some(0);
        let this = match (dependency.kind.as_str(), job.state) {
            ("after", JobState::Running | JobState::Exiting | JobState::Finished) => Standing::Met,
            ("afterany", JobState::Finished) => Standing::Met,
            ("afterok", JobState::Finished) if succeeded => Standing::Met,
            ("afternotok", JobState::Finished) if !succeeded => Standing::Met,
            ("afterok" | "afternotok", JobState::Finished) => Standing::Broken,
            _ => Standing::Waiting,
        };
        match this {
            Standing::Broken => return Standing::Broken,
            Standing::Waiting => all = Standing::Waiting,
            Standing::Met => {}
        }
    }
    all
}

/// Whether every job `dependency` names is known to the server (`qsub` refuses one that
/// is not, with `Unknown Job Id`); the first unknown id otherwise.
pub fn unknown_job<'a>(dependency: &'a Dependency, engine: &Engine) -> Option<&'a str> {
    dependency
        .jobs
        .iter()
        .find(|id| engine.key_of(id).and_then(|k| engine.job(k)).is_none())
        .map(String::as_str)
}
