//! [`pbs_error`]: a PBS command's error line read back into a [`PbsError`], so the hub can
//! show PBS's own words and decide on the code (reference `pbs-pro.md` §1.5, §3.4–3.5, §4).
//!
//! Commands print `<cmd>: <text>`; `<text>` starts with the error's base text and may carry a
//! detail (`Unknown resource Resource_List.foo`, `Unknown Job Id 12.pbs02`). `qstat` puts the
//! id first (`qstat: 12.pbs02 Job has finished, use -x …`). A few errors are worded apart
//! from their base text: `cannot connect to server …`, and the entity limits
//! (`Maximum number of jobs for user alice already in queue workq`,
//! `would exceed complex's per-user limit`).
//!
//! Not recognised (`None`, the caller keeps the raw stderr): a hook's own rejection text (its
//! exit code is 32), and client-side errors without a PBS error number (`illegal -l value`,
//! `illegally formed job identifier: …`, `Job name is too long`, exit 1 or 2).

use crate::resources::{PbsError, Pbse};

/// Every [`Pbse`] whose text may be matched by its base text.
const CODES: [Pbse; 23] = [
    Pbse::UnkJobId,
    Pbse::Perm,
    Pbse::BadAtVal,
    Pbse::BadState,
    Pbse::UnkQue,
    Pbse::QueNoEnb,
    Pbse::QAcess,
    Pbse::UnkResc,
    Pbse::ExcQResc,
    Pbse::NoDefQue,
    Pbse::RouteRej,
    Pbse::MaxQued,
    Pbse::BadDepend,
    Pbse::InvalSelectResc,
    Pbse::InvalJobResc,
    Pbse::InvalNodePlace,
    Pbse::PlaceNoSelect,
    Pbse::DupResc,
    Pbse::HookError,
    Pbse::HistJobId,
    Pbse::EntLimCt,
    Pbse::EntLimResc,
    Pbse::NoServer,
];

/// Texts PBS prints for an error in words other than its base text.
const OTHER_WORDINGS: [(&str, Pbse); 3] = [
    ("cannot connect to server", Pbse::NoServer),
    ("Maximum number of jobs for ", Pbse::EntLimCt),
    ("would exceed ", Pbse::EntLimResc),
];

/// A PBS command's stderr (`qsub: Unknown queue`, `qdel: Unknown Job Id 12.pbs02`,
/// `qsub: Unknown resource Resource_List.foo`, …) read back into [`PbsError`] by matching
/// [`Pbse::base_text`] prefixes after the `<cmd>: ` prefix; `None` when the text matches no
/// known PBS error (the caller keeps the raw stderr).
///
/// The first line that matches wins (`qdel` prints one line per failed id). The error's
/// text is the line after `<cmd>: `, as printed.
pub fn pbs_error(stderr: &str) -> Option<PbsError> {
    stderr.lines().find_map(error_line)
}

/// One `<cmd>: <text>` line.
fn error_line(line: &str) -> Option<PbsError> {
    let (command, text) = line.split_once(": ")?;
    let is_command = !command.is_empty()
        && command
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_command {
        return None;
    }
    // `qstat: <id> Job has finished, …`: also try the text after a leading job id.
    let after_id = text
        .split_once(' ')
        .filter(|(first, _)| looks_like_job_id(first))
        .map(|(_, rest)| rest);
    let code = code_of(text).or_else(|| after_id.and_then(code_of))?;
    Some(PbsError::with_text(code, text))
}

/// The error `text` starts with: the longest matching base text (so no error is taken for
/// one whose text is a prefix of its own), else another known wording.
fn code_of(text: &str) -> Option<Pbse> {
    // Base texts are matched without PBS's trailing space (`Unauthorized Request `), which
    // a caller may have trimmed.
    CODES
        .into_iter()
        .map(|code| (code, code.base_text().trim_end()))
        .filter(|(_, base)| text.starts_with(base))
        .max_by_key(|(_, base)| base.len())
        .map(|(code, _)| code)
        .or_else(|| {
            OTHER_WORDINGS
                .into_iter()
                .find(|(prefix, _)| text.starts_with(prefix))
                .map(|(_, code)| code)
        })
}

/// `12.pbs02`, `1234[].pbs02`: a sequence number and a server.
fn looks_like_job_id(word: &str) -> bool {
    word.split_once('.').is_some_and(|(seq, server)| {
        !server.is_empty()
            && seq.starts_with(|c: char| c.is_ascii_digit())
            && seq
                .chars()
                .all(|c| c.is_ascii_digit() || c == '[' || c == ']')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new [`Pbse`] variant fails to compile here until it is added to [`CODES`].
    #[test]
    fn every_code_is_listed() {
        for code in CODES {
            match code {
                Pbse::UnkJobId
                | Pbse::Perm
                | Pbse::BadAtVal
                | Pbse::BadState
                | Pbse::UnkQue
                | Pbse::QueNoEnb
                | Pbse::QAcess
                | Pbse::UnkResc
                | Pbse::ExcQResc
                | Pbse::NoDefQue
                | Pbse::RouteRej
                | Pbse::MaxQued
                | Pbse::BadDepend
                | Pbse::InvalSelectResc
                | Pbse::InvalJobResc
                | Pbse::InvalNodePlace
                | Pbse::PlaceNoSelect
                | Pbse::DupResc
                | Pbse::HookError
                | Pbse::HistJobId
                | Pbse::EntLimCt
                | Pbse::EntLimResc
                | Pbse::NoServer => {}
            }
        }
        let mut errnos: Vec<u32> = CODES.iter().map(|c| c.errno()).collect();
        errnos.sort_unstable();
        errnos.dedup();
        assert_eq!(errnos.len(), CODES.len(), "a code is listed twice");
    }

    #[test]
    fn every_base_text_reads_back_as_its_code() {
        for code in CODES {
            let line = format!("qsub: {} detail", code.base_text());
            let error = pbs_error(&line).unwrap_or_else(|| panic!("{line:?} not read"));
            assert_eq!(error.code(), code, "{line:?}");
            assert_eq!(error.text(), format!("{} detail", code.base_text()));
        }
    }

    #[test]
    fn lines_without_a_command_prefix_or_known_text_are_none() {
        for text in [
            "",
            "Unknown queue",
            "qsub (Warning): Interactive jobs will be treated as not rerunnable",
            "qsub: illegal -l value",
            "qdel: illegally formed job identifier: x;y",
            "qsub: my site's hook says no",
            "sh: qsub: not found",
        ] {
            assert_eq!(pbs_error(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_first_known_line_wins() {
        let stderr =
            "usage: whatever\nqdel: Unknown Job Id 1.pbs02\nqdel: Job has finished 2.pbs02\n";
        let error = pbs_error(stderr).unwrap();
        assert_eq!(error.code(), Pbse::UnkJobId);
        assert_eq!(error.text(), "Unknown Job Id 1.pbs02");
    }
}
