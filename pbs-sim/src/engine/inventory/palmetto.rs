//! Clemson's Palmetto cluster by phase (reference `pbs-pro.md` §6.4: hardware table of June
//! 2020 and `whatsfree` of August 2020), scaled to the number of nodes asked for.
//!
//! Where the reference gives a range of counts (nodes come and go) the table takes the lower
//! middle, which totals 2064 nodes; [`DEFAULT_NODES`] scales that to 2000 by each phase's
//! share, rounding by largest remainder. Phases the reference describes only by a count
//! share the previous phase's cores and memory, as the hardware table lists them.
//!
//! Memory is what `pbsnodes` reports for `resources_available.mem` (a 32 GB node says
//! `31922mb`; the hardware table's "31 GB" is that figure in whole GiB), so every value
//! below is a plausible reported figure whose whole GiB match the table.

use std::collections::BTreeMap;

use super::Inventory;
use crate::engine::node::NodeDef;

/// The size of the default cluster.
pub(super) const DEFAULT_NODES: u32 = 2000;

/// Node priority of the oldest phase; each newer phase is one lower, so the scheduler
/// fills old phases first ("your job will land on the oldest phase that satisfies your
/// request").
const OLDEST_PRIORITY: i32 = 1000;

/// One hardware phase: identical nodes bought together.
pub(super) struct Phase {
    /// The `phase` resource value.
    pub(super) phase: &'static str,
    /// Nodes in service (lower middle of the reference's range).
    pub(super) count: u32,
    /// Cores per node.
    pub(super) ncpus: u32,
    /// Reported memory, in mb.
    pub(super) mem_mb: u64,
    /// GPUs per node.
    pub(super) ngpus: u32,
    /// The `gpu_model` resource, on GPU phases.
    pub(super) gpu_model: Option<&'static str>,
    /// `1g` (Ethernet), `fdr` or `hdr` (InfiniBand).
    pub(super) interconnect: &'static str,
    /// `intel` or `amd`.
    pub(super) chip_manufacturer: &'static str,
    /// `xeon` or `opteron`.
    pub(super) chip_model: &'static str,
    /// The processor, as Palmetto spells it.
    pub(super) chip_type: &'static str,
    /// Whether the node has a local SSD (`ssd=True`).
    pub(super) ssd: bool,
}

