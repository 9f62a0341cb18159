//! The nodes at run time: what is free where, and the index that finds a node for a chunk.
//!
//! Nodes with identical hardware and site attributes form a *class* (on Palmetto, roughly a
//! phase). Chunks are matched against classes once (cheap: tens of classes), then against the
//! nodes of a matching class through an index ordered by free CPUs, so that a busy
//! 2000-node cluster answers "where does this fit?" without scanning every node.

use std::collections::{BTreeMap, BTreeSet};

use drivers::resources::Arrangement;

use super::inventory::Inventory;
use super::node::NodeDef;
use super::res::Res;

/// Index of a node in [`Cluster::nodes`].
pub type NodeIdx = u32;
/// Index of a class in [`Cluster::classes`].
pub type ClassIdx = u16;

/// One node's run-time state.
#[derive(Debug, Clone)]
pub struct NodeRt {
    /// What the site defined.
    pub def: NodeDef,
    /// `resources_available` as consumable amounts.
    pub cap: Res,
    /// What no job holds now.
    pub free: Res,
    /// Its class.
    pub class: ClassIdx,
    /// `down`: the MoM does not answer.
    pub down: bool,
    /// `offline`: an administrator took it out of service.
    pub offline: bool,
    /// The job holding it exclusively (`place=excl`), if any.
    pub excl_job: Option<u64>,
    /// The jobs running on it (engine job keys), each once, in start order.
    pub jobs: Vec<u64>,
}

impl NodeRt {
    /// Can take new work at all.
    pub fn usable(&self) -> bool {
        !self.down && !self.offline && self.excl_job.is_none()
    }

    /// The node's `state` as `pbsnodes` prints it: the states that apply, comma-joined in
    /// PBS's fixed order (`down`, `offline`, `job-busy`, `job-exclusive`), or `free`.
    pub fn pbs_state(&self) -> String {
        let states = [
            (self.down, "down"),
            (self.offline, "offline"),
            (
                self.excl_job.is_none() && self.free.ncpus == 0 && self.cap.ncpus > 0,
                "job-busy",
            ),
            (self.excl_job.is_some(), "job-exclusive"),
        ];
        let on: Vec<&str> = states
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, s)| *s)
            .collect();
        if on.is_empty() {
            "free".to_string()
        } else {
            on.join(",")
        }
    }
}

/// Nodes sharing hardware, priority and site attributes.
#[derive(Debug, Clone)]
pub struct Class {
    /// Per-node capacity.
    pub cap: Res,
    /// The vnode `Priority` of its nodes.
    pub priority: i32,
    /// Site attribute values by attribute id (`None`: the nodes do not set it).
    pub attrs: Vec<Option<u32>>,
    /// Its nodes, in inventory order.
    pub nodes: Vec<NodeIdx>,
    /// Usable nodes keyed by (free CPUs, node): a range query finds nodes with enough CPUs,
    /// fullest first, which packs jobs onto few nodes as PBS's `smp_cluster_dist: pack` does.
    pub avail: BTreeSet<(u32, NodeIdx)>,
}

/// A chunk as the engine needs it: amounts, interned attribute constraints, an optional
/// `host=`/`vnode=` pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkNeed {
    /// How many such chunks.
    pub count: u32,
    /// Consumables per chunk.
    pub res: Res,
    /// `(attribute id, value id)` that the node must have.
    pub constraints: Vec<(u16, u32)>,
    /// The one node the chunk must run on.
    pub pin: Option<NodeIdx>,
}

/// A job's request compiled for placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobNeed {
    /// The chunk specifications.
    pub chunks: Vec<ChunkNeed>,
    /// `place` arrangement.
    pub arrangement: Arrangement,
    /// `place=excl` or `exclhost`.
    pub excl: bool,
    /// The sum over all chunks.
    pub total: Res,
    /// Walltime in seconds.
    pub walltime: u64,
}

/// One placed chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The node it runs on.
    pub node: NodeIdx,
    /// What it holds there.
    pub res: Res,
}

/// Where a job's chunks run, in chunk order.
pub type Allocation = Vec<Slot>;

/// The state a placement looks at: the cluster now, or a projected future.
pub trait View {
    /// What is free on `n`.
    fn free(&self, n: NodeIdx) -> Res;
    /// `n` can take a chunk (of an exclusive job if `excl`: then it must hold no job).
    fn usable(&self, n: NodeIdx, excl: bool) -> bool;
    /// Calls `f` on candidate nodes of `class` that may have `min_cpus` free, until it
    /// returns true.
    fn scan(&self, class: ClassIdx, min_cpus: u32, f: &mut dyn FnMut(NodeIdx) -> bool);
}

