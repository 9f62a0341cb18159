//! A job's PBS-style resources ([`ResourceList`]) in Slurm's terms ([`SlurmRequest`]).
//!
//! The hub's form and config speak one vocabulary (chunks, `ncpus`, `mem`, `ngpus`,
//! `walltime`, a queue), so a site's config works on either scheduler. On Slurm a chunk is
//! a node, as Slurm's own `qsub` wrapper reads `select=`:
//!
//! | PBS | Slurm |
//! |---|---|
//! | `select=N` | `--nodes=N` |
//! | `ncpus=C` (and `mpiprocs=P`) | `--ntasks-per-node=P --cpus-per-task=C/P` (P = 1 by default) |
//! | `mem=M` | `--mem=<M in MiB, rounded up>M` (per node) |
//! | `ngpus=G` (and the GPU-type resource) | `--gres=gpu[:TYPE]:G` (per node) |
//! | a feature resource (`interconnect=hdr`) | `--constraint=hdr` (several joined by `&`) |
//! | `walltime` | `--time=[D-]HH:MM:SS` |
//! | `place=…:excl` / `exclhost` | `--exclusive` |
//! | queue | `--partition` |
//!
//! What has no Slurm equivalent — chunks of different shapes, `place=pack` over several
//! nodes, `group=`, a job-wide resource, a chunk resource the site did not map — is an
//! error naming it, never silently dropped.

use crate::resources::{Arrangement, ResourceList, ResourceValue, Sharing, Walltime};

/// How a site's own chunk resources are asked of Slurm, beyond `ncpus`, `mem`, `ngpus` and
/// `mpiprocs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceMapping {
    /// Chunk resources whose value is a node feature, asked with `--constraint`
    /// (e.g. `interconnect`, `phase`).
    pub features: Vec<String>,
    /// The chunk resource whose value is the GPU type in `--gres=gpu:TYPE:N`
    /// (e.g. `gpu_model`).
    pub gpu_type: Option<String>,
}

/// A job's resources as `sbatch` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmRequest {
    /// `--nodes`; `None` when the job named no chunks (Slurm's default of one).
    pub nodes: Option<u32>,
    /// `--ntasks-per-node`.
    pub ntasks_per_node: Option<u32>,
    /// `--cpus-per-task`.
    pub cpus_per_task: Option<u32>,
    /// `--mem`, in MiB per node.
    pub mem_mib: Option<u64>,
    /// `--gres`, e.g. `gpu:a100:2`.
    pub gres: Option<String>,
    /// `--constraint` features, all required.
    pub constraints: Vec<String>,
    /// `--time`.
    pub time: Option<Walltime>,
    /// `--exclusive`.
    pub exclusive: bool,
}

/// A request Slurm cannot be asked as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot ask Slurm for this job: {0}")]
pub struct Unmappable(pub String);

