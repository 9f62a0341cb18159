//! What the property tests generate: small heterogeneous clusters, jobs, and scripts of
//! operations, with the proptest strategies that draw them. Everything prints as a short
//! script, so a failing case reads as the steps that reproduce it.

use std::collections::BTreeMap;
use std::fmt;

use drivers::resources::ResourceList;
use pbs_sim::engine::config::Policy;
use pbs_sim::engine::inventory::Inventory;
use pbs_sim::engine::job::{Behaviour, SubmitRequest};
use pbs_sim::engine::node::NodeDef;
use pbs_sim::engine::res::Res;
use proptest::prelude::*;

/// Kilobytes in a gigabyte, as PBS sizes count them.
pub const GB: u64 = 1024 * 1024;

/// The values of the site resource `interconnect`.
pub const INTERCONNECTS: [&str; 2] = ["1g", "fdr"];

/// One node of a generated cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub ncpus: u32,
    pub mem_gb: u64,
    pub ngpus: u32,
    /// Index into [`INTERCONNECTS`].
    pub interconnect: usize,
    pub priority: i32,
}

impl NodeSpec {
    pub fn cap(&self) -> Res {
        Res {
            ncpus: self.ncpus,
            mem_kb: self.mem_gb * GB,
            ngpus: self.ngpus,
        }
    }
}

impl fmt::Display for NodeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ncpus={} mem={}gb ngpus={} interconnect={} priority={}",
            self.ncpus, self.mem_gb, self.ngpus, INTERCONNECTS[self.interconnect], self.priority
        )
    }
}

/// One chunk specification: `count:ncpus=N[:mem=Mgb][:ngpus=G][:interconnect=I]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSpec {
    pub count: u32,
    pub ncpus: u32,
    pub mem_gb: Option<u64>,
    pub ngpus: Option<u32>,
    /// Index into [`INTERCONNECTS`].
    pub interconnect: Option<usize>,
}

impl ChunkSpec {
    /// What one such chunk holds on its node.
    pub fn res(&self) -> Res {
        Res {
            ncpus: self.ncpus,
            mem_kb: self.mem_gb.unwrap_or(0) * GB,
            ngpus: self.ngpus.unwrap_or(0),
        }
    }

    /// Whether `node` has the capacity and the attribute this chunk asks for.
    pub fn fits_on(&self, node: &NodeSpec) -> bool {
        node.cap().covers(&self.res()) && self.interconnect.is_none_or(|i| i == node.interconnect)
    }
}

/// `place=` arrangement, as generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arr {
    Default,
    Free,
    Pack,
    Scatter,
}

/// One job to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub chunks: Vec<ChunkSpec>,
    pub arrangement: Arr,
    pub excl: bool,
    /// Seconds; `None` asks for none (the engine then assumes five years).
    pub walltime: Option<u64>,
    /// Seconds the script runs; `None` runs until killed.
    pub runtime: Option<u64>,
    pub exit_status: i32,
    pub hold: bool,
    pub rerunnable: bool,
}

impl JobSpec {
    /// The `-l` text, e.g. `select=2:ncpus=4+1:ncpus=1:interconnect=fdr,place=scatter:excl`.
    pub fn resources(&self) -> String {
        let select: Vec<String> = self
            .chunks
            .iter()
            .map(|c| {
                let mut s = format!("{}:ncpus={}", c.count, c.ncpus);
                if let Some(m) = c.mem_gb {
                    s.push_str(&format!(":mem={m}gb"));
                }
                if let Some(g) = c.ngpus {
                    s.push_str(&format!(":ngpus={g}"));
                }
                if let Some(i) = c.interconnect {
                    s.push_str(&format!(":interconnect={}", INTERCONNECTS[i]));
                }
                s
            })
            .collect();
        let mut out = format!("select={}", select.join("+"));
        let mut place: Vec<&str> = Vec::new();
        match self.arrangement {
            Arr::Default => {}
            Arr::Free => place.push("free"),
            Arr::Pack => place.push("pack"),
            Arr::Scatter => place.push("scatter"),
        }
        if self.excl {
            place.push("excl");
        }
        if !place.is_empty() {
            out.push_str(&format!(",place={}", place.join(":")));
        }
        if let Some(w) = self.walltime {
            out.push_str(&format!(",walltime={w}"));
        }
        out
    }

    pub fn request(&self, name: &str) -> SubmitRequest {
        let list = ResourceList::parse(&[&self.resources()]).unwrap_or_else(|e| {
            panic!("generated request {} does not parse: {e}", self.resources())
        });
        let mut req = SubmitRequest::new(
            "alice",
            name,
            list,
            Behaviour {
                runtime: self.runtime,
                exit_status: self.exit_status,
                external: false,
            },
        );
        req.hold = self.hold;
        req.rerunnable = self.rerunnable;
        req
    }
}

