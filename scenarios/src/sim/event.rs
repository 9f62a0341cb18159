//! [`Ev`]: everything that can happen in a run, scheduled on the [`super::queue::Queue`].
//!
//! Answers to the hub's own calls carry the hub's `epoch`: a hub killed meanwhile never
//! hears them (its tasks died with it), though what they did at the scheduler stays done.

use drivers::{JobId, StatusMap};
use hub::spawner::{PollPlan, ServerKey, SubmitError};
use pbs_sim::engine::job::{JobKey, SubmitRequest};

/// Something due at a virtual time.
#[derive(Debug)]
pub enum Ev {
    /// The hub's poller: one batched `qstat`.
    PollTick,
    /// The answer of a `qstat` sent by the hub of `epoch`.
    PollAnswer {
        /// The hub that asked.
        epoch: u64,
        /// Whose answer each job is.
        plan: PollPlan,
        /// What `qstat` said.
        answer: StatusMap,
    },
    /// The hub's periodic route reconciliation.
    ReconcileTick,
    /// The hub's check that the proxy answers.
    ProxyCheck,
    /// A `qsub` reaches the PBS server.
    QsubArrives {
        /// The hub that sent it.
        epoch: u64,
        /// The server it is for.
        key: ServerKey,
        /// What it asks for.
        request: Box<SubmitRequest>,
        /// The request came from form input that should have been refused.
        invalid: bool,
    },
    /// `qsub`'s answer reaches the hub.
    QsubAnswer {
        /// The hub that sent it.
        epoch: u64,
        /// The server it is for.
        key: ServerKey,
        /// The job id or PBS's refusal.
        result: Result<JobId, SubmitError>,
    },
    /// A `qdel` reaches the PBS server.
    QdelArrives {
        /// The hub that sent it.
        epoch: u64,
        /// The server it is for.
        key: ServerKey,
        /// The job.
        job: JobId,
    },
    /// `qdel`'s answer reaches the hub.
    QdelAnswer {
        /// The hub that sent it.
        epoch: u64,
        /// The server it is for.
        key: ServerKey,
        /// The job.
        job: JobId,
        /// Whether PBS took the delete.
        result: Result<(), String>,
    },
    /// The lookup of an interrupted submit's job answers.
    FindAnswer {
        /// The hub that asked.
        epoch: u64,
        /// The server it is for.
        key: ServerKey,
        /// When the interrupted submit began.
        since: chrono::DateTime<chrono::Utc>,
        /// The owner's jobs with the hub's job name, or the error.
        found: Result<Vec<drivers::FoundJob>, String>,
    },
    /// The shell's answer to reading a failed job's output.
    OutputTail {
        /// The hub that asked.
        epoch: u64,
        /// The server.
        key: ServerKey,
        /// The job.
        job: JobId,
    },
    /// A notebook server (job `key`, in its `run`-th run) reports its address.
    Report {
        /// The engine's job.
        key: JobKey,
        /// Which run of the job (a requeued job runs again).
        run: u32,
        /// How many reports it has sent before.
        attempt: u32,
    },
    /// The reported server answers HTTP: the hub routes it.
    Answering {
        /// The hub that is waiting for it.
        epoch: u64,
        /// The server.
        server: ServerKey,
        /// Where it listens.
        host: String,
        /// Its port.
        port: u16,
    },
    /// A notebook job's process ends (killed, or dying on its own).
    ScriptExit {
        /// The engine's job.
        key: JobKey,
        /// Which run.
        run: u32,
        /// Its exit status.
        status: i32,
    },
    /// A user asks for their server.
    UserClick {
        /// The user's index.
        user: usize,
    },
    /// A user stops their server (session over).
    UserStop {
        /// The user's index.
        user: usize,
        /// Their session then.
        session: u32,
    },
    /// The idle culler stops a server whose user left.
    CullStop {
        /// The user's index.
        user: usize,
        /// Their session then.
        session: u32,
    },
    /// A user gives up waiting while the job is queued.
    UserCancel {
        /// The user's index.
        user: usize,
        /// Their session then.
        session: u32,
    },
    /// The `i`-th fault of the scenario begins.
    FaultBegins {
        /// Its index in the scenario.
        index: usize,
    },
    /// A fault's effect ends (nodes back, hub or proxy up again).
    FaultEnds {
        /// Its index in the scenario.
        index: usize,
    },
    /// The report samples the cluster and the hub.
    Sample,
    /// The safety phase ends: faults stop, users go home.
    SafetyEnds,
}
