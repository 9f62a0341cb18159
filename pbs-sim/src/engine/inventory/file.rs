//! The inventory file: TOML `[[group]]` tables, each a run of identical nodes.
//!
//! ```toml
//! [[group]]
//! prefix = "node"      # names node0001, node0002, …
//! count = 116
//! ncpus = 8
//! mem = "31922mb"      # a PBS size
//! ngpus = 0            # optional, default 0
//! priority = 1000      # optional, default 0; higher is filled first
//! # first = 1          # optional: the index of the first node
//!
//! [group.attributes]   # optional site resources, as pbsnodes prints them
//! phase = "1a"
//! interconnect = "1g"
//! ssd = false          # booleans become "True"/"False"
//! ```
//!
//! A group may instead define one node by its exact `name` (no `prefix`, `count` or
//! `first`); that is how [`render`] writes a node whose name is not `<prefix><index>`.

use std::collections::{BTreeMap, HashMap};

use drivers::resources::Size;
use serde::{Deserialize, Serialize};

use super::{Inventory, InventoryError};
use crate::engine::node::NodeDef;

/// The most nodes a file may define: far more than any real PBS complex, and small enough
/// that a typo in `count` fails cleanly instead of exhausting memory.
const MAX_NODES: u64 = 1_000_000;

/// Node indexes are printed with at least this many digits (`node0001`).
const INDEX_WIDTH: usize = 4;

/// The first node index when no group sets `first`.
const FIRST_INDEX: u64 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    group: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    prefix: Option<String>,
    name: Option<String>,
    count: Option<u32>,
    first: Option<u64>,
    ncpus: u32,
    mem: String,
    #[serde(default)]
    ngpus: u32,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    attributes: toml::Table,
}

/// Reads the TOML text of an inventory.
pub(super) fn parse(text: &str) -> Result<Inventory, InventoryError> {
    let file: RawFile = toml::from_str(text).map_err(|source| InventoryError::Syntax { source })?;
    let mut nodes = Vec::new();
    // Which group defined each name, to report duplicates.
    let mut defined_by: HashMap<String, usize> = HashMap::new();
    let mut next_index = FIRST_INDEX;
    for (i, table) in file.group.into_iter().enumerate() {
        let group = i + 1;
        let raw: RawGroup = toml::Value::Table(table)
            .try_into()
            .map_err(|source| InventoryError::Field { group, source })?;
        let template = template(group, &raw)?;
        let names = names(group, &raw, &mut next_index)?;
        if nodes.len() as u64 + names.len() as u64 > MAX_NODES {
            return Err(InventoryError::TooLarge {
                group,
                max: MAX_NODES,
            });
        }
        for name in names {
            if let Some(&first_group) = defined_by.get(&name) {
                return Err(InventoryError::DuplicateName {
                    group,
                    first_group,
                    name,
                });
            }
            defined_by.insert(name.clone(), group);
            nodes.push(NodeDef {
                name,
                ..template.clone()
            });
        }
    }
    if nodes.is_empty() {
        return Err(InventoryError::Empty);
    }
    Ok(Inventory { nodes })
}

/// A node of the group with an empty name.
fn template(group: usize, raw: &RawGroup) -> Result<NodeDef, InventoryError> {
    if raw.ncpus == 0 {
        return Err(InventoryError::Zero {
            group,
            field: "ncpus",
        });
    }
    let mem: Size = raw.mem.parse().map_err(|source| InventoryError::BadSize {
        group,
        field: "mem",
        value: raw.mem.clone(),
        source,
    })?;
    if mem.bytes() == 0 {
        return Err(InventoryError::Zero {
            group,
            field: "mem",
        });
    }
    let mut attributes = BTreeMap::new();
    for (name, value) in &raw.attributes {
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Boolean(true) => "True".to_string(),
            toml::Value::Boolean(false) => "False".to_string(),
            toml::Value::Integer(n) => n.to_string(),
            _ => {
                return Err(InventoryError::BadAttribute {
                    group,
                    name: name.clone(),
                })
            }
        };
        attributes.insert(name.clone(), text);
    }
    Ok(NodeDef {
        name: String::new(),
        ncpus: raw.ncpus,
        mem_kb: mem.to_kb(),
        ngpus: raw.ngpus,
        priority: raw.priority,
        attributes,
    })
}