/// All nodes and classes.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Every node, in inventory order.
    pub nodes: Vec<NodeRt>,
    /// Classes in the order the scheduler tries them: priority high first.
    pub classes: Vec<Class>,
    /// Site attribute name → id.
    pub attr_ids: BTreeMap<String, u16>,
    /// Attribute value → id (one table for all attributes).
    pub value_ids: BTreeMap<String, u32>,
    /// Node name → index.
    pub by_name: BTreeMap<String, NodeIdx>,
    /// Free amounts summed over usable nodes.
    pub free_total: Res,
    /// Capacity summed over all nodes.
    pub cap_total: Res,
}

impl Cluster {
    /// Builds the run-time cluster from an inventory, all nodes free.
    pub fn new(inventory: &Inventory) -> Cluster {
        let mut attr_ids = BTreeMap::new();
        let mut value_ids = BTreeMap::new();
        for def in &inventory.nodes {
            for (k, v) in &def.attributes {
                let next = attr_ids.len() as u16;
                attr_ids.entry(k.clone()).or_insert(next);
                let next = value_ids.len() as u32;
                value_ids.entry(v.clone()).or_insert(next);
            }
        }
        // Group nodes into classes keyed by everything placement looks at.
        type Key = (i32, u32, u64, u32, Vec<Option<u32>>);
        let mut class_of: BTreeMap<Key, ClassIdx> = BTreeMap::new();
        let mut classes: Vec<Class> = Vec::new();
        let mut nodes = Vec::with_capacity(inventory.nodes.len());
        let mut by_name = BTreeMap::new();
        for (i, def) in inventory.nodes.iter().enumerate() {
            let idx = i as NodeIdx;
            let mut attrs = vec![None; attr_ids.len()];
            for (k, v) in &def.attributes {
                attrs[attr_ids[k] as usize] = Some(value_ids[v]);
            }
            let cap = Res {
                ncpus: def.ncpus,
                mem_kb: def.mem_kb,
                ngpus: def.ngpus,
            };
            let key = (
                def.priority,
                cap.ncpus,
                cap.mem_kb,
                cap.ngpus,
                attrs.clone(),
            );
            let class = *class_of.entry(key).or_insert_with(|| {
                classes.push(Class {
                    cap,
                    priority: def.priority,
                    attrs,
                    nodes: Vec::new(),
                    avail: BTreeSet::new(),
                });
                (classes.len() - 1) as ClassIdx
            });
            classes[class as usize].nodes.push(idx);
            by_name.insert(def.name.clone(), idx);
            nodes.push(NodeRt {
                def: def.clone(),
                cap,
                free: cap,
                class,
                down: false,
                offline: false,
                excl_job: None,
                jobs: Vec::new(),
            });
        }
        // Order classes as the scheduler tries them: priority high first, then inventory order.
        let mut order: Vec<usize> = (0..classes.len()).collect();
        order.sort_by_key(|&c| (-i64::from(classes[c].priority), classes[c].nodes[0]));
        let mut renumber = vec![0 as ClassIdx; classes.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old] = new as ClassIdx;
        }
        let mut sorted: Vec<Option<Class>> = classes.into_iter().map(Some).collect();
        let classes: Vec<Class> = order
            .iter()
            .map(|&c| sorted[c].take().expect("each class once"))
            .collect();
        for node in &mut nodes {
            node.class = renumber[node.class as usize];
        }
        let mut cluster = Cluster {
            nodes,
            classes,
            attr_ids,
            value_ids,
            by_name,
            free_total: Res::default(),
            cap_total: Res::default(),
        };
        for n in 0..cluster.nodes.len() {
            let node = &cluster.nodes[n];
            cluster.cap_total += node.cap;
            cluster.free_total += node.free;
            let key = (node.free.ncpus, n as NodeIdx);
            cluster.classes[node.class as usize].avail.insert(key);
        }
        cluster
    }

    /// Changes node `n` through `change`, keeping the index and the free total right.
    pub fn update(&mut self, n: NodeIdx, change: impl FnOnce(&mut NodeRt)) {
        let node = &mut self.nodes[n as usize];
        if node.usable() {
            self.classes[node.class as usize]
                .avail
                .remove(&(node.free.ncpus, n));
            self.free_total -= node.free;
        }
        change(node);
        if node.usable() {
            self.classes[node.class as usize]
                .avail
                .insert((node.free.ncpus, n));
            self.free_total += node.free;
        }
    }

    /// Takes an allocation's resources for job `key`.
    pub fn allocate(&mut self, key: u64, alloc: &Allocation, excl: bool) {
        for slot in alloc {
            self.update(slot.node, |node| {
                node.free -= slot.res;
                if !node.jobs.contains(&key) {
                    node.jobs.push(key);
                }
                if excl {
                    node.excl_job = Some(key);
                }
            });
        }
    }

    /// Gives back what [`Cluster::allocate`] took.
    pub fn release(&mut self, key: u64, alloc: &Allocation) {
        for slot in alloc {
            self.update(slot.node, |node| {
                node.free += slot.res;
                node.jobs.retain(|&j| j != key);
                if node.excl_job == Some(key) {
                    node.excl_job = None;
                }
            });
        }
    }

    /// A node of this class could ever hold the chunk (capacity and attributes).
    pub fn class_fits(&self, class: ClassIdx, chunk: &ChunkNeed) -> bool {
        let c = &self.classes[class as usize];
        c.cap.covers(&chunk.res)
            && chunk
                .constraints
                .iter()
                .all(|&(a, v)| c.attrs.get(a as usize).copied().flatten() == Some(v))
            && chunk
                .pin
                .is_none_or(|p| self.nodes[p as usize].class == class)
    }

    /// Greedy first-fit placement of `need` on `view`, using only nodes `allowed` accepts.
    pub fn place<V: View>(
        &self,
        view: &V,
        need: &JobNeed,
        allowed: &dyn Fn(NodeIdx) -> bool,
    ) -> Option<Allocation> {
        self.place_counting(view, need, allowed).ok()
    }

    /// As [`Cluster::place`], but on failure says how many chunks it did place: for a job
    /// of identical chunks (not `pack`), that is exactly how many fit anywhere.
    pub fn place_counting<V: View>(
        &self,
        view: &V,
        need: &JobNeed,
        allowed: &dyn Fn(NodeIdx) -> bool,
    ) -> Result<Allocation, u32> {
        if need.arrangement == Arrangement::Pack {
            return self.place_packed(view, need, allowed).ok_or(0);
        }
        let distinct = matches!(
            need.arrangement,
            Arrangement::Scatter | Arrangement::Vscatter
        );
        let chunks: u32 = need.chunks.iter().map(|c| c.count).sum();
        let mut alloc: Allocation = Vec::with_capacity(chunks as usize);
        for chunk in &need.chunks {
            for _ in 0..chunk.count {
                let mut found = None;
                let try_node = |n: NodeIdx, alloc: &Allocation| -> bool {
                    if !allowed(n) || !view.usable(n, need.excl) {
                        return false;
                    }
                    let mut taken = Res::default();
                    for s in alloc.iter().filter(|s| s.node == n) {
                        if distinct {
                            return false;
                        }
                        taken += s.res;
                    }
                    view.free(n).covers(&(taken + chunk.res))
                };
                if let Some(pin) = chunk.pin {
                    if try_node(pin, &alloc) {
                        found = Some(pin);
                    }
                } else {
                    for class in 0..self.classes.len() as ClassIdx {
                        if !self.class_fits(class, chunk) {
                            continue;
                        }
                        view.scan(class, chunk.res.ncpus, &mut |n| {
                            let ok = try_node(n, &alloc);
                            if ok {
                                found = Some(n);
                            }
                            ok
                        });
                        if found.is_some() {
                            break;
                        }
                    }
                }
                let Some(node) = found else {
                    return Err(alloc.len() as u32);
                };
                alloc.push(Slot {
                    node,
                    res: chunk.res,
                });
            }
        }
        Ok(alloc)
    }

    /// `place=pack`: every chunk on one node.
    fn place_packed<V: View>(
        &self,
        view: &V,
        need: &JobNeed,
        allowed: &dyn Fn(NodeIdx) -> bool,
    ) -> Option<Allocation> {
        let mut found = None;
        for class in 0..self.classes.len() as ClassIdx {
            if !need.chunks.iter().all(|c| self.class_fits(class, c)) {
                continue;
            }
            view.scan(class, need.total.ncpus, &mut |n| {
                let ok =
                    allowed(n) && view.usable(n, need.excl) && view.free(n).covers(&need.total);
                if ok {
                    found = Some(n);
                }
                ok
            });
            if found.is_some() {
                break;
            }
        }
        let node = found?;
        Some(
            need.chunks
                .iter()
                .flat_map(|c| std::iter::repeat_n(Slot { node, res: c.res }, c.count as usize))
                .collect(),
        )
    }

    /// Whether `alloc` fits on `view` as it stands (for keeping an earlier reservation).
    pub fn fits<V: View>(
        &self,
        view: &V,
        alloc: &Allocation,
        excl: bool,
        allowed: &dyn Fn(NodeIdx) -> bool,
    ) -> bool {
        let mut per_node: BTreeMap<NodeIdx, Res> = BTreeMap::new();
        for s in alloc {
            *per_node.entry(s.node).or_default() += s.res;
        }
        per_node
            .iter()
            .all(|(&n, r)| allowed(n) && view.usable(n, excl) && view.free(n).covers(r))
    }
}

/// The cluster as it is now.
impl View for Cluster {
    fn free(&self, n: NodeIdx) -> Res {
        self.nodes[n as usize].free
    }

    fn usable(&self, n: NodeIdx, excl: bool) -> bool {
        let node = &self.nodes[n as usize];
        node.usable() && (!excl || node.jobs.is_empty())
    }

    fn scan(&self, class: ClassIdx, min_cpus: u32, f: &mut dyn FnMut(NodeIdx) -> bool) {
        for &(_, n) in self.classes[class as usize].avail.range((min_cpus, 0)..) {
            if f(n) {
                return;
            }
        }
    }
}
