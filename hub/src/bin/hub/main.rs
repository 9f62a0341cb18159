//! `hub`: the hub's command line: run it (`serve`), run the one-machine demo (`demo`), and
//! the helpers an admin runs around it: write the default config, check a config, check a
//! deployment (`doctor`), look after the database (`db status`, `db upgrade`, `db copy`),
//! hash a password for the users file.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

mod db;

/// batchhub's hub: a JupyterHub-compatible gateway that runs notebook servers as batch jobs.
#[derive(Debug, Parser)]
#[command(name = "hub", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the hub as the config file describes (`hub generate-config` writes one).
    ///
    /// Starts hub-proxy as a child unless `[proxy] should_start = false` or a proxy already
    /// answers at `proxy.api_url` with the token; re-adopts every job the database knows.
    /// SIGTERM or Ctrl-C stop it; jobs keep running and are re-adopted at the next start.
    Serve {
        #[command(flatten)]
        config: ConfigFile,
        /// Log level: error, warn, info, debug or trace.
        #[arg(long, default_value = "info")]
        log_level: tracing::Level,
    },
    /// Run the whole thing on this machine, nothing to configure: hub-proxy, the hub, and a
    /// simulated 2000-node PBS Pro cluster (with other users' jobs keeping it busy) whose
    /// jobs run notebook servers as local processes; SQLite in the data directory. Prints
    /// the URL to open and the login to use.
    Demo {
        /// The public port to open in the browser; the proxy's API uses the next one.
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Keep the database, secrets and the cluster's jobs here, so that a later
        /// `hub demo --data-dir DIR` resumes them [default: a new temporary directory,
        /// removed at exit].
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Nodes of the simulated cluster.
        #[arg(long, default_value_t = 2000)]
        nodes: u32,
        /// Other users' jobs keeping the cluster busy, as offered load (0.85 = 85% of the
        /// cores demanded); 0 for an idle cluster.
        #[arg(long, default_value_t = 0.85)]
        background_load: f64,
        /// Simulated seconds per real second (walltimes and other users' jobs run faster).
        #[arg(long, default_value_t = 1.0)]
        speedup: f64,
        /// The notebook server each job runs: `builtin` (hub-singleuser's test server,
        /// nothing to install) or `jupyter` (the real jupyterhub-singleuser from PATH).
        #[arg(long, value_enum, default_value_t = NotebookArg::Builtin)]
        notebook: NotebookArg,
        /// Log level: error, warn, info, debug or trace.
        #[arg(long, default_value = "warn")]
        log_level: tracing::Level,
    },
    /// Write the default config, every setting shown with its default and what it does.
    ///
    /// The file holds no secret (the cookie key and tokens live in their own files), so it
    /// is written with the usual permissions.
    GenerateConfig {
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite FILE if it exists.
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Check a config file: print every error, one per line as `file:line:col: setting:
    /// message`, and exit 1 if there is any; otherwise print each warning (`FILE: warning:
    /// …`) and `FILE: ok`.
    CheckConfig {
        /// The config file.
        file: PathBuf,
    },
    /// Check a deployment from its config file, changing nothing: the config, secret file
    /// permissions, the database and its migrations, the scheduler's commands, the proxy's
    /// API and token, the PAM service, TLS files. One line per check (OK, WARN or FAIL with
    /// the fix); exit 1 if any FAIL.
    Doctor {
        #[command(flatten)]
        config: ConfigFile,
        /// Run the scheduler's commands through `spawner.exec_prefix` as this user (as jobs
        /// are submitted); without it they run as the doctor's own user.
        #[arg(long, value_name = "NAME")]
        test_user: Option<String>,
        /// Print the findings as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Look after the hub's database: its schema version, upgrades, moving it elsewhere.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// (internal) Run one job of the in-process simulated cluster, as MoM would: the
    /// cluster starts this binary as `hub job-wrapper SPOOL JOB_ID`, detached, so that the
    /// job outlives a restart of the hub.
    #[command(name = "job-wrapper", hide = true)]
    JobWrapper { spool: PathBuf, job_id: String },
    /// Read a password (one line) from standard input and print its argon2 hash, the value
    /// for a user in the `static-users` users file (`alice = "$argon2id$…"`).
    HashPassword,
    /// Print the sudoers lines that let the hub's service user submit and cancel jobs as
    /// the users it serves: the configured scheduler's submit and cancel commands with the
    /// driver's fixed arguments, looked up on PATH, any user but root, the environment
    /// reset but for the scheduler's config variables. Check them with `visudo -cf`.
    Sudoers {
        #[command(flatten)]
        config: ConfigFile,
        /// The account `hub serve` runs as [default: the current user].
        #[arg(long)]
        service_user: Option<String>,
    },
}

/// The `-f FILE` of every command that reads the config.
#[derive(Debug, clap::Args)]
struct ConfigFile {
    /// The config file.
    #[arg(
        short = 'f',
        long = "config",
        value_name = "FILE",
        default_value = "batchhub.toml"
    )]
    file: PathBuf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum NotebookArg {
    Builtin,
    Jupyter,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config, log_level } => serve(&config.file, log_level),
        Command::Demo {
            port,
            data_dir,
            nodes,
            background_load,
            speedup,
            notebook,
            log_level,
        } => demo(
            hub::demo::DemoOptions {
                port,
                nodes,
                background_load,
                speedup,
                notebook: match notebook {
                    NotebookArg::Builtin => hub::demo::Notebook::Builtin,
                    NotebookArg::Jupyter => hub::demo::Notebook::Jupyter,
                },
            },
            data_dir,
            log_level,
        ),
        Command::GenerateConfig { output, force } => generate_config(output.as_deref(), force),
        Command::CheckConfig { file } => check_config(&file),
        Command::Doctor {
            config,
            test_user,
            json,
        } => doctor(&config.file, test_user, json),
        Command::Db { command } => db::run(command),
        Command::HashPassword => hash_password(),
        Command::Sudoers {
            config,
            service_user,
        } => sudoers(&config.file, service_user),
        Command::JobWrapper { spool, job_id } => {
            std::process::exit(pbs_sim::runner::wrapper_main(&spool, &job_id))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hub: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(level: tracing::Level) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(level)
        .init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// SIGTERM and SIGINT, caught from the moment they are installed (before the hub says it
/// is up, so a signal right after the banner stops it cleanly).
struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> anyhow::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    /// Waits for either.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = self.int.recv() => tracing::info!("SIGINT: stopping"),
        }
    }
}

