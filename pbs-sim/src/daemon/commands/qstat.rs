//! `qstat`: jobs, queues or the server, selected as PBS selects them and printed by
//! [`crate::format`]; unknown and finished ids answered with PBS's texts and exit codes.

use std::time::Duration;

use drivers::JobState;

use super::{client_error, render_ctx, unsupported, version};
use crate::client::cannot_connect;
use crate::daemon::attrs::{job_status, queue_status, server_status};
use crate::daemon::faults::QstatFault;
use crate::daemon::handle::Daemon;
use crate::daemon::protocol::{Invocation, Reply};
use crate::engine::job::Job;
use crate::format::json::{qstat_queues_json, qstat_servers_json, JobsJson};
use crate::format::qstat_alt::{qstat_alt, AltOptions};
use crate::format::qstat_full::{qstat_full, qstat_queues_full, qstat_servers_full};
use crate::format::qstat_table::{qstat_table, TableOptions};
use crate::format::queue_server::{qstat_queues, qstat_servers};
use crate::format::StatusObject;
use crate::shims::qstat_args::{
    parse_qstat, FullFormat, JobDisplay, JobOperand, QstatMode, StateFilter,
};
use crate::shims::{ClientError, Destination, Invocation as Parsed};

/// `Unknown Job Id` (15001) and `Job has finished` (15139), as exit codes.
const EXIT_UNKNOWN_JOB: i32 = 15001 & 0xff;
const EXIT_FINISHED: i32 = 15139 & 0xff;
/// About what one job's `qstat -f` takes, to size the output once.
const FULL_BYTES_PER_JOB: usize = 1800;
/// `Unknown queue` (15018).
const EXIT_UNKNOWN_QUEUE: i32 = 15018 & 0xff;

/// Runs `qstat`; the delay is an injected slow answer.
pub fn qstat(daemon: &mut Daemon, invocation: &Invocation) -> (Reply, Option<Duration>) {
    let args = match parse_qstat(&invocation.args) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Version) => return (version(daemon), None),
        Err(e) => return (client_error(e), None),
    };
    let fault = daemon.faults.next_qstat();
    if fault == Some(QstatFault::Fail) {
        let server = &daemon.server.header().server_name;
        return (cannot_connect("qstat", server), None);
    }
    let mut reply = match args.mode {
        QstatMode::Jobs {
            display,
            history,
            state,
            users,
            operands,
            ..
        } => {
            let filter = Filter {
                history,
                state,
                users,
            };
            jobs(daemon, &display, &filter, &operands)
        }
        QstatMode::Queues {
            summary,
            full,
            operands,
        } => queues(daemon, summary, full.as_ref(), &operands),
        QstatMode::Servers { full, .. } => servers(daemon, full.as_ref()),
    };
    match fault {
        Some(QstatFault::Slow(ms)) => (reply, Some(Duration::from_millis(ms))),
        Some(QstatFault::Truncate) => {
            // A connection cut mid-reply: the client prints what arrived.
            let mut cut = reply.stdout.len() / 2;
            while !reply.stdout.is_char_boundary(cut) {
                cut -= 1;
            }
            reply.stdout.truncate(cut);
            (reply, None)
        }
        _ => (reply, None),
    }
}

/// Which jobs a listing without ids shows.
struct Filter {
    history: bool,
    state: Option<StateFilter>,
    users: Vec<String>,
}

impl Filter {
    fn shows(&self, job: &Job) -> bool {
        let state_ok = match self.state {
            None => self.history || job.state != JobState::Finished,
            Some(StateFilter::Idle) => matches!(
                job.state,
                JobState::Exiting
                    | JobState::Held
                    | JobState::Queued
                    | JobState::Transiting
                    | JobState::Waiting
            ),
            Some(StateFilter::Running) => {
                matches!(job.state, JobState::Running | JobState::Suspended)
            }
            Some(StateFilter::Finished) => job.state == JobState::Finished,
        };
        state_ok && (self.users.is_empty() || self.users.contains(&job.owner))
    }
}

