//! The PBS job script, rendered from a typed [`JobSpec`]: `#PBS` directives from typed
//! values, then the site's body template ([`crate::job_script`]) with shell-quoted values.
//!
//! The script goes to `qsub` on standard input; the job's environment travels inside it —
//! which PBS keeps where only root reads it (`server_priv`, `mom_priv`) and runs as the
//! job's owner — and not through `qsub -v`, whose values every user can read in
//! `qstat -f`'s `Variable_List`.

use std::fmt::Write;
use std::path::Path;

use crate::job::JobSpec;
use crate::job_script::{absolute_dir, directive_word};
pub use crate::job_script::{quote, BodyTemplate, ScriptError, TemplateError, DEFAULT_BODY};

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
    out.push_str(&body.render(spec, dir)?);
    Ok(out)
}

/// The working directory as text fit for `#PBS -o`: absolute, and free of what a directive
/// or PBS's path parsing would read differently.
fn working_dir(path: &Path) -> Result<&str, ScriptError> {
    let text = absolute_dir(path)?;
    if text.contains(':') {
        return Err(ScriptError::Directive {
            what: "working directory",
            value: text.to_string(),
            why: "PBS reads `host:` before a colon",
        });
    }
    Ok(text)
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
        assert_eq!(
            BodyTemplate::parse("{{command}}\n  #SBATCH --mem=1T\n").unwrap_err(),
            TemplateError::Directive(2)
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