/// The config at `path`, or every error in it printed on stderr and `what` refused.
fn load_config(path: &Path, what: &str) -> anyhow::Result<hub::config::HubConfig> {
    match hub::config::load(path) {
        Ok(config) => Ok(config),
        Err(hub::config::LoadError::Invalid(errors)) => {
            for error in &errors {
                eprintln!("{error}");
            }
            bail!("{} has {} error(s); {what}", path.display(), errors.len());
        }
        Err(e) => Err(e.into()),
    }
}

fn serve(path: &Path, log_level: tracing::Level) -> anyhow::Result<ExitCode> {
    let config = load_config(path, "nothing started")?;
    init_logs(log_level);
    runtime()?.block_on(async {
        let signals = StopSignals::install()?;
        let hub = hub::serve::Hub::start(&config, hub::serve::ServeExtras::default())
            .await
            .map_err(|e| with_upgrade_advice(e, path))?;
        signals.wait().await;
        // A restart (systemd's SIGTERM, then a new hub) must not cut users off their
        // servers: the proxy keeps their routes and connections and the next hub adopts it.
        hub.stop(hub::serve::ProxyAtStop::Leave).await;
        Ok(ExitCode::SUCCESS)
    })
}

/// A refusal to start on an outdated database, told with the exact command to run.
fn with_upgrade_advice(error: anyhow::Error, config: &Path) -> anyhow::Error {
    let outdated = error.chain().find_map(|cause| match cause.downcast_ref() {
        Some(hub::db::DbError::SchemaOutdated {
            url,
            version,
            latest,
        }) => Some((url.clone(), *version, *latest)),
        _ => None,
    });
    match outdated {
        Some((url, version, latest)) => anyhow::anyhow!(
            "the database at {url} is at schema version {version}, this hub needs {latest}: \
             back it up and run `hub db upgrade -f {}` (or set `upgrade_db = true` in [hub] \
             to upgrade at every start)",
            config.display()
        ),
        None => error,
    }
}

