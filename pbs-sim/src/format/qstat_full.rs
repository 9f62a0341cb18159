//! `qstat -f` (jobs), `qstat -Qf` (queues) and `qstat -Bf` (servers) text.
//!
//! Each object prints a title line, then one `    name[.resc] = value` per attribute, then a
//! blank line. Long values wrap with `prt_attr`'s 78-column algorithm (see [`attr_line`]);
//! `-w` prints every attribute on one line instead.

use std::borrow::Cow;

use super::time::ctime_value;
use super::{Attr, Ctx, StatusObject, Zone};

/// `CHAR_LINE_LIMIT` in `qstat.c`: the column `prt_attr` wraps at.
const CHAR_LINE_LIMIT: usize = 78;

/// Job attributes the server sends as epoch seconds and `qstat` prints with `ctime()`
/// (plus `estimated.start_time`, see [`is_time_attr`]).
pub const JOB_TIME_ATTRS: [&str; 7] = [
    "ctime",
    "qtime",
    "etime",
    "stime",
    "mtime",
    "obittime",
    "Execution_Time",
];

/// The tag `qstat` wraps `executable` in (`HPCBP_EXEC_TAG`).
const EXEC_TAG: &str = "jsdl-hpcpa:Executable";
/// The element `Submit_arguments` arrives XML-encoded in.
const ARG_OPEN: &str = "<jsdl-hpcpa:Argument>";
const ARG_CLOSE: &str = "</jsdl-hpcpa:Argument>";

/// Whether a job attribute is a time `qstat` converts with `ctime()`.
pub fn is_time_attr(a: &Attr) -> bool {
    // A match, not `JOB_TIME_ATTRS.contains`: this runs for every attribute of every job.
    match a.name.as_ref() {
        "ctime" | "qtime" | "etime" | "stime" | "mtime" | "obittime" | "Execution_Time" => true,
        "estimated" => a.resource.as_deref() == Some("start_time"),
        _ => false,
    }
}

/// The text `qstat -f` (and `-F json`) shows for a job attribute: times through `ctime()`
/// (an `estimated.start_time` of 0 is `UNKNOWN`), `Submit_arguments` decoded from its XML
/// argument list, `executable` wrapped in its JSDL tag; everything else as sent.
pub fn job_value(a: &Attr, zone: Zone) -> Cow<'_, str> {
    if is_time_attr(a) {
        if a.name == "estimated" && super::text::atol(&a.value) == 0 {
            return Cow::Borrowed("UNKNOWN");
        }
        return Cow::Owned(ctime_value(&a.value, zone));
    }
    match a.name.as_ref() {
        "Submit_arguments" => decode_xml_args(&a.value),
        "executable" => Cow::Owned(format!("<{EXEC_TAG}>{}</{EXEC_TAG}>", a.value)),
        _ => Cow::Borrowed(&a.value),
    }
}

/// `decode_xml_arg_list_str`: `<jsdl-hpcpa:Argument>a</jsdl-hpcpa:Argument>...` becomes
/// `a b ...` with XML entities undone. A value that is not in that form passes unchanged
/// (the daemon may already send it plain).
pub fn decode_xml_args(value: &str) -> Cow<'_, str> {
    if !value.contains(ARG_OPEN) {
        return Cow::Borrowed(value);
    }
    let mut args = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find(ARG_OPEN) {
        let body = &rest[open + ARG_OPEN.len()..];
        let end = body.find(ARG_CLOSE).unwrap_or(body.len());
        args.push(unescape_xml(&body[..end]));
        rest = body.get(end + ARG_CLOSE.len()..).unwrap_or("");
    }
    Cow::Owned(args.join(" "))
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// One attribute as `prt_attr` prints it, without the final newline.
///
/// Not wide: the value is split on commas (empty pieces vanish, as with `strtok`). A piece
/// that fits before column 78 is printed as is; otherwise, unless it is the first piece, a
/// new `\t` line starts (counted as column 9), and the piece is printed a char at a time,
/// breaking to a new `\t` line (column 8) whenever the column passes 78. The separating
/// comma is printed but not counted. So a char-wrapped piece that ends exactly at the
/// limit leaves a line holding only `\t`, as real `qstat` does.
///
/// Wide (`-w`): one line, with newlines and form feeds shown as `\n` and `\f`.
pub fn attr_line(name: &str, resource: Option<&str>, value: &str, wide: bool) -> String {
    let mut out = format!("    {name}");
    let mut start = name.chars().count() + 7; // 4 spaces + " = "
    if let Some(r) = resource {
        out.push('.');
        out.push_str(r);
        start += r.chars().count() + 1;
    }
    out.push_str(" = ");
    if wide {
        out.push_str(&value.replace('\n', "\\n").replace('\x0c', "\\f"));
        return out;
    }
    let pieces: Vec<&str> = value.split(',').filter(|p| !p.is_empty()).collect();
    let mut first = true;
    for (i, piece) in pieces.iter().enumerate() {
        let len = piece.chars().count();
        if len + start < CHAR_LINE_LIMIT {
            out.push_str(piece);
            start += len;
        } else {
            if !first {
                out.push_str("\n\t");
                start = 9;
            }
            for ch in piece.chars() {
                out.push(ch);
                start += 1;
                if start > CHAR_LINE_LIMIT {
                    start = 8;
                    out.push_str("\n\t");
                }
            }
        }
        if i + 1 < pieces.len() {
            first = false;
            out.push(',');
        }
    }
    out
}

/// `Title: name`, the attribute lines, then the blank line (`display_statjob`/`statque`).
fn object_block(title: &str, obj: &StatusObject, lines: impl Iterator<Item = String>) -> String {
    let lines: Vec<String> = lines.collect();
    // qstat prints the delimiter between attributes and once more after the last, then the
    // blank line, so an object without attributes still ends in two newlines.
    format!("{title}: {}\n{}\n\n", obj.name, lines.join("\n"))
}

/// `qstat -f [-w]` for jobs: `Job Id: <id>`, attributes (times as `ctime()`), blank line.
pub fn qstat_full(jobs: &[StatusObject], ctx: &Ctx, wide: bool) -> String {
    jobs.iter()
        .map(|job| {
            let lines = job.attrs.iter().map(|a| {
                attr_line(
                    &a.name,
                    a.resource.as_deref(),
                    &job_value(a, ctx.zone),
                    wide,
                )
            });
            object_block("Job Id", job, lines)
        })
        .collect()
}

/// `qstat -Qf [-w]`: `Queue: <name>`, the attributes as sent, blank line.
pub fn qstat_queues_full(queues: &[StatusObject], wide: bool) -> String {
    queues
        .iter()
        .map(|q| object_block("Queue", q, raw_lines(q, wide)))
        .collect()
}

/// `qstat -Bf [-w]`: `Server: <name>`, the attributes as sent, blank line.
pub fn qstat_servers_full(servers: &[StatusObject], wide: bool) -> String {
    servers
        .iter()
        .map(|s| {
            if s.attrs.is_empty() {
                // display_statserver prints no delimiter at all when there is no attribute.
                format!("Server: {}\n\n", s.name)
            } else {
                object_block("Server", s, raw_lines(s, wide))
            }
        })
        .collect()
}

fn raw_lines(obj: &StatusObject, wide: bool) -> impl Iterator<Item = String> + '_ {
    obj.attrs
        .iter()
        .map(move |a| attr_line(&a.name, a.resource.as_deref(), &a.value, wide))
}

#[cfg(test)]
mod tests;
