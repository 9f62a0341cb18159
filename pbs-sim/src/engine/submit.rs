//! What the server does with a new job before the scheduler sees it: defaults, the
//! resource check, queue routing and limits (reference §1.5, §1.6, §2.1).

use drivers::resources::{
    Arrangement, Chunk, PbsError, Pbse, Place, ResourceList, ResourceValue, Select, Sharing,
    Walltime,
};

use super::cluster::{ChunkNeed, ClassIdx, Cluster, JobNeed, NodeIdx, View};
use super::config::{EngineConfig, Limits, QueueKind};
use super::job::Comment;
use super::res::Res;

/// A job with no walltime is scheduled as if it ran five years (PBS's `JOB_INFINITY`).
pub const NO_WALLTIME: u64 = 5 * 365 * 24 * 3600;

/// Built-in chunk resources the engine handles itself rather than as node attributes.
const CONSUMABLE_OR_IGNORED: &[&str] = &[
    "ncpus",
    "mem",
    "vmem",
    "ngpus",
    "mpiprocs",
    "ompthreads",
    "nphis",
    "hpmem",
    "arch",
];

/// Converts old-style requests to `select` as PBS does: `-l nodes=N:ppn=P` becomes
/// `select=N:ncpus=P:mpiprocs=P` with `place=scatter`; `-l ncpus=X,mem=Y` becomes
/// `select=1:ncpus=X:mem=Y` with `place=pack`; nothing at all becomes `select=1:ncpus=1`.
pub fn with_select(mut list: ResourceList) -> Result<ResourceList, PbsError> {
    if list.select.is_some() {
        return Ok(list);
    }
    let mut chunk = Chunk::new(1);
    let mut place = Arrangement::Pack;
    let mut rest = Vec::new();
    for (name, value) in std::mem::take(&mut list.other) {
        match name.as_str() {
            "ncpus" => {
                let n = value
                    .parse()
                    .map_err(|_| PbsError::illegal_value("ncpus"))?;
                chunk = chunk.ncpus(n);
            }
            "mem" => {
                let size = value.parse().map_err(|_| PbsError::illegal_value("mem"))?;
                chunk = chunk.mem(size);
            }
            "ngpus" => {
                let n = value
                    .parse()
                    .map_err(|_| PbsError::illegal_value("ngpus"))?;
                chunk = chunk.ngpus(n);
            }
            "nodes" => {
                let (count, ppn) = parse_nodes(&value)?;
                chunk.count = count;
                chunk = chunk.ncpus(ppn).with("mpiprocs", ResourceValue::Count(ppn));
                place = Arrangement::Scatter;
            }
            _ => rest.push((name, value)),
        }
    }
    list.other = rest;
    list.select = Some(Select::new(vec![chunk]));
    list.place = Some(Place {
        arrangement: Some(place),
        ..list.place.unwrap_or_default()
    });
    Ok(list)
}

/// `N[:ppn=P]` of the old `-l nodes=` syntax.
fn parse_nodes(value: &str) -> Result<(u32, u32), PbsError> {
    let bad = || PbsError::illegal_value("nodes");
    let mut parts = value.split(':');
    let count = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let mut ppn = 1;
    for part in parts {
        match part.strip_prefix("ppn=") {
            Some(p) => ppn = p.parse().map_err(|_| bad())?,
            None => return Err(bad()),
        }
    }
    if count == 0 {
        return Err(bad());
    }
    Ok((count, ppn))
}

/// The totals queue limits are checked against.
struct Totals {
    ncpus: u64,
    mem_kb: u64,
    ngpus: u64,
    nodect: u64,
    walltime: Option<Walltime>,
}

impl Totals {
    fn of(select: &Select, walltime: Option<Walltime>) -> Totals {
        Totals {
            ncpus: select
                .chunks
                .iter()
                .map(|c| u64::from(c.count) * u64::from(c.count_of("ncpus").unwrap_or(1)))
                .sum(),
            mem_kb: select.total_kb("mem"),
            ngpus: select.total_count("ngpus"),
            nodect: select.chunk_count(),
            walltime,
        }
    }

