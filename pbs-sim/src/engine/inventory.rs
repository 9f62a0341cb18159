//! The cluster's nodes as the site defined them: a built-in Palmetto-like 2000-node cluster
//! ([`Inventory::palmetto`]) or a TOML file of node groups ([`Inventory::from_toml_str`]).
//!
//! Layout:
//! - `palmetto` — the phase table of Clemson's Palmetto (reference `pbs-pro.md` §6.4) and
//!   how its ~2100 nodes are scaled to the count asked for.
//! - `file` — the TOML format: `[[group]]` tables read by [`Inventory::from_toml_str`] and
//!   written by [`Inventory::to_toml_string`], so the default can be written out, edited
//!   and read back.
//!
//! An inventory is plain data; the engine turns it into live node state.

mod file;
mod palmetto;
#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

use drivers::resources::PbsError;

use crate::engine::node::NodeDef;

/// The nodes of a cluster, in the order `pbsnodes -a` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Every node, in name order for the built-in and file inventories.
    pub nodes: Vec<NodeDef>,
}

impl Inventory {
    /// The default cluster: 2000 nodes modelled on Palmetto's phases 1a to 20, oldest first,
    /// each with its cores, reported memory, GPUs and the site resources `phase`,
    /// `chip_manufacturer`, `chip_model`, `chip_type`, `interconnect`, `ssd` and (on GPU
    /// phases) `gpu_model`. Older phases have higher priority, so that a job lands on the
    /// oldest phase that satisfies it, as on Palmetto.
    pub fn palmetto() -> Inventory {
        palmetto::inventory(palmetto::DEFAULT_NODES)
    }

    /// The Palmetto cluster scaled to `total` nodes: each phase keeps its share of the
    /// real counts (largest remainder, ties to the older phase), so small phases vanish
    /// from small clusters. Names run `node0001`, `node0002`, … in phase order.
    pub fn palmetto_with_nodes(total: u32) -> Inventory {
        palmetto::inventory(total)
    }

    /// Reads an inventory from TOML text: `[[group]]` tables, each with `prefix` and `count`
    /// (or a single node's `name`), `ncpus`, `mem` (a PBS size such as `"31922mb"`) and
    /// optional `first`, `ngpus`, `priority` and `[group.attributes]` (strings; booleans
    /// become `True`/`False`). Nodes are named `<prefix><index, at least 4 digits>`, the
    /// index running on from the previous prefixed group unless the group sets `first`.
    pub fn from_toml_str(text: &str) -> Result<Inventory, InventoryError> {
        file::parse(text)
    }

    /// Reads an inventory from a TOML file (format as [`Inventory::from_toml_str`]).
    pub fn from_file(path: &Path) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Inventory::from_toml_str(&text)
    }

    /// The inventory as TOML that [`Inventory::from_toml_str`] reads back to the same
    /// value: runs of consecutively numbered, identical nodes become one `[[group]]`.
    pub fn to_toml_string(&self) -> String {
        file::render(self)
    }

    /// The sum of `ncpus` over all nodes: the cluster's core capacity.
    pub fn total_ncpus(&self) -> u64 {
        self.nodes.iter().map(|n| u64::from(n.ncpus)).sum()
    }

    /// The sum of `ngpus` over all nodes.
    pub fn total_ngpus(&self) -> u64 {
        self.nodes.iter().map(|n| u64::from(n.ngpus)).sum()
    }

    /// The most cores on any one node (0 for an empty inventory): the largest chunk that
    /// can ever run.
    pub fn max_ncpus_per_node(&self) -> u32 {
        self.nodes.iter().map(|n| n.ncpus).max().unwrap_or(0)
    }
}

/// Why an inventory file could not be read. Group numbers count `[[group]]` tables from 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// The file could not be read.
    #[error("cannot read the inventory file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The text is not TOML, or its top level is not a list of `[[group]]` tables.
    #[error("the inventory is not TOML made of [[group]] tables")]
    Syntax {
        /// The TOML parser's complaint, with line and column.
        #[source]
        source: toml::de::Error,
    },
    /// A group has a missing, unknown or wrongly typed field (the source names it).
    #[error("group {group}: a field is missing, unknown or of the wrong type")]
    Field {
        /// The group, counted from 1.
        group: usize,
        /// The complaint, naming the field.
        #[source]
        source: toml::de::Error,
    },
    /// A group names its nodes neither by `prefix` nor by `name`, or by both.
    #[error("group {group}: give exactly one of `prefix` (with `count`) or `name`")]
    Naming {
        /// The group, counted from 1.
        group: usize,
    },
    /// A group has a field that its other fields rule out.
    #[error("group {group}: `{field}` cannot be used with `{with}`")]
    Conflict {
        /// The group, counted from 1.
        group: usize,
        /// The field that is not allowed.
        field: &'static str,
        /// The field that rules it out.
        with: &'static str,
    },
    /// A group leaves out a field that its other fields require.
    #[error("group {group}: `{field}` is required with `{with}`")]
    Missing {
        /// The group, counted from 1.
        group: usize,
        /// The missing field.
        field: &'static str,
        /// The field that requires it.
        with: &'static str,
    },
    /// `count`, `ncpus` or `mem` is zero.
    #[error("group {group}: `{field}` must be more than zero")]
    Zero {
        /// The group, counted from 1.
        group: usize,
        /// The field.
        field: &'static str,
    },
    /// A size field is not a PBS size.
    #[error("group {group}: `{field}` = {value:?} is not a PBS size such as \"31922mb\"")]
    BadSize {
        /// The group, counted from 1.
        group: usize,
        /// The field.
        field: &'static str,
        /// The text given.
        value: String,
        /// The size parser's error.
        #[source]
        source: PbsError,
    },
    /// An attribute value is not a string, a boolean or an integer.
    #[error("group {group}: attribute `{name}` must be a string, a boolean or an integer")]
    BadAttribute {
        /// The group, counted from 1.
        group: usize,
        /// The attribute's name.
        name: String,
    },
    /// Two nodes have the same name.
    #[error("group {group}: node {name} is already defined by group {first_group}")]
    DuplicateName {
        /// The group that repeats the name, counted from 1.
        group: usize,
        /// The group that defined it first.
        first_group: usize,
        /// The node name.
        name: String,
    },
    /// The groups add up to more nodes than the simulator accepts.
    #[error("group {group}: the inventory would exceed {max} nodes")]
    TooLarge {
        /// The group that crossed the limit, counted from 1.
        group: usize,
        /// The limit.
        max: u64,
    },
    /// The file defines no nodes at all.
    #[error("the inventory defines no nodes")]
    Empty,
}