/// Picks one of a list that is only known while the script runs: item `pick % len`.
pub type Pick = u16;

/// One operation on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Submit(JobSpec),
    /// `qdel` of one of the jobs submitted so far.
    Delete(Pick),
    /// `qhold` of one of the jobs submitted so far.
    Hold(Pick),
    /// `qrls` of one of the jobs held now.
    Release(Pick),
    /// A node's MoM stops answering (true), or answers again.
    NodeDown(Pick, bool),
    /// `pbsnodes -o` (true) / `-r`.
    Offline(Pick, bool),
    /// Only time passes.
    Wait,
}

/// An operation `gap` seconds after the previous one.
#[derive(Clone, PartialEq, Eq)]
pub struct Step {
    pub gap: u64,
    pub op: Op,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}s ", self.gap)?;
        match &self.op {
            Op::Submit(j) => {
                write!(f, "qsub -l {}", j.resources())?;
                match j.runtime {
                    Some(r) => write!(f, " (runs {r}s, exit {})", j.exit_status)?,
                    None => write!(f, " (runs until killed)")?,
                }
                if j.hold {
                    write!(f, " -h")?;
                }
                if !j.rerunnable {
                    write!(f, " -r n")?;
                }
                Ok(())
            }
            Op::Delete(p) => write!(f, "qdel <submitted job {p} mod count>"),
            Op::Hold(p) => write!(f, "qhold <submitted job {p} mod count>"),
            Op::Release(p) => write!(f, "qrls <held job {p} mod count>"),
            Op::NodeDown(p, true) => write!(f, "node <{p} mod nodes> down"),
            Op::NodeDown(p, false) => write!(f, "node <{p} mod nodes> up"),
            Op::Offline(p, true) => write!(f, "pbsnodes -o <node {p} mod nodes>"),
            Op::Offline(p, false) => write!(f, "pbsnodes -r <node {p} mod nodes>"),
            Op::Wait => write!(f, "wait"),
        }
    }
}

/// A whole generated run: a cluster, a policy, and the script.
#[derive(Clone, PartialEq, Eq)]
pub struct Scenario {
    pub nodes: Vec<NodeSpec>,
    pub policy: Policy,
    /// Seconds a job spends exiting (`E`) before it finishes and frees its nodes.
    pub exit_delay: u64,
    pub steps: Vec<Step>,
}

impl Scenario {
    pub fn inventory(&self) -> Inventory {
        inventory(&self.nodes)
    }

    pub fn jobs(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s.op, Op::Submit(_)))
            .count()
    }
}

/// The nodes `n00`, `n01`, … with the site resource `interconnect`.
pub fn inventory(nodes: &[NodeSpec]) -> Inventory {
    Inventory {
        nodes: nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeDef {
                name: node_name(i),
                ncpus: n.ncpus,
                mem_kb: n.mem_gb * GB,
                ngpus: n.ngpus,
                priority: n.priority,
                attributes: BTreeMap::from([(
                    "interconnect".to_string(),
                    INTERCONNECTS[n.interconnect].to_string(),
                )]),
            })
            .collect(),
    }
}

pub fn node_name(i: usize) -> String {
    format!("n{i:02}")
}

/// Prints as a script: the nodes, the policy, then one step per line.
impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Scenario ({:?}, {} jobs, exit delay {}s)",
            self.policy,
            self.jobs(),
            self.exit_delay
        )?;
        for (i, n) in self.nodes.iter().enumerate() {
            writeln!(f, "  node {}: {n}", node_name(i))?;
        }
        let mut idle = 0;
        for (i, s) in self.steps.iter().enumerate() {
            if s.gap == 0 && s.op == Op::Wait {
                idle += 1;
            } else {
                writeln!(f, "  step {i}: {s:?}")?;
            }
        }
        if idle > 0 {
            writeln!(f, "  ({idle} steps of `+0s wait` left out)")?;
        }
        Ok(())
    }
}

/// Which operations besides submissions a property allows.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    pub deletes: bool,
    pub holds: bool,
    pub node_faults: bool,
}

impl Allowed {
    pub const ALL: Allowed = Allowed {
        deletes: true,
        holds: true,
        node_faults: true,
    };
}

pub fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (
        1u32..=16,
        prop::sample::select(vec![8u64, 16, 32, 64]),
        prop_oneof![6 => Just(0u32), 2 => 1u32..=2],
        0usize..INTERCONNECTS.len(),
        0i32..=2,
    )
        .prop_map(|(ncpus, mem_gb, ngpus, interconnect, priority)| NodeSpec {
            ncpus,
            mem_gb,
            ngpus,
            interconnect,
            priority,
        })
}

