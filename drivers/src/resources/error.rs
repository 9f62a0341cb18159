//! PBS's errors, with the texts, `pbs_errno` values and exit codes its commands use.
//!
//! `qsub` and friends print `qsub: <text>` and exit with `pbs_errno & 0xFF`
//! (reference `pbs-pro.md` §1.5 and §7). Both the simulator's shims and the production driver
//! use these so that the hub shows the user PBS's own words.

use std::fmt;

/// A PBS error number (`PBSE_*` in OpenPBS's `pbs_error.h`) with its base message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pbse {
    /// 15001 `Unknown Job Id`.
    UnkJobId,
    /// 15007 `Unauthorized Request ` (trailing space is PBS's).
    Perm,
    /// 15014 `Illegal attribute or resource value`.
    BadAtVal,
    /// 15016 `Request invalid for state of job`.
    BadState,
    /// 15018 `Unknown queue`.
    UnkQue,
    /// 15021 `Queue is not enabled`.
    QueNoEnb,
    /// 15022 `Access to queue is denied`.
    QAcess,
    /// 15035 `Unknown resource`.
    UnkResc,
    /// 15036 `Job violates queue and/or server resource limits`.
    ExcQResc,
    /// 15037 `No default queue specified`.
    NoDefQue,
    /// 15039 `Job rejected by all possible destinations`.
    RouteRej,
    /// 15046 `Maximum number of jobs already in queue`.
    MaxQued,
    /// 15054 `Invalid dependency`.
    BadDepend,
    /// 15108 `Resource invalid in "select" specification`.
    InvalSelectResc,
    /// 15109 `"-lresource=" cannot be used with "select" or "place", resource is`.
    InvalJobResc,
    /// 15110 `Cannot be used with select or place`.
    InvalNodePlace,
    /// 15111 `Cannot have "place" without "select"`.
    PlaceNoSelect,
    /// 15116 `duplicated resource within a section of a select specification, resource is`.
    DupResc,
    /// 15136 hook rejection; the text is the hook's.
    HookError,
    /// 15139 `Job has finished`.
    HistJobId,
    /// 15142 entity limit on job count, e.g. `Maximum number of jobs for user alice already in queue workq`.
    EntLimCt,
    /// 15143 entity limit on a resource, e.g. `would exceed complex's per-user limit`.
    EntLimResc,
    /// 15034 the server could not be reached (`cannot connect to server`).
    NoServer,
}

impl Pbse {
    /// The `pbs_errno` value.
    pub fn errno(self) -> u32 {
        match self {
            Pbse::UnkJobId => 15001,
            Pbse::Perm => 15007,
            Pbse::BadAtVal => 15014,
            Pbse::BadState => 15016,
            Pbse::UnkQue => 15018,
            Pbse::QueNoEnb => 15021,
            Pbse::QAcess => 15022,
            Pbse::NoServer => 15034,
            Pbse::UnkResc => 15035,
            Pbse::ExcQResc => 15036,
            Pbse::NoDefQue => 15037,
            Pbse::RouteRej => 15039,
            Pbse::MaxQued => 15046,
            Pbse::BadDepend => 15054,
            Pbse::InvalSelectResc => 15108,
            Pbse::InvalJobResc => 15109,
            Pbse::InvalNodePlace => 15110,
            Pbse::PlaceNoSelect => 15111,
            Pbse::DupResc => 15116,
            Pbse::HookError => 15136,
            Pbse::HistJobId => 15139,
            Pbse::EntLimCt => 15142,
            Pbse::EntLimResc => 15143,
        }
    }

    /// The exit code of a PBS command that failed with this error: `pbs_errno & 0xFF`.
    pub fn exit_code(self) -> u8 {
        (self.errno() & 0xFF) as u8
    }

    /// PBS's message for this error, without any detail appended.
    pub fn base_text(self) -> &'static str {
        match self {
            Pbse::UnkJobId => "Unknown Job Id",
            Pbse::Perm => "Unauthorized Request ",
            Pbse::BadAtVal => "Illegal attribute or resource value",
            Pbse::BadState => "Request invalid for state of job",
            Pbse::UnkQue => "Unknown queue",
            Pbse::QueNoEnb => "Queue is not enabled",
            Pbse::QAcess => "Access to queue is denied",
            Pbse::NoServer => "No server to connect to",
            Pbse::UnkResc => "Unknown resource",
            Pbse::ExcQResc => "Job violates queue and/or server resource limits",
            Pbse::NoDefQue => "No default queue specified",
            Pbse::RouteRej => "Job rejected by all possible destinations",
            Pbse::MaxQued => "Maximum number of jobs already in queue",
            Pbse::BadDepend => "Invalid dependency",
            Pbse::InvalSelectResc => "Resource invalid in \"select\" specification",
            Pbse::InvalJobResc => {
                "\"-lresource=\" cannot be used with \"select\" or \"place\", resource is"
            }
            Pbse::InvalNodePlace => "Cannot be used with select or place",
            Pbse::PlaceNoSelect => "Cannot have \"place\" without \"select\"",
            Pbse::DupResc => {
                "duplicated resource within a section of a select specification, resource is"
            }
            Pbse::HookError => "hook rejected request",
            Pbse::HistJobId => "Job has finished",
            Pbse::EntLimCt => "Maximum number of jobs already in complex",
            Pbse::EntLimResc => "would exceed complex's per-user limit",
        }
    }
}

