//! What Linux's `/proc` says about a process: enough to tell a job's wrapper from a process
//! that got its pid later, and to check a process group before signalling it.

use std::fs;

use super::spool::WrapperId;

/// The fields of `/proc/<pid>/stat` the runner uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// State letter (`R`, `S`, `Z`, …).
    pub state: char,
    /// Process group id.
    pub pgrp: i32,
    /// Session id.
    pub session: i32,
    /// Start time, clock ticks after boot.
    pub start_time: u64,
}

/// Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may hold
/// spaces or parentheses itself, so fields are counted from its last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `fields[0]` is field 3 (state), so field N is `fields[N - 3]`.
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        session: fields.get(3)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// The process's stat, if it exists.
pub fn stat(pid: i32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The process's arguments, if it exists and is not a zombie.
pub fn cmdline(pid: i32) -> Option<Vec<String>> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

/// Whether `id` is a live (not zombie) wrapper of `job_id`: same start time, and arguments
/// `… job-wrapper <spool> <job_id>` once it has them.
pub fn is_live_wrapper(id: WrapperId, job_id: &str) -> bool {
    let Some(st) = stat(id.pid) else {
        return false;
    };
    if st.state == 'Z' || st.start_time != id.start_time {
        return false;
    }
    // An empty command line means the process is between `execve` and its new arguments
    // (or exiting): the start time, unique with the pid, has to do then.
    cmdline(id.pid).is_some_and(|args| args.is_empty() || is_wrapper_cmdline(&args, job_id))
}

/// Whether these arguments are those of the wrapper of `job_id`.
pub fn is_wrapper_cmdline(args: &[String], job_id: &str) -> bool {
    args.len() >= 4
        && args[args.len() - 3] == super::WRAPPER_SUBCOMMAND
        && args[args.len() - 1] == job_id
}

/// Whether `pgid` is a process group inside the wrapper's session, i.e. the job's: the
/// wrapper made that session, so only the job's processes are in it. The daemon checks this
/// before signalling a group whose id it read from a file the job's owner can write.
pub fn is_job_group(pgid: i32, wrapper: WrapperId) -> bool {
    pgid > 1
        && pgid != wrapper.pid
        && stat(pgid).is_some_and(|st| st.pgrp == pgid && st.session == wrapper.pid)
}

/// The processes of session `sid`, read from `/proc`.
pub fn session_members(sid: i32) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|st| st.session == sid))
        .collect()
}
