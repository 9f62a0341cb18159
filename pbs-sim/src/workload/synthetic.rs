//! A seeded, streaming generator of Palmetto-like jobs for a given [`Inventory`].
//!
//! The mix: mostly one-chunk jobs (1–24 cores or a whole node, memory scaled to the cores
//! and capped at 120gb), some MPI jobs (2–16 chunks, `place=scatter`, often pinned to one
//! `interconnect`), about a tenth GPU jobs (1–2 GPUs, sometimes a `gpu_model`). Walltimes
//! come from the set users pick (1h … 72h); most jobs end well before their walltime, a
//! few fail early with exit status 1, and some run past it (the engine kills them).
//!
//! **Every request fits the inventory**, by construction rather than by retrying: each job
//! is drawn for one node *shape* (cores, memory, GPUs, interconnect, GPU model), picked in
//! proportion to how many nodes have it. A chunk asks for at most that shape's cores, its
//! memory rounded down to whole gb, and its GPUs, and names only that shape's own
//! `interconnect` and `gpu_model`, so the shape's nodes satisfy it. An MPI job's chunk
//! count is then cut to the number of inventory nodes that fit its chunk, so its
//! `place=scatter` can be met too. Without GPU nodes, GPU draws become one-chunk CPU jobs.
//!
//! **Arrivals** are a Poisson process (exponential gaps; the first job at offset 0) whose
//! rate makes the demanded core-seconds `offered_load` times the cluster's cores:
//! `rate = offered_load × total_ncpus / E[cores × min(runtime, walltime)]`. The expectation
//! is computed exactly from the same tables the sampler draws from (cores and time are
//! drawn independently, so it is `E[cores] × E[seconds used]`); see
//! [`Synthetic::mean_core_seconds`].
//!
//! Everything is drawn from one `ChaCha8Rng` seeded with `seed`, so a config and an
//! inventory always give the same jobs. Jobs are made one at a time: a million jobs
//! stream in constant memory.

use std::collections::BTreeMap;

use drivers::resources::{Arrangement, Chunk, Place, ResourceList, Select, Size, Walltime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::WorkloadJob;
use crate::engine::inventory::Inventory;

/// What kind of workload to generate. Every field has a default, so a TOML table may set
/// only some of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticConfig {
    /// How many jobs to generate.
    pub jobs: u64,
    /// The seed of the one random number generator; the same seed gives the same jobs.
    pub seed: u64,
    /// Demanded core-seconds per second as a fraction of the cluster's cores: 0.9 keeps a
    /// cluster busy with a modest queue, above 1 the queue grows without bound.
    pub offered_load: f64,
    /// How many distinct users submit (`user001` …); a few of them submit most jobs.
    pub users: u32,
    /// The share of GPU jobs (Palmetto: about a tenth).
    pub gpu_fraction: f64,
    /// The share of multi-chunk MPI jobs.
    pub mpi_fraction: f64,
    /// The share of jobs whose runtime exceeds their walltime, so the engine kills them.
    pub overrun_fraction: f64,
    /// The share of the remaining jobs that fail early with exit status 1.
    pub failure_fraction: f64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            jobs: 10_000,
            seed: 1,
            offered_load: 0.9,
            users: 200,
            gpu_fraction: 0.10,
            mpi_fraction: 0.15,
            overrun_fraction: 0.05,
            failure_fraction: 0.05,
        }
    }
}

/// Why a generator could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntheticError {
    /// The inventory has no node with at least one core, so no job could ever run.
    #[error("the inventory has no node with at least one cpu")]
    NoUsableNodes,
    /// A config field is out of range.
    #[error("`{field}` = {value} is out of range: {expected}")]
    BadConfig {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        expected: &'static str,
    },
}

/// Cores of a one-chunk CPU job and their weights; 0 stands for the whole node. Small
/// requests dominate Palmetto's queues, and whole-node requests are common.
const SINGLE_CORES: &[(u32, u64)] = &[
    (1, 30),
    (2, 10),
    (4, 12),
    (8, 14),
    (12, 5),
    (16, 8),
    (20, 3),
    (24, 6),
    (0, 12),
];

/// Cores per chunk of an MPI job (0 = whole node): MPI users tend to take whole nodes.
const MPI_CORES: &[(u32, u64)] = &[(1, 10), (2, 10), (4, 20), (8, 25), (16, 10), (0, 25)];

