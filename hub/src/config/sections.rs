//! The sections of the config file as serde types. Every field has a default, so an empty
//! file is a valid config; names follow JupyterHub's where it has one.

use std::path::PathBuf;

use drivers::slurm::request::ResourceMapping;
use drivers::{JobName, UserName};
use serde::Deserialize;

use super::base_url::BaseUrl;
use super::duration::HumanDuration;
use crate::form::FormConfig;
use crate::spawner::SchedulerTerms;

/// `[hub]`: where the hub and its public face listen, its database and secrets, limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubSection {
    /// The public URL users open, served by the proxy (JupyterHub's `bind_url`). Its path,
    /// if any, must equal `base_url`.
    pub bind_url: String,
    /// The prefix every hub and user URL lives under, normalised to `/…/`.
    pub base_url: BaseUrl,
    /// Where the hub's own HTTP server listens (`hub_bind_url`).
    pub hub_bind_url: String,
    /// How notebook servers on compute nodes reach the hub (`hub_connect_url`); `None`
    /// means `hub_bind_url`.
    pub hub_connect_url: Option<String>,
    /// The database: `sqlite:///path` or `postgresql://…` (`db_url`).
    pub db_url: String,
    /// Apply pending schema migrations at start (`upgrade_db`), backing a SQLite file up
    /// first; otherwise `hub serve` refuses an existing database that needs them and says to
    /// run `hub db upgrade`. A new, empty database is always set up.
    pub upgrade_db: bool,
    /// The file holding the key that signs cookies (`cookie_secret_file`).
    pub cookie_secret_file: PathBuf,
    /// The hub's TLS certificate (PEM); with `ssl_key`, the hub serves HTTPS.
    pub ssl_cert: Option<PathBuf>,
    /// The hub's TLS private key (PEM).
    pub ssl_key: Option<PathBuf>,
    /// How many servers may be starting (submitted, not yet answering) at once.
    pub concurrent_spawn_limit: u32,
    /// Whether a user may run named servers beside their default one.
    pub allow_named_servers: bool,
    /// How many named servers one user may have.
    pub named_server_limit_per_user: u32,
}

impl Default for HubSection {
    fn default() -> Self {
        HubSection {
            bind_url: "http://0.0.0.0:8000/".to_string(),
            base_url: BaseUrl::default(),
            hub_bind_url: "http://127.0.0.1:8081/".to_string(),
            hub_connect_url: None,
            db_url: "sqlite:///batchhub.sqlite".to_string(),
            upgrade_db: false,
            cookie_secret_file: PathBuf::from("batchhub_cookie_secret"),
            ssl_cert: None,
            ssl_key: None,
            concurrent_spawn_limit: 100,
            allow_named_servers: false,
            named_server_limit_per_user: 4,
        }
    }
}

/// `[proxy]`: start `hub-proxy` as a child, or use one already running.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxySection {
    /// Start the proxy as a child process (`should_start`); `false` uses a running one.
    pub should_start: bool,
    /// The proxy's argv when the hub starts it.
    pub command: Vec<String>,
    /// The proxy's REST API (`api_url`): `http://` on the same host, `https://` to a proxy
    /// on another host (hub-proxy `--api-ssl-key/--api-ssl-cert`).
    pub api_url: String,
    /// The CA bundle (PEM) trusted for an `https://` `api_url`, for a site's private CA;
    /// `None` trusts the system's roots.
    pub api_ca_file: Option<PathBuf>,
    /// The file holding the token for the proxy's API (`auth_token`, kept in a file).
    pub auth_token_file: PathBuf,
    /// How often the hub checks that the proxy answers (`check_running_interval`); a proxy
    /// the hub started is restarted if it died, and a proxy back from an outage gets its
    /// routes again.
    pub check_interval: HumanDuration,
}

impl Default for ProxySection {
    fn default() -> Self {
        ProxySection {
            should_start: true,
            command: vec!["hub-proxy".to_string()],
            api_url: "http://127.0.0.1:8001/".to_string(),
            api_ca_file: None,
            auth_token_file: PathBuf::from("proxy_auth_token"),
            check_interval: HumanDuration::from_secs(5),
        }
    }
}

