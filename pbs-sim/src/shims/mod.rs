//! The client side of the PBS command shims: `qsub`, `qstat`, `qdel` and `pbsnodes`
//! argument parsing as pure functions, with PBS's own error texts and exit codes.
//!
//! Every parser takes values (argv without argv\[0\], and for `qsub` the environment, the
//! working directory and the script text the caller read) and returns either a typed,
//! serialisable request for the `pbs-sim serve` daemon or a [`ClientError`] holding exactly
//! what PBS prints on stderr and the code it exits with. Nothing here touches a process,
//! a file or a clock, so the shims' behaviour is unit- and property-tested without them.
//!
//! - [`getopt`] — glibc-compatible option scanning (clusters, attached values, `--`,
//!   permutation).
//! - [`qsub`] — command line, directives, precedence and client-side validation →
//!   [`qsub::QsubRequest`].
//! - [`qstat_args`], [`qdel_args`], [`pbsnodes_args`] — the other three commands.
//! - Here: the shared vocabulary — [`ClientError`], [`Invocation`] (`--version`),
//!   [`JobIdArg`] (a job identifier's shape) and [`Destination`] (`queue@server`).

pub mod getopt;
pub mod pbsnodes_args;
pub mod qdel_args;
pub mod qstat_args;
pub mod qsub;

use serde::{Deserialize, Serialize};

/// What a PBS command prints on stderr before exiting unsuccessfully, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientError {
    /// The whole stderr text, trailing newline(s) included.
    pub stderr: String,
    /// The process exit code.
    pub exit_code: i32,
}

impl ClientError {
    /// An error with the given stderr text and exit code.
    pub fn new(stderr: impl Into<String>, exit_code: i32) -> Self {
        ClientError {
            stderr: stderr.into(),
            exit_code,
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}: {}", self.exit_code, self.stderr.trim_end())
    }
}

impl std::error::Error for ClientError {}

/// What a command line asks for: the command's work, or only its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invocation<T> {
    /// Do the command's work with these arguments.
    Run(T),
    /// `cmd --version` alone: print [`version_output`] on stdout and exit 0.
    Version,
}

/// Whether argv is exactly `--version`: PBS's `PRINT_VERSION_AND_EXIT` looks only at a
/// lone argument, before getopt; `--version` among other words is an option error.
pub fn is_version_request(args: &[String]) -> bool {
    matches!(args, [only] if only == "--version")
}

/// The stdout of `cmd --version` for a server of `version`, e.g.
/// `pbs_version = 2022.1.1.20220926110806\n`.
pub fn version_output(version: &str) -> String {
    format!("pbs_version = {version}\n")
}

/// PBS's `ISNAMECHAR`: a printable, non-blank character other than `#` and `@`.
fn is_name_char(c: char) -> bool {
    c.is_ascii_graphic() && c != '#' && c != '@'
}

/// Longest sequence number PBS accepts (`PBS_MAXSEQNUM`).
const MAX_SEQ_DIGITS: usize = 12;
/// Longest server name in an identifier (`MAXSERVERNAME`: host, `:port`, slack).
const MAX_SERVER_NAME: usize = 255 + 5 + 2;
/// Longest client-side job identifier (`PBS_MAXCLTJOBID`).
const MAX_CLIENT_JOBID: usize = 537;
/// Longest queue name (`PBS_MAXQUEUENAME`).
const MAX_QUEUE_NAME: usize = 15;

/// The shape of a job identifier as typed: `seq[.parent_server][@current_server]`, where
/// `seq` is digits, optionally with an array index `[…]` or a reservation letter
/// (`R`, `S`, `M`) in front (OpenPBS `parse_jobid`). Normalising `123` to
/// `123.<server>` is the server's job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobIdArg {
    /// The argument exactly as typed (PBS echoes it in its messages).
    pub typed: String,
    /// The sequence part, e.g. `123`, `123[]`, `123[4]`, `R45`.
    pub seq: String,
    /// The server part after `.`, if given.
    pub parent_server: Option<String>,
    /// The server after `@`, if given.
    pub current_server: Option<String>,
}

impl JobIdArg {
    /// Parses `typed`; `None` when PBS would say `illegally formed job identifier`.
    pub fn parse(typed: &str) -> Option<JobIdArg> {
        let s = typed.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        let mut seq = String::new();
        let resv = matches!(chars.first(), Some('R' | 'S' | 'M'));
        if resv {
            seq.push(chars[0]);
            i = 1;
        }
        let digits_start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits = i - digits_start;
        if digits == 0 || digits > MAX_SEQ_DIGITS {
            return None;
        }
        seq.extend(&chars[digits_start..i]);
        if chars.get(i) == Some(&'[') {
            if resv {
                return None;
            }
            let close = chars[i..].iter().position(|&c| c == ']')? + i;
            let inside = &chars[i + 1..close];
            if !inside
                .iter()
                .all(|c| c.is_ascii_digit() || *c == '-' || *c == ':')
            {
                return None;
            }
            seq.extend(&chars[i..=close]);
            i = close + 1;
        }
        let parent_server = Self::server_part(&chars, &mut i, '.')?;
        let current_server = Self::server_part(&chars, &mut i, '@')?;
        let parent_len = parent_server.as_ref().map_or(0, String::len);
        if i != chars.len() || seq.len() + parent_len + 2 > MAX_CLIENT_JOBID {
            return None;
        }
        Some(JobIdArg {
            typed: typed.to_string(),
            seq,
            parent_server,
            current_server,
        })
    }

    /// Reads `<marker><name>` at `*i`: `Some(None)` if the marker is absent, `None` if the
    /// name after it is empty or too long.
    fn server_part(chars: &[char], i: &mut usize, marker: char) -> Option<Option<String>> {
        if chars.get(*i) != Some(&marker) {
            return Some(None);
        }
        let start = *i + 1;
        let mut end = start;
        while end < chars.len() && is_name_char(chars[end]) {
            end += 1;
        }
        *i = end;
        let name: String = chars[start..end].iter().collect();
        (!name.is_empty() && name.len() <= MAX_SERVER_NAME).then_some(Some(name))
    }
}

/// A destination as typed to `qsub -q` or `qstat`: `queue`, `@server` or `queue@server`
/// (OpenPBS `parse_destination_id`; an empty string is the default queue at the default
/// server).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// The queue, if one is named.
    pub queue: Option<String>,
    /// The server after `@`, if one is named.
    pub server: Option<String>,
}

impl Destination {
    /// Parses a destination; `None` where PBS reports it as illegally formed.
    pub fn parse(text: &str) -> Option<Destination> {
        let s = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let queue_end = s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
        let queue = &s[..queue_end];
        if queue.len() > MAX_QUEUE_NAME {
            return None;
        }
        let rest = &s[queue_end..];
        let server = match rest.strip_prefix('@') {
            None if rest.is_empty() => None,
            None => return None,
            Some(name) => {
                let ok = !name.is_empty()
                    && name.len() <= MAX_SERVER_NAME
                    && name.chars().all(is_name_char);
                if !ok {
                    return None;
                }
                Some(name.to_string())
            }
        };
        Some(Destination {
            queue: (!queue.is_empty()).then(|| queue.to_string()),
            server,
        })
    }
}

#[cfg(test)]
mod tests;
