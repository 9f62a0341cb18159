//! `select`: chunks `N:res=val:…` joined by `+` (reference §2.1).
//!
//! Parsing types the built-in values (`ncpus`, `ngpus`, `mpiprocs`, `ompthreads` as
//! counts; `mem`, `vmem` as sizes) and keeps every other value as text; a malformed typed
//! value is `Illegal attribute or resource value Resource_List.<name>`, any other syntax
//! error `… Resource_List.select`. Printing always gives the count and quotes text values
//! by the rule in the `syntax` module: bare unless empty or holding a quote, whitespace,
//! a control character or one of `: + = ,`; then `"…"`, or `'…'` if the value holds `"`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::builtin::{builtin_type, invalid_in_select, parse_count, BuiltinType, JOB_WIDE_ONLY};
use super::error::{PbsError, Pbse};
use super::size::Size;
use super::syntax::{
    is_digits, is_resource_name, is_writable, quote_value, read_value, split_outside_quotes,
    SELECT_SPECIAL,
};

/// The value of one resource inside a chunk, typed for the built-in resources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceValue {
    /// A count: `ncpus`, `ngpus`, `mpiprocs`, `ompthreads`.
    Count(u32),
    /// A size: `mem`, `vmem`.
    Size(Size),
    /// Anything else (`host`, `vnode`, `arch`, and every site resource such as
    /// `interconnect=hdr` or `gpu_model=v100`), as written (without quotes).
    Text(String),
}

impl ResourceValue {
    /// Types the value `text` of resource `name` as parsing does: a count for `ncpus`,
    /// `ngpus`, `mpiprocs` and `ompthreads`, a size for `mem` and `vmem`, text otherwise.
    pub fn typed(name: &str, text: String) -> Result<ResourceValue, PbsError> {
        match builtin_type(name) {
            Some(BuiltinType::Count) => parse_count(name, &text).map(ResourceValue::Count),
            Some(BuiltinType::Size) => Size::parse_for(&text, name).map(ResourceValue::Size),
            _ => Ok(ResourceValue::Text(text)),
        }
    }

    /// Whether this is the variant parsing gives for `name` (see [`ResourceValue::typed`])
    /// and, for text, can be printed so that it reads back.
    fn fits(&self, name: &str) -> bool {
        match (builtin_type(name), self) {
            (Some(BuiltinType::Count), ResourceValue::Count(_))
            | (Some(BuiltinType::Size), ResourceValue::Size(_)) => true,
            (None | Some(BuiltinType::Duration), ResourceValue::Text(text)) => is_writable(text),
            _ => false,
        }
    }
}

/// Prints a count or size bare and a text value quoted when it must be (module doc).
impl fmt::Display for ResourceValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceValue::Count(n) => write!(f, "{n}"),
            ResourceValue::Size(size) => write!(f, "{size}"),
            ResourceValue::Text(text) => f.write_str(&quote_value(text, SELECT_SPECIAL)),
        }
    }
}

/// One `name=value` inside a chunk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChunkResource {
    /// The resource name, e.g. `ncpus` or `interconnect`.
    pub name: String,
    /// Its value.
    pub value: ResourceValue,
}

/// One chunk specification: `count` identical chunks, each needing `resources` on one vnode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Chunk {
    /// How many such chunks (PBS's default is 1).
    pub count: u32,
    /// The resources of each chunk, in the order written; a name appears at most once.
    pub resources: Vec<ChunkResource>,
}

impl Chunk {
    /// `count` chunks with no resources yet; add them with the builder methods.
    pub fn new(count: u32) -> Self {
        Chunk {
            count,
            resources: Vec::new(),
        }
    }

    /// Adds (or replaces) `name=value`.
    pub fn with(mut self, name: &str, value: ResourceValue) -> Self {
        match self.resources.iter_mut().find(|r| r.name == name) {
            Some(existing) => existing.value = value,
            None => self.resources.push(ChunkResource {
                name: name.to_string(),
                value,
            }),
        }
        self
    }

    /// Adds `ncpus=n`.
    pub fn ncpus(self, n: u32) -> Self {
        self.with("ncpus", ResourceValue::Count(n))
    }

    /// Adds `mem=size`.
    pub fn mem(self, size: Size) -> Self {
        self.with("mem", ResourceValue::Size(size))
    }

    /// Adds `ngpus=n`.
    pub fn ngpus(self, n: u32) -> Self {
        self.with("ngpus", ResourceValue::Count(n))
    }

    /// Adds a site string resource such as `interconnect=hdr`.
    pub fn text(self, name: &str, value: &str) -> Self {
        self.with(name, ResourceValue::Text(value.to_string()))
    }

    /// The value of `name`, if the chunk sets it.
    pub fn get(&self, name: &str) -> Option<&ResourceValue> {
        self.resources
            .iter()
            .find(|r| r.name == name)
            .map(|r| &r.value)
    }

