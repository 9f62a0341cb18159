//! [`ServerState`]: the persisted state of one server, and why a server stopped or failed.
//!
//! The state is the whole truth about a server: the shell persists it (as JSON) before it
//! acts on a transition, and a restarted hub rebuilds everything from it and the scheduler.
//! It holds no secret (no token, no environment): the job spec is built by the shell at
//! submit time, from the user's options it stores anyway.

use std::fmt;

use chrono::{DateTime, Utc};
use drivers::JobId;
use serde::{Deserialize, Serialize};

use super::terms::SchedulerTerms;

/// Which server: a user's default server has the name `""`, named servers their name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServerKey {
    /// The hub user's name.
    pub user: String,
    /// The server's name; empty for the default server.
    pub name: String,
}

impl ServerKey {
    /// The key of `user`'s server called `name` (`""` for the default one).
    pub fn new(user: impl Into<String>, name: impl Into<String>) -> Self {
        ServerKey {
            user: user.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.user, self.name)
    }
}

/// The state of one server. Each variant says what the hub is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ServerState {
    /// No job. `last` says how the previous run ended, if there was one.
    Stopped {
        /// How the last run ended; `None` if the server never ran.
        last: Option<Ended>,
    },
    /// Asked to start, waiting for a slot under the concurrent-spawn limit.
    Waiting {
        /// When the start was asked for; the line is ordered by it.
        since: DateTime<Utc>,
    },
    /// `submit` has been sent; its answer (the job id) has not come back.
    Submitting {
        /// When the submit was sent.
        since: DateTime<Utc>,
    },
    /// The hub restarted while a submit was on its way (the server was `Submitting`): it
    /// asks the scheduler for the job that submit may have made before deciding. Exactly
    /// one candidate is adopted; none fails the spawn; several are left alone (never
    /// deleted on a guess).
    Adopting {
        /// When the interrupted submit began: jobs queued before it (less a clock-skew
        /// slack) cannot be its job.
        since: DateTime<Utc>,
        /// When the lookup was last sent.
        sent: DateTime<Utc>,
        /// Why the last lookup failed, if it did; it is sent again after
        /// [`SpawnerConfig::cancel_retry`](super::SpawnerConfig::cancel_retry).
        lookup_error: Option<String>,
        /// A stop was asked for meanwhile: the job found is deleted, not adopted.
        #[serde(default)]
        stop_requested: bool,
    },
    /// The job waits in the scheduler's queue (PBS `Q`, `H`, `W`, `T`).
    Queued {
        /// The job.
        job: JobId,
        /// When the job was submitted.
        since: DateTime<Utc>,
        /// What the scheduler last said about the wait.
        info: QueueInfo,
        /// The error of the last status query if it failed (the job is kept meanwhile).
        query_error: Option<String>,
    },
    /// The job runs; its notebook server has not reported its address yet.
    Starting {
        /// The job.
        job: JobId,
        /// When a poll first saw the job running: the start timeout counts from here.
        since: DateTime<Utc>,
        /// The job's `exec_host`, when the scheduler gave it.
        exec_host: Option<String>,
        /// The error of the last status query if it failed.
        query_error: Option<String>,
        /// Where the server said it listens, while the hub waits for it to answer HTTP
        /// before routing it. Persisted so that a hub restarted in that window waits again
        /// instead of waiting for a report that will not come.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reported: Option<ReportedAddress>,
    },
    /// The server reported its address and is routed.
    Running {
        /// The job.
        job: JobId,
        /// Where the proxy sends the server's traffic, e.g. `http://node0088:50065`.
        url: String,
        /// When the server reported.
        since: DateTime<Utc>,
        /// The error of the last status query if it failed.
        query_error: Option<String>,
    },
    /// The job is being deleted.
    Stopping {
        /// The job; `None` while the submit's answer has not come back (the job it returns
        /// is cancelled as soon as it does).
        job: Option<JobId>,
        /// When the stop began.
        since: DateTime<Utc>,
        /// Why: decides whether the server ends `Stopped` or `Failed`.
        reason: StopReason,
        /// When `cancel` was last sent (`None`: not yet, the job id is awaited).
        cancel_sent: Option<DateTime<Utc>>,
        /// Why the last `cancel` failed, if it did; it is sent again after a while.
        cancel_error: Option<String>,
        /// The error of the last status query if it failed.
        query_error: Option<String>,
        /// While `job` is `None`: when the submit whose answer is awaited began. A hub
        /// restarted before that answer came looks the job up from then (`adopt`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        submit_since: Option<DateTime<Utc>>,
    },
    /// The spawn failed; the server has no job.
    Failed {
        /// Why, in words the user can act on.
        reason: FailReason,
        /// The job, if one was submitted (its output may be read for `output_tail`).
        job: Option<JobId>,
        /// The job's exit status, when the scheduler gave one.
        exit_status: Option<i32>,
        /// The last lines of the job's output, once the shell has read them.
        output_tail: Option<String>,
        /// When it failed.
        at: DateTime<Utc>,
    },
}

