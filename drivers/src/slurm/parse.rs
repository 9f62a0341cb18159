//! Reading what Slurm's commands print: `sbatch --parsable`, `squeue` in the driver's
//! fixed format, `scontrol --oneliner show job`, `sacct --parsable2`, `sinfo`, and the
//! errors on their stderr.
//!
//! Times are asked as Unix seconds (`SLURM_TIME_FORMAT=%s`, set by the driver), so no
//! local time zone is guessed. Nothing here panics on any input (property-tested); what
//! does not read is a [`ParseError`] naming the line.

use chrono::{DateTime, Utc};

use super::state::{exit_status, final_meaning, job_state, pending_comment};
use crate::cluster::{JobCounts, NodeCount};
use crate::job::{JobId, JobState, JobStatus, JobTimes};

/// The `squeue --format` the driver asks for: id, state, user, partition, submit time,
/// (expected) start time, end time, time limit, batch host, node list, reason. The reason
/// comes last, so a `|` inside it cannot shift another field.
pub const SQUEUE_FORMAT: &str = "%i|%T|%u|%P|%V|%S|%e|%l|%B|%N|%r";
const SQUEUE_FIELDS: usize = 11;

/// The `sacct --format` the driver asks for.
pub const SACCT_FORMAT: &str = "JobID,State,ExitCode,Start,End";

/// Output that does not read as expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}: {text:?}")]
pub struct ParseError {
    /// The line (1-based).
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
    /// The line as printed (cut to 200 characters).
    pub text: String,
}

impl ParseError {
    fn new(line: usize, reason: impl Into<String>, text: &str) -> ParseError {
        ParseError {
            line,
            reason: reason.into(),
            text: text.chars().take(200).collect(),
        }
    }
}

/// One job as Slurm described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmJob {
    /// The id as printed (`123`, `123_4` for an array task).
    pub id: String,
    /// The state name as printed (`PENDING`, `CANCELLED by 0`).
    pub state_name: String,
    /// Its owner's user name, when printed.
    pub user: Option<String>,
    /// What the hub is told.
    pub status: JobStatus,
}

/// `sbatch --parsable`'s answer: `123` or `123;cluster`, on its last line.
pub fn sbatch_job_id(stdout: &str) -> Result<JobId, ParseError> {
    let (number, line) = stdout
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .last()
        .ok_or_else(|| ParseError::new(1, "sbatch printed no job id", stdout))?;
    let id = line.trim().split(';').next().unwrap_or("");
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::new(number + 1, "not a Slurm job id", line));
    }
    JobId::new(id).map_err(|e| ParseError::new(number + 1, e.to_string(), line))
}

/// `squeue --noheader --format=`[`SQUEUE_FORMAT`].
pub fn squeue(text: &str) -> Result<Vec<SlurmJob>, ParseError> {
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.splitn(SQUEUE_FIELDS, '|').collect();
        let [id, state, user, partition, submit, start, end, _limit, batch_host, nodes, reason] =
            fields[..]
        else {
            return Err(ParseError::new(
                i + 1,
                format!(
                    "{} fields where squeue prints {SQUEUE_FIELDS}",
                    fields.len()
                ),
                line,
            ));
        };
        let bad = |reason: String| ParseError::new(i + 1, reason, line);
        let id = job_id_field(id).map_err(bad)?;
        let times = Times {
            submit: epoch(submit).map_err(bad)?,
            start: epoch(start).map_err(bad)?,
            end: epoch(end).map_err(bad)?,
        };
        let host = present(batch_host).or_else(|| present(nodes));
        jobs.push(SlurmJob {
            id,
            state_name: state.trim().to_string(),
            user: present(user),
            status: status(state, reason, present(partition), host, times, None),
        });
    }
    Ok(jobs)
}

/// `scontrol --oneliner show job ID`: the job, or `None` when the answer is empty.
pub fn scontrol_job(text: &str) -> Result<Option<SlurmJob>, ParseError> {
    let Some((i, line)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Ok(None);
    };
    let bad = |reason: String| ParseError::new(i + 1, reason, line);
    let fields = key_values(line);
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    };
    let id = job_id_field(get("JobId").ok_or_else(|| bad("no JobId=".into()))?).map_err(bad)?;
    let state = get("JobState").ok_or_else(|| bad("no JobState=".into()))?;
    let reason = get("Reason").unwrap_or("None");
    let times = Times {
        submit: epoch(get("SubmitTime").unwrap_or("")).map_err(bad)?,
        start: epoch(get("StartTime").unwrap_or("")).map_err(bad)?,
        end: epoch(get("EndTime").unwrap_or("")).map_err(bad)?,
    };
    let exit = match get("ExitCode") {
        Some(code) => Some(exit_code(code).map_err(bad)?),
        None => None,
    };
    // `UserId=alice(1000)`.
    let user = get("UserId")
        .map(|u| u.split('(').next().unwrap_or(u))
        .and_then(present);
    let host = get("BatchHost")
        .and_then(present)
        .or_else(|| get("NodeList").and_then(present));
    Ok(Some(SlurmJob {
        id,
        state_name: state.to_string(),
        user,
        status: status(
            state,
            reason,
            get("Partition").and_then(present),
            host,
            times,
            exit,
        ),
    }))
}