/// Cores of a GPU job (0 = whole node): a few cores to feed the GPUs.
const GPU_CORES: &[(u32, u64)] = &[(1, 15), (2, 15), (4, 25), (8, 20), (16, 10), (0, 15)];

/// GPUs of a GPU job: one or two (never more than the node has).
const GPUS: &[(u32, u64)] = &[(1, 60), (2, 40)];

/// Memory per core, in gb: Palmetto's nodes offer 2–8 gb per core.
const MEM_PER_CORE_GB: &[(u64, u64)] = &[(1, 30), (2, 30), (4, 25), (8, 15)];

/// The largest memory request, in gb (a per-chunk cap; bigmem users are rare).
const MAX_MEM_GB: u64 = 120;

/// Walltimes users pick, in hours, with their weights; 72h is the InfiniBand queues' limit.
const WALLTIME_HOURS: &[(u64, u64)] = &[(1, 25), (2, 20), (4, 20), (8, 15), (24, 15), (72, 5)];

/// MPI chunk counts are uniform over this range before being cut to what fits.
const MIN_CHUNKS: u32 = 2;
/// See [`MIN_CHUNKS`].
const MAX_CHUNKS: u32 = 16;

/// How often a one-chunk CPU job names its node's interconnect (Palmetto's examples do).
const P_SINGLE_INTERCONNECT: f64 = 0.15;
/// How often an MPI job pins its interconnect, so all chunks share one fabric.
const P_MPI_INTERCONNECT: f64 = 0.5;
/// How often a GPU job names its GPU model (only for the models below).
const P_GPU_MODEL: f64 = 0.4;
/// The GPU models users ask for by name; older ones are taken as they come.
const REQUESTED_GPU_MODELS: &[&str] = &["v100", "p100", "k40"];

/// A job that ends normally uses `u²` of its walltime (u uniform): most end early.
const MEAN_NORMAL_FRACTION: f64 = 1.0 / 3.0;
/// A failing job uses at most this fraction of its walltime (uniform).
const FAILURE_MAX_FRACTION: f64 = 0.1;
/// An overrunning job's runtime exceeds its walltime by up to this fraction (uniform).
const OVERRUN_MAX_EXTRA: f64 = 0.5;

/// A generator of [`WorkloadJob`]s; an [`Iterator`] that yields `config.jobs` jobs in
/// submit order. See the module documentation for the mix and the arrival process.
#[derive(Debug, Clone)]
pub struct Synthetic {
    config: SyntheticConfig,
    rng: ChaCha8Rng,
    remaining: u64,
    /// Seconds since the start of the workload at which the next job arrives.
    clock: f64,
    mean_gap: f64,
    mean_cores: f64,
    mean_seconds_used: f64,
    shapes: Vec<Shape>,
    /// Shape indexes weighted by node count.
    any_shape: Choices<usize>,
    /// GPU shape indexes weighted by node count; `None` without GPU nodes.
    gpu_shape: Option<Choices<usize>>,
    mem_per_core: Choices<u64>,
    walltime_hours: Choices<u64>,
}

impl Synthetic {
    /// A generator for `config` whose every request fits `inventory`.
    pub fn new(
        config: SyntheticConfig,
        inventory: &Inventory,
    ) -> Result<Synthetic, SyntheticError> {
        check(&config)?;
        let shapes = shapes(inventory);
        let any_shape = Choices::new(shapes.iter().enumerate().map(|(i, s)| (i, s.nodes)))
            .ok_or(SyntheticError::NoUsableNodes)?;
        let gpu_shape = Choices::new(
            shapes
                .iter()
                .enumerate()
                .filter(|(_, s)| s.gpus.is_some())
                .map(|(i, s)| (i, s.nodes)),
        );
        let mut generator = Synthetic {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            remaining: config.jobs,
            clock: 0.0,
            mean_gap: 0.0,
            mean_cores: 0.0,
            mean_seconds_used: 0.0,
            shapes,
            any_shape,
            gpu_shape,
            mem_per_core: choices(MEM_PER_CORE_GB),
            walltime_hours: choices(WALLTIME_HOURS),
            config,
        };
        generator.mean_cores = generator.expected_cores();
        generator.mean_seconds_used = generator.expected_seconds_used();
        let capacity = inventory.total_ncpus() as f64;
        generator.mean_gap =
            generator.mean_core_seconds() / (generator.config.offered_load * capacity);
        Ok(generator)
    }

    /// The config this generator was built with.
    pub fn config(&self) -> &SyntheticConfig {
        &self.config
    }

