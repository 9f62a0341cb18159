//! The alternate job table: `qstat -a`, `-u user`, `-n`, `-s`, `-T`, `-1`, `-w`
//! (`altdsp_statjob`).
//!
//! ```text
//!
//! pbs02:
//!                                                             Req'd  Req'd   Elap
//! Job ID          Username Queue    Jobname    SessID NDS TSK Memory Time  S Time
//! --------------- -------- -------- ---------- ------ --- --- ------ ----- - -----
//! 632585.pbs02    gyourga  c1_sing* bigmatrix  24385*   1  10   10gb 00:30 R 00:00
//! ```
//! Five header lines (blank, `<server>: ` with its trailing blank, two title lines, dashes),
//! then `%-15.15s %-8.8s %-8.8s %-10.10s %6.6s %3.3s %3.3s %6.6s %5.5s %1.1s %5.5s` rows.
//! Unset fields print as ` -- ` cut to the column; times are cut to `HH:MM`.

use super::text::{atol, left_cut, right_cut, star, strtol};
use super::time::est_start_short;
use super::{Ctx, StatusObject};

/// What an unset field prints as (before being cut to its column).
const BLANK: &str = " -- ";
/// `-s` comments longer than this are cut ...
const COMMENT_SCOPE: usize = 74;
const COMMENT_SCOPE_WIDE: usize = 114;
/// ... to this many chars (`pbs_strncpy(buf, c, 71)` keeps 70) and `...`.
const COMMENT_KEEP: usize = 70;
const COMMENT_KEEP_WIDE: usize = 110;
/// `-n` lines are filled while shorter than this (`CHAR_LINE_LIMIT - 1`).
const NODE_LINE: usize = 77;

/// Which options shape the alternate table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AltOptions {
    /// `-n`: the job's hosts (`exec_host`) on lines after the row.
    pub nodes: bool,
    /// `-s`: the job's comment on a line after the row.
    pub comment: bool,
    /// `-T`: "Est Start" instead of "Elap"; jobs sorted by start.
    pub est_start: bool,
    /// `-1`: the `-n`/`-s` text on the row's own line.
    pub one_line: bool,
    /// `-w`: the wide columns.
    pub wide: bool,
    /// The server's `max_job_sequence_id` exceeds 9999999: a 20-wide id column.
    pub long_ids: bool,
}

/// Column widths, normal and `-w`.
struct Cols {
    id: usize,
    user: usize,
    queue: usize,
    name: usize,
    sess: usize,
    nds: usize,
    tsk: usize,
}

const fn cols(opts: &AltOptions) -> Cols {
    if opts.wide {
        Cols {
            id: 30,
            user: 15,
            queue: 15,
            name: 15,
            sess: 8,
            nds: 4,
            tsk: 5,
        }
    } else {
        Cols {
            id: if opts.long_ids { 20 } else { 15 },
            user: 8,
            queue: 8,
            name: 10,
            sess: 6,
            nds: 3,
            tsk: 3,
        }
    }
}

/// The alternate job table. No jobs prints nothing. With `-T` jobs are reordered as `qstat`
/// does (running jobs first by start, then by estimated start, past or unknown ones last).
pub fn qstat_alt(jobs: &[StatusObject], ctx: &Ctx, opts: AltOptions) -> String {
    if jobs.is_empty() {
        return String::new();
    }
    let mut out = header(&ctx.server, &opts);
    let ordered: Vec<&StatusObject> = if opts.est_start {
        sort_by_est_start(jobs, ctx.now)
    } else {
        jobs.iter().collect()
    };
    for job in ordered {
        out.push_str(&row(job, ctx, &opts));
    }
    out
}

fn header(server: &str, opts: &AltOptions) -> String {
    // The server's own `comment`, if any, would follow "<server>: "; we do not model it.
    let mut out = format!("\n{server}: \n");
    let last = if opts.est_start { "Start" } else { "Elap" };
    if opts.wide {
        let c = cols(opts);
        let blank_cols = " ".repeat(c.id + c.user + c.queue + c.name + c.sess + c.nds + c.tsk + 7);
        if opts.est_start {
            out.push_str(&format!("{blank_cols}               Est\n"));
        }
        out.push_str(&format!("{blank_cols}Req'd  Req'd   {last}\n"));
        let titles = [
            "Job ID", "Username", "Queue", "Jobname", "SessID", "NDS", "TSK",
        ];
        let widths = [c.id, c.user, c.queue, c.name, c.sess, c.nds, c.tsk];
        for (t, w) in titles.iter().zip(widths) {
            out.push_str(&left_cut(t, w));
            out.push(' ');
        }
        out.push_str("Memory Time  S Time\n");
        for w in widths {
            out.push_str(&"-".repeat(w));
            out.push(' ');
        }
        out.push_str("------ ----- - -----\n");
    } else {
        let pad = if opts.long_ids { 65 } else { 60 };
        if opts.est_start {
            out.push_str(&format!("{}Est\n", " ".repeat(pad + 15)));
        }
        out.push_str(&format!("{}Req'd  Req'd   {last}\n", " ".repeat(pad)));
        if opts.long_ids {
            out.push_str("Job ID               Username Queue    Jobname    SessID NDS TSK Memory Time  S Time\n");
            out.push_str("-------------------- -------- -------- ---------- ------ --- --- ------ ----- - -----\n");
        } else {
            out.push_str(
                "Job ID          Username Queue    Jobname    SessID NDS TSK Memory Time  S Time\n",
            );
            out.push_str("--------------- -------- -------- ---------- ------ --- --- ------ ----- - -----\n");
        }
    }
    out
}