/// `sacct --noheader --parsable2 --allocations --format=`[`SACCT_FORMAT`]: the jobs it
/// lists.
pub fn sacct(text: &str) -> Result<Vec<SlurmJob>, ParseError> {
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| ParseError::new(i + 1, reason, line);
        let fields: Vec<&str> = line.split('|').collect();
        let [id, state, code, start, end] = fields[..] else {
            return Err(bad(format!("{} fields where sacct prints 5", fields.len())));
        };
        let times = Times {
            submit: None,
            start: epoch(start).map_err(bad)?,
            end: epoch(end).map_err(bad)?,
        };
        let exit = exit_code(code).map_err(bad)?;
        jobs.push(SlurmJob {
            id: job_id_field(id).map_err(bad)?,
            state_name: state.to_string(),
            user: None,
            status: status(state, "None", None, None, times, Some(exit)),
        });
    }
    Ok(jobs)
}

/// `sinfo --noheader --Node --format=%N|%T`: one line per node and partition; a node in
/// several partitions is counted once.
pub fn sinfo_nodes(text: &str) -> Result<NodeCount, ParseError> {
    let mut seen = std::collections::BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((node, state)) = line.split_once('|') else {
            return Err(ParseError::new(i + 1, "not `node|state`", line));
        };
        seen.insert(node.trim().to_string(), state.trim().to_string());
    }
    let mut count = NodeCount {
        total: seen.len() as u64,
        ..NodeCount::default()
    };
    for state in seen.values() {
        // `idle*` (not responding), `idle~` (powered off): the suffix says it is unusable.
        let suffix_down = state.ends_with(['*', '~', '#', '!', '%']);
        let base = state.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
        let unavailable = suffix_down
            || matches!(
                base,
                "down"
                    | "drained"
                    | "drain"
                    | "fail"
                    | "failing"
                    | "maint"
                    | "unknown"
                    | "inval"
                    | "future"
                    | "reboot_issued"
                    | "reboot_requested"
                    | "powered_down"
                    | "powering_down"
                    | "powering_up"
                    | "unk"
            );
        if unavailable {
            count.unavailable += 1;
        } else if base == "idle" {
            count.free += 1;
        }
    }
    Ok(count)
}

/// `squeue --noheader --format=%T|%r`: counted by the hub's states.
pub fn job_counts(text: &str) -> Result<JobCounts, ParseError> {
    let mut counts = JobCounts::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (state, reason) = line.split_once('|').unwrap_or((line, ""));
        match job_state(state, reason) {
            Some(JobState::Queued) => counts.queued += 1,
            Some(JobState::Held) => counts.held += 1,
            Some(JobState::Waiting | JobState::Transiting) => counts.waiting += 1,
            Some(s) if s.holds_nodes() => counts.running += 1,
            Some(_) => {}
            None => return Err(ParseError::new(i + 1, "not a Slurm job state", line)),
        }
    }
    Ok(counts)
}

/// Whether a Slurm command's stderr says the controller could not be reached (down,
/// restarting, overloaded) rather than anything about the request.
pub fn controller_unreachable(stderr: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "Unable to contact slurm controller",
        "Socket timed out",
        "Zero Bytes were transmitted or received",
        "Connection refused",
        "Slurm backup controller in standby mode",
        "temporarily unable to accept job",
        "Communication connection failure",
    ];
    SIGNS.iter().any(|sign| stderr.contains(sign))
}

/// Whether a failed `squeue`/`scontrol`/`scancel` says only that a job id is unknown
/// (purged from the controller's memory, or never existed).
pub fn invalid_job_id(stderr: &str) -> bool {
    stderr.contains("Invalid job id specified")
}

/// The reason in a Slurm command's error output: its `error:` lines without the program's
/// prefix, joined by `; ` (`sbatch: error: Memory specification can not be satisfied` and
/// `sbatch: error: Batch job submission failed: Requested node configuration is not
/// available` say more together); the last line when none says `error:`.
pub fn error_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once("error:").map(|(_, rest)| rest.trim()))
        .filter(|rest| !rest.is_empty())
        .collect();
    if errors.is_empty() {
        lines.last().copied().unwrap_or("").to_string()
    } else {
        errors.join("; ")
    }
}

