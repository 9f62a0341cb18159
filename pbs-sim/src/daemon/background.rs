//! Background load: virtual jobs from the seeded generator (or an SWF trace) submitted at
//! their arrival times, so a real job waits in the queue as it would on a busy cluster.

use std::fs::File;
use std::io::BufReader;
use std::iter::Peekable;

use super::journal::BackgroundSpec;
use crate::engine::inventory::Inventory;
use crate::engine::job::{Behaviour, SubmitRequest};
use crate::engine::res::SimTime;
use crate::engine::Engine;
use crate::workload::swf::{SwfMapping, SwfReader};
use crate::workload::synthetic::{Synthetic, SyntheticConfig};
use crate::workload::WorkloadJob;

type Jobs = Box<dyn Iterator<Item = WorkloadJob> + Send>;

/// The stream of background jobs, submitted into the engine as simulated time passes.
pub struct Background {
    jobs: Peekable<Jobs>,
    /// Simulated time of offset 0 of the workload.
    base: SimTime,
    /// Submitted so far.
    submitted: u64,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background")
            .field("base", &self.base)
            .field("submitted", &self.submitted)
            .finish()
    }
}

/// Why the background workload could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BackgroundError {
    /// The synthetic generator rejected its configuration.
    #[error("background load: {0}")]
    Synthetic(#[from] crate::workload::synthetic::SyntheticError),
    /// The trace could not be opened.
    #[error("background trace {path}: {source}")]
    Trace {
        /// The trace.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Background {
    /// The background stream `spec` over `inventory`, seeded with `seed`, whose first job
    /// arrives `warmup` seconds before `anchor`.
    pub fn new(
        spec: &BackgroundSpec,
        seed: u64,
        inventory: &Inventory,
        anchor: SimTime,
    ) -> Result<Background, BackgroundError> {
        let (jobs, warmup): (Jobs, u64) = match spec {
            BackgroundSpec::Synthetic { load, warmup } => {
                let config = SyntheticConfig {
                    jobs: u64::MAX,
                    seed,
                    offered_load: *load,
                    ..SyntheticConfig::default()
                };
                (Box::new(Synthetic::new(config, inventory)?), *warmup)
            }
            BackgroundSpec::Swf {
                path,
                cores_per_node,
                warmup,
            } => {
                let file = File::open(path).map_err(|source| BackgroundError::Trace {
                    path: path.display().to_string(),
                    source,
                })?;
                let reader = SwfReader::new(BufReader::new(file), SwfMapping::new(*cores_per_node));
                // A malformed trace line is skipped: background load is best effort, and
                // `pbs-sim simulate --swf` is where a trace is checked line by line.
                (Box::new(reader.filter_map(Result::ok)), *warmup)
            }
        };
        Ok(Background {
            jobs: jobs.peekable(),
            base: anchor.saturating_sub(warmup),
            submitted: 0,
        })
    }

    /// Simulated time at which the workload starts (its first job may come later).
    pub fn start(&self) -> SimTime {
        self.base
    }

    /// How many background jobs have been submitted.
    pub fn submitted(&self) -> u64 {
        self.submitted
    }

    /// The arrival time of the next background job.
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        let base = self.base;
        self.jobs
            .peek()
            .map(|j| base.saturating_add(j.submit_offset))
    }

    /// Submits every background job that arrives at or before `until`, each at its own
    /// arrival time (so the engine sees them exactly as a replay will).
    pub fn feed(&mut self, engine: &mut Engine, until: SimTime) {
        while let Some(at) = self.next_arrival() {
            if at > until {
                break;
            }
            let job = self.jobs.next().expect("peeked");
            let request = SubmitRequest {
                owner: job.owner,
                name: "STDIN".to_string(),
                queue: job.queue,
                resources: job.resources,
                behaviour: Behaviour {
                    runtime: Some(job.runtime),
                    exit_status: job.exit_status,
                    external: false,
                },
                hold: false,
                rerunnable: true,
            };
            // A rejected background job (over a queue limit) is simply not there, as
            // for a user whose qsub failed.
            let _ = engine.submit(at.max(engine.now()), request);
            self.submitted += 1;
        }
    }
}