    fn within(&self, min: &Limits, max: &Limits) -> bool {
        let le = |v: u64, lim: Option<u64>| lim.is_none_or(|l| v <= l);
        let ge = |v: u64, lim: Option<u64>| lim.is_none_or(|l| v >= l);
        let wall = self.walltime.map(Walltime::as_secs);
        le(self.ncpus, max.ncpus)
            && le(self.mem_kb, max.mem_kb)
            && le(self.ngpus, max.ngpus)
            && le(self.nodect, max.nodect)
            && max
                .walltime
                .is_none_or(|l| wall.is_none_or(|w| w <= l.as_secs()))
            && ge(self.ncpus, min.ncpus)
            && ge(self.mem_kb, min.mem_kb)
            && ge(self.ngpus, min.ngpus)
            && ge(self.nodect, min.nodect)
            && min
                .walltime
                .is_none_or(|l| wall.is_some_and(|w| w >= l.as_secs()))
    }
}

/// Picks the execution queue for a job: the named (or default) queue, through routing.
pub fn route(
    config: &EngineConfig,
    queue: Option<&str>,
    list: &ResourceList,
) -> Result<usize, PbsError> {
    let name = match queue.or(config.default_queue.as_deref()) {
        Some(name) => name,
        None => return Err(PbsError::new(Pbse::NoDefQue, "")),
    };
    let index_of = |name: &str| config.queues.iter().position(|q| q.name == name);
    let first = index_of(name).ok_or_else(|| PbsError::new(Pbse::UnkQue, ""))?;
    let queue = &config.queues[first];
    if !queue.enabled {
        return Err(PbsError::new(Pbse::QueNoEnb, ""));
    }
    let select = list.select.as_ref().expect("with_select ran first");
    match &queue.kind {
        QueueKind::Execution => {
            let totals = Totals::of(select, list.walltime.or(queue.default_walltime));
            if totals.within(&queue.min, &queue.max) {
                Ok(first)
            } else {
                Err(PbsError::new(Pbse::ExcQResc, ""))
            }
        }
        QueueKind::Route { destinations } => {
            for dest in destinations {
                let Some(d) = index_of(dest) else { continue };
                let q = &config.queues[d];
                let wall = list
                    .walltime
                    .or(q.default_walltime)
                    .or(queue.default_walltime);
                if q.enabled
                    && matches!(q.kind, QueueKind::Execution)
                    && Totals::of(select, wall).within(&q.min, &q.max)
                {
                    return Ok(d);
                }
            }
            Err(PbsError::new(Pbse::RouteRej, ""))
        }
    }
}

