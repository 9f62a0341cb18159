//! On Slurm, the form must ask only what Slurm can be asked: every request it can make is
//! mapped by the driver's own [`SlurmRequest::from_resources`] at startup, so a field Slurm
//! has no word for is refused by `hub check-config`, naming it, not at a user's first submit.

use drivers::slurm::request::{ResourceMapping, SlurmRequest};

use super::form_toml::Problem;
use super::locate::ConfigPath;
use super::sections::{SchedulerKind, SlurmSection};
use super::HubConfig;
use crate::form::validate::build_request;
use crate::form::value::{default_value, parse_value};
use crate::form::{Field, FieldKind, FieldValue, FormConfig};

/// The chunk resources Slurm is asked for by themselves (see the driver's mapping).
const BUILT_IN: [&str; 4] = ["ncpus", "mem", "ngpus", "mpiprocs"];

/// Adds `[slurm]`'s problems and, when the scheduler is Slurm, every form field and profile
/// whose request Slurm cannot be asked.
pub(crate) fn check(config: &HubConfig, problems: &mut Vec<Problem>) {
    mapping_names(&config.slurm, problems);
    if config.spawner.scheduler != SchedulerKind::Slurm {
        return;
    }
    let mapping = config.slurm.mapping();
    let form = &config.spawner.form;
    let at = ConfigPath::root("spawner").key("form");
    // Profiles would inherit a refused field's problem: they are checked over good fields.
    if fields(form, &mapping, &at, problems) {
        profiles(form, &mapping, &at, problems);
    }
}

/// The form's fields' defaults, by name.
fn defaults(form: &FormConfig) -> Vec<(&str, FieldValue)> {
    form.fields
        .iter()
        .map(|f| (f.name.as_str(), default_value(f)))
        .collect()
}

/// Checks every value each field can take; whether all pass.
fn fields(
    form: &FormConfig,
    mapping: &ResourceMapping,
    at: &ConfigPath,
    problems: &mut Vec<Problem>,
) -> bool {
    let defaults = defaults(form);
    // Each value a field can take: alone first, so a field is blamed only for itself, then
    // beside the defaults of the fields that passed alone.
    let alone: Vec<bool> = form
        .fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let refused = samples(field).into_iter().find_map(|sample| {
                let mut values = vec![defaults[i].clone()];
                values[0].1 = sample.clone();
                if mapping.gpu_type.as_deref() == Some(field.name.as_str()) {
                    // A GPU type is picked together with a number of GPUs.
                    values.extend(defaults.iter().filter(|(n, _)| *n == "ngpus").cloned());
                    with_most_gpus(&form.fields, &mut values);
                }
                slurm_request(&values, mapping)
                    .err()
                    .map(|why| (sample, why))
            });
            if let Some((sample, why)) = &refused {
                problems.push(field_problem(at, field, sample, why));
            }
            refused.is_none()
        })
        .collect();
    let mut any_refused = alone.contains(&false);
    let passed: Vec<(&str, FieldValue)> = defaults
        .iter()
        .zip(&alone)
        .filter(|(_, ok)| **ok)
        .map(|(value, _)| value.clone())
        .collect();
    for field in form
        .fields
        .iter()
        .zip(&alone)
        .filter(|(_, ok)| **ok)
        .map(|(f, _)| f)
    {
        for sample in samples(field) {
            let mut values = passed.clone();
            for (name, value) in &mut values {
                if *name == field.name {
                    *value = sample.clone();
                }
            }
            if mapping.gpu_type.as_deref() == Some(field.name.as_str()) {
                with_most_gpus(&form.fields, &mut values);
            }
            if let Err(why) = slurm_request(&values, mapping) {
                problems.push(field_problem(at, field, &sample, &why));
                any_refused = true;
                break;
            }
        }
    }
    !any_refused
}

/// Checks each profile as it fills the form.
fn profiles(
    form: &FormConfig,
    mapping: &ResourceMapping,
    at: &ConfigPath,
    problems: &mut Vec<Problem>,
) {
    for profile in &form.profiles {
        let mut values = defaults(form);
        for (name, value) in &mut values {
            let given = profile.values.get(*name);
            let field = form.field(name);
            if let (Some(text), Some(field)) = (given, field) {
                if let Ok(parsed) = parse_value(field, text, None) {
                    *value = parsed;
                }
            }
        }
        if let Err(why) = slurm_request(&values, mapping) {
            problems.push((
                at.key("profiles").key(&profile.name),
                format!(
                    "this profile cannot be asked of Slurm (spawner.scheduler = \"slurm\"): \
                     {why}; change its values"
                ),
            ));
        }
    }
}