pub fn chunk_spec() -> impl Strategy<Value = ChunkSpec> {
    // Mostly small, so that most jobs fit the small clusters; now and then one that no
    // node can hold (17 CPUs, 32gb, 2 GPUs), which must wait as "Can Never Run".
    (
        prop_oneof![5 => Just(1u32), 3 => Just(2), 2 => Just(3)],
        prop_oneof![6 => 1u32..=2, 3 => 1u32..=4, 1 => 1u32..=17],
        prop::option::weighted(0.3, prop::sample::select(vec![1u64, 2, 4, 8, 16, 32])),
        prop::option::weighted(0.1, 1u32..=2),
        prop::option::weighted(0.2, 0usize..INTERCONNECTS.len()),
    )
        .prop_map(|(count, ncpus, mem_gb, ngpus, interconnect)| ChunkSpec {
            count,
            ncpus,
            mem_gb,
            ngpus,
            interconnect,
        })
}

/// A job; `holds` allows `qsub -h`.
pub fn job_spec(holds: bool) -> impl Strategy<Value = JobSpec> {
    let arrangement = prop_oneof![
        6 => Just(Arr::Default),
        1 => Just(Arr::Free),
        2 => Just(Arr::Pack),
        2 => Just(Arr::Scatter),
    ];
    let walltime = prop_oneof![
        19 => (60u64..=4 * 3600).prop_map(Some),
        1 => Just(None),
    ];
    (
        prop_oneof![
            6 => prop::collection::vec(chunk_spec(), 1),
            3 => prop::collection::vec(chunk_spec(), 2),
            1 => prop::collection::vec(chunk_spec(), 3),
        ],
        arrangement,
        prop::bool::weighted(0.1),
        walltime,
        // How long the script runs, as a share of its walltime: sometimes longer.
        prop::option::weighted(0.85, 1u64..=150),
        prop_oneof![4 => Just(0), 1 => 1i32..=3],
        prop::bool::weighted(if holds { 0.05 } else { 0.0 }),
        prop::bool::weighted(0.9),
    )
        .prop_map(
            |(chunks, arrangement, excl, walltime, share, exit_status, hold, rerunnable)| {
                let runtime = share.map(|p| match walltime {
                    Some(w) => (w * p / 100).max(1),
                    // No walltime: a job that ends by itself within a few hours.
                    None => p * 120,
                });
                JobSpec {
                    chunks,
                    arrangement,
                    excl,
                    walltime,
                    runtime,
                    exit_status,
                    hold,
                    rerunnable,
                }
            },
        )
}

/// Seconds between operations: often none (several things at one instant), mostly minutes.
fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => Just(0u64),
        6 => 0u64..=600,
        2 => 0u64..=3600,
        1 => 0u64..=6 * 3600,
    ]
}

pub fn step(allowed: Allowed) -> impl Strategy<Value = Step> {
    // `Wait` first: a union shrinks towards its first choice, so steps that do not matter
    // to a failure shrink to `+0s wait`, which the script leaves out.
    let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (1, Just(Op::Wait).boxed()),
        (40, job_spec(allowed.holds).prop_map(Op::Submit).boxed()),
    ];
    if allowed.deletes {
        ops.push((3, any::<Pick>().prop_map(Op::Delete).boxed()));
    }
    if allowed.holds {
        ops.push((2, any::<Pick>().prop_map(Op::Hold).boxed()));
        ops.push((2, any::<Pick>().prop_map(Op::Release).boxed()));
    }
    if allowed.node_faults {
        ops.push((
            2,
            (any::<Pick>(), any::<bool>())
                .prop_map(|(i, d)| Op::NodeDown(i, d))
                .boxed(),
        ));
        ops.push((
            1,
            (any::<Pick>(), any::<bool>())
                .prop_map(|(i, o)| Op::Offline(i, o))
                .boxed(),
        ));
    }
    (gap(), prop::strategy::Union::new_weighted(ops)).prop_map(|(gap, op)| Step { gap, op })
}

/// A cluster of 1–12 nodes and a script of about 20–200 submissions with other operations.
pub fn scenario(policies: Vec<Policy>, allowed: Allowed) -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(node_spec(), 1..=12),
        prop::sample::select(policies),
        // Half the runs go straight from R to F; the others exit for up to half a minute.
        prop_oneof![Just(0u64), 1u64..=30],
        // About four steps in five are submissions.
        prop::collection::vec(step(allowed), 26..=256),
    )
        .prop_map(|(nodes, policy, exit_delay, steps)| Scenario {
            nodes,
            policy,
            exit_delay,
            steps,
        })
}

/// Every policy the engine has, with backfill depths 0, 1 and 2.
pub fn all_policies() -> Vec<Policy> {
    vec![
        Policy::Fifo,
        Policy::EasyBackfill { depth: 0 },
        Policy::EasyBackfill { depth: 1 },
        Policy::EasyBackfill { depth: 2 },
    ]
}
