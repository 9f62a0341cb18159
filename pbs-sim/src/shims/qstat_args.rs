//! `qstat` argument parsing (OpenPBS `qstat.c` `main`; reference `pbs-pro.md` §3).
//!
//! The option string is `ainpqrstwxu:fGHJMQEBW:T1F:D:`. Incompatible options print
//! `qstat: conflicting options.` (once per clash found, in PBS's order), then the usage,
//! and exit 2. Operands are checked one by one: a bad one is reported and the others still
//! run, so each carries its own result.

use serde::{Deserialize, Serialize};

use super::getopt::{getopt, Event, Ordering};
use super::{is_version_request, ClientError, Destination, Invocation, JobIdArg};

/// `qstat`'s usage text (note `usage: ` with a trailing blank), printed on stderr with
/// exit 2.
pub const USAGE: &str = "usage: \n\
qstat [-f] [-J] [-p] [-t] [-x] [-E] [-F format | -w] [-D delim] [ job_identifier... | destination... ]\n\
qstat [-a|-i|-r|-H|-T] [-J] [-t] [-u user] [-n] [-s] [-G|-M] [-1] [-w]\n\
\t[ job_identifier... | destination... ]\n\
qstat -Q [-f] [-F format] [-D delim] [ destination... ]\n\
qstat -q [-G|-M] [ destination... ]\n\
qstat -B [-f] [-F format] [-D delim] [ server_name... ]\n\
qstat --version\n";

const CONFLICT: &str = "qstat: conflicting options.\n";

/// The output format of a full (`-f`) listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FullFormat {
    /// `    attr = value` lines (the default).
    Text,
    /// `-F json`.
    Json,
    /// `-F dsv`, with the `-D` delimiter (default `|`).
    Dsv {
        /// The field delimiter.
        delimiter: String,
    },
}

/// Units for sizes in the alternate display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SizeUnits {
    /// `-G`: gigabytes.
    Gigabytes,
    /// `-M`: megawords.
    Megawords,
}

/// How jobs are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobDisplay {
    /// The default one-line-per-job table.
    Default {
        /// `-w`: wide columns.
        wide: bool,
        /// `-p`: a `% done` column instead of `Time Use`.
        percent_done: bool,
    },
    /// The alternate (`-a` style) table.
    Alternate {
        /// `-n`: exec hosts under each job.
        nodes: bool,
        /// `-s`: the comment under each job.
        comment: bool,
        /// `-T`: estimated start time instead of elapsed time.
        est_start: bool,
        /// `-1`: nodes and comment on the job's own line.
        one_line: bool,
        /// `-w`: wide columns.
        wide: bool,
        /// `-G` / `-M`.
        units: Option<SizeUnits>,
    },
    /// `-f`: every attribute.
    Full {
        /// `-w`: no line wrapping.
        wide: bool,
        /// Text, JSON or DSV.
        format: FullFormat,
    },
}

/// Which jobs a job listing selects by state (`-i`, `-r`, `-H`; at most one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateFilter {
    /// `-i`: not running (states E, H, Q, T, W).
    Idle,
    /// `-r`: running or suspended (R, S).
    Running,
    /// `-H`: finished or moved (F, M, X), history included.
    Finished,
}

/// One job-mode operand: a job identifier (it starts with a digit) or a destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobOperand {
    /// A job identifier, to be normalised by the server.
    Job(JobIdArg),
    /// `queue`, `@server` or `queue@server`: every job there.
    Destination(Destination),
}

/// What `qstat` lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QstatMode {
    /// Jobs (the default).
    Jobs {
        /// How to show them.
        display: JobDisplay,
        /// `-x` (or `-H`): include finished jobs.
        history: bool,
        /// `-t`: include subjobs.
        subjobs: bool,
        /// `-J`: array jobs only.
        arrays_only: bool,
        /// `-i` / `-r` / `-H`.
        state: Option<StateFilter>,
        /// `-u user[,user…]`: only these owners.
        users: Vec<String>,
        /// `-E`: group requests by server, sorted.
        grouped: bool,
        /// Operands in order; none means every job at the default server. A bad operand
        /// holds the error PBS prints for it (exit 1).
        operands: Vec<Result<JobOperand, ClientError>>,
    },
    /// `-Q` or `-q`: queues.
    Queues {
        /// `-q`: the alternate queue summary (`-G`/`-M` apply).
        summary: bool,
        /// `-f` with its format, or `None` for the table.
        full: Option<FullFormat>,
        /// Operands (`queue`, `@server`, `queue@server`); none means all queues.
        operands: Vec<Result<Destination, ClientError>>,
    },
    /// `-B`: servers.
    Servers {
        /// `-f` with its format, or `None` for the table.
        full: Option<FullFormat>,
        /// Server names; none means the default server.
        servers: Vec<String>,
    },
}

/// A parsed `qstat` command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QstatArgs {
    /// What to list and how.
    pub mode: QstatMode,
}

