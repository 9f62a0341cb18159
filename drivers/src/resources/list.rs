//! A job's whole resource request: what `-l` options and `#PBS -l` directives add up to.

use serde::{Deserialize, Serialize};

use super::place::Place;
use super::select::Select;
use super::walltime::Walltime;

/// The resources a job asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceList {
    /// `select=…`.
    pub select: Option<Select>,
    /// `place=…` (only valid with `select`).
    pub place: Option<Place>,
    /// `walltime=…`.
    pub walltime: Option<Walltime>,
    /// Other job-wide resources (`cput`, site server/queue resources, and old-style `ncpus`,
    /// `mem`, `nodes`), as `(name, value)` in the order given.
    pub other: Vec<(String, String)>,
}
