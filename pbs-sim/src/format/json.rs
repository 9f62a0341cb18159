//! `-F json` as the old generator prints it (`Libcmds/pbs_json.c`, OpenPBS ≤ 23.06 and
//! commercial PBS Pro 2022): 4-space indents, `"key":value` with no blank, `,\n` between
//! members, the opening `{`/`[` on the key's line, each closing one on its own line, and
//! `\n}\n` at the very end. Values are typed by looking at them: a value that reads as a
//! number is printed bare (`"Priority":0`, `"umask":22`), anything else is a string.
//!
//! - [`qstat_json`] — `qstat -f -F json` (`Jobs`), [`qstat_queues_json`] (`Queue`),
//!   [`qstat_servers_json`] (`Server`), [`pbsnodes_json`] (`nodes`).
//! - [`is_valid_json_number`] / [`prints_bare`] — the typing rule.

use std::borrow::Cow;

use super::qstat_full::job_value;
use super::{Attr, Ctx, StatusObject};

mod generator;
mod strings;

use generator::{Generator, Val};
use strings::Esc;
pub use strings::{is_valid_json_number, prints_bare};

/// `qstat -f -F json` for jobs. When no job matched there is no `Jobs` key at all (clients
/// that index `['Jobs']` crash on real PBS too).
pub fn qstat_json(jobs: &[StatusObject], ctx: &Ctx) -> String {
    let mut doc = JobsJson::new(ctx, 0);
    for job in jobs {
        doc.push(job);
    }
    doc.finish()
}

/// `qstat -f -F json` built one job at a time, so a caller with thousands of jobs need not
/// hold every job's status at once. Prints exactly what [`qstat_json`] prints.
#[derive(Debug)]
pub struct JobsJson {
    g: Generator,
    zone: super::Zone,
    any: bool,
}

impl JobsJson {
    /// A document with its prologue; `capacity` is a guess at its size in bytes.
    pub fn new(ctx: &Ctx, capacity: usize) -> Self {
        let mut g = Generator::with_capacity(capacity);
        prologue(&mut g, ctx);
        JobsJson {
            g,
            zone: ctx.zone,
            any: false,
        }
    }

    /// Adds a job (the `Jobs` object opens with the first).
    pub fn push(&mut self, job: &StatusObject) {
        if !self.any {
            self.g.open_object("Jobs");
            self.any = true;
        }
        let zone = self.zone;
        qstat_object(&mut self.g, job, &|a| job_value(a, zone));
    }

    /// The document; without any job there is no `Jobs` key.
    pub fn finish(mut self) -> String {
        if self.any {
            self.g.close_object();
        }
        self.g.finish()
    }
}

/// `qstat -Qf -F json`: queues under `Queue`, values as sent; no key when there is none.
pub fn qstat_queues_json(queues: &[StatusObject], ctx: &Ctx) -> String {
    top_level(ctx, "Queue", queues, |a| Cow::Borrowed(a.value.as_str()))
}

/// `qstat -Bf -F json`: servers under `Server`, values as sent; no key when there is none.
pub fn qstat_servers_json(servers: &[StatusObject], ctx: &Ctx) -> String {
    top_level(ctx, "Server", servers, |a| Cow::Borrowed(a.value.as_str()))
}

/// `timestamp`, `pbs_version`, `pbs_server`: the prologue every document starts with.
fn prologue(g: &mut Generator, ctx: &Ctx) {
    g.value(Some("timestamp"), Val::Int(ctx.now));
    g.value(Some("pbs_version"), Val::Str(&ctx.pbs_version, Esc::Full));
    g.value(Some("pbs_server"), Val::Str(&ctx.server, Esc::Full));
}

fn top_level<'a>(
    ctx: &Ctx,
    key: &str,
    objects: &'a [StatusObject],
    shown: impl Fn(&'a Attr) -> Cow<'a, str>,
) -> String {
    let mut g = Generator::new();
    prologue(&mut g, ctx);
    if !objects.is_empty() {
        g.open_object(key);
        for obj in objects {
            qstat_object(&mut g, obj, &shown);
        }
        g.close_object();
    }
    g.finish()
}

