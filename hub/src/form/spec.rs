//! The spawn form as the config declares it, typed: fields in order, each of one kind with
//! its bounds or choices and a default, and named profiles that fill several fields.
//!
//! These values are built by the config checker (`config::check_config`), which proves the
//! rules listed on [`FormConfig`]; [`super::validate`] relies on them.

use std::collections::BTreeMap;

use drivers::resources::{Size, Walltime};
use drivers::UserName;

use crate::spawner::SchedulerTerms;

/// The field whose integer value is the number of chunks (`select=N:…`).
pub const CHUNKS: &str = "chunks";
/// The field whose choice is the destination queue.
pub const QUEUE: &str = "queue";
/// The field whose duration is the job's `walltime`.
pub const WALLTIME: &str = "walltime";
/// The submitted key that names a profile; no field may have this name.
pub const PROFILE: &str = "profile";

/// The spawn form: what a user may ask for, and the presets offered.
///
/// Rules the config checker proves: field names are unique PBS resource names (or one of
/// [`CHUNKS`], [`QUEUE`], [`WALLTIME`]); `chunks` is an integer field with `min ≥ 1`,
/// `queue` a choice, `walltime` the only duration field; every `min ≤ default ≤ max`;
/// choice lists are non-empty with unique keys and a default open to every user; every
/// value a field can produce reads back through PBS's grammar; every profile value is
/// valid for its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormConfig {
    /// The fields, in the order the form shows them.
    pub fields: Vec<Field>,
    /// The presets, in the order the form offers them.
    pub profiles: Vec<Profile>,
}

impl FormConfig {
    /// The field called `name`, if the form has one.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The profile called `name`, if the form has one.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }
}

/// The form of an empty config on PBS (see [`FormConfig::built_in`]).
impl Default for FormConfig {
    fn default() -> Self {
        FormConfig::built_in(&SchedulerTerms::PBS)
    }
}

impl FormConfig {
    /// The form of an empty config: cores, memory and walltime of one chunk in the server's
    /// default queue; small enough to run anywhere, and every bound is there to be changed.
    /// Its labels use `terms`' words (the walltime is a "Time limit" on Slurm).
    pub fn built_in(terms: &SchedulerTerms) -> Self {
        FormConfig {
            fields: vec![
                Field {
                    name: "ncpus".to_string(),
                    label: "CPU cores".to_string(),
                    help: String::new(),
                    kind: FieldKind::Integer {
                        min: 1,
                        max: 32,
                        default: 1,
                    },
                },
                Field {
                    name: "mem".to_string(),
                    label: "Memory".to_string(),
                    help: String::new(),
                    kind: FieldKind::Size {
                        min: Size::gb(1),
                        max: Size::gb(128),
                        default: Size::gb(4),
                    },
                },
                Field {
                    name: WALLTIME.to_string(),
                    label: terms.walltime.to_string(),
                    help: String::new(),
                    kind: FieldKind::Duration {
                        min: Walltime::from_secs(10 * 60),
                        max: Walltime::from_hours(12),
                        default: Walltime::from_hours(1),
                    },
                },
            ],
            profiles: Vec::new(),
        }
    }
}

/// One field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name the form submits and, for a chunk resource, the PBS resource name.
    pub name: String,
    /// What the form shows beside the input.
    pub label: String,
    /// A longer explanation, possibly empty.
    pub help: String,
    /// The kind of value, with its bounds or choices and its default.
    pub kind: FieldKind,
}

/// The kind of a field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// A whole number, `min ≤ n ≤ max` (chunks, ncpus, ngpus).
    Integer {
        /// The smallest value accepted.
        min: u32,
        /// The largest value accepted.
        max: u32,
        /// The value used when none is given.
        default: u32,
    },
    /// A PBS size such as `4gb`, compared in bytes (mem).
    Size {
        /// The smallest size accepted.
        min: Size,
        /// The largest size accepted.
        max: Size,
        /// The size used when none is given.
        default: Size,
    },
    /// One of a fixed list (queue, GPU model, interconnect).
    Choice {
        /// The choices, in the order shown.
        choices: Vec<Choice>,
        /// The key of the choice used when none is given.
        default: String,
    },
    /// A duration written `HH:MM:SS` (walltime).
    Duration {
        /// The shortest duration accepted.
        min: Walltime,
        /// The longest duration accepted.
        max: Walltime,
        /// The duration used when none is given.
        default: Walltime,
    },
}

/// One entry of a choice field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What the form submits for this choice.
    pub key: String,
    /// What the form shows.
    pub label: String,
    /// What goes into the request (a queue name or a resource value); empty means "ask for
    /// nothing": the server's default queue, or no such resource in the chunk.
    pub value: String,
    /// The users who may pick it; empty means everyone.
    pub users: Vec<UserName>,
}

impl Choice {
    /// Whether `user` may pick this choice.
    pub fn allows(&self, user: &UserName) -> bool {
        self.users.is_empty() || self.users.contains(user)
    }
}

/// A named preset that fills several fields at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// What the form submits as `profile`.
    pub name: String,
    /// What the form shows.
    pub label: String,
    /// Field name to value, written as a user would type it (a choice by its key).
    pub values: BTreeMap<String, String>,
}
