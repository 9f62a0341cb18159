//! Nodes: what each one has (a [`NodeDef`]) and what the engine tracks about it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One execution host (one vnode per host, as on Palmetto) as the site defined it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeDef {
    /// The vnode name, e.g. `node0193`.
    pub name: String,
    /// `resources_available.ncpus`.
    pub ncpus: u32,
    /// `resources_available.mem`, in kb.
    pub mem_kb: u64,
    /// `resources_available.ngpus`.
    pub ngpus: u32,
    /// The vnode `Priority`: the scheduler fills higher priorities first (`node_sort_key`).
    pub priority: i32,
    /// Site string and boolean resources (`phase`, `chip_type`, `interconnect`, `gpu_model`,
    /// `ssd`, …) as `resources_available.<name>` prints them.
    pub attributes: BTreeMap<String, String>,
}