/// One job, queue or server as `prt_attr`'s JSON branch builds it: consecutive attributes
/// with a resource share one nested object named after the attribute; `Variable_List`
/// becomes an object of its variables. Like `qstat`, the `Variable_List` branch neither
/// opens nor closes a pending resource object (the server never sends it right after one).
fn qstat_object<'a>(
    g: &mut Generator,
    obj: &'a StatusObject,
    shown: &impl Fn(&'a Attr) -> Cow<'a, str>,
) {
    g.open_object(&obj.name);
    let mut open_resource: Option<&str> = None;
    for a in &obj.attrs {
        let value = shown(a);
        if a.name == "Variable_List" {
            g.open_object(&a.name);
            if value.contains('\\') || value.contains("=,") {
                for (key, val) in split_variable_list(&value) {
                    // A variable without `=` has no value node and prints nothing.
                    if let Some(val) = val {
                        g.value(Some(&key), Val::Auto(&val, Esc::Attr));
                    }
                }
            } else {
                // Nothing escaped and no empty value: plain splits read it the same,
                // without copying every variable (the common case, and a hot one).
                for piece in value.split(',').filter(|p| !p.is_empty()) {
                    if let Some((key, val)) = piece.split_once('=') {
                        g.value(Some(key), Val::Auto(val, Esc::Attr));
                    }
                }
            }
            g.close_object();
        } else if let Some(resource) = &a.resource {
            if open_resource.is_some_and(|name| name != a.name) {
                g.close_object();
                open_resource = None;
            }
            if open_resource.is_none() {
                g.open_object(&a.name);
                open_resource = Some(&a.name);
            }
            g.value(Some(resource), Val::Auto(&value, Esc::Attr));
        } else {
            if open_resource.take().is_some() {
                g.close_object();
            }
            g.value(Some(&a.name), Val::Auto(&value, Esc::Attr));
        }
    }
    if open_resource.is_some() {
        g.close_object();
    }
    g.close_object();
}

/// Split a `Variable_List` the way `qstat` does: on commas not preceded by a backslash (the
/// backslash is dropped), then each piece on its first `=`. A piece without `=` has no
/// value. As in `qstat`, the char right after the `=` is always taken into the value, even
/// a comma (`A=,B=1` gives `A` the value `,B=1`).
pub fn split_variable_list(value: &str) -> Vec<(String, Option<String>)> {
    // Bytes, not chars: the separators are ASCII, which never occur inside a UTF-8
    // sequence, so every split leaves valid UTF-8.
    let b = value.as_bytes();
    let text = |v: Vec<u8>| String::from_utf8(v).unwrap_or_default();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let mut key = Vec::new();
        let mut val: Option<Vec<u8>> = None;
        while i < b.len() && b[i] != b',' {
            if b[i] == b'\\' && b.get(i + 1) == Some(&b',') {
                i += 1;
            }
            if val.is_none() && b[i] == b'=' {
                val = Some(Vec::new());
                i += 1;
                if i == b.len() {
                    break;
                }
            }
            match &mut val {
                Some(v) => v.push(b[i]),
                None => key.push(b[i]),
            }
            i += 1;
        }
        out.push((text(key), val.map(text)));
        i += 1; // the comma
    }
    out
}

/// `pbsnodes -a -F json`: nodes under `nodes` (present even when empty). Values are typed
/// like qstat's but fully escaped; `resources_available` and `resources_assigned` become
/// objects, zero-valued assigned resources are left out (`0`, `0kb`), `jobs` becomes an
/// array of job ids with the `/slot` suffix stripped and repeats next to each other dropped;
/// times stay epoch numbers.
pub fn pbsnodes_json(nodes: &[StatusObject], ctx: &Ctx) -> String {
    let mut g = Generator::new();
    prologue(&mut g, ctx);
    g.open_object("nodes");
    for node in nodes {
        node_object(&mut g, node);
    }
    g.close_object();
    g.finish()
}

fn node_object(g: &mut Generator, node: &StatusObject) {
    g.open_object(&node.name);
    let mut i = 0;
    while i < node.attrs.len() {
        let a = &node.attrs[i];
        match a.name.as_ref() {
            group @ ("resources_available" | "resources_assigned") => {
                g.open_object(group);
                while let Some(r) = node.attrs.get(i).filter(|r| r.name == group) {
                    // glibc prints a NULL key as "(null)".
                    let key = r.resource.as_deref().unwrap_or("(null)");
                    if group == "resources_available" || strings::strtod_prefix(&r.value) != 0.0 {
                        g.value(Some(key), Val::Auto(&r.value, Esc::Full));
                    } else if !r.value.starts_with('0') {
                        g.value(Some(key), Val::Str(&r.value, Esc::Full));
                    }
                    i += 1;
                }
                g.close_object();
                continue;
            }
            "jobs" => {
                g.open_array("jobs");
                let compact: String = a.value.chars().filter(|c| *c != ' ').collect();
                let mut prev = "";
                for entry in compact.split(',').filter(|e| !e.is_empty()) {
                    let id = entry.split('/').next().unwrap_or(entry);
                    if id != prev {
                        g.value(None, Val::Str(id, Esc::Full));
                    }
                    prev = id;
                }
                g.close_array();
            }
            _ => g.value(Some(&a.name), Val::Auto(&a.value, Esc::Full)),
        }
        i += 1;
    }
    g.close_object();
}

#[cfg(test)]
mod tests;