impl SlurmRequest {
    /// Maps `resources` under the site's `mapping`.
    pub fn from_resources(
        resources: &ResourceList,
        mapping: &ResourceMapping,
    ) -> Result<SlurmRequest, Unmappable> {
        let refuse = |why: String| Err(Unmappable(why));
        if let Some((name, _)) = resources.other.first() {
            return refuse(format!(
                "the job-wide resource `{name}` has no Slurm equivalent; ask for it per chunk"
            ));
        }
        let mut request = SlurmRequest {
            nodes: None,
            ntasks_per_node: None,
            cpus_per_task: None,
            mem_mib: None,
            gres: None,
            constraints: Vec::new(),
            time: resources.walltime,
            exclusive: false,
        };
        if let Some(place) = &resources.place {
            if place.group.is_some() {
                return refuse("`place=group=…` has no Slurm equivalent".into());
            }
            request.exclusive = matches!(place.sharing, Some(Sharing::Excl | Sharing::Exclhost));
        }
        let Some(select) = &resources.select else {
            return Ok(request);
        };
        let [chunk] = select.chunks.as_slice() else {
            return refuse(format!(
                "`select={select}` mixes chunks of different shapes; a Slurm job's nodes all \
                 have one shape"
            ));
        };
        let pack = resources
            .place
            .as_ref()
            .is_some_and(|p| p.arrangement == Some(Arrangement::Pack));
        if pack && chunk.count > 1 {
            return refuse(format!(
                "`place=pack` puts {} chunks on one host, but on Slurm a chunk is a node",
                chunk.count
            ));
        }
        request.nodes = Some(chunk.count);
        let mut ncpus = None;
        let mut mpiprocs = None;
        let mut gpus = None;
        let mut gpu_type = None;
        for resource in &chunk.resources {
            let name = resource.name.as_str();
            match (name, &resource.value) {
                ("ncpus", ResourceValue::Count(n)) => ncpus = Some(*n),
                ("mpiprocs", ResourceValue::Count(n)) => mpiprocs = Some(*n),
                ("ngpus", ResourceValue::Count(n)) => gpus = Some(*n),
                ("mem", ResourceValue::Size(size)) => {
                    request.mem_mib = Some(size.bytes().div_ceil(1 << 20).max(1));
                }
                (_, ResourceValue::Text(value)) if mapping.gpu_type.as_deref() == Some(name) => {
                    gpu_type = Some(slurm_word(name, value)?);
                }
                (_, ResourceValue::Text(value)) if mapping.features.iter().any(|f| f == name) => {
                    request.constraints.push(slurm_word(name, value)?);
                }
                _ => {
                    return refuse(format!(
                        "the chunk resource `{name}` has no Slurm equivalent; a site maps its \
                         own resources with `[slurm] features` or `gpu_type`"
                    ))
                }
            }
        }
        let tasks = mpiprocs.unwrap_or(1);
        if tasks == 0 {
            return refuse("`mpiprocs=0` asks for no task; Slurm runs at least one".into());
        }
        request.ntasks_per_node = Some(tasks);
        if let Some(cpus) = ncpus {
            if cpus == 0 || cpus % tasks != 0 {
                return refuse(format!(
                    "`ncpus={cpus}` is not a whole number of CPUs for each of the \
                     {tasks} task(s) per node"
                ));
            }
            request.cpus_per_task = Some(cpus / tasks);
        }
        match (gpus, gpu_type) {
            (Some(n), Some(kind)) if n > 0 => request.gres = Some(format!("gpu:{kind}:{n}")),
            (Some(n), None) if n > 0 => request.gres = Some(format!("gpu:{n}")),
            (_, Some(kind)) => {
                return refuse(format!(
                    "a GPU type ({kind}) without `ngpus` of at least 1 asks for no GPU"
                ))
            }
            _ => {}
        }
        Ok(request)
    }

    /// The `#SBATCH` options, one per line's worth, in a fixed order.
    pub fn options(&self) -> Vec<String> {
        let mut options = Vec::new();
        if let Some(n) = self.nodes {
            options.push(format!("--nodes={n}"));
        }
        if let Some(n) = self.ntasks_per_node {
            options.push(format!("--ntasks-per-node={n}"));
        }
        if let Some(n) = self.cpus_per_task {
            options.push(format!("--cpus-per-task={n}"));
        }
        if let Some(mib) = self.mem_mib {
            options.push(format!("--mem={mib}M"));
        }
        if let Some(gres) = &self.gres {
            options.push(format!("--gres={gres}"));
        }
        if !self.constraints.is_empty() {
            options.push(format!("--constraint={}", self.constraints.join("&")));
        }
        if let Some(time) = self.time {
            options.push(format!("--time={}", slurm_time(time)));
        }
        if self.exclusive {
            options.push("--exclusive".to_string());
        }
        options
    }
}

/// A walltime as `sbatch --time` reads it: `HH:MM:SS`, or `D-HH:MM:SS` from a day on.
pub fn slurm_time(time: Walltime) -> String {
    let secs = time.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let hms = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days}-{hms}")
    } else {
        hms
    }
}

