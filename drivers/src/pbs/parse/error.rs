//! [`ParseError`]: why an answer of a PBS command could not be read.

use crate::job::InvalidName;

/// Why an answer could not be read (never a panic).
///
/// It derives `Clone` and `Eq` so that the driver can keep it with a job's status and tests
/// can compare it; that is why the JSON parser's own error is kept as its message and
/// position rather than as a `#[source]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// `qstat -F json` printed something that is not a JSON document of the expected shape.
    #[error("qstat's JSON could not be read at line {line}, column {column}: {reason}")]
    NotJson {
        /// serde_json's explanation.
        reason: String,
        /// 1-based line of the problem (0 when unknown).
        line: usize,
        /// 1-based column of the problem (0 when unknown).
        column: usize,
    },
    /// A line of `qstat -f` text belongs to no job: an attribute before the first `Job Id:`
    /// line, or a `Job Id:` line without an id.
    #[error("qstat -f line {line} belongs to no job (no `Job Id: <id>` before it): {text:?}")]
    NoJobId {
        /// 1-based line number.
        line: usize,
        /// The line as printed.
        text: String,
    },
    /// `qstat -B -f` or `pbsnodes -a` printed something the cluster summary cannot read.
    #[error("the cluster summary could not be read: {what}")]
    BadSummary {
        /// What was wrong.
        what: String,
    },
    /// `qsub` exited successfully but printed no job id.
    #[error("qsub printed no job id")]
    NoQsubJobId,
    /// `qsub` printed something that is not a job id we accept.
    #[error("qsub printed {printed:?}, which is not a job id")]
    BadQsubJobId {
        /// The line qsub printed, trimmed.
        printed: String,
        /// Why [`JobId::new`](crate::JobId::new) refused it.
        #[source]
        source: InvalidName,
    },
}
