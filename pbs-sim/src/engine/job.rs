//! A job inside the engine: its request, compiled needs, state, times and comment.

use drivers::resources::ResourceList;
use drivers::JobState;

use super::cluster::{Allocation, JobNeed};
use super::res::{Res, SimTime};

/// The engine's key for a job: a sequence number, unique for the engine's life.
pub type JobKey = u64;

/// How a job behaves once it starts: the simulator's stand-in for the job script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Behaviour {
    /// Seconds the script runs; `None` runs until deleted or killed at its walltime (a
    /// notebook server).
    pub runtime: Option<u64>,
    /// Its exit status when it ends by itself.
    pub exit_status: i32,
    /// The script runs outside the engine (a real process started by the daemon): the
    /// engine never ends it by itself. Killed (qdel, walltime, node failure), it stays in
    /// `E` until [`super::Engine::script_exited`] says the process is gone.
    pub external: bool,
}

/// What to submit to the engine (what `qsub` sends the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitRequest {
    /// The submitting user (`Job_Owner` before the `@`).
    pub owner: String,
    /// `Job_Name`.
    pub name: String,
    /// The destination queue, or the default queue.
    pub queue: Option<String>,
    /// The resources asked for.
    pub resources: ResourceList,
    /// What the job does once running.
    pub behaviour: Behaviour,
    /// Submitted with a user hold (`qsub -h`).
    pub hold: bool,
    /// `Rerunable`: requeued rather than failed when its node dies.
    pub rerunnable: bool,
}

impl SubmitRequest {
    /// A rerunnable, unheld job.
    pub fn new(owner: &str, name: &str, resources: ResourceList, behaviour: Behaviour) -> Self {
        SubmitRequest {
            owner: owner.to_string(),
            name: name.to_string(),
            queue: None,
            resources,
            behaviour,
            hold: false,
            rerunnable: true,
        }
    }
}

/// Why a job is not running, or how it ran: PBS's `comment`, kept as data and worded only
/// when someone asks (most comments of a long simulation are never read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comment {
    /// No comment yet.
    None,
    /// `Not Running: Insufficient amount of resource: <res> (R: r A: a T: t)`, or
    /// `Can Never Run: …` when `never`.
    Insufficient {
        /// The job can never run on this cluster.
        never: bool,
        /// Which resource.
        resource: &'static str,
        /// Requested.
        requested: u64,
        /// Available now.
        available: u64,
        /// Total.
        total: u64,
    },
    /// `Can Never Run: Insufficient amount of resource: <res> (<asked> != <values>)`.
    NoSuchValue {
        /// The resource.
        resource: String,
        /// The requested value.
        asked: String,
        /// The values nodes have, comma-joined.
        values: String,
    },
    /// `Not Running: Not enough free nodes available` (or `Can Never Run: Not enough total
    /// nodes available`).
    NotEnoughNodes {
        /// The job can never run on this cluster.
        never: bool,
    },
    /// `Not Running: Job would conflict with reservation or top job`.
    WouldConflict,
    /// `Not Running: Job would break strict sorted order`.
    StrictOrder,
    /// `Not Running: Queue <q> job limit has been reached.` (the queue's `max_run`).
    QueueRunLimit {
        /// The queue.
        queue: String,
    },
    /// `Job run at <when> on <exec_vnode>` plus how it ended.
    Ran {
        /// When it started.
        at: SimTime,
        /// How it ended, if it has.
        end: Option<EndReason>,
    },
}

/// How a started job ended (the tail of its `Job run at …` comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// ` and finished` (exit 0) or ` and failed`.
    Exited,
    /// ` and exceeded resource walltime`.
    Walltime,
    /// ` and terminated by <user>@<host>`: deleted while running.
    Deleted,
    /// Requeued after its node failed: the comment is PBS's for a requeue.
    NodeFailed,
}

/// One job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its key (and sequence number).
    pub key: JobKey,
    /// `Job_Owner` user.
    pub owner: String,
    /// `Job_Name`.
    pub name: String,
    /// Index of its (execution) queue.
    pub queue: usize,
    /// The resources as requested (after queue defaults).
    pub request: ResourceList,
    /// The request compiled for placement.
    pub need: JobNeed,
    /// The script's behaviour.
    pub behaviour: Behaviour,
    /// `Rerunable`.
    pub rerunnable: bool,
    /// PBS state letter.
    pub state: JobState,
    /// PBS substate.
    pub substate: u32,
    /// The request can never be satisfied by this cluster (it stays queued, PBS style).
    pub never_runs: bool,
    /// `ctime`.
    pub created: SimTime,
    /// `qtime`.
    pub queued_at: SimTime,
    /// `stime` of the current or last run.
    pub started: Option<SimTime>,
    /// `obittime`.
    pub finished: Option<SimTime>,
    /// Where it runs (or ran, for finished jobs).
    pub alloc: Option<Allocation>,
    /// The scheduler's comment.
    pub comment: Comment,
    /// `estimated.start_time` and the reserved nodes, while it is a top job.
    pub estimate: Option<(SimTime, Allocation)>,
    /// The engine's release clock when `estimate` was computed: the estimate cannot improve
    /// until something is released on a node the job could use.
    pub estimate_stamp: u64,
    /// The node classes that could hold one of its chunks, as a bit set (`None` when the
    /// cluster has more than 64 classes): only releases there can unblock it.
    pub eligible: Option<u64>,
    /// The engine's release clock when the job was last found unable to start.
    pub blocked_stamp: Option<u64>,
    /// When last found unable to start, a top job's reservation kept it off a node.
    pub blocked_by_claims: bool,
    /// Listed in the engine's wake-up index (it is queued and was found blocked).
    pub indexed: bool,
    /// For a job of identical chunks: how many more chunks must find room before placing
    /// it can succeed (0: unknown, try).
    pub deficit: u32,
    /// `Exit_status`.
    pub exit_status: Option<i32>,
    /// `run_count`.
    pub run_count: u32,
}

impl Job {
    /// The least of each consumable that any of its chunks asks for: a node with less of
    /// any of them free can take no part of the job.
    pub fn least_chunk(&self) -> Res {
        let chunks = || self.need.chunks.iter().map(|c| c.res);
        Res {
            ncpus: chunks().map(|r| r.ncpus).min().unwrap_or(0),
            mem_kb: chunks().map(|r| r.mem_kb).min().unwrap_or(0),
            ngpus: chunks().map(|r| r.ngpus).min().unwrap_or(0),
        }
    }
}