/// A PBS error as a command prints it (without the `qsub: ` prefix): the code and the full
/// text, e.g. `Unknown resource: foo` or `Illegal attribute or resource value Resource_List.walltime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbsError {
    code: Pbse,
    text: String,
}

impl PbsError {
    /// The error `code` with `suffix` appended verbatim to its base text: PBS appends
    /// `" Resource_List.walltime"` (a space and the attribute) for a bad attribute and
    /// `": foo"` (a colon) for a bad resource inside `select`.
    pub fn new(code: Pbse, suffix: &str) -> Self {
        PbsError {
            code,
            text: format!("{}{}", code.base_text(), suffix),
        }
    }

    /// An error whose whole text is given (entity limits and hooks word their own messages).
    pub fn with_text(code: Pbse, text: impl Into<String>) -> Self {
        PbsError {
            code,
            text: text.into(),
        }
    }

    /// `Illegal attribute or resource value Resource_List.<resource>` (15014, exit 166).
    pub fn illegal_value(resource: &str) -> Self {
        PbsError::new(Pbse::BadAtVal, &format!(" Resource_List.{resource}"))
    }

    /// `Unknown resource Resource_List.<resource>` for a job-wide resource (15035, exit 187).
    pub fn unknown_resource(resource: &str) -> Self {
        PbsError::new(Pbse::UnkResc, &format!(" Resource_List.{resource}"))
    }

    /// `Unknown resource: <resource>` for a resource inside `select` (15035, exit 187).
    pub fn unknown_resource_in_select(resource: &str) -> Self {
        PbsError::new(Pbse::UnkResc, &format!(": {resource}"))
    }

    /// The PBS error number.
    pub fn code(&self) -> Pbse {
        self.code
    }

    /// The exit code a PBS command exits with for this error.
    pub fn exit_code(&self) -> u8 {
        self.code.exit_code()
    }

    /// The full text, as printed after `qsub: `.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the failure may go away by itself (only a server that cannot be reached).
    pub fn is_transient(&self) -> bool {
        matches!(self.code, Pbse::NoServer)
    }
}

impl fmt::Display for PbsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for PbsError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exit codes from reference `pbs-pro.md` §1.5 and §7.
    #[test]
    fn exit_codes_are_errno_low_byte() {
        let expected = [
            (Pbse::UnkJobId, 153),
            (Pbse::Perm, 159),
            (Pbse::BadAtVal, 166),
            (Pbse::BadState, 168),
            (Pbse::UnkQue, 170),
            (Pbse::QueNoEnb, 173),
            (Pbse::QAcess, 174),
            (Pbse::UnkResc, 187),
            (Pbse::ExcQResc, 188),
            (Pbse::NoDefQue, 189),
            (Pbse::RouteRej, 191),
            (Pbse::MaxQued, 198),
            (Pbse::BadDepend, 206),
            (Pbse::InvalSelectResc, 4),
            (Pbse::InvalJobResc, 5),
            (Pbse::InvalNodePlace, 6),
            (Pbse::PlaceNoSelect, 7),
            (Pbse::DupResc, 12),
            (Pbse::HookError, 32),
            (Pbse::HistJobId, 35),
            (Pbse::EntLimCt, 38),
            (Pbse::EntLimResc, 39),
        ];
        for (code, exit) in expected {
            assert_eq!(code.exit_code(), exit, "{code:?}");
        }
    }

    #[test]
    fn texts_are_pbs_own() {
        assert_eq!(
            PbsError::illegal_value("walltime").to_string(),
            "Illegal attribute or resource value Resource_List.walltime"
        );
        assert_eq!(
            PbsError::unknown_resource("foo").to_string(),
            "Unknown resource Resource_List.foo"
        );
        assert_eq!(
            PbsError::unknown_resource_in_select("AMD").to_string(),
            "Unknown resource: AMD"
        );
        assert_eq!(
            PbsError::new(Pbse::ExcQResc, "").to_string(),
            "Job violates queue and/or server resource limits"
        );
    }
}