fn jobs(
    daemon: &Daemon,
    display: &JobDisplay,
    filter: &Filter,
    operands: &[Result<JobOperand, ClientError>],
) -> Reply {
    let server = &daemon.server;
    let engine = server.engine();
    let server_name = &server.header().server_name;
    let mut selected: Vec<&Job> = Vec::new();
    let mut stderr = String::new();
    let mut exit_code = 0;
    let mut fail = |text: String, code: i32| {
        stderr.push_str(&text);
        exit_code = code;
    };
    if operands.is_empty() {
        selected.extend(engine.jobs().filter(|j| filter.shows(j)));
    }
    for operand in operands {
        match operand {
            Err(e) => fail(e.stderr.clone(), e.exit_code),
            Ok(JobOperand::Job(id)) => {
                // Normalised to `<seq>.<server>` as the client library does.
                let parent = id.parent_server.as_deref().unwrap_or(server_name);
                let full = format!("{}.{parent}", id.seq);
                match engine.key_of(&full).and_then(|k| engine.job(k)) {
                    None => fail(format!("qstat: Unknown Job Id {full}\n"), EXIT_UNKNOWN_JOB),
                    Some(job) if job.state == JobState::Finished && !filter.history => fail(
                        format!(
                            "qstat: {full} Job has finished, use -x or -H to obtain \
                             historical job information\n"
                        ),
                        EXIT_FINISHED,
                    ),
                    Some(job) => selected.push(job),
                }
            }
            Ok(JobOperand::Destination(Destination { queue, .. })) => {
                let queue_index = match queue.as_deref() {
                    None | Some("") => None,
                    Some(name) => {
                        match engine.config().queues.iter().position(|q| q.name == name) {
                            Some(i) => Some(i),
                            None => {
                                fail(
                                    format!("qstat: Unknown queue destination {name}\n"),
                                    EXIT_UNKNOWN_QUEUE,
                                );
                                continue;
                            }
                        }
                    }
                };
                selected.extend(
                    engine
                        .jobs()
                        .filter(|j| filter.shows(j) && queue_index.is_none_or(|q| j.queue == q)),
                );
            }
        }
    }
    let now = daemon.now();
    let ctx = render_ctx(daemon);
    let status = |job: &&Job| job_status(server, job, now);
    // Full listings are built one job at a time: a 5,000-job status need not be held whole.
    if let JobDisplay::Full { wide, format } = display {
        let stdout = match format {
            FullFormat::Text => {
                let mut out = String::with_capacity(selected.len() * FULL_BYTES_PER_JOB);
                for job in &selected {
                    out.push_str(&qstat_full(&[status(job)], &ctx, *wide));
                }
                out
            }
            FullFormat::Json => {
                let mut doc = JobsJson::new(&ctx, selected.len() * FULL_BYTES_PER_JOB);
                for job in &selected {
                    doc.push(&status(job));
                }
                doc.finish()
            }
            FullFormat::Dsv { .. } => return unsupported("qstat", "-F dsv"),
        };
        return Reply {
            exit_code,
            stdout,
            stderr,
        };
    }
    let objects: Vec<StatusObject> = selected.iter().map(status).collect();
    let stdout = match display {
        JobDisplay::Default {
            percent_done: true, ..
        } => return unsupported("qstat", "-p"),
        JobDisplay::Default { wide, .. } => qstat_table(
            &objects,
            TableOptions {
                wide: *wide,
                long_ids: false,
            },
        ),
        JobDisplay::Alternate { units: Some(_), .. } => return unsupported("qstat", "-G/-M"),
        JobDisplay::Alternate {
            nodes,
            comment,
            est_start,
            one_line,
            wide,
            units: None,
        } => qstat_alt(
            &objects,
            &ctx,
            AltOptions {
                nodes: *nodes,
                comment: *comment,
                est_start: *est_start,
                one_line: *one_line,
                wide: *wide,
                long_ids: false,
            },
        ),
        JobDisplay::Full { .. } => unreachable!("full listings are printed above"),
    };
    Reply {
        exit_code,
        stdout,
        stderr,
    }
}

fn queues(
    daemon: &Daemon,
    summary: bool,
    full: Option<&FullFormat>,
    operands: &[Result<Destination, ClientError>],
) -> Reply {
    if summary {
        return unsupported("qstat", "-q");
    }
    let all = queue_status(daemon.server.engine());
    let mut stderr = String::new();
    let mut exit_code = 0;
    let mut objects = Vec::new();
    if operands.is_empty() {
        objects = all;
    } else {
        for operand in operands {
            match operand {
                Err(e) => {
                    stderr.push_str(&e.stderr);
                    exit_code = e.exit_code;
                }
                Ok(Destination { queue: None, .. }) => objects.extend(all.iter().cloned()),
                Ok(Destination {
                    queue: Some(name), ..
                }) => match all.iter().find(|q| &q.name == name) {
                    Some(q) => objects.push(q.clone()),
                    None => {
                        stderr.push_str(&format!("qstat: Unknown queue {name}\n"));
                        exit_code = EXIT_UNKNOWN_QUEUE;
                    }
                },
            }
        }
    }
    let ctx = render_ctx(daemon);
    let stdout = match full {
        None => qstat_queues(&objects),
        Some(FullFormat::Text) => qstat_queues_full(&objects, false),
        Some(FullFormat::Json) => qstat_queues_json(&objects, &ctx),
        Some(FullFormat::Dsv { .. }) => return unsupported("qstat", "-F dsv"),
    };
    Reply {
        exit_code,
        stdout,
        stderr,
    }
}

fn servers(daemon: &Daemon, full: Option<&FullFormat>) -> Reply {
    let objects = [server_status(daemon.server.engine(), &daemon.pbs_version)];
    let ctx = render_ctx(daemon);
    Reply::out(match full {
        None => qstat_servers(&objects),
        Some(FullFormat::Text) => qstat_servers_full(&objects, false),
        Some(FullFormat::Json) => qstat_servers_json(&objects, &ctx),
        Some(FullFormat::Dsv { .. }) => return unsupported("qstat", "-F dsv"),
    })
}