    /// The expected cores of one job (summed over its chunks).
    pub fn mean_cores(&self) -> f64 {
        self.mean_cores
    }

    /// The expected seconds one job holds its cores: `min(runtime, walltime)`.
    pub fn mean_seconds_used(&self) -> f64 {
        self.mean_seconds_used
    }

    /// The expected core-seconds one job uses, from which the arrival rate is set.
    pub fn mean_core_seconds(&self) -> f64 {
        self.mean_cores * self.mean_seconds_used
    }

    /// The mean time between arrivals, in seconds.
    pub fn mean_gap_secs(&self) -> f64 {
        self.mean_gap
    }

    fn job(&mut self, submit_offset: u64) -> WorkloadJob {
        let (select, place) = self.request();
        let hours = *self.walltime_hours.pick(&mut self.rng);
        let walltime = hours * 3600;
        let (runtime, exit_status) = self.outcome(walltime);
        // u² favours the first users: a few heavy users submit most jobs.
        let u: f64 = self.rng.gen();
        let users = u64::from(self.config.users);
        let user = ((u * u * users as f64) as u64).min(users - 1) + 1;
        WorkloadJob {
            submit_offset,
            owner: format!("user{user:03}"),
            queue: None,
            resources: ResourceList {
                select: Some(select),
                place,
                walltime: Some(Walltime::from_hours(hours)),
                other: Vec::new(),
            },
            runtime,
            exit_status,
        }
    }

    fn request(&mut self) -> (Select, Option<Place>) {
        let kind: f64 = self.rng.gen();
        let gpu_cut = self.config.gpu_fraction;
        let mpi_cut = gpu_cut + self.config.mpi_fraction;
        if kind < gpu_cut {
            if let Some(gpu_shape) = &self.gpu_shape {
                let shape = *gpu_shape.pick(&mut self.rng);
                return (self.gpu_job(shape), None);
            }
        } else if kind < mpi_cut {
            return self.mpi_job();
        }
        (self.single_job(), None)
    }

    fn single_job(&mut self) -> Select {
        let shape = &self.shapes[*self.any_shape.pick(&mut self.rng)];
        let cores = *shape.single_cores.pick(&mut self.rng);
        let mem = shape.mem_request(cores, *self.mem_per_core.pick(&mut self.rng));
        let mut chunk = with_mem(Chunk::new(1).ncpus(cores), mem);
        if let Some(net) = &shape.interconnect {
            if self.rng.gen_bool(P_SINGLE_INTERCONNECT) {
                chunk = chunk.text("interconnect", net);
            }
        }
        Select::new(vec![chunk])
    }

    fn gpu_job(&mut self, shape: usize) -> Select {
        let shape = &self.shapes[shape];
        let cores = *shape.gpu_cores.pick(&mut self.rng);
        let mem = shape.mem_request(cores, *self.mem_per_core.pick(&mut self.rng));
        let gpus = shape.gpus.as_ref().map_or(0, |g| *g.pick(&mut self.rng));
        let mut chunk = with_mem(Chunk::new(1).ncpus(cores), mem).ngpus(gpus);
        if let Some(model) = &shape.requested_gpu_model {
            if self.rng.gen_bool(P_GPU_MODEL) {
                chunk = chunk.text("gpu_model", model);
            }
        }
        Select::new(vec![chunk])
    }

    fn mpi_job(&mut self) -> (Select, Option<Place>) {
        let shape = &self.shapes[*self.any_shape.pick(&mut self.rng)];
        let cores = *shape.mpi_cores.pick(&mut self.rng);
        let mem = shape.mem_request(cores, *self.mem_per_core.pick(&mut self.rng));
        let net = match &shape.interconnect {
            Some(net) if self.rng.gen_bool(P_MPI_INTERCONNECT) => Some(net.as_str()),
            _ => None,
        };
        let wanted = self.rng.gen_range(MIN_CHUNKS..=MAX_CHUNKS);
        let fitting = fitting_nodes(&self.shapes, cores, mem_kb(mem), net);
        // At least the drawn shape's own nodes fit, so the count is never cut to zero.
        let count = u32::try_from(fitting)
            .unwrap_or(u32::MAX)
            .min(wanted)
            .max(1);
        let mut chunk = with_mem(Chunk::new(count).ncpus(cores), mem);
        if let Some(net) = net {
            chunk = chunk.text("interconnect", net);
        }
        let place = Place {
            arrangement: Some(Arrangement::Scatter),
            ..Place::default()
        };
        (Select::new(vec![chunk]), Some(place))
    }

