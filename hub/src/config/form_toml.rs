//! `[spawner.form]` as written, and its checks into a typed [`FormConfig`].
//!
//! Fields are `[spawner.form.fields.<name>]` tables, kept in the order written; profiles
//! `[spawner.form.profiles.<name>]`. Bounds and defaults may be written as TOML integers
//! or strings (`max = 64`, `max = "128gb"`, `max = "12:00:00"`); each is read by the
//! same parser that reads what a user submits.

use std::collections::BTreeMap;

use drivers::resources::Select;
use drivers::UserName;
use serde::Deserialize;

use super::locate::ConfigPath;
use crate::form::spec::{CHUNKS, PROFILE, QUEUE, WALLTIME};
use crate::form::validate::build_request;
use crate::form::value::{parse_value, FieldValue};
use crate::form::{Choice, Field, FieldKind, FormConfig, Profile};

/// A setting's value as written: an integer or a string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Scalar {
    /// `4`
    Integer(i64),
    /// `"4gb"`
    Text(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Integer(n) => n.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// The kind of a field as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawKind {
    Integer,
    Size,
    Choice,
    Duration,
}

/// `[spawner.form.fields.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    kind: RawKind,
    label: Option<String>,
    #[serde(default)]
    help: String,
    min: Option<Scalar>,
    max: Option<Scalar>,
    default: Option<Scalar>,
    #[serde(default)]
    choices: Vec<RawChoice>,
}

/// One entry of `choices = [...]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChoice {
    key: String,
    label: Option<String>,
    value: Option<String>,
    #[serde(default)]
    users: Vec<UserName>,
}

/// `[spawner.form.profiles.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    label: Option<String>,
    #[serde(default)]
    values: BTreeMap<String, Scalar>,
}

/// A problem found, at its path.
pub(crate) type Problem = (ConfigPath, String);

