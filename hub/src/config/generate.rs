//! `hub generate-config`: the default config, every setting written out with what it does.
//!
//! The text is kept by hand beside the defaults in `sections` and `form::spec`; a test
//! proves it reads back to `HubConfig::default()`, so the two cannot drift apart.

/// The commented default config file. Reading it back gives `HubConfig::default()`.
pub fn generate_config() -> String {
    DEFAULT_CONFIG.to_string()
}

const DEFAULT_CONFIG: &str = r#"# batchhub configuration. Every setting below is shown with its default value;
# delete what you do not change. Durations are written like "30s", "10m", "1h30m".
# Check this file with `hub check-config`.

[hub]
# The public URL users open, served by the proxy. Its path, if any, must equal base_url.
bind_url = "http://0.0.0.0:8000/"
# The prefix every hub and user URL lives under, e.g. "/jupyterhub/".
base_url = "/"
# Where the hub's own HTTP server listens (the proxy forwards /hub/ here).
hub_bind_url = "http://127.0.0.1:8081/"
# How notebook servers on compute nodes reach the hub. Default: hub_bind_url.
# hub_connect_url = "http://login1.cluster:8081/"
# The database: "sqlite:///path" or "postgresql://user@host/db".
db_url = "sqlite:///batchhub.sqlite"
# Apply pending schema migrations when the hub starts (a SQLite file is backed up beside
# itself first; take a pg_dump of PostgreSQL yourself). When false, a hub newer than its
# database refuses to start and says to back it up and run `hub db upgrade -f FILE`.
# A new, empty database is always set up.
upgrade_db = false
# The file holding the key that signs login cookies.
cookie_secret_file = "batchhub_cookie_secret"
# TLS for the hub itself: both or neither. Default: plain HTTP. (Not built yet: `hub serve`
# refuses them; terminate TLS at hub-proxy with --ssl-cert/--ssl-key.)
# ssl_cert = "/etc/batchhub/hub.crt"
# ssl_key = "/etc/batchhub/hub.key"
# How many servers may be starting at once (submitted, not yet answering).
concurrent_spawn_limit = 100
# Whether users may run named servers beside their default one.
allow_named_servers = false
# How many named servers one user may have.
named_server_limit_per_user = 4

[proxy]
# Start hub-proxy as a child process; false uses one already running at api_url.
should_start = true
# The proxy's command line when the hub starts it.
command = ["hub-proxy"]
# The proxy's REST API. Keep it on loopback when the proxy runs on the hub's host. For a
# proxy on another host, serve the API over TLS (hub-proxy --api-ssl-key/--api-ssl-cert)
# and write https://: over http:// the API token crosses the network in clear (a warning).
api_url = "http://127.0.0.1:8001/"
# The CA bundle (PEM) trusted for an https:// api_url, for a site's private CA; only its
# CAs are trusted then. Default: the system's trusted CAs.
# api_ca_file = "/etc/batchhub/proxy-api-ca.pem"
# The file holding the token for the proxy's REST API.
auth_token_file = "proxy_auth_token"
# How often the hub checks the proxy answers: a proxy it started is restarted if it died,
# and a proxy back from an outage is given its routes again.
check_interval = "5s"

[auth]
# Who logs users in: "pam", "shared-password" (demos) or "static-users".
authenticator = "pam"
# Users with admin rights.
admin_users = []
# Users allowed to log in; empty means anyone the authenticator accepts.
allowed_users = []
# Unix groups allowed to log in; empty means no group check. When set, a user must be in one.
allowed_groups = []
# The PAM service (pam only).
pam_service = "login"
# The file holding the shared password (shared-password only).
# shared_password_file = "/etc/batchhub/shared_password"
# The users file, "name:argon2-hash" per line (static-users only).
# users_file = "/etc/batchhub/users"
# Failed logins allowed per user and per address within failed_login_window.
max_failed_logins = 5
# The window failed logins are counted in.
failed_login_window = "5m"