    /// The runtime and exit status of a job with `walltime` seconds.
    fn outcome(&mut self, walltime: u64) -> (u64, i32) {
        let wall = walltime as f64;
        let u: f64 = self.rng.gen();
        let (runtime, exit_status) = if self.rng.gen_bool(self.config.overrun_fraction) {
            let extra = (u * OVERRUN_MAX_EXTRA * wall) as u64;
            (walltime + 1 + extra, 0)
        } else if self.rng.gen_bool(self.config.failure_fraction) {
            ((u * FAILURE_MAX_FRACTION * wall) as u64, 1)
        } else {
            ((u * u * wall) as u64, 0)
        };
        (runtime.max(1), exit_status)
    }

    /// `E[cores]` over the job mix, from the sampler's own tables.
    fn expected_cores(&self) -> f64 {
        let config = &self.config;
        let single_mean = self.mean_over(&self.any_shape, |s| mean(&s.single_cores));
        let (gpu_share, gpu_mean) = match &self.gpu_shape {
            Some(gpu_shape) => (
                config.gpu_fraction,
                self.mean_over(gpu_shape, |s| mean(&s.gpu_cores)),
            ),
            None => (0.0, 0.0),
        };
        let mpi_mean = self.mean_over(&self.any_shape, |s| self.mean_mpi_cores(s));
        let single_share = 1.0 - gpu_share - config.mpi_fraction;
        single_share * single_mean + gpu_share * gpu_mean + config.mpi_fraction * mpi_mean
    }

    fn mean_over(&self, shapes: &Choices<usize>, f: impl Fn(&Shape) -> f64) -> f64 {
        shapes
            .probabilities()
            .map(|(&i, p)| p * f(&self.shapes[i]))
            .sum()
    }

    /// `E[cores]` of an MPI job drawn for `shape`, chunk counts cut as in [`Self::mpi_job`].
    fn mean_mpi_cores(&self, shape: &Shape) -> f64 {
        let mut total = 0.0;
        for (&cores, p_cores) in shape.mpi_cores.probabilities() {
            for (&per_core, p_mem) in self.mem_per_core.probabilities() {
                let mem = mem_kb(shape.mem_request(cores, per_core));
                let nets: &[(Option<&str>, f64)] = match &shape.interconnect {
                    Some(net) => &[
                        (None, 1.0 - P_MPI_INTERCONNECT),
                        (Some(net), P_MPI_INTERCONNECT),
                    ],
                    None => &[(None, 1.0)],
                };
                for &(net, p_net) in nets {
                    let fitting = fitting_nodes(&self.shapes, cores, mem, net);
                    let chunks = mean_cut_chunks(fitting);
                    total += p_cores * p_mem * p_net * f64::from(cores) * chunks;
                }
            }
        }
        total
    }

    /// `E[min(runtime, walltime)]`, as drawn by [`Self::outcome`].
    fn expected_seconds_used(&self) -> f64 {
        let mean_walltime: f64 = self
            .walltime_hours
            .probabilities()
            .map(|(&h, p)| p * (h * 3600) as f64)
            .sum();
        let over = self.config.overrun_fraction;
        let fail = self.config.failure_fraction;
        let fraction = over
            + (1.0 - over)
                * (fail * FAILURE_MAX_FRACTION / 2.0 + (1.0 - fail) * MEAN_NORMAL_FRACTION);
        mean_walltime * fraction
    }

    /// The exponential gap to the next arrival.
    fn gap(&mut self) -> f64 {
        let u: f64 = self.rng.gen();
        // 1 - u is in (0, 1], so the logarithm is finite.
        -self.mean_gap * (1.0 - u).ln()
    }
}

impl Iterator for Synthetic {
    type Item = WorkloadJob;

    fn next(&mut self) -> Option<WorkloadJob> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let job = self.job(self.clock as u64);
        self.clock += self.gap();
        Some(job)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.remaining) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }
}

impl std::iter::FusedIterator for Synthetic {}