/// Shorthand for the table below.
#[allow(clippy::too_many_arguments)]
const fn phase(
    phase: &'static str,
    count: u32,
    ncpus: u32,
    mem_mb: u64,
    gpus: (u32, Option<&'static str>),
    interconnect: &'static str,
    chip: (&'static str, &'static str, &'static str),
    ssd: bool,
) -> Phase {
    Phase {
        phase,
        count,
        ncpus,
        mem_mb,
        ngpus: gpus.0,
        gpu_model: gpus.1,
        interconnect,
        chip_manufacturer: chip.0,
        chip_model: chip.1,
        chip_type: chip.2,
        ssd,
    }
}

const NO_GPU: (u32, Option<&str>) = (0, None);
const M2075: (u32, Option<&str>) = (2, Some("m2075"));
const K20: (u32, Option<&str>) = (2, Some("k20"));
const K40: (u32, Option<&str>) = (2, Some("k40"));
const P100: (u32, Option<&str>) = (2, Some("p100"));
const V100: (u32, Option<&str>) = (2, Some("v100"));
const V100NV: (u32, Option<&str>) = (4, Some("v100nv"));
const V100S: (u32, Option<&str>) = (2, Some("v100s"));

/// Reported memory (mb) for the hardware table's whole-GiB figures.
const GB15: u64 = 16_047;
const GB31: u64 = 31_922;
const GB46: u64 = 47_916;
const GB62: u64 = 64_219;
const GB92: u64 = 94_940;
const GB124: u64 = 127_680;
const GB125: u64 = 128_744;
const GB126: u64 = 129_498;
const GB372: u64 = 381_506;
const GB375: u64 = 384_578;
const GB748: u64 = 766_394;

const fn intel(chip_type: &'static str) -> (&'static str, &'static str, &'static str) {
    ("intel", "xeon", chip_type)
}

const fn amd(chip_type: &'static str) -> (&'static str, &'static str, &'static str) {
    ("amd", "opteron", chip_type)
}

/// Palmetto, oldest phase first. Phase 11b's Xeon Phis and 19b's lack of GPUs are as the
/// hardware table has them; Phis are not modelled (no `nphis`).
#[rustfmt::skip]
pub(super) const PHASES: &[Phase] = &[
    //     phase  count cores mem    gpus    net    chip                   ssd
    phase("1a",  116,  8,  GB31,  NO_GPU, "1g",  intel("e5520"),      false),
    phase("1b",   40, 12,  GB92,  NO_GPU, "1g",  intel("e5645"),      false),
    phase("2a",   30, 16,  GB375, NO_GPU, "1g",  intel("e5-4620"),    false),
    phase("2b",  148,  8,  GB15,  NO_GPU, "1g",  intel("e5345"),      false),
    phase("3",   224,  8,  GB15,  NO_GPU, "1g",  amd("2356"),         false),
    phase("4",   321,  8,  GB15,  NO_GPU, "1g",  intel("e5410"),      false),
    phase("5a",  309,  8,  GB31,  NO_GPU, "1g",  intel("e5450"),      false),
    phase("5b",    9,  8,  GB31,  NO_GPU, "1g",  intel("e5450"),      false),
    phase("5c",   26,  8,  GB31,  NO_GPU, "1g",  intel("e5520"),      false),
    phase("5d",   21, 12,  GB46,  NO_GPU, "1g",  intel("x5650"),      false),
    phase("6",    65, 24,  GB46,  NO_GPU, "1g",  amd("6176"),         false),
    phase("7a",   42, 16,  GB62,  NO_GPU, "fdr", intel("e5-2665"),    false),
    phase("7b",   12, 16,  GB62,  M2075,  "fdr", intel("e5-2665"),    false),
    phase("8a",   71, 16,  GB62,  K20,    "fdr", intel("e5-2665"),    true),
    phase("8b",   57, 16,  GB62,  K20,    "fdr", intel("e5-2665"),    false),
    phase("8c",   88, 16,  GB62,  NO_GPU, "fdr", intel("e5-2665"),    false),
    phase("9",    72, 16,  GB126, K20,    "fdr", intel("e5-2665"),    false),
    phase("10",   80, 20,  GB126, K20,    "fdr", intel("e5-2670v2"),  false),
    phase("11a",  40, 20,  GB126, K40,    "fdr", intel("e5-2670v2"),  false),
    phase("11b",   4, 20,  GB126, NO_GPU, "fdr", intel("e5-2670v2"),  false),
    phase("12",   30, 24,  GB126, K40,    "fdr", intel("e5-2680v3"),  false),
    phase("13",   24, 24,  GB126, K40,    "fdr", intel("e5-2680v3"),  false),
    phase("14",   12, 24,  GB126, K40,    "fdr", intel("e5-2680v3"),  false),
    phase("15",   32, 24,  GB126, K40,    "fdr", intel("e5-2680v3"),  false),
    phase("16",   40, 28,  GB125, P100,   "fdr", intel("e5-2680v4"),  false),
    phase("17",   20, 28,  GB124, P100,   "fdr", intel("e5-2680v4"),  false),
    phase("18a",   2, 40,  GB372, V100NV, "hdr", intel("6148g"),      false),
    phase("18b",  65, 40,  GB372, V100,   "hdr", intel("6148g"),      false),
    phase("18c",  10, 40,  GB748, V100,   "hdr", intel("6148g"),      false),
    phase("19a",  28, 40,  GB372, V100,   "hdr", intel("6248"),       false),
    phase("19b",   4, 48,  GB372, NO_GPU, "hdr", intel("6252"),       false),
    phase("20",   22, 56,  GB372, V100S,  "hdr", intel("6238r"),      false),
];

/// Palmetto scaled to `total` nodes, named `node0001`… in phase order.
pub(super) fn inventory(total: u32) -> Inventory {
    let counts = apportion(PHASES.iter().map(|p| p.count), total);
    let mut nodes = Vec::with_capacity(total as usize);
    for (age, (phase, count)) in PHASES.iter().zip(counts).enumerate() {
        let priority = OLDEST_PRIORITY - age as i32;
        for _ in 0..count {
            let name = format!("node{:04}", nodes.len() + 1);
            nodes.push(node(phase, name, priority));
        }
    }
    Inventory { nodes }
}

fn node(phase: &Phase, name: String, priority: i32) -> NodeDef {
    let mut attributes = BTreeMap::new();
    let mut set = |k: &str, v: &str| attributes.insert(k.to_string(), v.to_string());
    set("phase", phase.phase);
    set("chip_manufacturer", phase.chip_manufacturer);
    set("chip_model", phase.chip_model);
    set("chip_type", phase.chip_type);
    set("interconnect", phase.interconnect);
    set("ssd", if phase.ssd { "True" } else { "False" });
    if let Some(model) = phase.gpu_model {
        set("gpu_model", model);
    }
    NodeDef {
        name,
        ncpus: phase.ncpus,
        mem_kb: phase.mem_mb * 1024,
        ngpus: phase.ngpus,
        priority,
        attributes,
    }
}

/// Splits `total` in proportion to `weights` (largest remainder; ties go to the earlier
/// weight), so the parts always sum to `total` exactly.
pub(super) fn apportion(weights: impl Iterator<Item = u32>, total: u32) -> Vec<u32> {
    let weights: Vec<u64> = weights.map(u64::from).collect();
    let sum: u64 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let total = u64::from(total);
    let mut parts: Vec<u64> = weights.iter().map(|w| w * total / sum).collect();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    // Stable sort: equal remainders keep phase order, so the older phase wins the tie.
    by_remainder.sort_by_key(|&i| std::cmp::Reverse(weights[i] * total % sum));
    let short = total - parts.iter().sum::<u64>();
    for &i in by_remainder.iter().take(short as usize) {
        parts[i] += 1;
    }
    // Each part is at most `total`, which came from a u32.
    parts.into_iter().map(|p| p as u32).collect()
}