/// Which authenticator logs users in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthenticatorKind {
    /// The system's PAM stack.
    #[default]
    Pam,
    /// Any allowed user name with one shared password (demos only).
    SharedPassword,
    /// Users and argon2 password hashes from a file.
    StaticUsers,
}

/// `[auth]`: who may log in, who is admin, and how hard guessing is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSection {
    /// The authenticator: `pam`, `shared-password` or `static-users`.
    pub authenticator: AuthenticatorKind,
    /// Users with admin rights (`admin_users`).
    pub admin_users: Vec<UserName>,
    /// Users allowed to log in (`allowed_users`); empty means anyone who authenticates.
    pub allowed_users: Vec<UserName>,
    /// Unix groups allowed to log in (`allowed_groups`): when not empty, a user must also be
    /// a member of one of them (primary or supplementary, as the system's group database
    /// says).
    pub allowed_groups: Vec<String>,
    /// The PAM service name (`service`).
    pub pam_service: String,
    /// The file holding the shared password (`shared-password` only).
    pub shared_password_file: Option<PathBuf>,
    /// The users file, `name:argon2-hash` per line (`static-users` only).
    pub users_file: Option<PathBuf>,
    /// Failed logins allowed per user and per address within `failed_login_window`.
    pub max_failed_logins: u32,
    /// The window failed logins are counted in.
    pub failed_login_window: HumanDuration,
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            authenticator: AuthenticatorKind::Pam,
            admin_users: Vec::new(),
            allowed_users: Vec::new(),
            allowed_groups: Vec::new(),
            pam_service: "login".to_string(),
            shared_password_file: None,
            users_file: None,
            max_failed_logins: 5,
            failed_login_window: HumanDuration::from_secs(5 * 60),
        }
    }
}

/// Which batch system runs the notebook servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchedulerKind {
    /// PBS Pro (`qsub`, `qstat`, `qdel`).
    #[default]
    Pbs,
    /// Slurm (`sbatch`, `squeue`, `scancel`).
    Slurm,
    /// The in-process simulated PBS cluster (demos and tests).
    Sim,
}

impl SchedulerKind {
    /// The words the pages use for this scheduler's queues and time limits.
    pub fn terms(self) -> SchedulerTerms {
        match self {
            SchedulerKind::Pbs | SchedulerKind::Sim => SchedulerTerms::PBS,
            SchedulerKind::Slurm => SchedulerTerms::SLURM,
        }
    }
}

/// `[spawner]`: how servers are submitted and watched. The form is `[spawner.form]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpawnerSection {
    /// The scheduler: `pbs`, `slurm` or `sim`.
    pub scheduler: SchedulerKind,
    /// How often one batched status query asks about every job (`poll_interval`).
    pub poll_interval: HumanDuration,
    /// How long one scheduler command (`qsub`, `qstat`, `qdel`; `sbatch`, `squeue`, `scancel`)
    /// may take.
    pub command_timeout: HumanDuration,
    /// How long a running job may take to report its server's address and answer
    /// (JupyterHub's `http_timeout`): "running but not answering".
    pub http_timeout: HumanDuration,
    /// How long a job may wait in the queue; `None` (the default) waits as long as the
    /// scheduler keeps it.
    pub queue_timeout: Option<HumanDuration>,
    /// The job's name (`qsub -N`, `sbatch --job-name`).
    pub job_name: JobName,
    /// A job script template to use instead of the built-in one.
    pub batch_script_file: Option<PathBuf>,
    /// The argv put before every scheduler command (`exec_prefix`), never through a shell;
    /// `{username}` is replaced by the server's owner.
    pub exec_prefix: Vec<String>,
    /// The notebook server's argv inside the job (`cmd`).
    pub cmd: Vec<String>,
    /// The environment variables of the hub passed on to the job (`env_keep`).
    pub env_keep: Vec<String>,
    /// The directory jobs start in (`notebook_dir`'s parent: `cd` before the server
    /// starts); `None` (the default): the user's home from the passwd database.
    pub working_dir: Option<PathBuf>,
    /// The spawn form; read from `[spawner.form]` by the checker, not by serde.
    #[serde(skip)]
    pub form: FormConfig,
}

