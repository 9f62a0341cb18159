//! `hub-singleuser`: the program a batch job runs to start a user's notebook server.
//!
//! It binds a port, reports it and this node's host name to the hub, then execs the
//! site's `jupyterhub-singleuser` on that port, or serves the built-in test server when
//! none is installed. See `hub::singleuser` for each step.

use std::ffi::OsString;
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context};
use clap::Parser;
use hub::config::HumanDuration;
use hub::singleuser::builtin::{self, Activity};
use hub::singleuser::exec::{find_program, server_command, DEFAULT_PROGRAM};
use hub::singleuser::report::{report_port, PortReport, ReportSettings};
use hub::singleuser::{port, HubEnv, PortRange};

/// Start a notebook server in a batch job: bind a port, report it to the hub
/// (POST {JUPYTERHUB_API_URL}/batchspawner), then run jupyterhub-singleuser on it.
///
/// Reads the hub's environment: JUPYTERHUB_API_URL, JUPYTERHUB_API_TOKEN, JUPYTERHUB_USER,
/// JUPYTERHUB_SERVICE_PREFIX (required), JUPYTERHUB_SERVICE_URL, JUPYTERHUB_SERVER_NAME,
/// JUPYTERHUB_ACTIVITY_URL (optional).
#[derive(Debug, Parser)]
#[command(name = "hub-singleuser", version)]
struct Args {
    /// Bind the first free port in LO-HI instead of any free port.
    #[arg(long, value_name = "LO-HI", env = "BATCHHUB_PORT_RANGE")]
    port_range: Option<PortRange>,
    /// The address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    ip: IpAddr,
    /// How long to keep retrying the port report while the hub is not ready for it:
    /// seconds, or a duration like "90s", "5m".
    #[arg(long, default_value = "120s", value_parser = parse_timeout)]
    report_timeout: Duration,
    /// Serve the built-in test server (not Jupyter) even if jupyterhub-singleuser is
    /// installed.
    #[arg(long, conflicts_with = "command")]
    builtin: bool,
    /// The server to run, with its arguments (default: jupyterhub-singleuser from PATH).
    /// `--port=P --ip=IP` are added to it.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// Reads `120` as seconds, otherwise a duration like `2m`.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => HumanDuration::parse(text).map(HumanDuration::get),
    }
}

/// What runs once the port is reported.
enum Server {
    /// Exec this program with these arguments.
    Exec(PathBuf, Vec<OsString>),
    /// The built-in test server.
    Builtin,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hub-singleuser: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let env = HubEnv::from_lookup(|name| std::env::var(name).ok())?;
    let server = choose_server(&args)?;
    let host = nix::unistd::gethostname()
        .context("cannot read this node's host name")?
        .into_string()
        .map_err(|name| anyhow!("this node's host name {name:?} is not UTF-8"))?;
    let listener = port::bind(args.ip, args.port_range)?;
    let port = listener.local_addr()?.port();
    tracing::info!(port, %host, "bound; reporting to the hub");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let settings = ReportSettings {
        timeout: args.report_timeout,
        ..ReportSettings::default()
    };
    let report = PortReport { port, host };
    runtime.block_on(report_port(
        &env.report_url(),
        &env.api_token,
        &report,
        &settings,
    ))?;
    tracing::info!(port, "the hub has the port");

    match server {
        Server::Exec(program, program_args) => {
            let mut command = server_command(
                &program,
                &program_args,
                args.ip,
                port,
                env.service_url.as_deref(),
            )
            .map_err(|e| anyhow!(e))?;
            drop(runtime);
            // Released only now, so the port stays ours until the last moment; see
            // `hub::singleuser::exec` for the short race that remains.
            drop(listener);
            tracing::info!(program = %program.display(), "starting the notebook server");
            let error = command.exec();
            Err(error).with_context(|| format!("cannot run {}", program.display()))
        }
        Server::Builtin => {
            tracing::warn!("serving the {}", builtin::LABEL);
            runtime.block_on(serve_builtin(listener, env))
        }
    }
}

fn choose_server(args: &Args) -> anyhow::Result<Server> {
    if args.builtin {
        return Ok(Server::Builtin);
    }
    let path = std::env::var_os("PATH");
    if let Some((program, rest)) = args.command.split_first() {
        let found = find_program(program, path.as_deref()).ok_or_else(|| {
            anyhow!(
                "command {:?} not found (or not executable) on PATH",
                program
            )
        })?;
        return Ok(Server::Exec(found, rest.to_vec()));
    }
    match find_program(DEFAULT_PROGRAM.as_ref(), path.as_deref()) {
        Some(found) => Ok(Server::Exec(found, Vec::new())),
        None => {
            tracing::warn!("{DEFAULT_PROGRAM} is not on PATH");
            Ok(Server::Builtin)
        }
    }
}

async fn serve_builtin(listener: std::net::TcpListener, env: HubEnv) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot watch for SIGTERM")?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
        }
    };
    let activity = Activity {
        url: env.activity_url.clone(),
        token: env.api_token.clone(),
        server_name: env.server_name.clone(),
        every: Duration::from_secs(60),
    };
    let posting = tokio::spawn(builtin::keep_activity(activity, chrono::Utc::now));
    let served = builtin::serve(listener, env.service_prefix, shutdown).await;
    posting.abort();
    served.context("the built-in server failed")
}
