//! The job script, rendered from a typed [`JobSpec`]: `#PBS` directives from typed values,
//! then the site's body template with typed, shell-quoted variables. Nothing the user typed
//! reaches the shell unquoted, and nothing unvalidated reaches a directive.
//!
//! The script goes to `qsub` on standard input: never on a command line (`ps` shows those)
//! nor in a file. So the job's environment, secrets included (the notebook server's API
//! token), travels inside the script — which PBS keeps where only root reads it
//! (`server_priv`, `mom_priv`) and runs as the job's owner — and not through `qsub -v`,
//! whose values every user can read in `qstat -f`'s `Variable_List`.

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
    /// A `#PBS` line in the body: PBS would read it as a directive we did not validate.
    #[error("job body template: line {0} is a #PBS directive; directives come from the job's typed resources")]
    Directive(usize),
}

/// The body used when a site gives none: the environment, the working directory, the
/// command in place of the shell.
pub const DEFAULT_BODY: &str = "{{exports}}\ncd {{working_dir}}\nexec {{command}}\n";

impl BodyTemplate {
    /// Reads a template.
    pub fn parse(text: &str) -> Result<BodyTemplate, TemplateError> {
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#PBS") {
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
    /// A value that cannot be put in a `#PBS` directive safely.
    #[error("{what} {value:?} cannot be written in a #PBS directive: {why}")]
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
}

/// The whole script for `spec`.
pub fn render(spec: &JobSpec, body: &BodyTemplate) -> Result<String, ScriptError> {
    spec.resources.validate()?;
    if spec.command.is_empty() {
        return Err(ScriptError::NoCommand);
    }
    let mut out = String::from("#!/bin/bash\n");
    // JobName admits only [A-Za-z0-9._+-]: safe in a directive as it is.
    let _ = writeln!(out, "#PBS -N {}", spec.name.as_str());
    if let Some(queue) = &spec.queue {
        directive_word("queue", queue)?;
        let _ = writeln!(out, "#PBS -q {queue}");
    }
    for assignment in spec.resources.assignments() {
        directive_word("resource", &assignment)?;
        let _ = writeln!(out, "#PBS -l {assignment}");
    }
    let dir = working_dir(&spec.working_dir)?;
    // Output and error together, in the working directory under PBS's default name.
    out.push_str("#PBS -j oe\n");
    let _ = writeln!(out, "#PBS -o {}/", dir.trim_end_matches('/'));
    for part in &body.parts {
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
            Part::Var(Var::JobName) => out.push_str(&quote(spec.name.as_str(), "the job name")?),
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
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

/// The working directory as text fit for `#PBS -o`: absolute, and free of what a directive
/// or PBS's path parsing would read differently.
fn working_dir(path: &Path) -> Result<&str, ScriptError> {
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
    if text.contains(':') {
        return Err(refuse("PBS reads `host:` before a colon"));
    }
    Ok(text)
}

/// A word that PBS's directive parser reads back unchanged: printable, no blanks, quotes,
/// backslashes or `#`.
fn directive_word(what: &'static str, value: &str) -> Result<(), ScriptError> {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::job::{JobName, UserName};
    use crate::resources::ResourceList;

    fn spec() -> JobSpec {
        JobSpec {
            owner: UserName::new("alice").unwrap(),
            name: JobName::new("jupyterhub-singleuser").unwrap(),
            queue: Some("workq".into()),
            resources: ResourceList::parse(&["select=1:ncpus=2:mem=4gb", "walltime=02:00:00"])
                .unwrap(),
            environment: BTreeMap::from([
                (
                    "JUPYTERHUB_API_TOKEN".to_string(),
                    "s3cr3t'$(rm -rf ~)".to_string(),
                ),
                ("JUPYTERHUB_USER".to_string(), "alice".to_string()),
            ]),
            working_dir: PathBuf::from("/home/alice"),
            command: vec![
                "jupyterhub-singleuser".into(),
                "--ip=0.0.0.0".into(),
                "--notebook-dir=~/my notebooks; rm -rf /".into(),
            ],
        }
    }

    #[test]
    fn directives_then_the_default_body() {
        let script = render(&spec(), &BodyTemplate::default()).unwrap();
        assert_eq!(
            script,
            "#!/bin/bash\n\
             #PBS -N jupyterhub-singleuser\n\
             #PBS -q workq\n\
             #PBS -l select=1:ncpus=2:mem=4gb\n\
             #PBS -l walltime=02:00:00\n\
             #PBS -j oe\n\
             #PBS -o /home/alice/\n\
             export JUPYTERHUB_API_TOKEN='s3cr3t'\\''$(rm -rf ~)'\n\
             export JUPYTERHUB_USER='alice'\n\
             \n\
             cd '/home/alice'\n\
             exec 'jupyterhub-singleuser' '--ip=0.0.0.0' '--notebook-dir=~/my notebooks; rm -rf /'\n"
        );
    }

    #[test]
    fn the_shell_sees_every_value_as_one_plain_word() {
        let dir = tempfile::tempdir().unwrap();
        let mut job = spec();
        job.working_dir = dir.path().to_path_buf();
        job.command = vec![
            "/bin/sh".into(),
            "-c".into(),
            "printf '%s|' \"$JUPYTERHUB_API_TOKEN\" \"$PWD\"".into(),
        ];
        let script = render(&job, &BodyTemplate::default()).unwrap();
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("s3cr3t'$(rm -rf ~)|{}|", dir.path().display())
        );
    }

    #[test]
    fn a_site_template_gets_quoted_variables() {
        let body = BodyTemplate::parse(
            "module load anaconda3/2023.09\nsource activate jupyter\necho {{ user }} {{job_name}}\n{{exports}}cd {{working_dir}}\nexec {{command}}\n",
        )
        .unwrap();
        let script = render(&spec(), &body).unwrap();
        assert!(script.contains("module load anaconda3/2023.09\nsource activate jupyter\necho 'alice' 'jupyterhub-singleuser'\n"), "{script}");
    }

    #[test]
    fn bad_templates_are_refused_with_what_is_wrong() {
        assert_eq!(
            BodyTemplate::parse("exec {{command}} {{home}}").unwrap_err(),
            TemplateError::Unknown("home".into())
        );
        assert_eq!(
            BodyTemplate::parse("run {{command").unwrap_err(),
            TemplateError::Unclosed(4)
        );
        assert_eq!(
            BodyTemplate::parse("true\n").unwrap_err(),
            TemplateError::NoCommand
        );
        assert_eq!(
            BodyTemplate::parse("#PBS -l ncpus=64\n{{command}}").unwrap_err(),
            TemplateError::Directive(1)
        );
        assert!(TemplateError::Unknown("home".into())
            .to_string()
            .contains("`{{home}}`"));
    }

    #[test]
    fn unsafe_values_are_refused_not_escaped_into_directives() {
        let mut job = spec();
        job.queue = Some("workq -l ncpus=999".into());
        assert!(matches!(
            render(&job, &BodyTemplate::default()),
            Err(ScriptError::Directive { what: "queue", .. })
        ));
        let mut job = spec();
        job.working_dir = PathBuf::from("/home/alice/My Notebooks");
        assert!(matches!(
            render(&job, &BodyTemplate::default()),
            Err(ScriptError::Directive { .. })
        ));
        let mut job = spec();
        job.working_dir = PathBuf::from("relative");
        assert!(render(&job, &BodyTemplate::default()).is_err());
        let mut job = spec();
        job.environment.insert("BAD-NAME".into(), "x".into());
        assert_eq!(
            render(&job, &BodyTemplate::default()).unwrap_err(),
            ScriptError::VariableName("BAD-NAME".into())
        );
        let mut job = spec();
        job.command = vec!["a\0b".into()];
        assert_eq!(
            render(&job, &BodyTemplate::default()).unwrap_err(),
            ScriptError::Nul("the command")
        );
        let mut job = spec();
        job.command.clear();
        assert_eq!(
            render(&job, &BodyTemplate::default()).unwrap_err(),
            ScriptError::NoCommand
        );
    }
}