[spawner]
# The batch system: "pbs", "slurm" (see [slurm]) or "sim" (the simulated cluster, for demos).
scheduler = "pbs"
# How often one batched status query asks about every job.
poll_interval = "30s"
# How long one scheduler command (qsub, qstat, qdel; sbatch, squeue, scancel) may take.
command_timeout = "1m"
# How long a running job may take to report its address and answer.
http_timeout = "5m"
# How long a job may wait in the queue. Default: as long as the scheduler keeps it.
# queue_timeout = "12h"
# The job's name (qsub -N, sbatch --job-name).
job_name = "jupyterhub-singleuser"
# A job script template to use instead of the built-in one.
# batch_script_file = "/etc/batchhub/job.sh"
# Put before the submit and cancel commands, never through a shell; {username} is the
# owner. sudo -n fails at once rather than wait for a password; `hub sudoers` prints the rule.
exec_prefix = ["sudo", "-n", "-u", "{username}", "--"]
# The notebook server's command line inside the job.
cmd = ["jupyterhub-singleuser"]
# The hub's environment variables passed on to the job.
env_keep = ["PATH", "PYTHONPATH", "CONDA_ROOT", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV", "LANG", "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP"]
# The directory jobs start in. Default: the user's home directory (from passwd).
# working_dir = "/scratch"

# The spawn form. Each [spawner.form.fields.NAME] is one field, shown in the order
# written; when any is written, they replace these defaults. Kinds:
#   integer  min, max, default          (chunks, ncpus, ngpus)
#   size     min, max, default: "4gb"   (mem)
#   choice   choices = [{ key, label, value, users }], default: a key
#            (queue, gpu_model, interconnect; value "" asks for nothing, users limits
#            who may pick it)
#   duration min, max, default: "HH:MM:SS" (walltime only)
# "chunks" is the number of chunks, "queue" the queue, "walltime" the walltime; any other
# name is a resource of each chunk: select=CHUNKS:NAME=VALUE:...
# default, label and help are optional (default: min, or the first choice).
[spawner.form.fields.ncpus]
kind = "integer"
label = "CPU cores"
min = 1
max = 32
default = 1

[spawner.form.fields.mem]
kind = "size"
label = "Memory"
min = "1gb"
max = "128gb"
default = "4gb"

[spawner.form.fields.walltime]
kind = "duration"
label = "Walltime"
min = "00:10:00"
max = "12:00:00"
default = "01:00:00"

# More fields, for example:
# [spawner.form.fields.gpu_model]
# kind = "choice"
# label = "GPU model"
# choices = [
#   { key = "any", label = "Any GPU", value = "" },
#   { key = "a100", label = "NVIDIA A100", value = "a100" },
# ]

# Profiles fill several fields at once; a value the user types overrides the profile's.
# [spawner.form.profiles.small]
# label = "Small: 1 core, 4 GB, 1 hour"
# values = { ncpus = 1, mem = "4gb", walltime = "01:00:00" }

# How the form's resources are asked of Slurm when spawner.scheduler = "slurm". A chunk
# is a node: chunks -> --nodes, ncpus -> --cpus-per-task, mem -> --mem (per node),
# ngpus -> --gres=gpu:N, walltime -> --time, queue -> --partition. Any other chunk
# resource of the form must be listed here, or `hub check-config` refuses it.
[slurm]
# Form fields whose value is a node feature, asked with --constraint (e.g. ["interconnect"]).
features = []
# The form field whose value is the GPU type: --gres=gpu:TYPE:N.
# gpu_type = "gpu_model"
# Ask accounting (sacct) about jobs the controller no longer remembers; false without it.
sacct = true

# The simulated PBS Pro cluster run inside the hub when spawner.scheduler = "sim".
[sim]
# Its journal and job spool; a cluster found there is resumed.
state_dir = "pbs-sim"
# Nodes of the built-in Palmetto-like cluster.
node_count = 2000
# Other users' jobs keeping it busy (0.85 = 85% of the cores demanded); 0: empty.
background_load = 0.0
# Seed of the background workload.
seed = 1
# Simulated seconds per real second.
speedup = 1.0

# Services that use the hub's API, one [[services]] each.
# [[services]]
# name = "idle-culler"
# api_token_file = "/etc/batchhub/culler_token"
# scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
# roles = []
"#;