fn row(job: &StatusObject, ctx: &Ctx, opts: &AltOptions) -> String {
    let c = cols(opts);
    let get = |name: &str, res: Option<&str>| job.get(name, res);
    let or_blank = |v: Option<&str>, w: usize| v.map_or(BLANK.to_string(), |v| star(v, w));
    let user = or_blank(
        get("Job_Owner", None).map(|o| o.split('@').next().unwrap_or(o)),
        c.user,
    );
    let queue = or_blank(get("queue", None), c.queue);
    let name = or_blank(get("Job_Name", None), c.name);
    let sess = or_blank(get("session_id", None), c.sess);
    let nodect = or_blank(get("Resource_List", Some("nodect")), c.nds);
    let tasks = or_blank(tasks(job), c.tsk);
    // qstat copies the converted size into a 6-byte buffer, so at most 5 chars survive.
    let mem = get("Resource_List", Some("mem"))
        .map_or(BLANK.to_string(), |m| super::text::cut(&cnv_size(m), 5));
    let usecput = get("Resource_List", Some("cput")).is_some();
    let req_time = if usecput {
        get("Resource_List", Some("cput"))
    } else {
        get("Resource_List", Some("walltime"))
    };
    let req_time = req_time.unwrap_or(BLANK);
    let state = get("job_state", None).unwrap_or(BLANK);
    let time = if opts.est_start {
        if state.starts_with(['Q', 'S', 'B']) {
            est_start_short(get("estimated", Some("start_time")), ctx.now, ctx.zone)
        } else {
            "--".to_string()
        }
    } else {
        let used = if usecput {
            get("resources_used", Some("cput"))
        } else {
            get("resources_used", Some("walltime"))
        };
        used.unwrap_or(BLANK).to_string()
    };
    let id = star(&job.name, c.id);

    let mut out = if opts.wide {
        format!(
            "{} {} {} {} {} {} {} {} {} {} {}",
            left_cut(&id, c.id),
            left_cut(&user, c.user),
            left_cut(&queue, c.queue),
            left_cut(&name, c.name),
            right_cut(&sess, c.sess),
            right_cut(&nodect, c.nds),
            right_cut(&tasks, c.tsk),
            right_cut(&mem, 6),
            right_cut(req_time, 5),
            super::text::right(state, 1),
            right_cut(&time, 5),
        )
    } else {
        format!(
            "{} {} {} {} {} {} {} {} {} {} {}",
            left_cut(&id, c.id),
            left_cut(&user, c.user),
            left_cut(&queue, c.queue),
            left_cut(&name, c.name),
            right_cut(&sess, c.sess),
            right_cut(&nodect, c.nds),
            right_cut(&tasks, c.tsk),
            right_cut(&mem, 6),
            right_cut(req_time, 5),
            right_cut(state, 1),
            right_cut(&time, 5),
        )
    };
    out.push(if opts.one_line { ' ' } else { '\n' });
    if opts.nodes {
        out.push_str(&node_lines(
            get("exec_host", None).unwrap_or(BLANK),
            opts.one_line,
        ));
    }
    if opts.comment {
        let comment = get("comment", None).map_or(BLANK.to_string(), |c| cut_comment(c, opts.wide));
        if !comment.is_empty() {
            out.push_str(&format!("   {comment}\n"));
        }
    }
    out
}

/// TSK: `Resource_List.ncpus` (or `mppe`), the last non-zero one in attribute order.
fn tasks(job: &StatusObject) -> Option<&str> {
    job.attrs
        .iter()
        .filter(|a| {
            a.name == "Resource_List" && matches!(a.resource.as_deref(), Some("ncpus" | "mppe"))
        })
        .filter(|a| a.value != "0")
        .map(|a| a.value.as_str())
        .next_back()
}

