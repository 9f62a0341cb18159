//! How a site runs PBS's commands: which programs, as whom, with what environment, how
//! patiently.

use std::time::Duration;

use super::script::BodyTemplate;

/// Which `qstat -f` output to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QstatFormat {
    /// `qstat -f -F json` (PBS Pro 13+, OpenPBS): the default.
    #[default]
    Json,
    /// `qstat -f`, for sites whose `qstat` has no `-F json`.
    Text,
}

/// The PBS driver's settings.
#[derive(Debug, Clone)]
pub struct PbsConfig {
    /// The `qsub` program (a path, or a name looked up on the allowlisted `PATH`).
    pub qsub: String,
    /// The `qstat` program.
    pub qstat: String,
    /// The `qdel` program.
    pub qdel: String,
    /// The `pbsnodes` program (the admin page's count of free nodes).
    pub pbsnodes: String,
    /// The argv prefix that runs `qsub` and `qdel` as the job's owner; `{user}` is replaced
    /// by the (validated) user name, e.g. `["sudo", "-n", "-u", "{user}", "--"]`. Empty: run
    /// them as the hub's own user (a single-user setup, or tests).
    pub run_as: Vec<String>,
    /// The argv prefix for `qdel` of a job whose owner this driver does not know (one
    /// submitted before a restart of the hub): typically empty, the hub's user being a PBS
    /// operator.
    pub manage_as: Vec<String>,
    /// The names of the hub's environment variables the commands get (nothing else is
    /// passed): `PATH`, `PBS_CONF_FILE`, `PBS_SERVER`, …
    pub env_allowlist: Vec<String>,
    /// How long any command may take before it is killed.
    pub timeout: Duration,
    /// How many consecutive `qstat` answers must lack a job before it is reported gone.
    pub gone_after_misses: u32,
    /// JSON or text.
    pub format: QstatFormat,
    /// The most bytes of job ids one `qstat` gets; more ids are split over several calls.
    pub max_arg_bytes: usize,
    /// After `qdel`, a job still running this long later is deleted with `qdel -W force`.
    pub force_after: Option<Duration>,
    /// The site's job body.
    pub body: BodyTemplate,
}

impl Default for PbsConfig {
    fn default() -> Self {
        PbsConfig {
            qsub: "qsub".into(),
            qstat: "qstat".into(),
            qdel: "qdel".into(),
            pbsnodes: "pbsnodes".into(),
            run_as: Vec::new(),
            manage_as: Vec::new(),
            env_allowlist: [
                "PATH",
                "PBS_CONF_FILE",
                "PBS_SERVER",
                "LANG",
                "LC_ALL",
                "TZ",
            ]
            .map(String::from)
            .to_vec(),
            timeout: Duration::from_secs(30),
            gone_after_misses: 3,
            format: QstatFormat::Json,
            // Far below Linux's 2 MiB for arguments and environment together.
            max_arg_bytes: 128 * 1024,
            force_after: None,
            body: BodyTemplate::default(),
        }
    }
}
