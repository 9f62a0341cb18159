//! `qsub`: the command line, the script's directives, precedence, and the client-side
//! checks, ending in a [`QsubRequest`] for the server (reference `pbs-pro.md` §1).
//!
//! Two steps, as in OpenPBS's `qsub.c`:
//! 1. [`parse_command_line`] reads argv. Option errors print their message, then the
//!    usage, and exit 2.
//! 2. [`build_request`] reads the script's directives below the command line's options,
//!    then makes the checks PBS makes before sending (job name, join, mail points,
//!    priority, dependencies, built-in resource values and the select/old-style rules),
//!    and assembles the request. Directive errors exit 1; value errors exit as PBS does
//!    (2, or `pbs_errno & 0xFF` for resources, e.g. 166).
//!
//! Layout: [`options`] (slots with precedence), `directives` (scanning and word
//! splitting), `values` (lexical rules and value checks), `variables` (`Variable_List`),
//! `merge` (step 2).

mod directives;
mod merge;
pub mod options;
mod values;
mod variables;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use merge::build_request;
pub use options::{Level, Options, ResourceItem};

use super::{is_version_request, ClientError, Invocation};

/// qsub's usage text (`qsub_sup.c` plus the `--version` line), printed on stderr after an
/// option error, exit 2.
pub const USAGE: &str = "usage: qsub [-a date_time] [-A account_string] [-c interval]\n\
\t[-C directive_prefix] [-e path] [-f ] [-h ] [-I [-X]] [-j oe|eo] [-J X-Y[:Z]]\n\
\t[-k keep] [-l resource_list] [-m mail_options] [-M user_list]\n\
\t[-N jobname] [-o path] [-p priority] [-P project] [-q queue] [-r y|n]\n\
\t[-R o|e|oe] [-S path] [-u user_list] [-W otherattributes=value...]\n\
\t[-v variable_list] [-V ] [-z] [script | -- command [arg1 ...]]\n       qsub --version\n";

/// Where the job's commands come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobSource {
    /// A script file; the caller reads it and passes its text to [`build_request`].
    Script(String),
    /// No operand: the script is read from stdin.
    Stdin,
    /// `-- program args…`: run this executable; there is no script and no directives.
    Command {
        /// The executable.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

/// The command line, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QsubCommandLine {
    /// The options, at command-line precedence.
    pub options: Options,
    /// Script, stdin or command.
    pub source: JobSource,
    /// The arguments as typed, space-joined (`Submit_arguments`).
    pub submit_arguments: String,
}

/// The submitting process's circumstances, passed in so that parsing stays pure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitContext {
    /// qsub's environment.
    pub env: BTreeMap<String, String>,
    /// The working directory.
    pub cwd: String,
    /// The submitting user.
    pub user: String,
    /// The submission host.
    pub host: String,
}

/// `-j`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Join {
    /// `n`: separate files (the default).
    No,
    /// `oe`: stderr into stdout.
    OutputAndError,
    /// `eo`: stdout into stderr.
    ErrorAndOutput,
}

/// What the job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobBody {
    /// A script's text, as read.
    Script(String),
    /// `qsub -- program args…`.
    Command {
        /// The executable.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

/// Everything the server needs to queue the job. Values the server completes (output
/// paths, `Job_Owner`, the job id) are left to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QsubRequest {
    /// `Job_Name`: `-N`, else the script's basename, else `STDIN`.
    pub job_name: String,
    /// The queue from `-q`, if named.
    pub queue: Option<String>,
    /// The server from `-q …@server`, if named.
    pub server: Option<String>,
    /// The merged `-l` resources as `name=value`, in the order qsub sends them
    /// (command line first, repeats included; then each directive resource not already
    /// named). Unknown names are the server's to reject.
    pub resources: Vec<String>,
    /// `Join_Path`.
    pub join: Join,
    /// `-o` as typed (`[host:]path`).
    pub output_path: Option<String>,
    /// `-e` as typed.
    pub error_path: Option<String>,
    /// `Variable_List`: `PBS_O_*`, then `-v`, then `-V`, as (name, value).
    pub variables: Vec<(String, String)>,
    /// `-h`: a user hold (`Hold_Types = u`); otherwise `n`.
    pub user_hold: bool,
    /// `-W depend=…`, checked for shape.
    pub depend: Option<String>,
    /// `-A`.
    pub account: Option<String>,
    /// `Mail_Points` (default `a`).
    pub mail_points: String,
    /// `-M`.
    pub mail_users: Option<String>,
    /// `Rerunable` (default true).
    pub rerunnable: bool,
    /// `Priority` (default 0).
    pub priority: i32,
    /// `Checkpoint` (default `u`).
    pub checkpoint: String,
    /// `Keep_Files` (default `n`).
    pub keep_files: String,
    /// `-a` as typed.
    pub execution_time: Option<String>,
    /// `-P`.
    pub project: Option<String>,
    /// `-S`.
    pub shell: Option<String>,
    /// `-u`.
    pub user_list: Option<String>,
    /// `-R`.
    pub remove_files: Option<String>,
    /// `-J` range, if an array job.
    pub array_range: Option<String>,
    /// `-J …%max` or `-W max_run_subjobs`.
    pub max_run_subjobs: Option<String>,
    /// The script or command.
    pub body: JobBody,
    /// `Submit_arguments`.
    pub submit_arguments: String,
    /// `-z`: print nothing on success.
    pub suppress_id: bool,
    /// Other `-W attr=value`, in first-given order.
    pub other_attributes: Vec<(String, String)>,
    /// The submitting user.
    pub user: String,
    /// The submission host.
    pub submit_host: String,
}

/// The error of an option error: messages so far, then the usage, exit 2.
fn usage_error(stderr: &str) -> ClientError {
    ClientError::new(format!("{stderr}{USAGE}"), 2)
}

/// Step 1: reads qsub's argv (without argv\[0\]).
pub fn parse_command_line(args: &[String]) -> Result<Invocation<QsubCommandLine>, ClientError> {
    if is_version_request(args) {
        return Ok(Invocation::Version);
    }
    let mut options = Options::default();
    let reading = options.read(args, Level::CommandLine);
    let scan = &reading.scan;
    // `-N --`: qsub cannot tell the value from the separator and refuses.
    let mut bad = reading.errors > 0 || scan.ddash_consumed_last;
    let source = match scan.ddash {
        Some(at) => {
            // Operands before `--` would have been permuted past it: unsupported.
            let before = scan.operands.iter().any(|(i, _)| *i < at);
            let mut after = scan.operands.iter().map(|(_, w)| w.clone());
            match after.next() {
                Some(program) if !before => JobSource::Command {
                    program,
                    args: after.collect(),
                },
                _ => {
                    bad = true;
                    JobSource::Stdin
                }
            }
        }
        None => match scan.operands.as_slice() {
            [] => JobSource::Stdin,
            // A script must be the last word (glibc would otherwise have moved it).
            [(i, script)] if *i + 1 == args.len() => JobSource::Script(script.clone()),
            _ => {
                bad = true;
                JobSource::Stdin
            }
        },
    };
    if bad {
        return Err(usage_error(&reading.stderr));
    }
    Ok(Invocation::Run(QsubCommandLine {
        options,
        source,
        submit_arguments: args.join(" "),
    }))
}