fn cut_comment(c: &str, wide: bool) -> String {
    let len = c.chars().count();
    let (scope, keep) = if wide {
        (COMMENT_SCOPE_WIDE, COMMENT_KEEP_WIDE)
    } else {
        (COMMENT_SCOPE, COMMENT_KEEP)
    };
    if len > scope {
        format!("{}...", super::text::cut(c, keep))
    } else {
        c.to_string()
    }
}

/// `cnv_size`: a size such as `10gb`, `1048576kb`, `8mw` in the unit it came in, raised a
/// unit (rounding up) while the number is above 9999. A plain byte count keeps a blank
/// where the unit letter would be (`512 b`), as the original does.
pub fn cnv_size(value: &str) -> String {
    const LETTERS: [char; 7] = [' ', 'k', 'm', 'g', 't', 'p', '?'];
    let (n, rest) = strtol(value);
    // strtol into an unsigned long: negative values wrap.
    let mut nval = n as u64;
    let mut chars = rest.chars();
    let first = chars.next();
    let mut unit = match first {
        Some('k') => 1,
        Some('m') => 2,
        Some('g') => 3,
        Some('t') => 4,
        _ => 0,
    };
    let words = first == Some('w') || (first.is_some() && chars.next() == Some('w'));
    if words {
        nval = nval.wrapping_shl(3);
        nval = nval.wrapping_add(7) >> 3;
    }
    while nval > 9999 {
        nval = nval.wrapping_add(1023) >> 10;
        unit += 1;
    }
    format!(
        "{nval}{}{}",
        LETTERS[unit.min(6)],
        if words { 'w' } else { 'b' }
    )
}

/// `prt_nodes`: `exec_host` with host names cut at their first `.` (IPv4 addresses kept),
/// packed `+`-joined into lines of fewer than 77 chars, each printed as `   line`. With `-1`
/// the lines run together on the row's line.
pub fn node_lines(exec_host: &str, one_line: bool) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for chunk in exec_host.split('+').filter(|c| !c.is_empty()) {
        let host_end = chunk.find('/').unwrap_or(chunk.len());
        let (host, rest) = chunk.split_at(host_end);
        let host = if host.parse::<std::net::Ipv4Addr>().is_ok() {
            host
        } else {
            host.split('.').next().unwrap_or(host)
        };
        let node = format!("{host}{rest}");
        let len = node.chars().count();
        if line.chars().count() + len >= NODE_LINE {
            flush(&mut out, &line, one_line);
            line.clear();
        }
        line.push_str(&node);
        line.push('+');
    }
    if line.is_empty() {
        if one_line && !exec_host.is_empty() {
            out.push('\n');
        }
    } else {
        line.pop();
        out.push_str(&if one_line {
            format!("{line}\n")
        } else {
            format!("   {line}\n")
        });
    }
    out
}

fn flush(out: &mut String, line: &str, one_line: bool) {
    if one_line {
        out.push_str(line);
    } else {
        out.push_str("   ");
        out.push_str(line);
        out.push('\n');
    }
}

/// `bs_isort` with `cmp_est_time`: an insertion sort that puts each job before the first
/// already-placed job that compares greater, so equal jobs keep their order.
fn sort_by_est_start(jobs: &[StatusObject], now: i64) -> Vec<&StatusObject> {
    let mut sorted: Vec<&StatusObject> = Vec::with_capacity(jobs.len());
    for job in jobs {
        let at = sorted
            .iter()
            .position(|placed| cmp_est_time(placed, job, now) > 0)
            .unwrap_or(sorted.len());
        sorted.insert(at, job);
    }
    sorted
}

/// `cmp_est_time`: started jobs first, by `stime`; then by `estimated.start_time`, with
/// unknown or past estimates sorting last.
fn cmp_est_time(a: &StatusObject, b: &StatusObject, now: i64) -> i32 {
    let num = |j: &StatusObject, n: &str, r: Option<&str>| j.get(n, r).map_or(-1, atol);
    let (est_a, est_b) = (
        num(a, "estimated", Some("start_time")),
        num(b, "estimated", Some("start_time")),
    );
    let (st_a, st_b) = (num(a, "stime", None), num(b, "stime", None));
    if st_a >= 0 || st_b >= 0 {
        return if st_a == -1 && st_b >= 0 {
            1
        } else if st_a >= 0 && st_b == -1 {
            -1
        } else {
            sign(st_a.cmp(&st_b))
        };
    }
    if est_a == est_b {
        0
    } else if est_a == -1 || est_a < now {
        1
    } else if est_b == -1 || est_b < now {
        -1
    } else {
        sign(est_a.cmp(&est_b))
    }
}

fn sign(o: std::cmp::Ordering) -> i32 {
    o as i32
}

#[cfg(test)]
mod tests;
