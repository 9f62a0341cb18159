//! The spawn form: declared in config, described for rendering, validated server-side into
//! the typed pieces of a [`drivers::JobSpec`] before anything is submitted.
//!
//! - [`spec`] — [`FormConfig`]: fields (integer, size, choice, duration) and profiles.
//! - [`value`] — reading one field's text into a [`FieldValue`] within its bounds.
//! - [`validate()`] — a submitted form into a [`SpawnRequest`], or a [`FieldError`] per field.
//! - [`describe()`] — a [`FormDescription`] for a page or an API client.
//!
//! The request is built as text (`select=N:ncpus=…:mem=…`, `walltime=…`) from parsed
//! values and read with `ResourceList::parse`, so PBS's grammar and combination rules apply
//! to it exactly as `qsub` would apply them.

pub mod describe;
pub mod spec;
pub mod validate;
pub mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use describe::{describe, FormDescription};
pub use spec::{Choice, Field, FieldKind, FormConfig, Profile};
pub use validate::{validate, FieldError, SpawnRequest};
pub use value::FieldValue;