impl ServerState {
    /// A server that never ran.
    pub fn new() -> Self {
        ServerState::Stopped { last: None }
    }

    /// The job this state tracks: the one to poll and, on stop, to cancel.
    pub fn job(&self) -> Option<&JobId> {
        match self {
            ServerState::Queued { job, .. }
            | ServerState::Starting { job, .. }
            | ServerState::Running { job, .. } => Some(job),
            ServerState::Stopping { job, .. } => job.as_ref(),
            ServerState::Stopped { .. }
            | ServerState::Waiting { .. }
            | ServerState::Submitting { .. }
            | ServerState::Adopting { .. }
            | ServerState::Failed { .. } => None,
        }
    }

    /// Whether the server is on its way up, up, or on its way down (not `Stopped`/`Failed`).
    pub fn is_active(&self) -> bool {
        !matches!(
            self,
            ServerState::Stopped { .. } | ServerState::Failed { .. }
        )
    }

    /// Whether a spawn is in progress (JupyterHub's "pending spawn"): the states a progress
    /// stream follows.
    pub fn is_spawning(&self) -> bool {
        matches!(
            self,
            ServerState::Waiting { .. }
                | ServerState::Submitting { .. }
                | ServerState::Adopting { .. }
                | ServerState::Queued { .. }
                | ServerState::Starting { .. }
        )
    }

    /// The state's name, as stored in the JSON `state` field.
    pub fn name(&self) -> &'static str {
        match self {
            ServerState::Stopped { .. } => "stopped",
            ServerState::Waiting { .. } => "waiting",
            ServerState::Submitting { .. } => "submitting",
            ServerState::Adopting { .. } => "adopting",
            ServerState::Queued { .. } => "queued",
            ServerState::Starting { .. } => "starting",
            ServerState::Running { .. } => "running",
            ServerState::Stopping { .. } => "stopping",
            ServerState::Failed { .. } => "failed",
        }
    }

    /// The error of the last failed status query (or lookup), if the last one failed.
    pub fn query_error(&self) -> Option<&str> {
        match self {
            ServerState::Queued { query_error, .. }
            | ServerState::Starting { query_error, .. }
            | ServerState::Running { query_error, .. }
            | ServerState::Stopping { query_error, .. } => query_error.as_deref(),
            ServerState::Adopting { lookup_error, .. } => lookup_error.as_deref(),
            _ => None,
        }
    }
}

impl Default for ServerState {
    fn default() -> Self {
        ServerState::new()
    }
}

/// What the scheduler last said about a queued job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueInfo {
    /// The PBS state letter (`Q`, `H`, `W`, `T`): held is not the same wait as queued.
    pub letter: Option<char>,
    /// The scheduler's comment, e.g. "Not Running: Insufficient amount of resource: ngpus".
    pub comment: Option<String>,
    /// When the scheduler expects the job to start, if it has calendared it.
    pub estimated_start: Option<DateTime<Utc>>,
    /// The queue the job waits in.
    pub queue: Option<String>,
    /// When the job entered that queue (orders the hub's jobs for queue positions).
    pub queued_at: Option<DateTime<Utc>>,
}

/// A notebook server's reported address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedAddress {
    /// The host (from the report, or the job's exec host).
    pub host: String,
    /// The port the server bound.
    pub port: u16,
}

/// Why a server is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The user (or an admin, or the idle culler) asked: the server ends `Stopped`.
    Requested,
    /// The job ran but its server did not report in time: the server ends `Failed`.
    StartTimeout,
    /// The job waited longer than the configured queue timeout: the server ends `Failed`.
    QueueTimeout,
}

/// How a run ended without failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ended {
    /// When the hub learnt it.
    pub at: DateTime<Utc>,
    /// What ended it.
    pub cause: EndCause,
}

