//! The attributes the hub needs from one job, as both `qstat` forms print them, and how they
//! become a [`JobStatus`] (the rules are in the [module doc](super)).

use std::borrow::Cow;

use crate::{JobState, JobStatus, JobTimes};

use super::ctime::ctime;
use super::QstatJob;

/// The attributes of one job that we keep, as the text qstat printed (JSON strings already
/// unescaped, JSON numbers as their literal). Everything else qstat prints is skipped.
#[derive(Debug, Default)]
pub(super) struct Attributes<'a> {
    pub job_name: Option<Cow<'a, str>>,
    pub job_owner: Option<Cow<'a, str>>,
    pub job_state: Option<Cow<'a, str>>,
    pub substate: Option<Cow<'a, str>>,
    pub queue: Option<Cow<'a, str>>,
    pub exec_host: Option<Cow<'a, str>>,
    pub exec_vnode: Option<Cow<'a, str>>,
    pub comment: Option<Cow<'a, str>>,
    pub estimated_start_time: Option<Cow<'a, str>>,
    pub exit_status: Option<Cow<'a, str>>,
    pub ctime: Option<Cow<'a, str>>,
    pub qtime: Option<Cow<'a, str>>,
    pub etime: Option<Cow<'a, str>>,
    pub stime: Option<Cow<'a, str>>,
    pub obittime: Option<Cow<'a, str>>,
}

impl<'a> Attributes<'a> {
    /// Where the attribute called `name` in `qstat -f` text goes (`estimated.start_time`
    /// for a resource-style name); `None` for an attribute we do not keep.
    pub fn slot(&mut self, name: &str) -> Option<&mut Option<Cow<'a, str>>> {
        Some(match name {
            "Job_Name" => &mut self.job_name,
            "Job_Owner" => &mut self.job_owner,
            "job_state" => &mut self.job_state,
            "substate" => &mut self.substate,
            "queue" => &mut self.queue,
            "exec_host" => &mut self.exec_host,
            "exec_vnode" => &mut self.exec_vnode,
            "comment" => &mut self.comment,
            "estimated.start_time" => &mut self.estimated_start_time,
            "Exit_status" => &mut self.exit_status,
            "ctime" => &mut self.ctime,
            "qtime" => &mut self.qtime,
            "etime" => &mut self.etime,
            "stime" => &mut self.stime,
            "obittime" => &mut self.obittime,
            _ => return None,
        })
    }

    /// The job as qstat described it: its id, owner, name and status.
    pub fn into_job(mut self, id: String) -> QstatJob {
        let name = self.job_name.take().map(Cow::into_owned);
        let owner = self.job_owner.take().map(Cow::into_owned);
        QstatJob {
            id,
            name,
            owner,
            status: self.into_status(),
        }
    }

    /// The job's status. Problems inside the job make it `Unknown` with `query_error` saying
    /// what was wrong; what could be read is kept.
    pub fn into_status(self) -> JobStatus {
        let mut problems: Vec<String> = Vec::new();
        let state = match self.job_state.as_deref() {
            None => {
                problems.push("qstat printed no job_state".to_owned());
                JobState::Unknown
            }
            Some(letter) => state_from(letter).unwrap_or_else(|| {
                problems.push(format!(
                    "qstat printed job_state {letter:?}, which is not a PBS state"
                ));
                JobState::Unknown
            }),
        };
        let substate = integer("substate", self.substate.as_deref(), &mut problems);
        let exit_status = integer("Exit_status", self.exit_status.as_deref(), &mut problems);
        let time = |value: &Option<Cow<'_, str>>| value.as_deref().and_then(ctime);
        let times = JobTimes {
            created: time(&self.ctime),
            queued: time(&self.qtime),
            eligible: time(&self.etime),
            started: time(&self.stime),
            finished: time(&self.obittime),
        };
        let (state, query_error) = if problems.is_empty() {
            (state, None)
        } else {
            (JobState::Unknown, Some(problems.join("; ")))
        };
        JobStatus {
            state,
            substate,
            queue: self.queue.map(Cow::into_owned),
            exec_host: self.exec_host.map(Cow::into_owned),
            exec_vnode: self.exec_vnode.map(Cow::into_owned),
            comment: self.comment.map(Cow::into_owned),
            estimated_start: self.estimated_start_time.as_deref().and_then(ctime),
            exit_status,
            times,
            query_error,
        }
    }
}

/// The state for a one-letter `job_state` value.
fn state_from(value: &str) -> Option<JobState> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (Some(letter), None) => JobState::from_letter(letter),
        _ => None,
    }
}

/// An integer attribute (`substate`, `Exit_status`); a value that is not one is a problem
/// of this job.
fn integer<T: std::str::FromStr>(
    name: &str,
    value: Option<&str>,
    problems: &mut Vec<String>,
) -> Option<T> {
    let value = value?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            problems.push(format!(
                "qstat printed {name} {value:?}, which is not an integer"
            ));
            None
        }
    }
}
