//! Places in the config file: a dotted path such as `spawner.form.fields.ncpus.max` or
//! `services[1].name`, and the line and column it was written at.
//!
//! Paths are what errors say; spans come from toml_edit's parse of the same text, so a
//! semantic error found after deserializing can still point at its line.

use std::fmt;
use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, TableLike, Value};

/// One step of a path: a key, or an index in an array.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A place in the config, from the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfigPath(Vec<Step>);

impl ConfigPath {
    /// The path `key` from the root.
    pub(crate) fn root(key: &str) -> Self {
        ConfigPath(vec![Step::Key(key.to_string())])
    }

    /// This path, then `key`.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_string()));
        ConfigPath(steps)
    }

    /// This path, then element `index`.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        ConfigPath(steps)
    }
}

/// `spawner.form.fields.ncpus.max`, `services[1].name`; the root is `(file)`.
impl fmt::Display for ConfigPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(file)");
        }
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => f.write_str(key)?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A node of the parsed document: tables of all kinds are items, array elements values.
#[derive(Clone, Copy)]
enum Node<'d> {
    Item(&'d Item),
    Table(&'d Table),
    Value(&'d Value),
}

impl<'d> Node<'d> {
    fn table(self) -> Option<&'d dyn TableLike> {
        match self {
            Node::Item(item) => item.as_table_like(),
            Node::Table(table) => Some(table),
            Node::Value(Value::InlineTable(table)) => Some(table),
            Node::Value(_) => None,
        }
    }

    /// The element `index` of an array or array of tables.
    fn element(self, index: usize) -> Option<(Node<'d>, Option<Range<usize>>)> {
        match self {
            Node::Item(Item::ArrayOfTables(tables)) => {
                let table = tables.get(index)?;
                Some((Node::Table(table), table.span()))
            }
            Node::Item(Item::Value(Value::Array(array))) | Node::Value(Value::Array(array)) => {
                let value = array.get(index)?;
                Some((Node::Value(value), value.span()))
            }
            _ => None,
        }
    }
}

/// Whether `span` holds byte `offset`.
fn holds(span: Option<Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.contains(&offset))
}

/// Where `path` was written: the value's span, else its key's, else that of the nearest
/// ancestor written in the file (a value left to its default has no place of its own).
pub(crate) fn span_of(doc: &ImDocument<String>, path: &ConfigPath) -> Option<Range<usize>> {
    let mut node = Node::Item(doc.as_item());
    let mut best = None;
    for step in &path.0 {
        let next = match step {
            Step::Key(key) => node
                .table()
                .and_then(|t| t.get_key_value(key))
                .map(|(k, item)| (Node::Item(item), item.span().or_else(|| k.span()))),
            Step::Index(index) => node.element(*index),
        };
        let Some((child, span)) = next else { break };
        best = span.or(best);
        node = child;
    }
    best
}

/// The deepest path whose key or value was written over byte `offset`; the root if none.
pub(crate) fn path_at(doc: &ImDocument<String>, offset: usize) -> ConfigPath {
    deepest(Node::Item(doc.as_item()), offset, &ConfigPath::default()).unwrap_or_default()
}

fn deepest(node: Node<'_>, offset: usize, path: &ConfigPath) -> Option<ConfigPath> {
    if let Some(table) = node.table() {
        for (key, item) in table.iter() {
            let child = path.key(key);
            if let Some(found) = deepest(Node::Item(item), offset, &child) {
                return Some(found);
            }
            let key_span = table.get_key_value(key).and_then(|(k, _)| k.span());
            if holds(item.span(), offset) || holds(key_span, offset) {
                return Some(child);
            }
        }
    }
    let mut index = 0;
    while let Some((element, span)) = node.element(index) {
        let child = path.index(index);
        if let Some(found) = deepest(element, offset, &child) {
            return Some(found);
        }
        if holds(span, offset) {
            return Some(child);
        }
        index += 1;
    }
    None
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}