/// A field's value Slurm cannot be asked, at the field, with what to do.
fn field_problem(at: &ConfigPath, field: &Field, sample: &FieldValue, why: &str) -> Problem {
    let shown = sample.request_text().unwrap_or_default();
    (
        at.key("fields").key(&field.name),
        format!(
            "`{}={shown}` cannot be asked of Slurm (spawner.scheduler = \"slurm\"): {why}; \
             change or remove the field",
            field.name
        ),
    )
}

/// `[slurm]` lists only the site's own resources, each once, as names PBS accepts.
fn mapping_names(slurm: &SlurmSection, problems: &mut Vec<Problem>) {
    let at = ConfigPath::root("slurm");
    let named = slurm
        .features
        .iter()
        .enumerate()
        .map(|(i, name)| (at.key("features").index(i), name))
        .chain(slurm.gpu_type.iter().map(|name| (at.key("gpu_type"), name)));
    let mut seen: Vec<&String> = Vec::new();
    for (path, name) in named {
        if BUILT_IN.contains(&name.as_str()) {
            problems.push((
                path,
                format!("`{name}` is asked of Slurm by itself; list only the site's own resources"),
            ));
        } else if format!("1:{name}=x")
            .parse::<drivers::resources::Select>()
            .is_err()
        {
            problems.push((path, format!("{name:?} is not a chunk resource name")));
        } else if seen.contains(&name) {
            problems.push((path, format!("`{name}` is named twice in [slurm]")));
        }
        seen.push(name);
    }
}

/// The values worth trying of a field: its bounds and default, or every choice.
fn samples(field: &Field) -> Vec<FieldValue> {
    let mut samples = vec![default_value(field)];
    match &field.kind {
        FieldKind::Integer { min, max, .. } => {
            samples.extend([FieldValue::Integer(*min), FieldValue::Integer(*max)]);
        }
        FieldKind::Size { min, max, .. } => {
            samples.extend([FieldValue::Size(*min), FieldValue::Size(*max)]);
        }
        FieldKind::Duration { min, max, .. } => {
            samples.extend([FieldValue::Duration(*min), FieldValue::Duration(*max)]);
        }
        FieldKind::Choice { choices, .. } => {
            samples.extend(choices.iter().map(|c| FieldValue::Choice {
                key: c.key.clone(),
                value: c.value.clone(),
            }));
        }
    }
    samples
}

/// Sets `ngpus`, if the form has it, to its largest value.
fn with_most_gpus(fields: &[Field], values: &mut [(&str, FieldValue)]) {
    let most = fields.iter().find_map(|f| match (&f.name[..], &f.kind) {
        ("ngpus", FieldKind::Integer { max, .. }) => Some(*max),
        _ => None,
    });
    if let Some(most) = most {
        for (name, value) in values.iter_mut() {
            if *name == "ngpus" {
                *value = FieldValue::Integer(most);
            }
        }
    }
}

/// Why Slurm cannot be asked for the request these values build, if it cannot. A request
/// PBS's grammar refuses is the form checks' to report, not this one's.
fn slurm_request(values: &[(&str, FieldValue)], mapping: &ResourceMapping) -> Result<(), String> {
    let Ok((_queue, resources)) = build_request(values) else {
        return Ok(());
    };
    SlurmRequest::from_resources(&resources, mapping)
        .map(|_| ())
        .map_err(|e| e.0)
}

#[cfg(test)]
mod tests {
    use crate::config::{check_config, HubConfig, SchedulerKind};

