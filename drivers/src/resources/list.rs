//! A job's whole resource request: what `-l` options and `#PBS -l` directives add up to.
//!
//! [`ResourceList::parse`] reads the arguments of one level's `-l` options (each may hold
//! several `res=val` separated by commas; a comma inside `'…'`/`"…"` does not separate).
//! Within one call the **last** occurrence of a resource wins, keeping the place of its
//! first occurrence in [`ResourceList::other`]. (Merging command line over directives —
//! first-wins per name within a script — is the caller's job; reference §1.3.)
//!
//! Job-wide values other than `select` and `place` are read by the rule in the `syntax`
//! module and printed bare unless empty or holding `,`, a quote, whitespace or a control
//! character. Values of built-in typed resources (`ncpus`, `mem`, `cput`, …) are checked
//! but kept as written.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::builtin::{check_job_value, old_style_with_select, CHUNK_LEVEL};
use super::error::{PbsError, Pbse};
use super::place::Place;
use super::select::Select;
use super::syntax::{
    is_resource_name, is_writable, quote_value, read_value, split_outside_quotes, LIST_SPECIAL,
};
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

impl ResourceList {
    /// Parses the arguments of `-l` options, e.g.
    /// `["select=2:ncpus=8+1:ncpus=4,walltime=1:00:00", "place=scatter"]`, and checks the
    /// combination rules of reference §1.5 (see [`ResourceList::validate`]). A malformed
    /// item is `Illegal attribute or resource value Resource_List.<name>`, with the text
    /// before its `=` (or the whole item if it has none) as the name.
    pub fn parse(items: &[&str]) -> Result<ResourceList, PbsError> {
        let mut list = ResourceList::default();
        for item in items {
            let assignments = split_outside_quotes(item, ',')
                .ok_or_else(|| PbsError::illegal_value(name_in(item)))?;
            for assignment in assignments {
                list.assign(assignment)?;
            }
        }
        list.validate()?;
        Ok(list)
    }

    /// Sets one `name=value`, replacing an earlier value of the same name.
    fn assign(&mut self, assignment: &str) -> Result<(), PbsError> {
        let name = name_in(assignment);
        let raw = assignment
            .split_once('=')
            .filter(|_| is_resource_name(name))
            .map(|(_, raw)| raw)
            .ok_or_else(|| PbsError::illegal_value(name))?;
        match name {
            "select" => self.select = Some(raw.parse()?),
            "place" => self.place = Some(raw.parse()?),
            _ => {
                let value =
                    read_value(raw, LIST_SPECIAL).ok_or_else(|| PbsError::illegal_value(name))?;
                if name == "walltime" {
                    self.walltime = Some(value.parse()?);
                } else {
                    check_job_value(name, &value)?;
                    match self.other.iter_mut().find(|(n, _)| n == name) {
                        Some(existing) => existing.1 = value,
                        None => self.other.push((name.to_string(), value)),
                    }
                }
            }
        }
        Ok(())
    }

    /// The value of the job-wide resource `name` in [`ResourceList::other`], if given.
    pub fn get_other(&self, name: &str) -> Option<&str> {
        self.other
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Checks what parsing does: `select` and `place` valid; each other name a resource
    /// name, given once, not `select`/`place`/`walltime`, with a printable value of the
    /// right type for a built-in; then, in this order: `nodes` with `select` or `place`
    /// (`Cannot be used with select or place: nodes`), `place` without `select`
    /// (`Cannot have "place" without "select"`), and a built-in chunk-level resource
    /// job-wide beside `select` (`"-lresource=" cannot be used with "select" or "place",
    /// resource is: ncpus`). Every list that passes prints as text that parses back to it.
    pub fn validate(&self) -> Result<(), PbsError> {
        if let Some(select) = &self.select {
            select.validate()?;
        }
        if let Some(place) = &self.place {
            place.validate()?;
        }
        for (i, (name, value)) in self.other.iter().enumerate() {
            let reserved = matches!(name.as_str(), "select" | "place" | "walltime");
            let repeated = self.other[..i].iter().any(|(n, _)| n == name);
            if !is_resource_name(name) || reserved || repeated || !is_writable(value) {
                return Err(PbsError::illegal_value(name));
            }
            check_job_value(name, value)?;
        }
        let with_select = self.select.is_some();
        if (with_select || self.place.is_some()) && self.get_other("nodes").is_some() {
            return Err(PbsError::new(Pbse::InvalNodePlace, ": nodes"));
        }
        if self.place.is_some() && !with_select {
            return Err(PbsError::new(Pbse::PlaceNoSelect, ""));
        }
        if with_select {
            if let Some((name, _)) = self
                .other
                .iter()
                .find(|(n, _)| CHUNK_LEVEL.contains(&n.as_str()))
            {
                return Err(old_style_with_select(name));
            }
        }
        Ok(())
    }

    /// Each resource as one `name=value` argument, in the order select, place, walltime,
    /// then the others as given.
    pub fn assignments(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(select) = &self.select {
            out.push(format!("select={select}"));
        }
        if let Some(place) = &self.place {
            out.push(format!("place={place}"));
        }
        if let Some(walltime) = &self.walltime {
            out.push(format!("walltime={walltime}"));
        }
        for (name, value) in &self.other {
            out.push(format!("{name}={}", quote_value(value, LIST_SPECIAL)));
        }
        out
    }

    /// The arguments for `qsub`: `["-l", "select=…", "-l", "place=…", …]`, one `-l` per
    /// resource (no shell is involved, so values are not shell-quoted).
    pub fn to_qsub_args(&self) -> Vec<String> {
        self.assignments()
            .into_iter()
            .flat_map(|a| ["-l".to_string(), a])
            .collect()
    }
}

/// The resource name an item or assignment starts with: the text before its first `=`.
fn name_in(item: &str) -> &str {
    item.split_once('=').map_or(item, |(name, _)| name)
}

/// Prints the `-l` form: `select=…,place=…,walltime=…,<other>=…`.
impl fmt::Display for ResourceList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.assignments().join(","))
    }
}
