//! Reading one field's text (as a user typed it, or as a profile gives it) into a typed
//! value within the field's bounds.

use std::fmt::Display;

use drivers::resources::{Size, Walltime};
use drivers::UserName;

use super::spec::{Choice, Field, FieldKind};

/// A field's value after checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// An integer field's value.
    Integer(u32),
    /// A size field's value.
    Size(Size),
    /// A choice field's value: the choice's key and what goes into the request.
    Choice {
        /// The key the form submitted.
        key: String,
        /// The request value; empty means "ask for nothing".
        value: String,
    },
    /// A duration field's value.
    Duration(Walltime),
}

impl FieldValue {
    /// The value as the form would submit it (a choice by its key), so that it reads back
    /// through [`parse_value`] to the same value.
    pub fn to_form_text(&self) -> String {
        match self {
            FieldValue::Integer(n) => n.to_string(),
            FieldValue::Size(size) => size.to_string(),
            FieldValue::Choice { key, .. } => key.clone(),
            FieldValue::Duration(walltime) => walltime.to_string(),
        }
    }

    /// The text that goes into the PBS request, or `None` to leave the resource out.
    pub fn request_text(&self) -> Option<String> {
        match self {
            FieldValue::Choice { value, .. } if value.is_empty() => None,
            FieldValue::Choice { value, .. } => Some(value.clone()),
            other => Some(other.to_form_text()),
        }
    }
}

/// The value a field takes when nothing is given.
pub fn default_value(field: &Field) -> FieldValue {
    match &field.kind {
        FieldKind::Integer { default, .. } => FieldValue::Integer(*default),
        FieldKind::Size { default, .. } => FieldValue::Size(*default),
        FieldKind::Duration { default, .. } => FieldValue::Duration(*default),
        FieldKind::Choice { choices, default } => {
            // The config checker proves the default is one of the choices; should a hand-built
            // form break that, the request says exactly what the config says.
            let value = choices
                .iter()
                .find(|c| &c.key == default)
                .map_or_else(|| default.clone(), |c| c.value.clone());
            FieldValue::Choice {
                key: default.clone(),
                value,
            }
        }
    }
}

/// Reads `text` (already trimmed) for `field` as `user` submitted it (`None`: as the config
/// gives it, where a choice kept for some users is still a choice); the error is the
/// message to show next to the field, without the field's name.
pub fn parse_value(
    field: &Field,
    text: &str,
    user: Option<&UserName>,
) -> Result<FieldValue, String> {
    match &field.kind {
        FieldKind::Integer { min, max, .. } => {
            let n: u32 = text
                .parse()
                .map_err(|_| "not a whole number like 4".to_string())?;
            within(n, *min, *max, min, max)?;
            Ok(FieldValue::Integer(n))
        }
        FieldKind::Size { min, max, .. } => {
            let size = Size::parse_for(text, &field.name)
                .map_err(|_| "not a size like 4gb".to_string())?;
            within(size.bytes(), min.bytes(), max.bytes(), min, max)?;
            Ok(FieldValue::Size(size))
        }
        FieldKind::Duration { min, max, .. } => {
            let walltime = Walltime::parse_for(text, &field.name)
                .map_err(|_| "not a time like HH:MM:SS".to_string())?;
            within(walltime, *min, *max, min, max)?;
            Ok(FieldValue::Duration(walltime))
        }
        FieldKind::Choice { choices, .. } => {
            let open: Vec<&Choice> = choices
                .iter()
                .filter(|c| user.is_none_or(|u| c.allows(u)))
                .collect();
            match open.iter().find(|c| c.key == text) {
                Some(choice) => Ok(FieldValue::Choice {
                    key: choice.key.clone(),
                    value: choice.value.clone(),
                }),
                None => {
                    let keys: Vec<&str> = open.iter().map(|c| c.key.as_str()).collect();
                    Err(format!("not one of {}", keys.join(", ")))
                }
            }
        }
    }
}

/// `Ok` when `min ≤ value ≤ max`, else the message naming the bounds as the config wrote
/// them (`shown_min`, `shown_max`), since sizes compare in bytes but read best as `4gb`.
fn within<T: PartialOrd>(
    value: T,
    min: T,
    max: T,
    shown_min: impl Display,
    shown_max: impl Display,
) -> Result<(), String> {
    if value < min || value > max {
        return Err(format!("must be between {shown_min} and {shown_max}"));
    }
    Ok(())
}
