//! What the server says about a job: its id, `exec_host`, `exec_vnode`, `comment`, and the
//! [`drivers::JobStatus`] the hub reads.

use chrono::{DateTime, Utc};
use drivers::{JobId, JobState, JobStatus, JobTimes};

use super::cluster::Allocation;
use super::job::{Comment, EndReason, Job, JobKey};
use super::res::SimTime;
use super::Engine;

/// A simulated time as a UTC date.
pub fn to_utc(t: SimTime) -> DateTime<Utc> {
    DateTime::from_timestamp(i64::try_from(t).unwrap_or(i64::MAX), 0).unwrap_or_default()
}

/// A size in kb printed in the largest unit that keeps it exact (`16gb`, `512mb`, `100kb`).
pub fn format_kb(kb: u64) -> String {
    if kb != 0 && kb % (1024 * 1024) == 0 {
        format!("{}gb", kb / (1024 * 1024))
    } else if kb != 0 && kb % 1024 == 0 {
        format!("{}mb", kb / 1024)
    } else {
        format!("{kb}kb")
    }
}

impl Engine {
    /// The job's id as PBS prints it: `<seq>.<server>`.
    pub fn job_id(&self, key: JobKey) -> JobId {
        JobId::new(format!("{key}.{}", self.config.server_name))
            .expect("a number and a server name make a valid id")
    }

    /// The key of a job id given as `<seq>`, `<seq>.<server>` or `<seq>.<server>.<domain>`;
    /// `None` for an id of another server or a malformed one.
    pub fn key_of(&self, id: &str) -> Option<JobKey> {
        let (seq, server) = match id.split_once('.') {
            Some((seq, server)) => (seq, Some(server)),
            None => (id, None),
        };
        if let Some(server) = server {
            let ours = &self.config.server_name;
            let short = ours.split('.').next().unwrap_or(ours);
            let given_short = server.split('.').next().unwrap_or(server);
            if server != ours && given_short != short {
                return None;
            }
        }
        seq.parse().ok()
    }

    /// `exec_vnode`: `(node:ncpus=N:mem=Mkb:ngpus=G)` per chunk, joined by `+`.
    pub fn exec_vnode(&self, alloc: &Allocation) -> String {
        let mut out = String::new();
        for (i, slot) in alloc.iter().enumerate() {
            if i > 0 {
                out.push('+');
            }
            let name = &self.cluster.nodes[slot.node as usize].def.name;
            out.push_str(&format!("({name}:ncpus={}", slot.res.ncpus));
            if slot.res.mem_kb > 0 {
                out.push_str(&format!(":mem={}kb", slot.res.mem_kb));
            }
            if slot.res.ngpus > 0 {
                out.push_str(&format!(":ngpus={}", slot.res.ngpus));
            }
            out.push(')');
        }
        out
    }

    /// `exec_host`: `host/T*P` per chunk, `T` the chunk's slot on that host, `*P` only when
    /// the chunk has more than one CPU.
    pub fn exec_host(&self, alloc: &Allocation) -> String {
        let mut out = String::new();
        for (i, slot) in alloc.iter().enumerate() {
            if i > 0 {
                out.push('+');
            }
            let index = alloc[..i].iter().filter(|s| s.node == slot.node).count();
            let name = &self.cluster.nodes[slot.node as usize].def.name;
            out.push_str(&format!("{name}/{index}"));
            if slot.res.ncpus > 1 {
                out.push_str(&format!("*{}", slot.res.ncpus));
            }
        }
        out
    }