/// Names, keys and values that go into a request or a form as they are: plain enough to
/// need no quoting in PBS's grammar, a URL or HTML.
fn is_plain(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks the fields (`None`: not written, so the default fields) and profiles as written,
/// and builds the form from the parts that pass.
pub(crate) fn build_form(
    fields: Option<Vec<(String, RawField)>>,
    profiles: Vec<(String, RawProfile)>,
    at: &ConfigPath,
    problems: &mut Vec<Problem>,
) -> FormConfig {
    let mut form = FormConfig {
        fields: Vec::new(),
        profiles: Vec::new(),
    };
    // Fields that failed their checks: a profile naming one is not blamed for it.
    let mut failed = Vec::new();
    match fields {
        None => form.fields = FormConfig::default().fields,
        Some(fields) => {
            for (name, raw) in fields {
                let path = at.key("fields").key(&name);
                match build_field(name.clone(), raw, &path, problems) {
                    Some(field) => form.fields.push(field),
                    None => failed.push(name),
                }
            }
        }
    }
    for (name, raw) in profiles {
        let path = at.key("profiles").key(&name);
        if let Some(profile) = build_profile(&form, &failed, name, raw, &path, problems) {
            form.profiles.push(profile);
        }
    }
    form
}

fn build_field(
    name: String,
    raw: RawField,
    path: &ConfigPath,
    problems: &mut Vec<Problem>,
) -> Option<Field> {
    let before = problems.len();
    check_name_and_kind(&name, raw.kind, path, problems);
    let kind = match raw.kind {
        RawKind::Choice => choice_kind(&raw, path, problems),
        _ => bounded_kind(&name, &raw, path, problems),
    }?;
    let field = Field {
        label: raw.label.unwrap_or_else(|| name.clone()),
        name,
        help: raw.help,
        kind,
    };
    if problems.len() > before {
        return None;
    }
    check_reads_back(&field, path, problems);
    Some(field)
}

/// The rules tying a field's name to its kind and to PBS's resource names.
fn check_name_and_kind(name: &str, kind: RawKind, path: &ConfigPath, problems: &mut Vec<Problem>) {
    let must_be = match name {
        CHUNKS => Some(RawKind::Integer),
        QUEUE => Some(RawKind::Choice),
        WALLTIME => Some(RawKind::Duration),
        _ => None,
    };
    if let Some(want) = must_be {
        if kind != want {
            let want = format!("{want:?}").to_lowercase();
            problems.push((path.key("kind"), format!("`{name}` must be a {want} field")));
        }
        return;
    }
    if name == PROFILE {
        problems.push((
            path.clone(),
            "`profile` is reserved for choosing a profile".into(),
        ));
    } else if kind == RawKind::Duration {
        problems.push((
            path.key("kind"),
            "only `walltime` may be a duration field".into(),
        ));
    } else if let Err(e) = format!("1:{name}=1").parse::<Select>() {
        // Any other field is a resource of each chunk: its name must be one PBS accepts there.
        problems.push((
            path.clone(),
            format!("not a chunk resource PBS accepts: {e}"),
        ));
    }
}

/// An integer, size or duration field: `min ≤ default ≤ max`, all required but `default`
/// (which is `min` when left out).
fn bounded_kind(
    name: &str,
    raw: &RawField,
    path: &ConfigPath,
    problems: &mut Vec<Problem>,
) -> Option<FieldKind> {
    if !raw.choices.is_empty() {
        problems.push((
            path.key("choices"),
            "only a choice field has choices".into(),
        ));
    }
    let mut read = |key: &str, scalar: Option<&Scalar>| -> Option<FieldValue> {
        let Some(scalar) = scalar else {
            problems.push((path.key(key), format!("`{key}` is required")));
            return None;
        };
        let probe = unbounded(name, raw.kind);
        match parse_value(&probe, &scalar.text(), None) {
            Ok(value) => Some(value),
            Err(message) => {
                problems.push((path.key(key), message));
                None
            }
        }
    };
    let min = read("min", raw.min.as_ref());
    let max = read("max", raw.max.as_ref());
    let default = match &raw.default {
        Some(_) => read("default", raw.default.as_ref()),
        None => min.clone(),
    };
    let kind = match (min?, max?, default?) {
        (FieldValue::Integer(min), FieldValue::Integer(max), FieldValue::Integer(default)) => {
            FieldKind::Integer { min, max, default }
        }
        (FieldValue::Size(min), FieldValue::Size(max), FieldValue::Size(default)) => {
            FieldKind::Size { min, max, default }
        }
        (FieldValue::Duration(min), FieldValue::Duration(max), FieldValue::Duration(d)) => {
            FieldKind::Duration {
                min,
                max,
                default: d,
            }
        }
        _ => return None,
    };
    let (ordered, default_within) = match &kind {
        FieldKind::Integer { min, max, default } => (min <= max, min <= default && default <= max),
        FieldKind::Size { min, max, default } => (
            min.bytes() <= max.bytes(),
            min.bytes() <= default.bytes() && default.bytes() <= max.bytes(),
        ),
        FieldKind::Duration { min, max, default } => (min <= max, min <= default && default <= max),
        FieldKind::Choice { .. } => (true, true),
    };
    if !ordered {
        problems.push((path.key("max"), "must not be less than `min`".into()));
    } else if !default_within {
        problems.push((
            path.key("default"),
            "must be between `min` and `max`".into(),
        ));
    }
    if name == CHUNKS && matches!(kind, FieldKind::Integer { min: 0, .. }) {
        problems.push((path.key("min"), "a job has at least 1 chunk".into()));
    }
    Some(kind)
}

/// A field of `kind` with the widest bounds, to read a bound itself.
fn unbounded(name: &str, kind: RawKind) -> Field {
    use drivers::resources::{Size, SizeUnit, Walltime};
    let kind = match kind {
        RawKind::Integer => FieldKind::Integer {
            min: 0,
            max: u32::MAX,
            default: 0,
        },
        RawKind::Size => FieldKind::Size {
            min: Size::new(0, SizeUnit::One),
            max: Size::new(u64::MAX, SizeUnit::One),
            default: Size::new(0, SizeUnit::One),
        },
        RawKind::Duration | RawKind::Choice => FieldKind::Duration {
            min: Walltime::from_secs(0),
            max: Walltime::from_secs(u64::MAX),
            default: Walltime::from_secs(0),
        },
    };
    Field {
        name: name.to_string(),
        label: String::new(),
        help: String::new(),
        kind,
    }
}

/// A choice field: a non-empty list of plain, unique keys with plain (or empty) values, and
/// a default every user may pick.
fn choice_kind(
    raw: &RawField,
    path: &ConfigPath,
    problems: &mut Vec<Problem>,
) -> Option<FieldKind> {
    for key in ["min", "max"] {
        let given = if key == "min" { &raw.min } else { &raw.max };
        if given.is_some() {
            problems.push((path.key(key), "a choice field has no bounds".into()));
        }
    }
    if raw.choices.is_empty() {
        problems.push((path.key("choices"), "must list at least one choice".into()));
        return None;
    }
    let mut choices: Vec<Choice> = Vec::new();
    for (i, c) in raw.choices.iter().enumerate() {
        let at = path.key("choices").index(i);
        if !is_plain(&c.key) {
            problems.push((
                at.key("key"),
                "must be letters, digits, `-`, `_` or `.`".into(),
            ));
        } else if choices.iter().any(|seen| seen.key == c.key) {
            problems.push((at.key("key"), format!("`{}` is listed twice", c.key)));
        }
        let value = c.value.clone().unwrap_or_else(|| c.key.clone());
        if !value.is_empty() && !is_plain(&value) {
            problems.push((
                at.key("value"),
                "must be empty or letters, digits, `-`, `_` or `.`".into(),
            ));
        }
        choices.push(Choice {
            key: c.key.clone(),
            label: c.label.clone().unwrap_or_else(|| c.key.clone()),
            value,
            users: c.users.clone(),
        });
    }
    let default = match &raw.default {
        None => choices[0].key.clone(),
        Some(scalar) => scalar.text(),
    };
    match choices.iter().find(|c| c.key == default) {
        None => problems.push((path.key("default"), format!("`{default}` is not a choice"))),
        Some(c) if !c.users.is_empty() => problems.push((
            path.key("default"),
            "the default must be a choice every user may pick".into(),
        )),
        Some(_) => {}
    }
    Some(FieldKind::Choice { choices, default })
}

/// Every value the field can put in a request reads back through PBS's grammar: bounds and
/// default for numbers, sizes and durations; every choice.
fn check_reads_back(field: &Field, path: &ConfigPath, problems: &mut Vec<Problem>) {
    let samples: Vec<FieldValue> = match &field.kind {
        FieldKind::Integer { min, max, .. } => {
            vec![FieldValue::Integer(*min), FieldValue::Integer(*max)]
        }
        FieldKind::Size { min, max, .. } => vec![FieldValue::Size(*min), FieldValue::Size(*max)],
        FieldKind::Duration { min, max, .. } => {
            vec![FieldValue::Duration(*min), FieldValue::Duration(*max)]
        }
        FieldKind::Choice { choices, .. } => choices
            .iter()
            .map(|c| FieldValue::Choice {
                key: c.key.clone(),
                value: c.value.clone(),
            })
            .collect(),
    };
    for sample in samples {
        if let Err(e) = build_request(&[(field.name.as_str(), sample.clone())]) {
            let shown = sample.request_text().unwrap_or_default();
            problems.push((
                path.clone(),
                format!("PBS refuses `{}={shown}`: {e}", field.name),
            ));
            return;
        }
    }
}

fn build_profile(
    form: &FormConfig,
    failed: &[String],
    name: String,
    raw: RawProfile,
    path: &ConfigPath,
    problems: &mut Vec<Problem>,
) -> Option<Profile> {
    let before = problems.len();
    if !is_plain(&name) {
        problems.push((
            path.clone(),
            "a profile's name must be letters, digits, `-`, `_` or `.`".into(),
        ));
    }
    let mut values = BTreeMap::new();
    for (field_name, scalar) in raw.values {
        let at = path.key("values").key(&field_name);
        let text = scalar.text();
        match form.field(&field_name) {
            None if failed.contains(&field_name) => {}
            None => problems.push((at, "no such field in this form".into())),
            Some(field) => match parse_value(field, text.trim(), None) {
                Ok(value) => {
                    values.insert(field_name, value.to_form_text());
                }
                Err(message) => problems.push((at, message)),
            },
        }
    }
    if problems.len() > before {
        return None;
    }
    Some(Profile {
        label: raw.label.unwrap_or_else(|| name.clone()),
        name,
        values,
    })
}