fn check(config: &SyntheticConfig) -> Result<(), SyntheticError> {
    let bad = |field, value, expected| {
        Err(SyntheticError::BadConfig {
            field,
            value,
            expected,
        })
    };
    if !(config.offered_load.is_finite() && config.offered_load > 0.0) {
        return bad("offered_load", config.offered_load, "a positive number");
    }
    if config.users == 0 {
        return bad("users", 0.0, "at least 1");
    }
    for (field, value) in [
        ("gpu_fraction", config.gpu_fraction),
        ("mpi_fraction", config.mpi_fraction),
        ("overrun_fraction", config.overrun_fraction),
        ("failure_fraction", config.failure_fraction),
    ] {
        if !(0.0..=1.0).contains(&value) {
            return bad(field, value, "between 0 and 1");
        }
    }
    if config.gpu_fraction + config.mpi_fraction > 1.0 {
        return bad(
            "mpi_fraction",
            config.mpi_fraction,
            "at most 1 - gpu_fraction",
        );
    }
    Ok(())
}

/// Identical nodes, as far as a request can tell them apart.
#[derive(Debug, Clone)]
struct Shape {
    ncpus: u32,
    mem_kb: u64,
    interconnect: Option<String>,
    /// The node's `gpu_model` if users ask for it by name.
    requested_gpu_model: Option<String>,
    /// How many nodes have this shape.
    nodes: u64,
    single_cores: Choices<u32>,
    mpi_cores: Choices<u32>,
    gpu_cores: Choices<u32>,
    /// GPUs to ask for; `None` on a node without GPUs.
    gpus: Option<Choices<u32>>,
}

impl Shape {
    /// Memory for `cores` cores at `per_core_gb`, in mb: at least 1gb, at most
    /// [`MAX_MEM_GB`] and the node's memory rounded down to whole gb (all of it, in mb,
    /// on a node under 1gb; `None` on a node without memory).
    fn mem_request(&self, cores: u32, per_core_gb: u64) -> Option<u64> {
        let node_mb = self.mem_kb / 1024;
        let cap_mb = if node_mb >= 1024 {
            (node_mb / 1024).min(MAX_MEM_GB) * 1024
        } else {
            node_mb
        };
        let wanted_mb = (u64::from(cores) * per_core_gb).max(1) * 1024;
        Some(wanted_mb.min(cap_mb)).filter(|&mb| mb > 0)
    }
}

/// The distinct node shapes of `inventory`, in a fixed order, without nodes that have no
/// cores.
fn shapes(inventory: &Inventory) -> Vec<Shape> {
    type Key<'a> = (u32, u64, u32, Option<&'a str>, Option<&'a str>);
    let mut counts: BTreeMap<Key<'_>, u64> = BTreeMap::new();
    for node in inventory.nodes.iter().filter(|n| n.ncpus > 0) {
        let attr = |name: &str| node.attributes.get(name).map(String::as_str);
        let key = (
            node.ncpus,
            node.mem_kb,
            node.ngpus,
            attr("interconnect"),
            attr("gpu_model"),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((ncpus, mem_kb, ngpus, interconnect, gpu_model), nodes)| {
            let cores = |table: &[(u32, u64)]| {
                let fitting = table.iter().filter_map(|&(n, w)| {
                    let n = if n == 0 { ncpus } else { n };
                    (n <= ncpus).then_some((n, w))
                });
                // The whole-node entry always fits, so the table is never empty.
                Choices::new(fitting).unwrap_or_else(|| Choices::one(ncpus))
            };
            let gpus = Choices::new(GPUS.iter().copied().filter(|&(g, _)| g <= ngpus));
            Shape {
                ncpus,
                mem_kb,
                interconnect: interconnect.map(str::to_string),
                requested_gpu_model: gpu_model
                    .filter(|m| REQUESTED_GPU_MODELS.contains(m))
                    .map(str::to_string),
                nodes,
                single_cores: cores(SINGLE_CORES),
                mpi_cores: cores(MPI_CORES),
                gpu_cores: cores(GPU_CORES),
                gpus,
            }
        })
        .collect()
}

/// How many nodes could each hold a chunk of `cores`, `mem_kb` and `interconnect`.
fn fitting_nodes(shapes: &[Shape], cores: u32, mem_kb: u64, interconnect: Option<&str>) -> u64 {
    shapes
        .iter()
        .filter(|s| s.ncpus >= cores && s.mem_kb >= mem_kb)
        .filter(|s| interconnect.is_none() || s.interconnect.as_deref() == interconnect)
        .map(|s| s.nodes)
        .sum()
}

/// `E[min(c, fitting)]` for `c` uniform over `MIN_CHUNKS..=MAX_CHUNKS`.
fn mean_cut_chunks(fitting: u64) -> f64 {
    let span = MIN_CHUNKS..=MAX_CHUNKS;
    let n = f64::from(MAX_CHUNKS - MIN_CHUNKS + 1);
    span.map(|c| u64::from(c).min(fitting).max(1) as f64)
        .sum::<f64>()
        / n
}

fn mem_kb(mem_mb: Option<u64>) -> u64 {
    mem_mb.map_or(0, |mb| mb * 1024)
}

/// Adds `mem=` in gb when whole, else in mb.
fn with_mem(chunk: Chunk, mem_mb: Option<u64>) -> Chunk {
    match mem_mb {
        Some(mb) if mb % 1024 == 0 => chunk.mem(Size::gb(mb / 1024)),
        Some(mb) => chunk.mem(Size::mb(mb)),
        None => chunk,
    }
}

/// A weighted choice among a few values, drawn by binary search on cumulative weights.
#[derive(Debug, Clone)]
struct Choices<T> {
    items: Vec<T>,
    /// `cumulative[i]` is the sum of the weights of `items[..=i]`.
    cumulative: Vec<u64>,
}

impl<T> Choices<T> {
    /// The items with positive weight; `None` if there are none.
    fn new(weighted: impl IntoIterator<Item = (T, u64)>) -> Option<Self> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for (item, weight) in weighted {
            if weight > 0 {
                total += weight;
                items.push(item);
                cumulative.push(total);
            }
        }
        (!items.is_empty()).then_some(Choices { items, cumulative })
    }

    /// Always `item`.
    fn one(item: T) -> Self {
        Choices {
            items: vec![item],
            cumulative: vec![1],
        }
    }

    fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> &T {
        let r = rng.gen_range(0..self.total());
        let i = self.cumulative.partition_point(|&c| c <= r);
        &self.items[i]
    }

    /// Each item with its probability.
    fn probabilities(&self) -> impl Iterator<Item = (&T, f64)> {
        let total = self.total() as f64;
        let mut previous = 0;
        self.items
            .iter()
            .zip(&self.cumulative)
            .map(move |(item, &c)| {
                let weight = c - previous;
                previous = c;
                (item, weight as f64 / total)
            })
    }
}