/// The state of the option loop, named after `qstat.c`'s variables.
#[derive(Debug, Default)]
struct Flags {
    alt: u32,
    full: bool,
    wide: bool,
    percent: bool,
    history: bool,
    subjobs: bool,
    arrays: bool,
    express: bool,
    queues: bool,
    servers: bool,
    /// `-Q` itself (as opposed to `-q`, which only switches the mode).
    q_upper: bool,
    /// `-B` itself.
    b_upper: bool,
    format: Option<FullFormat>,
    users: Vec<String>,
    state: Option<StateFilter>,
}

// Alternate-display bits, as in qstat.c, because the conflict rules are bit tests.
const ALT_A: u32 = 1;
const ALT_I: u32 = 1 << 1;
const ALT_R: u32 = 1 << 2;
const ALT_U: u32 = 1 << 3;
const ALT_N: u32 = 1 << 4;
const ALT_S: u32 = 1 << 5;
const ALT_Q: u32 = 1 << 6;
const ALT_G: u32 = 1 << 7;
const ALT_M: u32 = 1 << 8;
const ALT_1: u32 = 1 << 9;
const ALT_W: u32 = 1 << 10;
const ALT_H: u32 = 1 << 11;
const ALT_T: u32 = 1 << 12;

/// Parses `qstat`'s argv (without argv\[0\]).
pub fn parse_qstat(args: &[String]) -> Result<Invocation<QstatArgs>, ClientError> {
    if is_version_request(args) {
        return Ok(Invocation::Version);
    }
    let scan = getopt(args, "ainpqrstwxu:fGHJMQEBW:T1F:D:", Ordering::Permute);
    let mut f = Flags::default();
    let mut stderr = String::new();
    let mut errors = 0;
    for event in &scan.events {
        if let Err(text) = apply(&mut f, event) {
            stderr.push_str(&text);
            errors += 1;
        }
    }
    for text in conflicts(&f) {
        stderr.push_str(text);
        errors += 1;
    }
    if errors > 0 {
        stderr.push_str(USAGE);
        return Err(ClientError::new(stderr, 2));
    }
    let operands: Vec<&str> = scan.operands.iter().map(|(_, o)| o.as_str()).collect();
    Ok(Invocation::Run(QstatArgs {
        mode: mode(f, &operands),
    }))
}

/// Applies one getopt event; `Err` holds the text printed for it (maybe empty: a bad
/// `-F` or a misplaced `-D` counts as an error without a message of its own).
fn apply(f: &mut Flags, event: &Event) -> Result<(), String> {
    let Event::Opt(c, value) = event else {
        return Err(event.glibc_message("qstat").unwrap_or_default());
    };
    let value = value.as_deref().unwrap_or("");
    match c {
        'a' => f.alt |= ALT_A,
        'T' => f.alt |= ALT_T,
        'i' => set_state(f, ALT_I, StateFilter::Idle),
        'r' => set_state(f, ALT_R, StateFilter::Running),
        'H' => {
            set_state(f, ALT_H, StateFilter::Finished);
            f.history = true;
        }
        't' => f.subjobs = true,
        'x' => f.history = true,
        'u' => {
            f.alt |= ALT_U;
            f.users = value.split(',').map(String::from).collect();
        }
        // -n and -s turn a preceding -f off (qstat.c sets f_opt = 0).
        'n' => {
            f.alt |= ALT_N;
            f.full = false;
        }
        's' => {
            f.alt |= ALT_S;
            f.full = false;
        }
        'p' => f.percent = true,
        'q' => {
            f.alt |= ALT_Q;
            f.queues = true;
            f.servers = false;
        }
        'G' => f.alt |= ALT_G,
        'J' => f.arrays = true,
        'M' => f.alt |= ALT_M,
        '1' => f.alt |= ALT_1,
        'w' => {
            f.alt |= ALT_W;
            f.wide = true;
        }
        'f' => f.full = true,
        'B' => {
            let clash = f.q_upper || (f.alt != 0 && !f.wide);
            f.b_upper = true;
            f.servers = true;
            f.queues = false;
            if clash {
                return Err(CONFLICT.to_string());
            }
        }
        'Q' => {
            let clash = f.b_upper || (f.alt != 0 && !f.wide);
            f.queues = true;
            f.servers = false;
            f.q_upper = true;
            if clash {
                return Err(CONFLICT.to_string());
            }
        }
        'E' => f.express = true,
        'D' => match &mut f.format {
            Some(FullFormat::Dsv { delimiter }) => *delimiter = value.to_string(),
            _ => return Err(String::new()),
        },
        'F' => match value.to_ascii_lowercase().as_str() {
            "default" => f.format = None,
            "dsv" => {
                f.format = Some(FullFormat::Dsv {
                    delimiter: "|".to_string(),
                })
            }
            "json" => f.format = Some(FullFormat::Json),
            _ => return Err(String::new()),
        },
        'W' => return apply_legacy_w(f, value),
        _ => return Err(String::new()),
    }
    Ok(())
}

fn set_state(f: &mut Flags, bit: u32, state: StateFilter) {
    f.alt |= bit;
    f.state = Some(state);
}

