//! The resource names whose meaning this grammar knows without a server's definitions:
//! the values it types, the names that may not go in a chunk, and the chunk-level names
//! that may not be given job-wide next to `select` (reference §1.5, §2.5).

use super::error::{PbsError, Pbse};
use super::size::Size;
use super::syntax::is_digits;
use super::walltime::Walltime;

/// How a built-in resource's value is typed when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuiltinType {
    /// A non-negative integer.
    Count,
    /// A [`Size`].
    Size,
    /// A duration, as a [`Walltime`].
    Duration,
}

/// Resources that only make sense for the whole job; inside a chunk they are
/// `Resource invalid in "select" specification`.
pub(crate) const JOB_WIDE_ONLY: &[&str] = &[
    "walltime",
    "cput",
    "place",
    "select",
    "nice",
    "soft_walltime",
    "min_walltime",
    "max_walltime",
];

/// Built-in host-level resources: given job-wide next to `select` they are old-style
/// requests (`"-lresource=" cannot be used with "select" or "place"`).
pub(crate) const CHUNK_LEVEL: &[&str] = &[
    "ncpus",
    "mem",
    "vmem",
    "ngpus",
    "mpiprocs",
    "ompthreads",
    "naccelerators",
    "host",
    "vnode",
    "arch",
];

/// The type of a built-in resource's value, if the grammar types it.
pub(crate) fn builtin_type(name: &str) -> Option<BuiltinType> {
    match name {
        "ncpus" | "ngpus" | "mpiprocs" | "ompthreads" => Some(BuiltinType::Count),
        "mem" | "vmem" => Some(BuiltinType::Size),
        "walltime" | "cput" | "soft_walltime" | "min_walltime" | "max_walltime" => {
            Some(BuiltinType::Duration)
        }
        _ => None,
    }
}

/// Parses a count resource's value: digits only, fitting `u32`.
pub(crate) fn parse_count(name: &str, text: &str) -> Result<u32, PbsError> {
    if !is_digits(text) {
        return Err(PbsError::illegal_value(name));
    }
    text.parse().map_err(|_| PbsError::illegal_value(name))
}

/// Checks a job-wide value of a built-in typed resource (`-l ncpus=4`, `-l mem=2gb`,
/// `-l cput=1:00:00`); other names pass.
pub(crate) fn check_job_value(name: &str, text: &str) -> Result<(), PbsError> {
    match builtin_type(name) {
        Some(BuiltinType::Count) => parse_count(name, text).map(drop),
        Some(BuiltinType::Size) => Size::parse_for(text, name).map(drop),
        Some(BuiltinType::Duration) => Walltime::parse_for(text, name).map(drop),
        None => Ok(()),
    }
}

/// `Resource invalid in "select" specification: <name>`.
pub(crate) fn invalid_in_select(name: &str) -> PbsError {
    PbsError::new(Pbse::InvalSelectResc, &format!(": {name}"))
}

/// `"-lresource=" cannot be used with "select" or "place", resource is: <name>`.
pub(crate) fn old_style_with_select(name: &str) -> PbsError {
    PbsError::new(Pbse::InvalJobResc, &format!(": {name}"))
}
