//! Test-only renderers: jobs printed as the old JSON generator and as `qstat -f` text print
//! them (reference `pbs-pro.md` §3.3, §3.6), so the parsers can be checked by round trip.

use std::fmt::Write;

use chrono::{DateTime, Local, Utc};

use crate::JobStatus;

/// qstat's `CHAR_LINE_LIMIT`.
const LINE_LIMIT: usize = 78;

/// A time as `ctime()` prints it, in the local zone.
pub fn ctime_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// The attributes of `status` in qstat's order, as (name, text), with some we do not keep
/// mixed in to be skipped.
fn attributes(status: &JobStatus) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("Job_Name", "123".to_owned()),
        ("Job_Owner", "alice@login001".to_owned()),
    ];
    let state = status.state.letter().map(String::from).unwrap_or_default();
    out.push(("job_state", state));
    push_some(&mut out, "queue", &status.queue);
    out.push(("server", "pbs02".to_owned()));
    if let Some(t) = status.times.created {
        out.push(("ctime", ctime_text(t)));
    }
    push_some(&mut out, "exec_host", &status.exec_host);
    push_some(&mut out, "exec_vnode", &status.exec_vnode);
    let times = &status.times;
    for (name, t) in [
        ("qtime", times.queued),
        ("stime", times.started),
        ("obittime", times.finished),
    ] {
        if let Some(t) = t {
            out.push((name, ctime_text(t)));
        }
    }
    if let Some(s) = status.substate {
        out.push(("substate", s.to_string()));
    }
    out.push((
        "Variable_List",
        "PBS_O_HOME=/home/alice,PBS_O_LOGNAME=alice,PBS_O_PATH=/usr/local/bin:/usr/bin:/bin,PBS_O_SHELL=/bin/bash,PBS_O_WORKDIR=/home/alice/project/with/a/rather/long/path,PBS_O_SYSTEM=Linux".to_owned(),
    ));
    if let Some(c) = &status.comment {
        out.push(("comment", c.clone()));
    }
    if let Some(t) = times.eligible {
        out.push(("etime", ctime_text(t)));
    }
    if let Some(e) = status.exit_status {
        out.push(("Exit_status", e.to_string()));
    }
    if let Some(t) = status.estimated_start {
        out.push(("estimated.start_time", ctime_text(t)));
    }
    out.push(("project", "_pbs_project_default".to_owned()));
    out
}

fn push_some(out: &mut Vec<(&'static str, String)>, name: &'static str, value: &Option<String>) {
    if let Some(v) = value {
        out.push((name, v.clone()));
    }
}

/// The jobs as `qstat -f` prints them, values wrapped at 78 columns.
pub fn full_text(jobs: &[(String, JobStatus)]) -> String {
    let mut out = String::new();
    for (id, status) in jobs {
        let _ = writeln!(out, "Job Id: {id}");
        for (name, value) in attributes(status) {
            let _ = write!(out, "    {name} = ");
            wrap_value(&mut out, name.len() + 7, &value);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// qstat's wrapping (reference §3.3), written from its pseudo-code: comma-separated tokens,
/// a token that does not fit moves to a new line, a long token is cut every 78 columns.
fn wrap_value(out: &mut String, mut start: usize, value: &str) {
    let tokens: Vec<&str> = value.split(',').filter(|t| !t.is_empty()).collect();
    let mut first = true;
    for (i, token) in tokens.iter().enumerate() {
        if token.len() + start < LINE_LIMIT {
            out.push_str(token);
            start += token.len();
        } else {
            if !first {
                out.push_str("\n\t");
                start = 9;
            }
            for ch in token.chars() {
                out.push(ch);
                start += 1;
                if start > LINE_LIMIT {
                    out.push_str("\n\t");
                    start = 8;
                }
            }
        }
        if i + 1 < tokens.len() {
            first = false;
            out.push(',');
        }
    }
}

/// The jobs as the old JSON generator prints them: 4-space indents, any value that is a JSON
/// number printed bare.
pub fn old_generator_json(jobs: &[(String, JobStatus)]) -> String {
    let mut out = String::from(
        "{\n    \"timestamp\":1699637718,\n    \"pbs_version\":\"2022.1.1.20220926110806\",\n    \"pbs_server\":\"pbs02\",\n    \"Jobs\":{\n",
    );
    for (j, (id, status)) in jobs.iter().enumerate() {
        let _ = writeln!(out, "        {}:{{", quoted(id));
        let attributes = attributes(status);
        let mut lines: Vec<String> = Vec::new();
        let mut estimated = None;
        for (name, value) in &attributes {
            match *name {
                "Variable_List" => {
                    let vars: Vec<String> = value
                        .split(',')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| format!("                {}:{}", quoted(k), json_value(v)))
                        .collect();
                    lines.push(format!(
                        "            \"Variable_List\":{{\n{}\n            }}",
                        vars.join(",\n")
                    ));
                }
                "estimated.start_time" => estimated = Some(value.clone()),
                _ => lines.push(format!(
                    "            {}:{}",
                    quoted(name),
                    json_value(value)
                )),
            }
        }
        if let Some(start) = estimated {
            lines.push(format!(
                "            \"estimated\":{{\n                \"exec_vnode\":\"(node0001:ncpus=1)\",\n                \"start_time\":{}\n            }}",
                quoted(&start)
            ));
        }
        out.push_str(&lines.join(",\n"));
        out.push_str("\n        }");
        out.push_str(if j + 1 < jobs.len() { ",\n" } else { "\n" });
    }
    out.push_str("    }\n}\n");
    out
}

/// A value as the old generator prints it: bare when it is a JSON number, else a string.
fn json_value(value: &str) -> String {
    let is_number =
        value == value.trim() && serde_json::from_str::<serde_json::Number>(value).is_ok();
    if is_number {
        value.to_owned()
    } else {
        quoted(value)
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}
