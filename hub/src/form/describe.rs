//! The form as a page (or an API client) needs it: fields in order with labels, bounds,
//! choices open to the user and defaults, and the profiles; plain data, serialisable.

use std::collections::BTreeMap;

use drivers::UserName;
use serde::Serialize;

use super::spec::{FieldKind, FormConfig};

/// The whole form for one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormDescription {
    /// The fields, in order.
    pub fields: Vec<FieldDescription>,
    /// The profiles, in order.
    pub profiles: Vec<ProfileDescription>,
}

/// One field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDescription {
    /// The name the form submits.
    pub name: String,
    /// The label shown.
    pub label: String,
    /// The longer explanation, possibly empty.
    pub help: String,
    /// The input: its kind, bounds or choices, and default.
    pub input: InputDescription,
}

/// A field's input. Bounds and defaults are written as a user would type them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputDescription {
    /// A whole number.
    Integer {
        /// Smallest accepted.
        min: u32,
        /// Largest accepted.
        max: u32,
        /// Used when left blank.
        default: u32,
    },
    /// A size such as `4gb`.
    Size {
        /// Smallest accepted.
        min: String,
        /// Largest accepted.
        max: String,
        /// Used when left blank.
        default: String,
    },
    /// One of a list.
    Choice {
        /// The choices this user may pick, in order.
        choices: Vec<ChoiceDescription>,
        /// The key used when left blank.
        default: String,
    },
    /// A duration `HH:MM:SS`.
    Duration {
        /// Shortest accepted.
        min: String,
        /// Longest accepted.
        max: String,
        /// Used when left blank.
        default: String,
    },
}

/// One choice: what is submitted and what is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChoiceDescription {
    /// Submitted value.
    pub key: String,
    /// Shown text.
    pub label: String,
}

/// One profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileDescription {
    /// Submitted as `profile`.
    pub name: String,
    /// Shown text.
    pub label: String,
    /// The values it fills, by field name.
    pub values: BTreeMap<String, String>,
}

/// Describes `form` as `user` sees it: choices restricted to other users are left out.
pub fn describe(form: &FormConfig, user: &UserName) -> FormDescription {
    let fields = form
        .fields
        .iter()
        .map(|field| FieldDescription {
            name: field.name.clone(),
            label: field.label.clone(),
            help: field.help.clone(),
            input: match &field.kind {
                FieldKind::Integer { min, max, default } => InputDescription::Integer {
                    min: *min,
                    max: *max,
                    default: *default,
                },
                FieldKind::Size { min, max, default } => InputDescription::Size {
                    min: min.to_string(),
                    max: max.to_string(),
                    default: default.to_string(),
                },
                FieldKind::Duration { min, max, default } => InputDescription::Duration {
                    min: min.to_string(),
                    max: max.to_string(),
                    default: default.to_string(),
                },
                FieldKind::Choice { choices, default } => InputDescription::Choice {
                    choices: choices
                        .iter()
                        .filter(|c| c.allows(user))
                        .map(|c| ChoiceDescription {
                            key: c.key.clone(),
                            label: c.label.clone(),
                        })
                        .collect(),
                    default: default.clone(),
                },
            },
        })
        .collect();
    let profiles = form
        .profiles
        .iter()
        .map(|p| ProfileDescription {
            name: p.name.clone(),
            label: p.label.clone(),
            values: p.values.clone(),
        })
        .collect();
    FormDescription { fields, profiles }
}