/// Compiles a checked request into placement needs. A request no node could ever satisfy is
/// not an error (PBS accepts it and it sits queued): the second value is then its
/// `Can Never Run` comment.
pub fn compile(
    cluster: &Cluster,
    list: &ResourceList,
    walltime: Option<Walltime>,
) -> (JobNeed, Option<Comment>) {
    let select = list.select.as_ref().expect("with_select ran first");
    let place = list.place.clone().unwrap_or_default();
    let mut never = None;
    let mut chunks = Vec::with_capacity(select.chunks.len());
    for chunk in &select.chunks {
        let res = Res {
            ncpus: chunk.count_of("ncpus").unwrap_or(1),
            mem_kb: chunk.size_of("mem").map_or(0, |s| s.to_kb()),
            ngpus: chunk.count_of("ngpus").unwrap_or(0),
        };
        let mut need = ChunkNeed {
            count: chunk.count,
            res,
            constraints: Vec::new(),
            pin: None,
        };
        for r in &chunk.resources {
            let name = r.name.as_str();
            if CONSUMABLE_OR_IGNORED.contains(&name) {
                continue;
            }
            let asked = match &r.value {
                ResourceValue::Text(t) => normalise(t),
                ResourceValue::Count(n) => n.to_string(),
                ResourceValue::Size(s) => s.to_string(),
            };
            if name == "host" || name == "vnode" {
                let pinned = cluster.by_name.get(&asked).copied().or_else(|| {
                    cluster
                        .by_name
                        .iter()
                        .find(|(k, _)| normalise(k) == asked)
                        .map(|(_, &v)| v)
                });
                match pinned {
                    Some(n) => need.pin = Some(n),
                    None => {
                        never.get_or_insert_with(|| no_such_value(cluster, name, &asked));
                    }
                }
                continue;
            }
            let attr = cluster.attr_ids.get(name);
            let value = cluster.value_ids.get(&asked);
            match (attr, value) {
                (Some(&a), Some(&v)) => need.constraints.push((a, v)),
                _ => {
                    never.get_or_insert_with(|| no_such_value(cluster, name, &asked));
                }
            }
        }
        chunks.push(need);
    }
    let total = chunks
        .iter()
        .fold(Res::default(), |acc, c| acc + c.res.times(c.count));
    let need = JobNeed {
        chunks,
        arrangement: place.arrangement_or_default(),
        excl: matches!(place.sharing, Some(Sharing::Excl | Sharing::Exclhost)),
        total,
        walltime: walltime.map_or(NO_WALLTIME, Walltime::as_secs),
    };
    if never.is_none() {
        never = never_runs(cluster, &need);
    }
    (need, never)
}

/// Site string values compare case-insensitively (Palmetto's users type `FDR` for `fdr`);
/// booleans in any of PBS's spellings compare as `true`/`false`.
pub fn normalise(value: &str) -> String {
    match value.to_ascii_lowercase().as_str() {
        "true" | "t" | "y" | "yes" | "1" => "true".into(),
        "false" | "f" | "n" | "no" | "0" => "false".into(),
        other => other.to_string(),
    }
}

/// `Can Never Run: Insufficient amount of resource: <name> (<asked> != <values>)`.
fn no_such_value(cluster: &Cluster, name: &str, asked: &str) -> Comment {
    let mut values: Vec<&str> = if name == "host" || name == "vnode" {
        cluster.nodes.iter().map(|n| n.def.name.as_str()).collect()
    } else {
        cluster
            .nodes
            .iter()
            .filter_map(|n| n.def.attributes.get(name).map(String::as_str))
            .collect()
    };
    values.sort_unstable();
    values.dedup();
    let shown = if values.len() > 16 {
        format!("{},...", values[..16].join(","))
    } else {
        values.join(",")
    };
    Comment::NoSuchValue {
        resource: name.to_string(),
        asked: asked.to_string(),
        values: shown,
    }
}

/// Reads one consumable from a set of amounts.
type Amount = fn(&Res) -> u64;