    /// A count resource (`ncpus`, `ngpus`, …), if set.
    pub fn count_of(&self, name: &str) -> Option<u32> {
        match self.get(name) {
            Some(ResourceValue::Count(n)) => Some(*n),
            _ => None,
        }
    }

    /// A size resource (`mem`, `vmem`), if set.
    pub fn size_of(&self, name: &str) -> Option<Size> {
        match self.get(name) {
            Some(ResourceValue::Size(s)) => Some(*s),
            _ => None,
        }
    }

    /// A text resource, if set.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(ResourceValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// Checks what parsing would: a count of at least 1, resource names of the right
    /// shape, no job-wide-only resource, no name twice, each value of the type parsing
    /// gives its name and printable. Every chunk that passes prints as text that parses
    /// back to it.
    pub fn validate(&self) -> Result<(), PbsError> {
        if self.count == 0 {
            return Err(PbsError::illegal_value("select"));
        }
        for (i, r) in self.resources.iter().enumerate() {
            check_name(&r.name, &self.resources[..i])?;
            if !r.value.fits(&r.name) {
                return Err(PbsError::illegal_value(&r.name));
            }
        }
        Ok(())
    }
}

/// The checks on a resource name inside a chunk, given the resources before it.
fn check_name(name: &str, earlier: &[ChunkResource]) -> Result<(), PbsError> {
    if !is_resource_name(name) {
        return Err(PbsError::illegal_value("select"));
    }
    if JOB_WIDE_ONLY.contains(&name) {
        return Err(invalid_in_select(name));
    }
    if earlier.iter().any(|r| r.name == name) {
        return Err(PbsError::new(Pbse::DupResc, &format!(": {name}")));
    }
    Ok(())
}

/// Parses one chunk specification: `N`, or `[N:]res=val(:res=val)*`.
fn parse_chunk(spec: &str) -> Result<Chunk, PbsError> {
    let syntax = || PbsError::illegal_value("select");
    let mut words = split_outside_quotes(spec, ':')
        .ok_or_else(syntax)?
        .into_iter();
    let mut chunk = Chunk::new(1);
    let mut first = words.next();
    if let Some(count) = first.filter(|w| is_digits(w)) {
        chunk.count = count.parse().map_err(|_| syntax())?;
        if chunk.count == 0 {
            return Err(syntax());
        }
        first = words.next();
        if first.is_none() {
            return Ok(chunk);
        }
    }
    for word in first.into_iter().chain(words) {
        let (name, raw) = word.split_once('=').ok_or_else(syntax)?;
        check_name(name, &chunk.resources)?;
        let text = read_value(raw, &[':', '+']).ok_or_else(syntax)?;
        chunk.resources.push(ChunkResource {
            name: name.to_string(),
            value: ResourceValue::typed(name, text)?,
        });
    }
    Ok(chunk)
}

/// Prints `count:res=val:…`, always with the count.
impl fmt::Display for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.count)?;
        for r in &self.resources {
            write!(f, ":{}={}", r.name, r.value)?;
        }
        Ok(())
    }
}

/// A whole `select` value: one or more chunk specifications joined by `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Select {
    /// The chunk specifications, in order; never empty.
    pub chunks: Vec<Chunk>,
}

impl Select {
    /// A select of the given chunk specifications.
    pub fn new(chunks: Vec<Chunk>) -> Self {
        Select { chunks }
    }

    /// `nodect`: the total number of chunks.
    pub fn chunk_count(&self) -> u64 {
        self.chunks.iter().map(|c| u64::from(c.count)).sum()
    }

    /// The sum over all chunks of a count resource (`Resource_List.ncpus` and the like).
    pub fn total_count(&self, name: &str) -> u64 {
        self.chunks
            .iter()
            .map(|c| u64::from(c.count) * u64::from(c.count_of(name).unwrap_or(0)))
            .sum()
    }

    /// Checks what parsing would (at least one chunk, each passing [`Chunk::validate`]);
    /// every `Select` that passes prints as text that parses back to it.
    pub fn validate(&self) -> Result<(), PbsError> {
        if self.chunks.is_empty() {
            return Err(PbsError::illegal_value("select"));
        }
        self.chunks.iter().try_for_each(Chunk::validate)
    }

    /// The sum over all chunks of a size resource, in kb.
    pub fn total_kb(&self, name: &str) -> u64 {
        self.chunks
            .iter()
            .map(|c| u64::from(c.count) * c.size_of(name).map_or(0, Size::to_kb))
            .sum()
    }
}

impl FromStr for Select {
    type Err = PbsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let specs =
            split_outside_quotes(s, '+').ok_or_else(|| PbsError::illegal_value("select"))?;
        let chunks = specs
            .into_iter()
            .map(parse_chunk)
            .collect::<Result<_, _>>()?;
        Ok(Select { chunks })
    }
}

/// Prints the chunks joined by `+`.
impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.chunks.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            write!(f, "{chunk}")?;
        }
        Ok(())
    }
}