impl Default for SpawnerSection {
    fn default() -> Self {
        SpawnerSection {
            scheduler: SchedulerKind::Pbs,
            poll_interval: HumanDuration::from_secs(30),
            command_timeout: HumanDuration::from_secs(60),
            http_timeout: HumanDuration::from_secs(5 * 60),
            queue_timeout: None,
            job_name: JobName::new("jupyterhub-singleuser")
                .unwrap_or_else(|_| unreachable!("a valid literal job name")),
            batch_script_file: None,
            exec_prefix: ["sudo", "-n", "-u", "{username}", "--"]
                .map(String::from)
                .to_vec(),
            cmd: vec!["jupyterhub-singleuser".to_string()],
            env_keep: [
                "PATH",
                "PYTHONPATH",
                "CONDA_ROOT",
                "CONDA_DEFAULT_ENV",
                "VIRTUAL_ENV",
            ]
            .into_iter()
            .chain(["LANG", "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP"])
            .map(String::from)
            .collect(),
            working_dir: None,
            form: FormConfig::default(),
        }
    }
}

/// `[[services]]`: a program that uses the hub's API, declared as JupyterHub declares one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// The service's unique name.
    pub name: String,
    /// Where the service listens, if the proxy should route `/services/<name>/` to it.
    pub url: Option<String>,
    /// The file holding the service's API token.
    pub api_token_file: Option<PathBuf>,
    /// Scopes granted to the token, e.g. `list:users`, `admin:servers`.
    pub scopes: Vec<String>,
    /// Built-in roles granted to the token: `admin`, `user`, `server`, `token`.
    pub roles: Vec<String>,
}

/// `[slurm]`: how the form's PBS-style resources are asked of Slurm when
/// `spawner.scheduler = "slurm"`. A chunk is a node; `ncpus`, `mem`, `ngpus` and `mpiprocs`
/// map by themselves, a site's own chunk resources only as listed here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlurmSection {
    /// Form fields (chunk resources) whose value is a node feature, asked with
    /// `--constraint` (e.g. `interconnect`).
    pub features: Vec<String>,
    /// The form field (chunk resource) whose value is the GPU type in
    /// `--gres=gpu:TYPE:N` (e.g. `gpu_model`).
    pub gpu_type: Option<String>,
    /// Ask accounting (`sacct`) about a job the controller has forgotten; `false` where the
    /// site keeps no accounting.
    pub sacct: bool,
}

impl SlurmSection {
    /// These names as the Slurm driver's mapping: what it asks of Slurm, and what the config
    /// checker proves the form against.
    pub fn mapping(&self) -> ResourceMapping {
        ResourceMapping {
            features: self.features.clone(),
            gpu_type: self.gpu_type.clone(),
        }
    }
}

impl Default for SlurmSection {
    fn default() -> Self {
        SlurmSection {
            features: Vec::new(),
            gpu_type: None,
            sacct: true,
        }
    }
}

/// `[sim]`: the simulated PBS Pro cluster the hub runs in its own process when
/// `spawner.scheduler = "sim"` (demos, load tests). Its jobs run as real local processes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSection {
    /// Where the cluster's journal and job spool live; a cluster found there is resumed, so
    /// jobs survive a restart of the hub as they survive a restart of a PBS server.
    pub state_dir: PathBuf,
    /// How many nodes the built-in Palmetto-like cluster has.
    pub node_count: u32,
    /// Other users' jobs keeping the cluster busy, as offered load (0.85 = 85% of the cores
    /// demanded); 0 for an empty cluster.
    pub background_load: f64,
    /// The seed of the background workload.
    pub seed: u64,
    /// Simulated seconds per real second (walltimes and background jobs run this much faster).
    pub speedup: f64,
}

impl Default for SimSection {
    fn default() -> Self {
        SimSection {
            state_dir: PathBuf::from("pbs-sim"),
            node_count: 2000,
            background_load: 0.0,
            seed: 1,
            speedup: 1.0,
        }
    }
}
