//! `place=[arrangement][:sharing][:group=<res>]`, any order, at most one of each class
//! (reference §2.2).

use serde::{Deserialize, Serialize};

/// How chunks are spread over hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arrangement {
    /// Chunks go wherever they fit (several may share a host).
    Free,
    /// All chunks on one host.
    Pack,
    /// Each chunk on a different host.
    Scatter,
    /// Each chunk on a different vnode.
    Vscatter,
}

/// Whether the job shares its hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sharing {
    /// The job's vnodes are used by no other job.
    Excl,
    /// Other jobs may share the vnodes.
    Shared,
    /// Whole hosts are used by no other job.
    Exclhost,
}

/// A parsed `place` value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    /// `free`, `pack`, `scatter` or `vscatter`, if given.
    pub arrangement: Option<Arrangement>,
    /// `excl`, `shared` or `exclhost`, if given.
    pub sharing: Option<Sharing>,
    /// `group=<resource>`, if given.
    pub group: Option<String>,
}

impl Place {
    /// The effective arrangement: PBS's default is `free`.
    pub fn arrangement_or_default(&self) -> Arrangement {
        self.arrangement.unwrap_or(Arrangement::Free)
    }

    /// Whether the job must have its hosts to itself (`excl` or `exclhost`).
    pub fn is_exclusive(&self) -> bool {
        matches!(self.sharing, Some(Sharing::Excl | Sharing::Exclhost))
    }
}