/// The names of the group's nodes; advances `next_index` past a prefixed group.
fn names(
    group: usize,
    raw: &RawGroup,
    next_index: &mut u64,
) -> Result<Vec<String>, InventoryError> {
    match (&raw.prefix, &raw.name) {
        (Some(prefix), None) => {
            let count = raw.count.ok_or(InventoryError::Missing {
                group,
                field: "count",
                with: "prefix",
            })?;
            if count == 0 {
                return Err(InventoryError::Zero {
                    group,
                    field: "count",
                });
            }
            if u64::from(count) > MAX_NODES {
                return Err(InventoryError::TooLarge {
                    group,
                    max: MAX_NODES,
                });
            }
            let first = raw.first.unwrap_or(*next_index);
            *next_index = first.saturating_add(u64::from(count));
            Ok((0..u64::from(count))
                .map(|k| indexed_name(prefix, first.saturating_add(k)))
                .collect())
        }
        (None, Some(name)) => {
            for (field, given) in [
                ("count", raw.count.is_some()),
                ("first", raw.first.is_some()),
            ] {
                if given {
                    return Err(InventoryError::Conflict {
                        group,
                        field,
                        with: "name",
                    });
                }
            }
            Ok(vec![name.clone()])
        }
        _ => Err(InventoryError::Naming { group }),
    }
}

fn indexed_name(prefix: &str, index: u64) -> String {
    format!("{prefix}{index:0INDEX_WIDTH$}")
}

/// `name` as `(prefix, index)` if it is exactly what [`indexed_name`] makes of them.
fn split_indexed(name: &str) -> Option<(&str, u64)> {
    let digits = name.len() - name.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (prefix, number) = name.split_at(digits);
    let index: u64 = number.parse().ok()?;
    (indexed_name(prefix, index) == name).then_some((prefix, index))
}

#[derive(Serialize)]
struct OutFile<'a> {
    group: Vec<OutGroup<'a>>,
}

#[derive(Serialize)]
struct OutGroup<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u32>,
    ncpus: u32,
    mem: String,
    ngpus: u32,
    priority: i32,
    attributes: &'a BTreeMap<String, String>,
}

impl<'a> OutGroup<'a> {
    fn new(node: &'a NodeDef) -> Self {
        OutGroup {
            name: None,
            prefix: None,
            first: None,
            count: None,
            ncpus: node.ncpus,
            mem: size_text(node.mem_kb),
            ngpus: node.ngpus,
            priority: node.priority,
            attributes: &node.attributes,
        }
    }

    /// Whether `node` is the next node of this prefixed group.
    fn continues_with(&self, node: &NodeDef, prefix: &str, index: u64) -> bool {
        let (Some(own_prefix), Some(first), Some(count)) = (self.prefix, self.first, self.count)
        else {
            return false;
        };
        own_prefix == prefix
            && count < u32::MAX
            && first.checked_add(u64::from(count)) == Some(index)
            && self.ncpus == node.ncpus
            && self.mem == size_text(node.mem_kb)
            && self.ngpus == node.ngpus
            && self.priority == node.priority
            && *self.attributes == node.attributes
    }
}

/// Memory as Palmetto prints it (`31922mb`), or in kb when not whole mb.
fn size_text(kb: u64) -> String {
    if kb % 1024 == 0 {
        format!("{}mb", kb / 1024)
    } else {
        format!("{kb}kb")
    }
}

/// Writes the inventory as groups that [`parse`] reads back to the same nodes.
pub(super) fn render(inventory: &Inventory) -> String {
    let mut groups: Vec<OutGroup<'_>> = Vec::new();
    for node in &inventory.nodes {
        match split_indexed(&node.name) {
            Some((prefix, index)) => match groups.last_mut() {
                Some(last) if last.continues_with(node, prefix, index) => {
                    last.count = last.count.map(|c| c + 1);
                }
                _ => groups.push(OutGroup {
                    prefix: Some(prefix),
                    first: Some(index),
                    count: Some(1),
                    ..OutGroup::new(node)
                }),
            },
            None => groups.push(OutGroup {
                name: Some(&node.name),
                ..OutGroup::new(node)
            }),
        }
    }
    // `first` is written only where numbering does not simply run on.
    let mut next_index = FIRST_INDEX;
    for group in &mut groups {
        if let (Some(first), Some(count)) = (group.first, group.count) {
            if first == next_index {
                group.first = None;
            }
            next_index = first.saturating_add(u64::from(count));
        }
    }
    let mut text = String::from(
        "# pbs-sim node inventory: each [[group]] is a run of identical nodes named\n\
         # <prefix><index> (index continues across groups unless `first` is given).\n\
         # mem is a PBS size; [group.attributes] are the node's site resources.\n\n",
    );
    let body = toml::to_string(&OutFile { group: groups })
        .expect("strings, integers and string tables always serialize to TOML");
    text.push_str(&body);
    text
}
