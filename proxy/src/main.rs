//! `hub-proxy`: parse flags, start logging, serve until SIGTERM or SIGINT; SIGHUP reloads
//! the TLS certificates.

use clap::Parser;
use proxy::cli::Args;
use proxy::tls::Reloader;
use proxy::Proxy;
use tokio_util::sync::CancellationToken;

// jemalloc, with its background threads purging freed pages (`main`): the proxy's memory
// follows its connections down again when a load ends. mimalloc (the other binaries') frees
// pages lazily, on the owning thread's next allocation, so memory freed by one tokio worker
// for a connection another worker accepted stayed resident while the proxy sat idle: 2,000
// closed WebSockets kept 4-5 MB. jemalloc is as fast here (BENCHMARKS.md, hub-proxy).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Purge in the background (one thread), not only when some thread next allocates.
    let purging = tikv_jemalloc_ctl::max_background_threads::write(1)
        .and_then(|()| tikv_jemalloc_ctl::background_thread::write(true));
    tracing_subscriber::fmt()
        .with_max_level(args.log_level.as_tracing())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    if let Err(e) = purging {
        tracing::warn!("jemalloc background purging is off ({e}): memory is returned later");
    }
    let pid_file = args.pid_file.clone();
    let config = args.into_config(std::env::var("CONFIGPROXY_AUTH_TOKEN").ok());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        if config.auth_token.is_none() {
            tracing::warn!("REST API is not authenticated (CONFIGPROXY_AUTH_TOKEN is not set)");
        }
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        // Installed before the proxy says it is up: a SIGTERM that follows the "Proxy API
        // at" line at once must find the handler, not the default action (death, exit≠0).
        let signals = Signals::install()?;
        let default_target = config
            .default_target
            .clone()
            .unwrap_or_else(|| "(no default)".to_string());
        let proxy = Proxy::bind(config).await?;
        if let Some(path) = &pid_file {
            std::fs::write(path, format!("{}\n", std::process::id()))?;
        }
        tracing::info!(
            "Proxying {scheme}://{} to {default_target}",
            proxy.proxy_addr()
        );
        let api_scheme = if proxy.api_is_tls() { "https" } else { "http" };
        tracing::info!(
            "Proxy API at {api_scheme}://{}/api/routes",
            proxy.api_addr()
        );
        if let Some(addr) = proxy.redirect_addr() {
            tracing::info!("Redirecting http://{addr} to https");
        }
        if let Some(addr) = proxy.metrics_addr() {
            tracing::info!("Serve metrics at http://{addr}/metrics");
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(signals.run(proxy.reloader(), shutdown.clone()));
        proxy.serve(shutdown).await;
        if let Some(path) = &pid_file {
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    })
}

/// SIGTERM, SIGINT and SIGHUP, caught from the moment they are installed.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Reloads the certificates on each SIGHUP; cancels `shutdown` on the first SIGTERM or
    /// SIGINT.
    async fn run(mut self, reloader: Reloader, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = self.term.recv() => {
                    tracing::info!("SIGTERM received");
                    break;
                }
                _ = self.int.recv() => {
                    tracing::info!("SIGINT received");
                    break;
                }
                _ = self.hup.recv() => {
                    if reloader.is_empty() {
                        // Not a reason to stop: a reload hook may run whether TLS is on or not.
                        tracing::info!("SIGHUP received; no TLS certificate to reload");
                    } else {
                        tracing::info!("SIGHUP received; reloading the TLS certificates");
                        reloader.reload_now();
                    }
                }
            }
        }
        shutdown.cancel();
    }
}
