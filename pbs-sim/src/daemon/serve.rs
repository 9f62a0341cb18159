//! The daemon's shell: the socket, the tick that keeps simulated time moving, job
//! processes, and a clean shutdown.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::faults::{FaultRates, Faults};
use super::handle::{self, CallCounts, Daemon, Peer};
use super::journal::Header;
use super::protocol::{read_request, write_reply, Reply};
use super::server::{Server, ServerError};
use crate::runner::{Runner, RunnerConfig};

/// How to run the daemon.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The socket the shims connect to.
    pub socket: PathBuf,
    /// Where the journal and the job spool live.
    pub state_dir: PathBuf,
    /// Start a new cluster even if the state directory holds one.
    pub fresh: bool,
    /// The cluster to create when there is none to resume.
    pub header: Header,
    /// Seconds between SIGTERM and SIGKILL when a running job is killed (`kill_delay`).
    pub kill_delay: Duration,
    /// What `pbs_version` says.
    pub pbs_version: String,
    /// Faults that strike by themselves.
    pub fault_rates: FaultRates,
    /// Where jobs' `TMPDIR`s are made; made (world-writable and sticky, as `/var/tmp`) if
    /// missing.
    pub tmpdir_root: PathBuf,
}

impl ServeOptions {
    /// The usual place for jobs' `TMPDIR`s: `tmp` in the state directory. Not `/var/tmp` as
    /// on a real MoM: clusters sharing this machine number their jobs alike (`1.pbs02`),
    /// and one's job would take, or delete, another's `pbs.1.pbs02`.
    pub fn default_tmpdir_root(state_dir: &Path) -> PathBuf {
        state_dir.join("tmp")
    }
}

/// Why the daemon could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another daemon is listening on the socket.
    #[error("another pbs-sim daemon is already serving on {0}")]
    SocketTaken(PathBuf),
    /// The socket could not be created.
    #[error("cannot listen on {path}: {source}")]
    Bind {
        /// The socket.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The state directory could not be made.
    #[error("state directory {path}: {source}")]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The cluster could not be created or resumed.
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// How often the daemon looks at job processes and moves simulated time on, at most.
const TICK: Duration = Duration::from_millis(100);

/// Runs the daemon until `shutdown` completes; then stops accepting, finishes the requests
/// in flight and removes the socket. Running jobs' processes are left running (as a PBS
/// server restart leaves them); the next daemon adopts them.
pub async fn serve(
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let (daemon, listener) = start(&options)?;
    eprintln!(
        "pbs-sim: serving {} ({} nodes) on {}",
        options.header.server_name,
        daemon
            .lock()
            .expect("daemon lock")
            .server
            .engine()
            .cluster()
            .nodes
            .len(),
        options.socket.display()
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let ticker = tokio::spawn(tick_loop(daemon.clone(), stop_rx.clone()));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(daemon.clone(), stream));
                }
                Err(e) => eprintln!("pbs-sim: accept: {e}"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = std::fs::remove_file(&options.socket);
    while connections.join_next().await.is_some() {}
    let _ = stop_tx.send(true);
    let _ = ticker.await;
    eprintln!("pbs-sim: stopped");
    Ok(())
}

/// Builds or resumes the cluster, adopts job processes, and binds the socket.
fn start(options: &ServeOptions) -> Result<(Arc<Mutex<Daemon>>, UnixListener), ServeError> {
    let state_err = |source| ServeError::StateDir {
        path: options.state_dir.clone(),
        source,
    };
    std::fs::create_dir_all(&options.state_dir).map_err(state_err)?;
    // Not listable by others (the journal in it, holding job scripts, is 0600); passable,
    // so that jobs running as their owners reach their spool entries.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&options.state_dir, std::fs::Permissions::from_mode(0o711))
            .map_err(state_err)?;
    }
    let journal = options.state_dir.join("journal.jsonl");
    let server = if journal.exists() && !options.fresh {
        let server = Server::resume(&journal)?;
        eprintln!(
            "pbs-sim: resumed the cluster journaled in {} ({} jobs known)",
            journal.display(),
            server.engine().jobs().count()
        );
        server
    } else {
        Server::create(options.header.clone(), &journal)?
    };
    let spool = options.state_dir.join("spool");
    std::fs::create_dir_all(&spool).map_err(state_err)?;
    make_tmpdir_root(&options.tmpdir_root).map_err(|source| ServeError::StateDir {
        path: options.tmpdir_root.clone(),
        source,
    })?;
    let runner = Runner::new(RunnerConfig {
        spool,
        wrapper_exe: std::env::current_exe().map_err(state_err)?,
        kill_delay: options.kill_delay,
    });
    let seed = server.header().seed;
    let mut daemon = Daemon {
        server,
        runner,
        faults: Faults::new(options.fault_rates, seed),
        pbs_version: options.pbs_version.clone(),
        tmpdir_root: options.tmpdir_root.clone(),
        calls: CallCounts::default(),
    };
    daemon.adopt();
    let listener = bind(&options.socket)?;
    Ok((Arc::new(Mutex::new(daemon)), listener))
}

/// Binds the socket, replacing a stale one but never a live one.
fn bind(path: &Path) -> Result<UnixListener, ServeError> {
    if path.exists() {
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => return Err(ServeError::SocketTaken(path.to_path_buf())),
            Err(_) => {
                // Nobody answers: a daemon died without cleaning up.
                let _ = std::fs::remove_file(path);
            }
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
    let listener = UnixListener::bind(path).map_err(|source| ServeError::Bind {
        path: path.to_path_buf(),
        source,
    })?;
    // Run by root for many users, everyone may connect: who they are comes from the
    // socket's peer credentials, and each request is checked against that user.
    if nix::unistd::Uid::effective().is_root() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666));
    }
    Ok(listener)
}

/// Moves the cluster along: background arrivals, job ends, walltime kills, processes that
/// exited. Wakes at least every [`TICK`].
async fn tick_loop(daemon: Arc<Mutex<Daemon>>, mut stop: watch::Receiver<bool>) {
    loop {
        let wait = {
            let mut d = daemon.lock().expect("daemon lock");
            d.tick();
            d.until_next_wakeup().min(TICK)
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Serves one connection: one request, one reply.
async fn connection(daemon: Arc<Mutex<Daemon>>, stream: UnixStream) {
    let peer = match stream.peer_cred() {
        Ok(cred) => Peer::from_uid(cred.uid()),
        Err(e) => {
            eprintln!("pbs-sim: peer credentials: {e}");
            return;
        }
    };
    let (read, write) = stream.into_split();
    let request = match read_request(read).await {
        Ok(r) => r,
        Err(e) => {
            let _ = write_reply(
                write,
                &Reply::err(1, format!("pbs-sim: bad request: {e}\n")),
            )
            .await;
            return;
        }
    };
    let (reply, delay) = {
        let mut d = daemon.lock().expect("daemon lock");
        handle::handle(&mut d, &peer, request)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Err(e) = write_reply(write, &reply).await {
        // The client went away (a timeout of its own, say): nothing to do.
        let _ = e;
    }
}

/// Makes `dir`, where jobs running as any user make their `TMPDIR`, unless it exists:
/// world-writable and sticky (`1777`), as `/var/tmp`. An existing one is left as it is.
fn make_tmpdir_root(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777))
}