    fn errors(text: &str) -> Vec<String> {
        match check_config(text, "hub.toml") {
            Ok(config) => panic!("accepted: {config:?}"),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    fn accepted(text: &str) -> HubConfig {
        check_config(text, "hub.toml").unwrap_or_else(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("refused:\n{}", lines.join("\n"))
        })
    }

    const SLURM: &str = "[spawner]\nscheduler = \"slurm\"\n";

    #[test]
    fn the_built_in_form_works_on_slurm_in_slurms_words() {
        let config = accepted(SLURM);
        assert_eq!(config.spawner.scheduler, SchedulerKind::Slurm);
        assert_eq!(config.slurm, super::SlurmSection::default());
        assert!(config.slurm.sacct);
        let walltime = config.spawner.form.field("walltime").unwrap();
        assert_eq!(walltime.label, "Time limit");
        // On PBS the same form says Walltime; a label the site wrote stays as written.
        let pbs = accepted("");
        assert_eq!(
            pbs.spawner.form.field("walltime").unwrap().label,
            "Walltime"
        );
        let written = accepted(&format!(
            "{SLURM}[spawner.form.fields.walltime]\nkind = \"duration\"\nlabel = \"Walltime\"\n\
             min = \"00:10:00\"\nmax = \"01:00:00\"\n"
        ));
        assert_eq!(
            written.spawner.form.field("walltime").unwrap().label,
            "Walltime"
        );
        // Profiles alone keep the built-in fields, in Slurm's words.
        let profiles = accepted(&format!(
            "{SLURM}[spawner.form.profiles.small]\nvalues = {{ ncpus = 2 }}\n"
        ));
        assert_eq!(
            profiles.spawner.form.field("walltime").unwrap().label,
            "Time limit"
        );
    }

    #[test]
    fn a_field_slurm_has_no_word_for_is_refused_by_name() {
        let form = "[spawner.form.fields.ncpus]\nkind = \"integer\"\nmin = 1\nmax = 8\n\n\
                    [spawner.form.fields.vmem]\nkind = \"size\"\nmin = \"1gb\"\nmax = \"8gb\"\n\n\
                    [spawner.form.fields.interconnect]\nkind = \"choice\"\nchoices = [\
                    { key = \"any\", value = \"\" }, { key = \"hdr\" }]\n";
        // The same form is fine on PBS.
        accepted(form);
        let found = errors(&format!("{SLURM}{form}"));
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].starts_with(
                "hub.toml:8:1: spawner.form.fields.vmem: `vmem=1gb` cannot be asked of Slurm"
            ),
            "{found:#?}"
        );
        assert!(
            found[0].contains("`[slurm] features` or `gpu_type`"),
            "{found:#?}"
        );
        assert!(
            found[1].contains("spawner.form.fields.interconnect: `interconnect=hdr` cannot"),
            "{found:#?}"
        );
        // Mapped as a feature, the choice passes; vmem still has no Slurm word.
        let found = errors(&format!(
            "{SLURM}{form}\n[slurm]\nfeatures = [\"interconnect\"]\n"
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("fields.vmem"), "{found:#?}");
    }

    #[test]
    fn gpu_types_go_with_gpus_and_profiles_are_mapped_whole() {
        let form = "[spawner.form.fields.ngpus]\nkind = \"integer\"\nmin = 0\nmax = 2\n\n\
                    [spawner.form.fields.gpu_model]\nkind = \"choice\"\nchoices = [\
                    { key = \"any\", value = \"\" }, { key = \"a100\" }]\n\n\
                    [slurm]\ngpu_type = \"gpu_model\"\n";
        let config = accepted(&format!("{SLURM}{form}"));
        assert_eq!(config.slurm.gpu_type.as_deref(), Some("gpu_model"));
        // A profile picking a GPU model and no GPU asks Slurm for nothing it can give.
        let found = errors(&format!(
            "{SLURM}{form}\n[spawner.form.profiles.odd]\nvalues = {{ gpu_model = \"a100\" }}\n"
        ));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("spawner.form.profiles.odd: this profile cannot be asked of Slurm"),
            "{found:#?}"
        );
        assert!(found[0].contains("without `ngpus`"), "{found:#?}");
    }

    #[test]
    fn slurm_names_only_the_sites_own_resources() {
        let found =
            errors("[slurm]\nfeatures = [\"ncpus\", \"a b\", \"x\", \"x\"]\nsacct = false\n");
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].contains("slurm.features[0]: `ncpus` is asked of Slurm by itself"));
        assert!(found[1].contains("slurm.features[1]: \"a b\" is not a chunk resource name"));
        assert!(found[2].contains("slurm.features[3]: `x` is named twice"));
        let found = errors("[slurm]\nconstraint = []\n");
        assert!(
            found[0].contains("unknown field `constraint`"),
            "{found:#?}"
        );
    }
}