    /// The job's `comment` as PBS words it.
    pub fn comment_text(&self, job: &Job) -> Option<String> {
        let not_running = |never: bool| {
            if never {
                "Can Never Run"
            } else {
                "Not Running"
            }
        };
        Some(match &job.comment {
            Comment::None => return None,
            Comment::Insufficient {
                never,
                resource,
                requested,
                available,
                total,
            } => {
                let f = |v: u64| {
                    if *resource == "mem" {
                        format_kb(v)
                    } else {
                        v.to_string()
                    }
                };
                format!(
                    "{}: Insufficient amount of resource: {resource} (R: {} A: {} T: {})",
                    not_running(*never),
                    f(*requested),
                    f(*available),
                    f(*total)
                )
            }
            Comment::NoSuchValue {
                resource,
                asked,
                values,
            } => format!(
                "Can Never Run: Insufficient amount of resource: {resource} ({asked} != {values})"
            ),
            Comment::NotEnoughNodes { never: true } => {
                "Can Never Run: Not enough total nodes available".into()
            }
            Comment::NotEnoughNodes { never: false } => {
                "Not Running: Not enough free nodes available".into()
            }
            Comment::WouldConflict => {
                "Not Running: Job would conflict with reservation or top job".into()
            }
            Comment::StrictOrder => "Not Running: Job would break strict sorted order".into(),
            Comment::QueueRunLimit { queue } => {
                format!("Not Running: Queue {queue} job limit has been reached.")
            }
            Comment::Ran { at, end } => {
                let when = to_utc(*at).format("%a %b %d at %H:%M");
                let on = job
                    .alloc
                    .as_ref()
                    .map(|a| self.exec_vnode(a))
                    .unwrap_or_default();
                let tail = match end {
                    None => String::new(),
                    Some(EndReason::Exited) if job.exit_status == Some(0) => " and finished".into(),
                    Some(EndReason::Exited) => " and failed".into(),
                    Some(EndReason::Walltime) => " and exceeded resource walltime".into(),
                    Some(EndReason::Deleted) => {
                        format!(
                            " and terminated by {}@{}",
                            job.owner, self.config.server_name
                        )
                    }
                    // [UNVERIFIED] PBS's exact wording for a requeue after node failure.
                    Some(EndReason::NodeFailed) => " and requeued: execution node down".into(),
                };
                format!("Job run at {when} on {on}{tail}")
            }
        })
    }

    /// The jobs of `owner` named `name` the server still knows (queued, running, or in
    /// its history), with the state and queue time a status query gives: what the hub asks
    /// to find the job of a submit a restart cut short.
    pub fn find_jobs(&self, owner: &str, name: &str) -> Vec<drivers::FoundJob> {
        self.jobs()
            .filter(|job| job.owner == owner && job.name == name)
            .filter_map(|job| {
                let status = self.status(job.key)?;
                Some(drivers::FoundJob {
                    id: self.job_id(job.key),
                    state: status.state,
                    queued: status.times.queued,
                })
            })
            .collect()
    }

    /// What the hub sees of a job; `None` if the server no longer knows it.
    pub fn status(&self, key: JobKey) -> Option<JobStatus> {
        let job = self.jobs.get(&key)?;
        let running = job.state == JobState::Running;
        let alloc = job
            .alloc
            .as_ref()
            .filter(|_| running || matches!(job.state, JobState::Exiting | JobState::Finished));
        Some(JobStatus {
            state: job.state,
            substate: Some(job.substate),
            queue: Some(self.config.queues[job.queue].name.clone()),
            exec_host: alloc.map(|a| self.exec_host(a)),
            exec_vnode: alloc.map(|a| self.exec_vnode(a)),
            comment: self.comment_text(job),
            estimated_start: job.estimate.as_ref().map(|(t, _)| to_utc(*t)),
            exit_status: job
                .exit_status
                .filter(|_| matches!(job.state, JobState::Exiting | JobState::Finished)),
            times: JobTimes {
                created: Some(to_utc(job.created)),
                queued: Some(to_utc(job.queued_at)),
                eligible: Some(to_utc(job.queued_at)),
                started: job.started.map(to_utc),
                finished: job.finished.map(to_utc),
            },
            query_error: None,
        })
    }
}