/// What ended a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum EndCause {
    /// A stop was asked for and done.
    Requested,
    /// The job of a running server ended by itself (walltime, the user quit Jupyter, a node
    /// failed, a `qdel` from outside the hub).
    JobEnded {
        /// The job's exit status, if the scheduler gave one.
        exit_status: Option<i32>,
        /// The scheduler's comment on the job.
        comment: Option<String>,
    },
}

/// Why a spawn failed, in words a user can act on ([`FailReason::message`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FailReason {
    /// The scheduler refused the job; `message` is its own words (e.g. PBS's
    /// "Job exceeds queue resource limits").
    SubmitRefused {
        /// The scheduler's error, verbatim.
        message: String,
    },
    /// The scheduler could not be reached to submit the job; trying again may work.
    SubmitUnavailable {
        /// What went wrong.
        message: String,
    },
    /// The hub restarted while the submit was on its way, and the scheduler knows no job
    /// that submit could have made.
    SubmitInterrupted,
    /// The hub restarted while the submit was on its way, and the scheduler has several
    /// jobs that submit could have made: the hub cannot tell which is this server's, so it
    /// left them all alone.
    SubmitAmbiguous {
        /// The candidate jobs, none tracked, none deleted.
        jobs: Vec<JobId>,
    },
    /// The job ended before its server reported (an error in the job's start-up, a node
    /// failure, a `qdel` from outside the hub).
    JobEndedBeforeReady {
        /// The scheduler's comment on the job.
        comment: Option<String>,
    },
    /// The job ran but the server did not report within the start timeout; the job was
    /// deleted.
    StartTimeout {
        /// The timeout, in seconds.
        after_secs: u64,
    },
    /// The job waited in the queue longer than the site allows; it was deleted.
    QueueTimeout {
        /// The timeout, in seconds.
        after_secs: u64,
    },
}

impl FailReason {
    /// The explanation shown to the user, in `terms`' words.
    pub fn message(&self, terms: &SchedulerTerms) -> String {
        match self {
            FailReason::SubmitRefused { message } => {
                format!("The scheduler refused the job: {message}")
            }
            FailReason::SubmitUnavailable { message } => format!(
                "The scheduler could not be reached to submit the job ({message}). \
                 Try again in a few minutes."
            ),
            FailReason::SubmitInterrupted => format!(
                "The hub restarted while submitting your job, and the scheduler has no job \
                 from that submit: start your server again. If you see a job of yours that \
                 the hub does not show, check with {} and delete it with {}.",
                terms.status_command, terms.cancel_command
            ),
            FailReason::SubmitAmbiguous { jobs } => {
                let list: Vec<&str> = jobs.iter().map(JobId::as_str).collect();
                format!(
                    "The hub restarted while submitting your job, and the scheduler has \
                     several jobs that submit could have made: {}. The hub cannot tell which \
                     one is this server's, so it left them all as they are and tracks none. \
                     Check them with {}, delete those you do not want with {}, then start \
                     your server again.",
                    list.join(", "),
                    terms.status_command,
                    terms.cancel_command
                )
            }
            FailReason::JobEndedBeforeReady { comment } => {
                let mut text = "Your job ended before the notebook server started".to_string();
                if let Some(comment) = comment {
                    text.push_str(&format!(" (the scheduler says: {comment})"));
                }
                text.push_str(". Its output below may say why.");
                text
            }
            FailReason::StartTimeout { after_secs } => format!(
                "Your job started, but the notebook server did not report within \
                 {after_secs} s, so the job was deleted. Its output below may say why."
            ),
            FailReason::QueueTimeout { after_secs } => format!(
                "Your job waited in the queue for more than {after_secs} s, so it was \
                 deleted. Ask for fewer resources or another {}, or try later.",
                terms.queue.to_lowercase()
            ),
        }
    }
}

/// Explains an exit status as the drivers report it (PBS's conventions, which the Slurm
/// driver follows): `0`, a plain exit code, `256 + signal`, or a negative code for a job the
/// scheduler could not run (`-29`: it exceeded its time limit), in `terms`' words.
pub fn describe_exit_status(status: i32, terms: &SchedulerTerms) -> String {
    match status {
        -29 => format!("-29: the job exceeded its {}", terms.walltime_in_text()),
        s if s < 0 => format!("{s}: {} could not run the job", terms.scheduler),
        s if s > 256 => format!("{s}: killed by signal {}", s - 256),
        s => format!("exit status {s}"),
    }
}
