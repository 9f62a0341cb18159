//! `select`: chunks `N:res=val:…` joined by `+` (reference §2.1).

use serde::{Deserialize, Serialize};

use super::size::Size;

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

    /// The sum over all chunks of a size resource, in kb.
    pub fn total_kb(&self, name: &str) -> u64 {
        self.chunks
            .iter()
            .map(|c| u64::from(c.count) * c.size_of(name).map_or(0, Size::to_kb))
            .sum()
    }
}
