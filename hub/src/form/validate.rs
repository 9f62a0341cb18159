//! Server-side validation of a submitted spawn form into the typed pieces of a `JobSpec`.
//!
//! Precedence, for each field: a non-empty submitted value, else the chosen profile's
//! value, else the field's default. An empty (or all-blank) submitted value counts as "not
//! given", so a form that leaves fields blank under a chosen profile gets the profile's
//! values, and a user who types a value overrides the profile for that field only.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use drivers::resources::{PbsError, ResourceList};
use drivers::{JobName, JobSpec, UserName};

use super::spec::{FormConfig, Profile, CHUNKS, PROFILE, QUEUE, WALLTIME};
use super::value::{default_value, parse_value, FieldValue};

/// What the form decided: the queue, the resources and the values behind them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnRequest {
    /// The destination queue; `None` means the server's default queue.
    pub queue: Option<String>,
    /// `select` built from the chunk fields, and `walltime`; parsed by PBS's grammar.
    pub resources: ResourceList,
    /// The profile the user chose, if any.
    pub profile: Option<String>,
    /// Every field's effective value as the form would submit it (choices by key), to be
    /// kept as the user's options and shown again next time.
    pub values: BTreeMap<String, String>,
}

impl SpawnRequest {
    /// The whole job: this request's queue and resources with what the spawner decides.
    pub fn job_spec(
        self,
        owner: UserName,
        name: JobName,
        environment: BTreeMap<String, String>,
        working_dir: PathBuf,
        command: Vec<String>,
    ) -> JobSpec {
        JobSpec {
            owner,
            name,
            queue: self.queue,
            resources: self.resources,
            environment,
            working_dir,
            command,
        }
    }
}

/// Why one field (or the profile) was refused; shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name (`profile` for the profile, or the unknown key submitted).
    pub field: String,
    /// What is wrong, e.g. `must be between 1 and 64`.
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// `ncpus: must be between 1 and 64`.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Checks a submitted form (`name → value`, one value per name) for `user` against `form`
/// and builds the request; every error found, one per field, in field order after the
/// unknown keys and the profile. Nothing a user typed reaches the request unparsed: numbers,
/// sizes and durations are re-printed from their parsed values, and a choice puts in the
/// config's value for the submitted key.
pub fn validate(
    form: &FormConfig,
    submitted: &BTreeMap<String, String>,
    user: &UserName,
) -> Result<SpawnRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in submitted.keys() {
        if key != PROFILE && form.field(key).is_none() {
            errors.push(FieldError::new(key, "not a field of this form"));
        }
    }
    let profile = chosen_profile(form, submitted, &mut errors);

    let mut values: Vec<(&str, FieldValue)> = Vec::new();
    for field in &form.fields {
        let given = given(submitted, &field.name)
            .or_else(|| profile.and_then(|p| p.values.get(&field.name).map(String::as_str)));
        match given {
            None => values.push((&field.name, default_value(field))),
            Some(text) => match parse_value(field, text, Some(user)) {
                Ok(value) => values.push((&field.name, value)),
                Err(message) => errors.push(FieldError::new(&field.name, message)),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let (queue, resources) = build_request(&values).map_err(|e| {
        // The config checker proves every field's values read back, so this means a form
        // built by hand; still an answer, never a panic.
        vec![FieldError::new("request", e.to_string())]
    })?;
    Ok(SpawnRequest {
        queue,
        resources,
        profile: profile.map(|p| p.name.clone()),
        values: values
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_form_text()))
            .collect(),
    })
}

/// The profile named in `submitted`, if any; an unknown name is an error.
fn chosen_profile<'f>(
    form: &'f FormConfig,
    submitted: &BTreeMap<String, String>,
    errors: &mut Vec<FieldError>,
) -> Option<&'f Profile> {
    let name = given(submitted, PROFILE)?;
    let profile = form.profile(name);
    if profile.is_none() {
        let names: Vec<&str> = form.profiles.iter().map(|p| p.name.as_str()).collect();
        let message = if names.is_empty() {
            "this form has no profiles".to_string()
        } else {
            format!("not one of {}", names.join(", "))
        };
        errors.push(FieldError::new(PROFILE, message));
    }
    profile
}

/// The submitted value of `name`, trimmed, if it is there and not blank.
fn given<'s>(submitted: &'s BTreeMap<String, String>, name: &str) -> Option<&'s str> {
    submitted
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// The queue and the resource list for checked field values: `select=` from `chunks` and
/// every chunk resource in field order, `walltime=` from `walltime`, parsed by
/// [`ResourceList::parse`] so PBS's own grammar and rules apply.
pub(crate) fn build_request(
    values: &[(&str, FieldValue)],
) -> Result<(Option<String>, ResourceList), PbsError> {
    let mut chunks = 1;
    let mut queue = None;
    let mut walltime = None;
    let mut select = String::new();
    for (name, value) in values {
        match (*name, value) {
            (CHUNKS, FieldValue::Integer(n)) => chunks = *n,
            (QUEUE, _) => queue = value.request_text(),
            (WALLTIME, _) => walltime = value.request_text(),
            _ => {
                if let Some(text) = value.request_text() {
                    select.push_str(&format!(":{name}={text}"));
                }
            }
        }
    }
    let mut items = vec![format!("select={chunks}{select}")];
    items.extend(walltime.map(|w| format!("walltime={w}")));
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    Ok((queue, ResourceList::parse(&refs)?))
}
