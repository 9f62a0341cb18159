//! `qdel` argument parsing (OpenPBS `qdel.c`; reference `pbs-pro.md` §4).
//!
//! Option errors print their message, then the usage, and exit 2. A malformed job
//! identifier does not stop the command: PBS reports it and goes on with the others,
//! exiting with the last error's code, so each operand is parsed on its own.

use serde::{Deserialize, Serialize};

use super::getopt::{getopt, Event, Ordering};
use super::{is_version_request, ClientError, Invocation, JobIdArg};

/// `qdel`'s usage text, printed on stderr for any option error (exit 2).
pub const USAGE: &str =
    "usage:\n\tqdel [-W force|suppress_email=X] [-x] job_identifier...\n\tqdel --version\n";

/// A parsed `qdel` command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QdelArgs {
    /// `-W force`: delete even if the execution host does not answer.
    pub force: bool,
    /// `-W suppress_email=N`: the number of deletions after which mail stops (PBS reads
    /// the value with `atol`, so junk is 0).
    pub suppress_email: Option<i64>,
    /// `-x`: also delete finished jobs' history.
    pub delete_history: bool,
    /// One entry per operand, in order: its parsed identifier, or the error PBS prints
    /// for it (`qdel: illegally formed job identifier: <arg>`, exit 1).
    pub targets: Vec<Result<JobIdArg, ClientError>>,
}

/// Parses `qdel`'s argv (without argv\[0\]).
pub fn parse_qdel(args: &[String]) -> Result<Invocation<QdelArgs>, ClientError> {
    if is_version_request(args) {
        return Ok(Invocation::Version);
    }
    let scan = getopt(args, "W:x", Ordering::Permute);
    let mut stderr = String::new();
    let mut errors = 0;
    let mut parsed = QdelArgs {
        force: false,
        suppress_email: None,
        delete_history: false,
        targets: Vec::new(),
    };
    for event in &scan.events {
        match event {
            Event::Opt('W', Some(value)) => match w_value(value) {
                Some(WValue::Force) => parsed.force = true,
                Some(WValue::SuppressEmail(n)) => parsed.suppress_email = Some(n),
                // An all-digit value is the old delay argument, accepted and ignored.
                Some(WValue::LegacyDelay) => {}
                None => {
                    stderr.push_str("qdel: illegal -W value\n");
                    errors += 1;
                }
            },
            Event::Opt('x', _) => parsed.delete_history = true,
            other => {
                stderr.push_str(&other.glibc_message("qdel").unwrap_or_default());
                errors += 1;
            }
        }
    }
    if errors > 0 || scan.operands.is_empty() {
        stderr.push_str(USAGE);
        return Err(ClientError::new(stderr, 2));
    }
    parsed.targets = scan
        .operands
        .iter()
        .map(|(_, arg)| {
            JobIdArg::parse(arg).ok_or_else(|| {
                ClientError::new(format!("qdel: illegally formed job identifier: {arg}\n"), 1)
            })
        })
        .collect();
    Ok(Invocation::Run(parsed))
}

/// What a `-W` value means to qdel.
enum WValue {
    Force,
    SuppressEmail(i64),
    LegacyDelay,
}

fn w_value(value: &str) -> Option<WValue> {
    if value == "force" {
        return Some(WValue::Force);
    }
    if let Some((key, number)) = value.split_once('=') {
        if key.trim() == "suppress_email" {
            return Some(WValue::SuppressEmail(atol(number)));
        }
    }
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    digits.then_some(WValue::LegacyDelay)
}

/// C's `atol`: optional blanks and sign, then digits; anything else ends the number and
/// no digits at all is 0. Saturates instead of overflowing.
pub(crate) fn atol(text: &str) -> i64 {
    let s = text.trim_start();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let magnitude = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn run(words: &[&str]) -> QdelArgs {
        match parse_qdel(&argv(words)) {
            Ok(Invocation::Run(args)) => args,
            other => panic!("{words:?}: {other:?}"),
        }
    }

    fn err(words: &[&str]) -> ClientError {
        parse_qdel(&argv(words)).expect_err("expected an error")
    }

    #[test]
    fn options_and_ids() {
        let args = run(&["-W", "force", "-x", "12", "13.pbs02"]);
        assert!(args.force && args.delete_history);
        assert_eq!(args.targets.len(), 2);
        assert_eq!(run(&["-Wsuppress_email=5", "1"]).suppress_email, Some(5));
        assert_eq!(
            run(&["-W", "suppress_email=x", "1"]).suppress_email,
            Some(0)
        );
        assert_eq!(run(&["-W", "30", "1"]), run(&["1"]));
        // glibc permutes: options after operands still count.
        assert!(run(&["12", "-x"]).delete_history);
    }

    #[test]
    fn usage_errors_exit_2() {
        assert_eq!(err(&[]), ClientError::new(USAGE, 2));
        assert_eq!(err(&["-x"]), ClientError::new(USAGE, 2));
        assert_eq!(
            err(&["-W", "", "1"]),
            ClientError::new(format!("qdel: illegal -W value\n{USAGE}"), 2)
        );
        assert_eq!(
            err(&["-W", "bogus", "1"]),
            ClientError::new(format!("qdel: illegal -W value\n{USAGE}"), 2)
        );
        assert_eq!(
            err(&["-z", "1"]),
            ClientError::new(format!("qdel: invalid option -- 'z'\n{USAGE}"), 2)
        );
        assert_eq!(
            err(&["1", "-W"]),
            ClientError::new(
                format!("qdel: option requires an argument -- 'W'\n{USAGE}"),
                2
            )
        );
        assert_eq!(
            USAGE,
            "usage:\n\tqdel [-W force|suppress_email=X] [-x] job_identifier...\n\tqdel --version\n"
        );
    }

    #[test]
    fn malformed_ids_are_reported_per_id() {
        let args = run(&["12", "foo", "13"]);
        assert!(args.targets[0].is_ok() && args.targets[2].is_ok());
        assert_eq!(
            args.targets[1],
            Err(ClientError::new(
                "qdel: illegally formed job identifier: foo\n",
                1
            ))
        );
    }

    #[test]
    fn version() {
        assert_eq!(parse_qdel(&argv(&["--version"])), Ok(Invocation::Version));
        // Not alone: read as options, as PBS does.
        assert_eq!(err(&["--version", "1"]).exit_code, 2);
    }

    #[test]
    fn atol_is_c_like() {
        assert_eq!(atol(" 42abc"), 42);
        assert_eq!(atol("-7"), -7);
        assert_eq!(atol("x"), 0);
        assert_eq!(atol("99999999999999999999999"), i64::MAX);
    }
}
