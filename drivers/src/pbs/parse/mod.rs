//! Pure readers of what PBS Pro's commands print: `qstat -f -F json`, `qstat -f`, `qsub`'s job
//! id and the commands' error lines (reference `pbs-pro.md` §1.4–1.5, §3.3–3.6, §4, §7).
//!
//! Nothing here runs a process or reads a clock; the driver hands in the text it captured.
//!
//! Layout (the modules are private; everything public is re-exported here):
//! - `json` — [`qstat_json`]: both JSON generators (old 4-space with bare numbers, new cJSON).
//! - `text` — [`qstat_full_text`]: the `qstat -f` text, 78-column wrapped values re-joined.
//! - `status` — the attributes both read, turned into a [`JobStatus`].
//! - `cluster` — [`qstat_server_state_count`] and [`pbsnodes_states`]: the admin page's
//!   cluster summary.
//! - `ctime` — [`ctime()`]: PBS's `ctime()` timestamps, in the local zone.
//! - `qsub` — [`qsub_job_id`].
//! - `stderr` — [`pbs_error`]: an error line read back into a [`PbsError`](crate::resources::PbsError).
//! - `error` — [`ParseError`].
//!
//! # How a bad answer is reported
//!
//! The hub reads one answer for thousands of jobs, so one odd job must not blind it to the
//! others. The rule is:
//! - something wrong with the **document** (not JSON, a `Job Id:` line without an id, an
//!   attribute before any `Job Id:`) is a [`ParseError`] for the whole answer;
//! - something wrong inside **one job** — no `job_state`, a state letter PBS does not use, a
//!   `substate` or `Exit_status` that is not an integer — makes that job
//!   [`JobState::Unknown`](crate::JobState::Unknown) with `query_error` saying what was wrong;
//!   the fields that could be read are still filled in. `query_error` is `None` for every job
//!   that was read cleanly.
//! - a timestamp that cannot be read is left `None` (times are informative; they never decide
//!   a job's fate).
//!
//! # When the JSON is broken
//!
//! The old JSON generator can print invalid JSON for values inside `Variable_List` that we do
//! not even read: a `qsub -V` environment holding exported bash functions (openpbs issue
//! #2541) or a value such as `005` printed as a bare number (#1255). Such an answer is
//! [`ParseError::NotJson`] as a whole; the driver should then ask again with `qstat -f` and
//! read it with [`qstat_full_text`], which does not depend on those values.
//!
//! # Time zone
//!
//! `qstat` prints times with `ctime()` in the zone of the machine it runs on, without saying
//! which. [`ctime()`] reads them in this process's local zone ([`chrono::Local`]), so the driver
//! must run `qstat` with the same `TZ` as the hub (do not set `TZ` for the child, and do not
//! run it on a machine with another zone). In the repeated hour when clocks go back the
//! earlier instant is chosen.

mod cluster;
mod ctime;
mod error;
mod json;
mod qsub;
mod status;
mod stderr;
mod text;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod render;
#[cfg(test)]
mod tests;

pub use cluster::{pbsnodes_states, qstat_server_state_count};
pub use ctime::ctime;
pub use error::ParseError;
pub use json::qstat_json;
pub use qsub::qsub_job_id;
pub use stderr::pbs_error;
pub use text::qstat_full_text;

use crate::JobStatus;

/// One job as qstat described it.
#[derive(Debug, Clone, PartialEq)]
pub struct QstatJob {
    /// The id exactly as qstat printed it, e.g. `123.pbs02` or `123.pbs02.cluster.edu`.
    pub id: String,
    /// `Job_Name`, when printed.
    pub name: Option<String>,
    /// `Job_Owner` (`user@host`), when printed.
    pub owner: Option<String>,
    /// What it says about the job.
    pub status: JobStatus,
}
