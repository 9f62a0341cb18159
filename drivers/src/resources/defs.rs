//! Which resources a PBS server knows: the built-ins and the site's own (`qmgr -c "create
//! resource interconnect type=string, flag=h"`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The type of a resource's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    /// An integer (`long`).
    Long,
    /// A size (`mem`).
    Size,
    /// A duration (`walltime`).
    Duration,
    /// A string compared for equality (`interconnect`).
    String,
    /// `True`/`False`.
    Boolean,
}

/// One resource definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceDef {
    /// The value type.
    pub kind: ResourceKind,
    /// Host-level (flag `h`): may appear inside a `select` chunk.
    pub host_level: bool,
    /// Consumable on the node (flag `n` with `h`): the scheduler never over-allocates it.
    pub consumable: bool,
}

/// The resource names a server knows, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDefs {
    defs: BTreeMap<String, ResourceDef>,
}

impl ResourceDefs {
    /// The definition of `name`, if the server knows it.
    pub fn get(&self, name: &str) -> Option<&ResourceDef> {
        self.defs.get(name)
    }

    /// Adds or replaces a definition (a site's `create resource`).
    pub fn define(&mut self, name: &str, def: ResourceDef) {
        self.defs.insert(name.to_string(), def);
    }

    /// Every known name with its definition, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ResourceDef)> {
        self.defs.iter().map(|(k, v)| (k.as_str(), v))
    }
}