/// The times one line gave.
struct Times {
    submit: Option<DateTime<Utc>>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

/// The status for one job's fields.
fn status(
    state: &str,
    reason: &str,
    partition: Option<String>,
    host: Option<String>,
    times: Times,
    exit: Option<(i32, i32)>,
) -> JobStatus {
    let state = state.trim();
    let reason = reason.trim();
    let Some(hub_state) = job_state(state, reason) else {
        return JobStatus {
            queue: partition,
            ..JobStatus::unknown(format!(
                "Slurm printed a job state this driver does not know: {state:?}"
            ))
        };
    };
    let base = state.split_whitespace().next().unwrap_or(state);
    let comment = if hub_state.is_waiting() {
        Some(pending_comment(reason))
    } else if let Some(meaning) = final_meaning(base) {
        Some(format!("{base}: {meaning}"))
    } else if !matches!(reason, "None" | "") {
        Some(reason.to_string())
    } else {
        None
    };
    let ended = hub_state.is_final();
    // A job cancelled while pending has a start time too (its end): only one that got
    // nodes started.
    let started = times
        .start
        .filter(|_| hub_state.holds_nodes() || (ended && host.is_some()));
    JobStatus {
        state: hub_state,
        substate: None,
        queue: partition,
        exec_host: host.filter(|_| !hub_state.is_waiting()),
        exec_vnode: None,
        comment,
        // For a pending job `%S` is the backfill scheduler's expected start.
        estimated_start: times.start.filter(|_| hub_state.is_waiting()),
        exit_status: if ended { exit_status(base, exit) } else { None },
        times: JobTimes {
            created: times.submit,
            queued: times.submit,
            eligible: None,
            started,
            finished: times.end.filter(|_| ended),
        },
        query_error: None,
    }
}

/// A job id field: digits, or `digits_digits` for an array task, or `digits+digits` for a
/// heterogeneous job's component.
fn job_id_field(text: &str) -> Result<String, String> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '+' | '[' | ']' | '-'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?} is not a Slurm job id"))
    }
}

/// A time printed with `SLURM_TIME_FORMAT=%s`: Unix seconds, or one of the words Slurm
/// prints for "no time".
fn epoch(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if matches!(
        text,
        "" | "N/A" | "NONE" | "None" | "Unknown" | "0" | "(null)"
    ) {
        return Ok(None);
    }
    let seconds: i64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a time in Unix seconds (SLURM_TIME_FORMAT=%s)"))?;
    Ok(DateTime::from_timestamp(seconds, 0))
}

/// `ExitCode=N:S`: the exit code and the signal.
fn exit_code(text: &str) -> Result<(i32, i32), String> {
    let (code, signal) = text.trim().split_once(':').unwrap_or((text.trim(), "0"));
    match (code.parse(), signal.parse()) {
        (Ok(code), Ok(signal)) => Ok((code, signal)),
        _ => Err(format!("{text:?} is not an exit code `N:S`")),
    }
}

/// A field that says something: not empty, `(null)`, `n/a` or `None`.
fn present(text: &str) -> Option<String> {
    let text = text.trim();
    (!matches!(text, "" | "(null)" | "n/a" | "N/A" | "None")).then(|| text.to_string())
}

