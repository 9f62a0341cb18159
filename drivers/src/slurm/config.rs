//! How a site runs Slurm's commands: which programs, as whom, with what environment, how
//! patiently, and how its own resources map to Slurm's.

use std::time::Duration;

use super::request::ResourceMapping;
use crate::job_script::BodyTemplate;

/// The Slurm driver's settings.
#[derive(Debug, Clone)]
pub struct SlurmConfig {
    /// The `sbatch` program (a path, or a name looked up on the allowlisted `PATH`).
    pub sbatch: String,
    /// The `squeue` program.
    pub squeue: String,
    /// The `scancel` program.
    pub scancel: String,
    /// The `scontrol` program (a job missing from `squeue`, an ended job's exit code).
    pub scontrol: String,
    /// The `sacct` program, asked about a job the controller no longer remembers; `None`
    /// where accounting is not kept.
    pub sacct: Option<String>,
    /// The `sinfo` program (the admin page's count of free nodes).
    pub sinfo: String,
    /// The argv prefix that runs `sbatch` and `scancel` as the job's owner; `{user}` is
    /// replaced by the (validated) user name, e.g. `["sudo", "-n", "-u", "{user}", "--"]`.
    /// Empty: run them as the hub's own user (a single-user setup, or tests).
    pub run_as: Vec<String>,
    /// The argv prefix for `scancel` of a job whose owner this driver has not learnt yet:
    /// typically empty, the hub's user being a Slurm operator.
    pub manage_as: Vec<String>,
    /// The names of the hub's environment variables the commands get (nothing else is
    /// passed): `PATH`, `SLURM_CONF`, … The job gets them too (`sbatch` exports its
    /// environment), and nothing else of the hub's.
    pub env_allowlist: Vec<String>,
    /// How long any command may take before it is killed.
    pub timeout: Duration,
    /// How many consecutive answers must lack a job (and `scontrol` and `sacct` not know
    /// it) before it is reported gone.
    pub gone_after_misses: u32,
    /// The most bytes of job ids one `squeue` gets; more ids are split over several calls.
    pub max_arg_bytes: usize,
    /// The most `scontrol`/`sacct` lookups one poll runs (for jobs `squeue` no longer lists,
    /// and ended jobs' exit codes); the rest wait for later polls.
    pub max_lookups_per_poll: usize,
    /// The site's job body.
    pub body: BodyTemplate,
    /// The site's own chunk resources in Slurm's terms.
    pub mapping: ResourceMapping,
}

impl Default for SlurmConfig {
    fn default() -> Self {
        SlurmConfig {
            sbatch: "sbatch".into(),
            squeue: "squeue".into(),
            scancel: "scancel".into(),
            scontrol: "scontrol".into(),
            sacct: Some("sacct".into()),
            sinfo: "sinfo".into(),
            run_as: Vec::new(),
            manage_as: Vec::new(),
            env_allowlist: ["PATH", "SLURM_CONF", "LANG", "LC_ALL", "TZ"]
                .map(String::from)
                .to_vec(),
            timeout: Duration::from_secs(30),
            gone_after_misses: 3,
            max_arg_bytes: 128 * 1024,
            max_lookups_per_poll: 50,
            body: BodyTemplate::default(),
            mapping: ResourceMapping::default(),
        }
    }
}