fn demo(
    options: hub::demo::DemoOptions,
    data_dir: Option<PathBuf>,
    log_level: tracing::Level,
) -> anyhow::Result<ExitCode> {
    init_logs(log_level);
    let (temporary, data_dir) = match data_dir {
        Some(dir) => (None, dir),
        None => {
            let (guard, path) = hub::demo::temporary_data_dir()?;
            (Some(guard), path)
        }
    };
    let (config, login) = hub::demo::demo_config(&options, &data_dir)?;
    runtime()?.block_on(async {
        eprintln!(
            "batchhub demo: starting a simulated {}-node PBS Pro cluster …",
            options.nodes
        );
        let extras = hub::serve::ServeExtras {
            login_hint: Some(format!(
                "Demo: log in as {} (an admin) or any other name, with the password {}",
                login.user, login.password
            )),
        };
        let signals = StopSignals::install()?;
        let hub = hub::serve::Hub::start(&config, extras).await?;
        println!();
        println!("  batchhub demo is running");
        println!();
        println!("  open      {}", hub.public_url());
        println!("  user      {} (admin), or any other name", login.user);
        println!("  password  {}", login.password);
        println!(
            "  cluster   simulated PBS Pro, {} nodes, background load {:.0}%",
            options.nodes,
            options.background_load * 100.0
        );
        println!("  data      {}", data_dir.display());
        println!();
        if temporary.is_some() {
            println!("  Ctrl-C stops it (and its notebook servers: the data directory goes).");
        } else {
            println!("  Ctrl-C stops it; notebook servers keep running for the next");
            println!("  `hub demo --data-dir {}`.", data_dir.display());
        }
        signals.wait().await;
        if temporary.is_some() {
            eprintln!("batchhub demo: stopping every notebook server …");
            hub.stop_all_servers(std::time::Duration::from_secs(30))
                .await;
        }
        hub.stop(hub::serve::ProxyAtStop::Stop).await;
        Ok(ExitCode::SUCCESS)
    })
}

fn generate_config(output: Option<&Path>, force: bool) -> anyhow::Result<ExitCode> {
    let text = hub::config::generate_config();
    let Some(path) = output else {
        std::io::stdout().write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // create_new: the existence check and the creation are one step, so a file made
        // meanwhile is not clobbered either.
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} exists; use --force to overwrite it", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot write {}", path.display())),
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn sudoers(path: &Path, service_user: Option<String>) -> anyhow::Result<ExitCode> {
    let config = load_config(path, "no sudoers written")?;
    let service_user = match service_user {
        Some(user) => user,
        None => nix::unistd::User::from_uid(nix::unistd::geteuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .context("the current user has no name; give --service-user")?,
    };
    let request = hub::deploy::sudoers::SudoersRequest {
        service_user,
        search_path: std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect(),
        config_file: std::path::absolute(path)?,
    };
    let text = hub::deploy::sudoers::sudoers(&config, &request)?;
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn check_config(path: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    match hub::config::check_config(&text, &path.display().to_string()) {
        Ok(config) => {
            for warning in hub::config::warnings(&config) {
                println!("{}: warning: {warning}", path.display());
            }
            println!("{}: ok", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors {
                println!("{error}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn doctor(path: &Path, test_user: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let options = hub::doctor::DoctorOptions::for_this_machine(test_user);
    let report = runtime()?.block_on(hub::doctor::run(path, &options));
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(if report.worst() == hub::doctor::Status::Fail {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn hash_password() -> anyhow::Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    // The line ending is not part of the password; other spaces are.
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("empty password: write the password as one line on standard input");
    }
    println!("{}", hub::auth::static_users::hash_password(password));
    Ok(ExitCode::SUCCESS)
}