/// A feature or GPU type name as Slurm accepts one: letters, digits, `_ . -`.
fn slurm_word(resource: &str, value: &str) -> Result<String, Unmappable> {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(value.to_string())
    } else {
        Err(Unmappable(format!(
            "`{resource}={value}` is not a Slurm feature name (letters, digits, _ . -)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[&str], mapping: &ResourceMapping) -> Result<SlurmRequest, Unmappable> {
        SlurmRequest::from_resources(&ResourceList::parse(items).unwrap(), mapping)
    }

    fn palmetto() -> ResourceMapping {
        ResourceMapping {
            features: vec!["interconnect".into(), "phase".into()],
            gpu_type: Some("gpu_model".into()),
        }
    }

    #[test]
    fn a_notebook_chunk_becomes_one_node() {
        let request = map(
            &[
                "select=1:ncpus=4:mem=8gb:ngpus=1:gpu_model=a100:interconnect=hdr",
                "walltime=02:30:00",
            ],
            &palmetto(),
        )
        .unwrap();
        assert_eq!(
            request.options(),
            [
                "--nodes=1",
                "--ntasks-per-node=1",
                "--cpus-per-task=4",
                "--mem=8192M",
                "--gres=gpu:a100:1",
                "--constraint=hdr",
                "--time=02:30:00",
            ]
        );
    }

    #[test]
    fn mpi_chunks_sizes_times_and_exclusivity() {
        let request = map(
            &[
                "select=2:ncpus=8:mpiprocs=4:mem=1500mb:ngpus=2",
                "place=scatter:excl",
                "walltime=72:00:00",
            ],
            &ResourceMapping::default(),
        )
        .unwrap();
        assert_eq!(
            request.options(),
            [
                "--nodes=2",
                "--ntasks-per-node=4",
                "--cpus-per-task=2",
                "--mem=1500M",
                "--gres=gpu:2",
                "--time=3-00:00:00",
                "--exclusive",
            ]
        );
        // Sizes round up to whole MiB, never down.
        let request = map(&["select=1:mem=1025kb"], &ResourceMapping::default()).unwrap();
        assert_eq!(request.mem_mib, Some(2));
        assert_eq!(slurm_time(Walltime::from_secs(86_399)), "23:59:59");
        assert_eq!(slurm_time(Walltime::from_secs(90_061)), "1-01:01:01");
    }

    #[test]
    fn nothing_asked_is_nothing_said() {
        let request = map(&[], &ResourceMapping::default()).unwrap();
        assert!(request.options().is_empty());
    }

    #[test]
    fn what_slurm_cannot_express_is_refused_by_name() {
        let none = ResourceMapping::default();
        let cases: [(&[&str], &str); 8] = [
            (&["select=1:ncpus=2+1:ncpus=4"], "different shapes"),
            (&["select=2:ncpus=2", "place=pack"], "place=pack"),
            (&["select=1:ncpus=2", "place=free:group=switch"], "group"),
            (&["select=1:ncpus=2:interconnect=hdr"], "`interconnect`"),
            (&["select=1:ncpus=3:mpiprocs=2"], "ncpus=3"),
            (&["select=1:ncpus=0"], "ncpus=0"),
            (
                &["select=1:ncpus=1", "software=matlab"],
                "job-wide resource `software`",
            ),
            (&["select=1:vmem=1gb"], "`vmem`"),
        ];
        for (items, expected) in cases {
            let err = map(items, &none).unwrap_err().to_string();
            assert!(err.contains(expected), "{items:?}: {err}");
        }
        let err = map(&["select=1:ncpus=1:gpu_model=a100"], &palmetto())
            .unwrap_err()
            .to_string();
        assert!(err.contains("without `ngpus`"), "{err}");
        let err = map(&["select=1:ncpus=1:interconnect=\"a&b\""], &palmetto())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a Slurm feature name"), "{err}");
    }
}
