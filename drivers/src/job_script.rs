//! What both drivers' job scripts share: the site's body template, filled with typed,
//! shell-quoted values, and the checks that keep a value from being read as more than one
//! directive word. The directives themselves are each driver's (`#PBS`, `#SBATCH`).
//!
//! Nothing the user typed reaches the shell unquoted, and nothing unvalidated reaches a
//! directive. A script travels to the scheduler on standard input: never on a command line
//! (`ps` shows those) nor in a file, so the job's environment, secrets included (the
//! notebook server's API token), travels inside it and not through options whose values
//! other users can read (`qsub -v` in `qstat -f`, `sbatch --export` in `scontrol show job`).

use std::fmt::Write;
use std::path::Path;

use crate::job::JobSpec;

/// A site's job body: text around the command, with `{{name}}` placeholders.
///
/// Placeholders: `{{exports}}` (one `export NAME='value'` line per environment variable),
/// `{{working_dir}}`, `{{command}}` (the argv, each word quoted), `{{user}}`, `{{job_name}}`.
/// Each value is single-quoted for the shell where it is put, so the template cannot be
/// made to run what a user typed; the template itself is the site administrator's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    Exports,
    WorkingDir,
    Command,
    User,
    JobName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Var),
}

/// A body template that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without `}}`.
    #[error("job body template: `{{{{` at byte {0} is never closed")]
    Unclosed(usize),
    /// A placeholder this driver does not know.
    #[error(
        "job body template: unknown placeholder `{{{{{0}}}}}` (known: exports, working_dir, \
         command, user, job_name)"
    )]
    Unknown(String),
    /// A template that never runs the command is surely a mistake.
    #[error("job body template: `{{{{command}}}}` must appear")]
    NoCommand,
    /// A `#PBS` or `#SBATCH` line in the body: the scheduler would read it as a directive
    /// we did not validate (`sbatch` reads `#PBS` lines too).
    #[error(
        "job body template: line {0} is a #PBS or #SBATCH directive; directives come from \
         the job's typed resources"
    )]
    Directive(usize),
}

/// The body used when a site gives none: the environment, the working directory, the
/// command in place of the shell.
pub const DEFAULT_BODY: &str = "{{exports}}\ncd {{working_dir}}\nexec {{command}}\n";

impl BodyTemplate {
    /// Reads a template.
    pub fn parse(text: &str) -> Result<BodyTemplate, TemplateError> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("#PBS") || line.starts_with("#SBATCH") {
                return Err(TemplateError::Directive(i + 1));
            }
        }
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or(TemplateError::Unclosed(offset + open))?;
            let name = after[..close].trim();
            let var = match name {
                "exports" => Var::Exports,
                "working_dir" => Var::WorkingDir,
                "command" => Var::Command,
                "user" => Var::User,
                "job_name" => Var::JobName,
                other => return Err(TemplateError::Unknown(other.to_string())),
            };
            parts.push(Part::Var(var));
            let consumed = open + 2 + close + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        if !parts.contains(&Part::Var(Var::Command)) {
            return Err(TemplateError::NoCommand);
        }
        Ok(BodyTemplate { parts })
    }
}

impl Default for BodyTemplate {
    fn default() -> Self {
        BodyTemplate::parse(DEFAULT_BODY).expect("the default body template is valid")
    }
}

/// Why a job cannot be written as a script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The job's resources do not pass PBS's checks.
    #[error("{0}")]
    Resources(#[from] crate::resources::PbsError),
    /// A value that cannot be put in a directive (`#PBS`, `#SBATCH`) safely.
    #[error("{what} {value:?} cannot be written in a job script directive: {why}")]
    Directive {
        /// Which value.
        what: &'static str,
        /// The value.
        value: String,
        /// Why not.
        why: &'static str,
    },
    /// An environment variable name that is not a shell name.
    #[error("environment variable name {0:?} is not a valid name ([A-Za-z_][A-Za-z0-9_]*)")]
    VariableName(String),
    /// A value holding a NUL byte, which no shell word can carry.
    #[error("{0} holds a NUL byte")]
    Nul(&'static str),
    /// No command to run.
    #[error("the job has no command to run")]
    NoCommand,
    /// A request this scheduler has no way to express (a Slurm job cannot mix chunk
    /// shapes, say): refused rather than silently dropped.
    #[error("{0}")]
    Unsupported(String),
}

impl BodyTemplate {
    /// The body for `spec`, its placeholders filled with shell-quoted values; `dir` is the
    /// job's working directory as already checked by the driver.
    pub fn render(&self, spec: &JobSpec, dir: &str) -> Result<String, ScriptError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(Var::Exports) => out.push_str(&exports(spec)?),
                Part::Var(Var::WorkingDir) => out.push_str(&quote(dir, "the working directory")?),
                Part::Var(Var::Command) => {
                    let words: Result<Vec<String>, _> = spec
                        .command
                        .iter()
                        .map(|w| quote(w, "the command"))
                        .collect();
                    out.push_str(&words?.join(" "));
                }
                Part::Var(Var::User) => out.push_str(&quote(spec.owner.as_str(), "the user")?),
                Part::Var(Var::JobName) => {
                    out.push_str(&quote(spec.name.as_str(), "the job name")?)
                }
            }
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        Ok(out)
    }
}

/// One `export NAME='value'` line per variable, in name order.
fn exports(spec: &JobSpec) -> Result<String, ScriptError> {
    let mut out = String::new();
    for (name, value) in &spec.environment {
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(ScriptError::VariableName(name.clone()));
        }
        let _ = writeln!(
            out,
            "export {name}={}",
            quote(value, "an environment value")?
        );
    }
    Ok(out)
}

/// `value` as one shell word: single-quoted, each `'` written as `'\''`.
pub fn quote(value: &str, what: &'static str) -> Result<String, ScriptError> {
    if value.contains('\0') {
        return Err(ScriptError::Nul(what));
    }
    Ok(format!("'{}'", value.replace('\'', r"'\''")))
}

/// The working directory as text fit for a directive: UTF-8, absolute, and a plain
/// directive word.
pub fn absolute_dir(path: &Path) -> Result<&str, ScriptError> {
    let refuse = |why| ScriptError::Directive {
        what: "working directory",
        value: path.display().to_string(),
        why,
    };
    let text = path.to_str().ok_or_else(|| refuse("it is not UTF-8"))?;
    if !text.starts_with('/') {
        return Err(refuse("it must be absolute"));
    }
    directive_word("working directory", text)?;
    Ok(text)
}

/// A word that a directive parser (`qsub`'s, `sbatch`'s) reads back unchanged: printable,
/// no blanks, quotes, backslashes or `#`.
pub fn directive_word(what: &'static str, value: &str) -> Result<(), ScriptError> {
    let bad = value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | '#'));
    match bad {
        None if !value.is_empty() => Ok(()),
        None => Err(ScriptError::Directive {
            what,
            value: value.to_string(),
            why: "it is empty",
        }),
        Some(_) => Err(ScriptError::Directive {
            what,
            value: value.to_string(),
            why: "it holds a blank, a quote, a backslash, `#` or a control character",
        }),
    }
}