/// The old `-W` form: letters `a i r H n s q G M 1`, blanks ignored, and `u` taking the
/// rest of the word as the user list.
fn apply_legacy_w(f: &mut Flags, value: &str) -> Result<(), String> {
    let mut bad = false;
    for (pos, c) in value.char_indices() {
        match c {
            'a' => f.alt |= ALT_A,
            'i' => set_state(f, ALT_I, StateFilter::Idle),
            'r' => set_state(f, ALT_R, StateFilter::Running),
            'H' => {
                set_state(f, ALT_H, StateFilter::Finished);
                f.history = true;
            }
            'u' => {
                f.alt |= ALT_U;
                let rest = value[pos + 1..].trim_start_matches(' ');
                f.users = rest.split(',').map(String::from).collect();
                break;
            }
            'n' => f.alt |= ALT_N,
            's' => f.alt |= ALT_S,
            'q' => {
                f.alt |= ALT_Q;
                f.queues = true;
                f.servers = false;
            }
            'G' => f.alt |= ALT_G,
            'M' => f.alt |= ALT_M,
            '1' => f.alt |= ALT_1,
            ' ' => {}
            _ => bad = true,
        }
    }
    if bad {
        Err(String::new())
    } else {
        Ok(())
    }
}

/// The checks qstat makes after reading every option, in its order.
fn conflicts(f: &Flags) -> Vec<&'static str> {
    let mut out = Vec::new();
    let selection = f.alt & (ALT_A | ALT_I | ALT_R | ALT_Q | ALT_H);
    if selection != 0 && !selection.is_power_of_two() {
        out.push(CONFLICT);
    }
    if f.alt & (ALT_M | ALT_G) == ALT_M | ALT_G {
        out.push(CONFLICT);
    }
    if f.format.is_some() && !f.full {
        out.push(CONFLICT);
    }
    if f.alt & ALT_Q != 0 && f.full {
        out.push(CONFLICT);
    }
    if f.alt & ALT_1 != 0 && f.alt & (ALT_N | ALT_S) == 0 {
        out.push(CONFLICT);
    }
    if f.wide && f.format.is_some() {
        out.push("qstat: option w cannot be used with -F\n");
    }
    out
}

fn full_format(f: &Flags) -> FullFormat {
    f.format.clone().unwrap_or(FullFormat::Text)
}

fn units(f: &Flags) -> Option<SizeUnits> {
    if f.alt & ALT_G != 0 {
        Some(SizeUnits::Gigabytes)
    } else if f.alt & ALT_M != 0 {
        Some(SizeUnits::Megawords)
    } else {
        None
    }
}

/// Builds the mode once the options passed every check.
fn mode(f: Flags, operands: &[&str]) -> QstatMode {
    if f.servers {
        return QstatMode::Servers {
            full: f.full.then(|| full_format(&f)),
            servers: operands.iter().map(|s| s.to_string()).collect(),
        };
    }
    if f.queues {
        return QstatMode::Queues {
            summary: f.alt & ALT_Q != 0,
            full: f.full.then(|| full_format(&f)),
            operands: operands
                .iter()
                .map(|o| {
                    Destination::parse(o)
                        .ok_or_else(|| ClientError::new("qstat: illegal 'destination' value\n", 1))
                })
                .collect(),
        };
    }
    // qstat.c: the alternate table wins unless only -w is set, or -f is given with -w.
    let display = if f.alt & !ALT_W != 0 && !(f.wide && f.full) {
        JobDisplay::Alternate {
            nodes: f.alt & ALT_N != 0,
            comment: f.alt & ALT_S != 0,
            est_start: f.alt & ALT_T != 0,
            one_line: f.alt & ALT_1 != 0,
            wide: f.wide,
            units: units(&f),
        }
    } else if f.full {
        JobDisplay::Full {
            wide: f.wide,
            format: full_format(&f),
        }
    } else {
        JobDisplay::Default {
            wide: f.wide,
            percent_done: f.percent,
        }
    };
    QstatMode::Jobs {
        display,
        history: f.history,
        subjobs: f.subjobs,
        arrays_only: f.arrays,
        state: f.state,
        users: f.users,
        grouped: f.express,
        operands: operands.iter().map(|o| job_operand(o)).collect(),
    }
}

/// A job-mode operand: PBS's `pbs_isjobid` calls it a job id when its first non-blank
/// character is a digit, and a destination otherwise.
fn job_operand(operand: &str) -> Result<JobOperand, ClientError> {
    let first = operand.trim_start_matches(' ').chars().next();
    if first.is_some_and(|c| c.is_ascii_digit()) {
        JobIdArg::parse(operand)
            .map(JobOperand::Job)
            .ok_or_else(|| {
                ClientError::new(
                    format!("qstat: illegally formed job identifier: {operand}\n"),
                    1,
                )
            })
    } else {
        Destination::parse(operand)
            .map(JobOperand::Destination)
            .ok_or_else(|| {
                ClientError::new(
                    format!("qstat: illegally formed destination: {operand}\n"),
                    1,
                )
            })
    }
}

#[cfg(test)]
mod tests;