/// `Can Never Run: Insufficient amount of resource: …` for the first consumable of
/// `asked` (ncpus, then mem, then ngpus) beyond what `most` says the cluster can offer.
fn first_short(asked: &Res, most: impl Fn(Amount) -> u64) -> Option<Comment> {
    let checks: [(&'static str, Amount); 3] = [
        ("ncpus", |r| u64::from(r.ncpus)),
        ("mem", |r| r.mem_kb),
        ("ngpus", |r| u64::from(r.ngpus)),
    ];
    checks.into_iter().find_map(|(resource, get)| {
        let (requested, total) = (get(asked), most(get));
        (requested > total).then_some(Comment::Insufficient {
            never: true,
            resource,
            requested,
            available: total,
            total,
        })
    })
}

/// Whether the cluster, completely empty, could hold the job; if not, PBS's comment.
fn never_runs(cluster: &Cluster, need: &JobNeed) -> Option<Comment> {
    let classes = || 0..cluster.classes.len() as u16;
    let max_of =
        |f: &dyn Fn(&Res) -> u64| cluster.classes.iter().map(|c| f(&c.cap)).max().unwrap_or(0);
    let mut nodes_used = 0u64;
    for chunk in &need.chunks {
        let fitting: Vec<u16> = classes()
            .filter(|&c| cluster.class_fits(c, chunk))
            .collect();
        if fitting.is_empty() {
            // Name the first consumable no node has enough of.
            if let Some(comment) = first_short(&chunk.res, |get| max_of(&get)) {
                return Some(comment);
            }
            return Some(Comment::NotEnoughNodes { never: true });
        }
        let nodes: u64 = fitting
            .iter()
            .map(|&c| cluster.classes[c as usize].nodes.len() as u64)
            .sum();
        let per_node = |c: u16| -> u64 {
            if need.excl || need.arrangement != Arrangement::Free {
                return 1;
            }
            let cap = cluster.classes[c as usize].cap;
            let r = chunk.res;
            let div = |have: u64, want: u64| have.checked_div(want).unwrap_or(u64::MAX);
            div(u64::from(cap.ncpus), u64::from(r.ncpus))
                .min(div(cap.mem_kb, r.mem_kb))
                .min(div(u64::from(cap.ngpus), u64::from(r.ngpus)))
        };
        let slots: u64 = fitting
            .iter()
            .map(|&c| (cluster.classes[c as usize].nodes.len() as u64).saturating_mul(per_node(c)))
            .fold(0u64, u64::saturating_add);
        let needed = u64::from(chunk.count);
        nodes_used += needed;
        if slots < needed || (need.arrangement != Arrangement::Free && nodes < needed) {
            return Some(Comment::NotEnoughNodes { never: true });
        }
    }
    if matches!(
        need.arrangement,
        Arrangement::Scatter | Arrangement::Vscatter
    ) && nodes_used > cluster.nodes.len() as u64
    {
        return Some(Comment::NotEnoughNodes { never: true });
    }
    if need.arrangement == Arrangement::Pack {
        let fits_one = classes().any(|c| {
            need.chunks.iter().all(|ch| cluster.class_fits(c, ch))
                && cluster.classes[c as usize].cap.covers(&need.total)
        });
        if !fits_one {
            return Some(Comment::Insufficient {
                never: true,
                resource: "ncpus",
                requested: u64::from(need.total.ncpus),
                available: max_of(&|r: &Res| u64::from(r.ncpus)),
                total: max_of(&|r: &Res| u64::from(r.ncpus)),
            });
        }
    }
    // The checks above look at one chunk specification at a time, so chunks of different
    // specifications that cannot fit together (`select=1:ncpus=1+3:ncpus=3` on one 9-CPU
    // node), or several chunks pinned to one host, pass them; such a job would then wait
    // forever as "Not Running". Place it on the empty cluster as the scheduler would.
    let combined = need.chunks.len() > 1 || need.chunks.iter().any(|c| c.pin.is_some());
    if combined
        && cluster
            .place(&EmptyCluster(cluster), need, &|_| true)
            .is_none()
    {
        if let Some(comment) = first_short(&need.total, |get| get(&cluster.cap_total)) {
            return Some(comment);
        }
        return Some(Comment::NotEnoughNodes { never: true });
    }
    None
}

/// The cluster with every node up, in service and free: what "can never run" is judged on.
struct EmptyCluster<'a>(&'a Cluster);

impl View for EmptyCluster<'_> {
    fn free(&self, n: NodeIdx) -> Res {
        self.0.nodes[n as usize].cap
    }

    fn usable(&self, _n: NodeIdx, _excl: bool) -> bool {
        true
    }

    fn scan(&self, class: ClassIdx, min_cpus: u32, f: &mut dyn FnMut(NodeIdx) -> bool) {
        let class = &self.0.classes[class as usize];
        if class.cap.ncpus >= min_cpus {
            for &n in &class.nodes {
                if f(n) {
                    return;
                }
            }
        }
    }
}