/// `Key=value Key=value …` where a value may hold spaces (`Reason=ReqNodeNotAvail,
/// UnavailableNodes:…`): a word that does not start a `Key=` continues the value before it.
fn key_values(line: &str) -> Vec<(&str, String)> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    for word in line.split_whitespace() {
        let key = word.split_once('=').map(|(k, _)| k).filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_'))
        });
        match (key, fields.last_mut()) {
            (Some(key), _) => fields.push((key, word[key.len() + 1..].to_string())),
            (None, Some((_, value))) => {
                value.push(' ');
                value.push_str(word);
            }
            (None, None) => {}
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUEUE: &str = "\
5|RUNNING|alice|batch|1795685220|1795685223|1795688823|1:00:00|node0001|node0001|None
6|PENDING|bob|batch|1795685226|1795688823|1795692423|1:00:00|||Resources
7|PENDING|carol|debug|1795685226|N/A|N/A|30:00|||JobHeldUser
8|TIMEOUT|alice|batch|1795685220|1795685223|1795685290|1:00|node0002|node0002|TimeLimit
9|PENDING|dave|batch|1795685226|N/A|N/A|UNLIMITED|||ReqNodeNotAvail, UnavailableNodes:node[0001-0002]|x
";

    #[test]
    fn squeue_lines_become_statuses() {
        let jobs = squeue(SQUEUE).unwrap();
        assert_eq!(jobs.len(), 5);
        let running = &jobs[0].status;
        assert_eq!(running.state, JobState::Running);
        assert_eq!(running.exec_host.as_deref(), Some("node0001"));
        assert_eq!(running.queue.as_deref(), Some("batch"));
        assert_eq!(running.times.started.unwrap().timestamp(), 1795685223);
        assert_eq!(jobs[0].user.as_deref(), Some("alice"));

        let pending = &jobs[1].status;
        assert_eq!(pending.state, JobState::Queued);
        assert_eq!(pending.estimated_start.unwrap().timestamp(), 1795688823);
        assert!(pending
            .comment
            .as_deref()
            .unwrap()
            .starts_with("Resources: "));
        assert_eq!(pending.exec_host, None);
        assert_eq!(pending.times.started, None);

        assert_eq!(jobs[2].status.state, JobState::Held);
        assert_eq!(jobs[2].status.estimated_start, None);

        let timeout = &jobs[3].status;
        assert_eq!(timeout.state, JobState::Finished);
        assert_eq!(timeout.exit_status, Some(-29));
        assert_eq!(timeout.times.finished.unwrap().timestamp(), 1795685290);
        assert!(timeout.comment.as_deref().unwrap().contains("time limit"));

        // The reason is the last field: a `|` inside it shifts nothing.
        assert!(jobs[4]
            .status
            .comment
            .as_deref()
            .unwrap()
            .contains("UnavailableNodes:node[0001-0002]|x"));
    }

    #[test]
    fn bad_squeue_lines_are_errors_that_name_the_line() {
        let err = squeue("5|RUNNING|alice\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason.contains("3 fields"), "{err}");
        let err = squeue("\n5|RUNNING|alice|batch|yesterday|0|0|1:00|n|n|None\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("Unix seconds"), "{err}");
        let err = squeue("x5|RUNNING|alice|batch|0|0|0|1:00|n|n|None\n").unwrap_err();
        assert!(err.reason.contains("not a Slurm job id"), "{err}");
    }

    #[test]
    fn an_unknown_state_is_unknown_never_gone() {
        let jobs = squeue("5|WIBBLING|alice|batch|0|0|0|1:00|||None\n").unwrap();
        assert_eq!(jobs[0].status.state, JobState::Unknown);
        assert!(jobs[0]
            .status
            .query_error
            .as_deref()
            .unwrap()
            .contains("WIBBLING"));
    }

    #[test]
    fn scontrol_gives_the_exit_code() {
        let line = "JobId=12 JobName=jupyterhub-singleuser UserId=alice(1000) GroupId=alice(1000) \
            JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 \
            SubmitTime=1795685220 StartTime=1795685223 EndTime=1795685230 Partition=batch \
            NodeList=node0003 BatchHost=node0003 Command=/home/alice/my script.sh\n";
        let job = scontrol_job(line).unwrap().unwrap();
        assert_eq!(job.id, "12");
        assert_eq!(job.user.as_deref(), Some("alice"));
        assert_eq!(job.status.state, JobState::Finished);
        assert_eq!(job.status.exit_status, Some(3));
        assert_eq!(job.status.exec_host.as_deref(), Some("node0003"));
        assert_eq!(scontrol_job("\n").unwrap(), None);
        assert!(scontrol_job("JobName=x\n").is_err());
    }

    #[test]
    fn sacct_lines() {
        let jobs = sacct("12|CANCELLED by 1000|0:15|1795685223|1795685290\n").unwrap();
        assert_eq!(jobs[0].status.state, JobState::Finished);
        assert_eq!(jobs[0].status.exit_status, Some(271));
        assert!(sacct("12|COMPLETED\n").is_err());
    }

    #[test]
    fn sbatch_ids() {
        assert_eq!(sbatch_job_id("123\n").unwrap().as_str(), "123");
        assert_eq!(sbatch_job_id("123;sim\n").unwrap().as_str(), "123");
        assert!(sbatch_job_id("").is_err());
        assert!(sbatch_job_id("Submitted batch job 123\n").is_err());
    }

    #[test]
    fn node_and_job_counts() {
        let nodes = sinfo_nodes(
            "node0001|allocated\nnode0002|idle\nnode0003|drained\nnode0004|idle*\nnode0001|allocated\nnode0005|mixed\n",
        )
        .unwrap();
        assert_eq!(
            nodes,
            NodeCount {
                total: 5,
                free: 1,
                unavailable: 2
            }
        );
        let jobs = job_counts("RUNNING|None\nPENDING|Resources\nPENDING|JobHeldAdmin\nPENDING|BeginTime\nCOMPLETING|None\n").unwrap();
        assert_eq!(
            jobs,
            JobCounts {
                queued: 1,
                running: 2,
                held: 1,
                waiting: 1
            }
        );
    }

    #[test]
    fn errors_are_read_from_stderr() {
        assert!(controller_unreachable(
            "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n"
        ));
        assert!(invalid_job_id(
            "slurm_load_jobs error: Invalid job id specified\n"
        ));
        assert_eq!(
            error_message(
                "sbatch: error: Batch job submission failed: Invalid partition name specified\n"
            ),
            "Batch job submission failed: Invalid partition name specified"
        );
    }
}
