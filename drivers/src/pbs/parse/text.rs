//! [`qstat_full_text`]: the `qstat -f [-x] ids…` text, the fallback for sites without
//! `-F json` or whose JSON is broken (reference `pbs-pro.md` §3.3).
//!
//! ```text
//! Job Id: 7600424.pbs02
//!     Job_Name = pi-mpi
//!     exec_vnode = (node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncp
//! <TAB>us=2:mem=1048576kb:ngpus=0:nphis=0)
//!     estimated.start_time = Thu Nov  9 13:04:14 2023
//! <blank line>
//! ```
//!
//! qstat wraps values at 78 columns by printing a newline and a TAB *inside* the value, at a
//! comma or in the middle of a word. So a continuation line's text after its TAB is appended
//! to the value as is — nothing dropped, nothing inserted — and the value comes back exactly.
//! A line holding only a TAB (a word that ended exactly at the limit) appends nothing.

use std::borrow::Cow;

use super::error::ParseError;
use super::status::Attributes;
use super::QstatJob;

/// `qstat -f [-x] ids…` text (the fallback for sites without -F json), 78-column wrapped
/// values re-joined; several `Job Id:` blocks.
///
/// Empty output (no job matched) is an empty answer. Lines that are neither a `Job Id:`
/// line, an attribute (`    name = value`), a continuation (starting with a TAB) nor blank
/// are skipped — qstat prints none, but a message on stdout or a stray line must not cost
/// the hub every other job. An attribute before the first `Job Id:`, or a `Job Id:` without
/// an id, is [`ParseError::NoJobId`].
pub fn qstat_full_text(text: &str) -> Result<Vec<QstatJob>, ParseError> {
    let mut jobs = Vec::new();
    let mut current: Option<Block<'_>> = None;
    // The attribute continuation lines extend: set by an attribute line we keep, cleared by
    // any other line that is not a continuation.
    let mut open: Option<&str> = None;
    for (index, line) in text.split('\n').enumerate() {
        if let Some(rest) = line.strip_prefix("Job Id:") {
            let id = rest.trim();
            if id.is_empty() {
                return Err(no_job_id(index, line));
            }
            jobs.extend(current.take().map(Block::finish));
            current = Some(Block {
                id,
                attributes: Attributes::default(),
            });
            open = None;
        } else if let Some(more) = line.strip_prefix('\t') {
            if let (Some(block), Some(name)) = (current.as_mut(), open) {
                if let Some(Some(value)) = block.attributes.slot(name) {
                    value.to_mut().push_str(more);
                }
            }
        } else if let Some((name, value)) = attribute(line) {
            let Some(block) = current.as_mut() else {
                return Err(no_job_id(index, line));
            };
            open = None;
            if let Some(slot) = block.attributes.slot(name) {
                *slot = Some(Cow::Borrowed(value));
                open = Some(name);
            }
        } else {
            open = None;
        }
    }
    jobs.extend(current.map(Block::finish));
    Ok(jobs)
}

/// One `Job Id:` block being read.
struct Block<'a> {
    id: &'a str,
    attributes: Attributes<'a>,
}

impl Block<'_> {
    fn finish(self) -> QstatJob {
        self.attributes.into_job(self.id.to_owned())
    }
}

/// `    name = value` → (name, value). The name is one word (`Resource_List.walltime`); the
/// value is everything after the first ` = ` (an empty value may have lost its trailing
/// space, `    comment =`).
fn attribute(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("    ")?;
    let (name, value) = match rest.split_once(" = ") {
        Some(pair) => pair,
        None => (rest.strip_suffix(" =")?, ""),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    Some((name, value))
}

fn no_job_id(index: usize, line: &str) -> ParseError {
    ParseError::NoJobId {
        line: index + 1,
        text: line.to_owned(),
    }
}