/// One of the constant tables above.
fn choices<T: Copy>(table: &[(T, u64)]) -> Choices<T> {
    Choices::new(table.iter().copied()).expect("the constant tables have positive weights")
}

fn mean(choices: &Choices<u32>) -> f64 {
    choices
        .probabilities()
        .map(|(&n, p)| p * f64::from(n))
        .sum()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use drivers::resources::ResourceValue;

    use super::*;
    use crate::engine::node::NodeDef;

    const KB_PER_GB: u64 = 1024 * 1024;

    fn config(jobs: u64, seed: u64) -> SyntheticConfig {
        SyntheticConfig {
            jobs,
            seed,
            ..SyntheticConfig::default()
        }
    }

    fn generate(config: SyntheticConfig, inventory: &Inventory) -> Synthetic {
        Synthetic::new(config, inventory).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Whether `count` distinct nodes can each hold `chunk` (what `place=scatter` needs).
    fn satisfiable(chunk: &Chunk, inventory: &Inventory) -> bool {
        let fits = |node: &NodeDef| {
            chunk.resources.iter().all(|r| match (&*r.name, &r.value) {
                ("ncpus", ResourceValue::Count(n)) => node.ncpus >= *n,
                ("ngpus", ResourceValue::Count(n)) => node.ngpus >= *n,
                ("mem", ResourceValue::Size(s)) => node.mem_kb >= s.to_kb(),
                (name, ResourceValue::Text(v)) => node.attributes.get(name) == Some(v),
                _ => false,
            })
        };
        let fitting = inventory.nodes.iter().filter(|n| fits(n)).count();
        fitting >= chunk.count as usize && chunk.count >= 1
    }

    fn odd_inventory() -> Inventory {
        let node = |name: &str, ncpus, mem_kb, ngpus, attrs: &[(&str, &str)]| NodeDef {
            name: name.to_string(),
            ncpus,
            mem_kb,
            ngpus,
            priority: 0,
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        };
        Inventory {
            nodes: vec![
                node("tiny", 2, 512 * 1024, 0, &[]),
                node("mid", 6, 3 * KB_PER_GB + 100, 0, &[("interconnect", "hdr")]),
                node("gpu", 4, 8 * KB_PER_GB, 1, &[("gpu_model", "k40")]),
                node("dead", 0, KB_PER_GB, 0, &[]),
            ],
        }
    }

    #[test]
    fn same_seed_same_jobs_other_seed_other_jobs() {
        let inventory = Inventory::palmetto();
        let a: Vec<WorkloadJob> = generate(config(2000, 7), &inventory).collect();
        let b: Vec<WorkloadJob> = generate(config(2000, 7), &inventory).collect();
        let c: Vec<WorkloadJob> = generate(config(2000, 8), &inventory).collect();
        assert_eq!(a.len(), 2000);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn every_request_fits_the_inventory() {
        for inventory in [
            Inventory::palmetto(),
            Inventory::palmetto_with_nodes(40),
            odd_inventory(),
        ] {
            for job in generate(config(20_000, 3), &inventory) {
                let select = job.resources.select.as_ref();
                let chunks = select.map(|s| s.chunks.as_slice()).unwrap_or_default();
                assert_eq!(chunks.len(), 1, "{job:?}");
                for chunk in chunks {
                    assert!(satisfiable(chunk, &inventory), "{job:?}");
                }
            }
        }
    }

    #[test]
    fn the_mix_is_palmetto_like() {
        let inventory = Inventory::palmetto();
        let jobs: Vec<WorkloadJob> = generate(config(50_000, 11), &inventory).collect();
        let n = jobs.len() as f64;
        let share =
            |f: &dyn Fn(&WorkloadJob) -> bool| jobs.iter().filter(|j| f(j)).count() as f64 / n;
        let select = |j: &WorkloadJob| {
            j.resources
                .select
                .clone()
                .unwrap_or_else(|| Select::new(Vec::new()))
        };

        let gpu = share(&|j| select(j).total_count("ngpus") > 0);
        assert!((gpu - 0.10).abs() < 0.01, "gpu {gpu}");
        let scatter = share(&|j| j.resources.place.is_some());
        assert!((scatter - 0.15).abs() < 0.01, "mpi {scatter}");
        let multi = share(&|j| select(j).chunk_count() > 1);
        assert!(multi > 0.12, "most MPI jobs keep several chunks: {multi}");
        let overrun = share(&|j| Some(j.runtime) > j.resources.walltime.map(|w| w.as_secs()));
        assert!((overrun - 0.05).abs() < 0.006, "overrun {overrun}");
        let failed = share(&|j| j.exit_status == 1);
        assert!((failed - 0.95 * 0.05).abs() < 0.006, "failed {failed}");
        assert!(jobs.iter().all(|j| [0, 1].contains(&j.exit_status)));
        let one_core = share(&|j| select(j).total_count("ncpus") == 1);
        assert!(one_core > 0.15, "one-core jobs {one_core}");
        let named_model = share(&|j| select(j).chunks[0].text_of("gpu_model").is_some());
        assert!(named_model > 0.01 && named_model < gpu, "{named_model}");
        for name in ["fdr", "hdr", "1g"] {
            let pinned = share(&|j| select(j).chunks[0].text_of("interconnect") == Some(name));
            assert!(pinned > 0.001, "{name}: {pinned}");
        }

        let hours = [1, 2, 4, 8, 24, 72].map(Walltime::from_hours);
        for job in &jobs {
            assert!(job.resources.walltime.is_some_and(|w| hours.contains(&w)));
            let chunk = &select(job).chunks[0];
            let mem_gb = chunk.size_of("mem").map_or(0, Size::to_kb) / KB_PER_GB;
            assert!((1..=MAX_MEM_GB).contains(&mem_gb), "{job:?}");
            assert!(
                job.owner.starts_with("user") && job.owner.len() == 7,
                "{}",
                job.owner
            );
            assert_eq!(job.queue, None);
        }
        let owners: std::collections::BTreeSet<&str> =
            jobs.iter().map(|j| j.owner.as_str()).collect();
        assert!(
            owners.len() > 150 && owners.len() <= 200,
            "{}",
            owners.len()
        );
    }

    #[test]
    fn arrivals_are_poisson_at_the_offered_load() {
        let inventory = Inventory::palmetto();
        let generator = generate(config(200_000, 5), &inventory);
        let (mean_cores, mean_used) = (generator.mean_cores(), generator.mean_seconds_used());
        let mean_gap = generator.mean_gap_secs();
        let jobs: Vec<WorkloadJob> = generator.collect();
        assert_eq!(jobs[0].submit_offset, 0);
        assert!(jobs
            .windows(2)
            .all(|w| w[0].submit_offset <= w[1].submit_offset));

        let n = jobs.len() as f64;
        let cores: f64 = jobs
            .iter()
            .map(|j| {
                j.resources
                    .select
                    .as_ref()
                    .map_or(0, |s| s.total_count("ncpus")) as f64
            })
            .sum::<f64>();
        let used: f64 = jobs
            .iter()
            .map(|j| {
                j.runtime
                    .min(j.resources.walltime.map_or(0, |w| w.as_secs())) as f64
            })
            .sum::<f64>();
        assert!(
            (cores / n / mean_cores - 1.0).abs() < 0.02,
            "{} vs {mean_cores}",
            cores / n
        );
        assert!(
            (used / n / mean_used - 1.0).abs() < 0.02,
            "{} vs {mean_used}",
            used / n
        );

        let span = jobs.last().map_or(0, |j| j.submit_offset) as f64;
        assert!((span / (n - 1.0) / mean_gap - 1.0).abs() < 0.02);
        let core_seconds: f64 = jobs
            .iter()
            .map(|j| {
                let cores = j
                    .resources
                    .select
                    .as_ref()
                    .map_or(0, |s| s.total_count("ncpus"));
                let used = j
                    .runtime
                    .min(j.resources.walltime.map_or(0, |w| w.as_secs()));
                (cores * used) as f64
            })
            .sum();
        let load = core_seconds / (span * inventory.total_ncpus() as f64);
        assert!((load - 0.9).abs() < 0.05, "offered load {load}");
    }

    #[test]
    fn offered_load_scales_the_gaps() {
        let inventory = Inventory::palmetto();
        let base = generate(config(1, 1), &inventory).mean_gap_secs();
        let busy = SyntheticConfig {
            offered_load: 1.8,
            ..config(1, 1)
        };
        let busy = generate(busy, &inventory).mean_gap_secs();
        assert!((base / busy - 2.0).abs() < 1e-9);
    }

    #[test]
    fn without_gpu_nodes_there_are_no_gpu_jobs() {
        let mut inventory = Inventory::palmetto_with_nodes(100);
        inventory.nodes.retain(|n| n.ngpus == 0);
        for job in generate(config(5000, 2), &inventory) {
            let select = job.resources.select.as_ref();
            assert_eq!(select.map(|s| s.total_count("ngpus")), Some(0));
        }
    }

    #[test]
    fn streams_lazily() {
        let generator = generate(config(u64::MAX, 1), &Inventory::palmetto());
        assert_eq!(generator.take(3).count(), 3);
        let generator = generate(config(5, 1), &Inventory::palmetto());
        assert_eq!(generator.size_hint(), (5, Some(5)));
        assert_eq!(generator.count(), 5);
    }

    #[test]
    fn bad_configs_and_inventories_are_rejected() {
        let inventory = Inventory::palmetto_with_nodes(10);
        let bad = |c: SyntheticConfig| Synthetic::new(c, &inventory).err();
        let field = |c: SyntheticConfig| match bad(c) {
            Some(SyntheticError::BadConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let d = SyntheticConfig::default;
        assert_eq!(
            field(SyntheticConfig {
                offered_load: 0.0,
                ..d()
            }),
            "offered_load"
        );
        assert_eq!(
            field(SyntheticConfig {
                offered_load: f64::NAN,
                ..d()
            }),
            "offered_load"
        );
        assert_eq!(field(SyntheticConfig { users: 0, ..d() }), "users");
        assert_eq!(
            field(SyntheticConfig {
                gpu_fraction: 1.5,
                ..d()
            }),
            "gpu_fraction"
        );
        assert_eq!(
            field(SyntheticConfig {
                failure_fraction: -0.1,
                ..d()
            }),
            "failure_fraction"
        );
        let crowded = SyntheticConfig {
            gpu_fraction: 0.6,
            mpi_fraction: 0.6,
            ..d()
        };
        assert_eq!(field(crowded), "mpi_fraction");

        let empty = Synthetic::new(d(), &Inventory::default()).err();
        assert_eq!(empty, Some(SyntheticError::NoUsableNodes));
    }

    #[test]
    fn config_reads_from_toml_with_defaults() {
        let config: Result<SyntheticConfig, _> = toml::from_str("jobs = 5\nseed = 9\n");
        assert_eq!(
            config.ok(),
            Some(SyntheticConfig {
                jobs: 5,
                seed: 9,
                ..Default::default()
            })
        );
        assert!(toml::from_str::<SyntheticConfig>("job = 5\n").is_err());
    }
}
