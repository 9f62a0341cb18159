//! The Slurm job script, rendered from a typed [`JobSpec`]: `#SBATCH` directives from the
//! mapped request ([`SlurmRequest`]), then the site's body template
//! ([`crate::job_script`]) with shell-quoted values.
//!
//! The script goes to `sbatch` on standard input. Slurm keeps it where only its owner and
//! the administrators read it (`scontrol write batch_script`), so the job's environment,
//! the notebook server's token included, travels inside it and not through
//! `sbatch --export`, whose values `scontrol show job` would print. Output and error go to
//! `{working_dir}/{job name}.o{job id}`, the name PBS gives, so the hub finds a failed
//! job's output the same way on both schedulers.

use std::fmt::Write;

use super::request::{ResourceMapping, SlurmRequest};
use crate::job::JobSpec;
use crate::job_script::{absolute_dir, directive_word, BodyTemplate, ScriptError};

/// The whole script for `spec`.
pub fn render(
    spec: &JobSpec,
    body: &BodyTemplate,
    mapping: &ResourceMapping,
) -> Result<String, ScriptError> {
    spec.resources.validate()?;
    if spec.command.is_empty() {
        return Err(ScriptError::NoCommand);
    }
    let request = SlurmRequest::from_resources(&spec.resources, mapping)
        .map_err(|e| ScriptError::Unsupported(e.to_string()))?;
    let mut out = String::from("#!/bin/bash\n");
    // JobName admits only [A-Za-z0-9._+-]: safe in a directive and in a file name.
    let _ = writeln!(out, "#SBATCH --job-name={}", spec.name.as_str());
    if let Some(partition) = &spec.queue {
        directive_word("partition", partition)?;
        let _ = writeln!(out, "#SBATCH --partition={partition}");
    }
    for option in request.options() {
        let _ = writeln!(out, "#SBATCH {option}");
    }
    let dir = working_dir(spec)?;
    let _ = writeln!(out, "#SBATCH --chdir={dir}");
    let _ = writeln!(
        out,
        "#SBATCH --output={}/{}.o%j",
        dir.trim_end_matches('/'),
        spec.name.as_str()
    );
    out.push_str(&body.render(spec, dir)?);
    Ok(out)
}

/// The working directory as text fit for `--chdir` and `--output`: absolute, one directive
/// word, and without `%`, which Slurm would read as a file name pattern.
fn working_dir(spec: &JobSpec) -> Result<&str, ScriptError> {
    let dir = absolute_dir(&spec.working_dir)?;
    if dir.contains('%') {
        return Err(ScriptError::Directive {
            what: "working directory",
            value: dir.to_string(),
            why: "Slurm reads `%` as a file name pattern",
        });
    }
    Ok(dir)
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
            queue: Some("batch".into()),
            resources: ResourceList::parse(&["select=1:ncpus=2:mem=4gb", "walltime=02:00:00"])
                .unwrap(),
            environment: BTreeMap::from([(
                "JUPYTERHUB_API_TOKEN".to_string(),
                "s3cr3t'$(rm -rf ~)".to_string(),
            )]),
            working_dir: PathBuf::from("/home/alice"),
            command: vec!["jupyterhub-singleuser".into(), "--debug".into()],
        }
    }

    #[test]
    fn directives_then_the_default_body() {
        let script = render(
            &spec(),
            &BodyTemplate::default(),
            &ResourceMapping::default(),
        )
        .unwrap();
        assert_eq!(
            script,
            "#!/bin/bash\n\
             #SBATCH --job-name=jupyterhub-singleuser\n\
             #SBATCH --partition=batch\n\
             #SBATCH --nodes=1\n\
             #SBATCH --ntasks-per-node=1\n\
             #SBATCH --cpus-per-task=2\n\
             #SBATCH --mem=4096M\n\
             #SBATCH --time=02:00:00\n\
             #SBATCH --chdir=/home/alice\n\
             #SBATCH --output=/home/alice/jupyterhub-singleuser.o%j\n\
             export JUPYTERHUB_API_TOKEN='s3cr3t'\\''$(rm -rf ~)'\n\
             \n\
             cd '/home/alice'\n\
             exec 'jupyterhub-singleuser' '--debug'\n"
        );
    }

    #[test]
    fn what_cannot_be_a_directive_or_a_slurm_request_is_refused() {
        let mapping = ResourceMapping::default();
        let mut job = spec();
        job.queue = Some("batch --mem=1T".into());
        assert!(matches!(
            render(&job, &BodyTemplate::default(), &mapping),
            Err(ScriptError::Directive {
                what: "partition",
                ..
            })
        ));
        let mut job = spec();
        job.working_dir = PathBuf::from("/home/al%ice");
        assert!(matches!(
            render(&job, &BodyTemplate::default(), &mapping),
            Err(ScriptError::Directive { .. })
        ));
        let mut job = spec();
        job.resources = ResourceList::parse(&["select=1:ncpus=2:interconnect=hdr"]).unwrap();
        let err = render(&job, &BodyTemplate::default(), &mapping).unwrap_err();
        assert!(matches!(err, ScriptError::Unsupported(_)), "{err}");
        assert!(err.to_string().contains("interconnect"), "{err}");
    }
}
