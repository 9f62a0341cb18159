//! The daemon's journal: every input that changed the cluster, in order, so a restarted
//! daemon rebuilds exactly the cluster it had.
//!
//! The engine is deterministic: the same inputs at the same simulated times give the same
//! cluster, byte for byte. So instead of snapshotting the engine, the daemon appends each
//! input (a `qsub`, a `qdel`, a process that exited, a node going down, …) to a file of
//! JSON lines *before* acting on it, and replays the file at start. Background jobs are not
//! written down: they come again from the seeded generator the header names.
//!
//! Lines are flushed to the OS as they are written (a killed daemon loses nothing); they are
//! not fsynced, so a power cut may lose the last few inputs.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::clock::Clock;
use super::userjob::UserJob;
use crate::engine::job::JobKey;
use crate::engine::res::SimTime;

/// The journal format this version of pbs-sim writes.
pub const JOURNAL_VERSION: u32 = 1;

/// The first line: what cluster this is. A restart uses it, not the command line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Journal format version.
    pub version: u32,
    /// `PBS_SERVER`: the suffix of job ids.
    pub server_name: String,
    /// `fifo` or `easy`.
    pub policy: String,
    /// EASY backfill depth.
    pub backfill_depth: u32,
    /// Seed of the background workload.
    pub seed: u64,
    /// The node inventory, as TOML.
    pub inventory_toml: String,
    /// The clock's anchor and speed-up.
    pub clock: Clock,
    /// Background load, if any.
    pub background: Option<BackgroundSpec>,
    /// Seconds a finished job spends in `E`.
    pub exit_delay: u64,
}

/// Where background jobs come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BackgroundSpec {
    /// The seeded synthetic generator at this offered load, started `warmup` simulated
    /// seconds before the clock's anchor so the cluster is already busy.
    Synthetic {
        /// Offered load (fraction of the cluster's cores).
        load: f64,
        /// Simulated seconds of history before the anchor.
        warmup: u64,
    },
    /// A Standard Workload Format trace, its first job at `warmup` seconds before the anchor.
    Swf {
        /// The trace file.
        path: PathBuf,
        /// Cores per node when mapping the trace's processors to chunks.
        cores_per_node: u32,
        /// Simulated seconds of history before the anchor.
        warmup: u64,
    },
}

/// One input to the cluster, at simulated time `t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Entry {
    /// A job submitted through `qsub`.
    Submit {
        /// When.
        t: SimTime,
        /// The job as the server keeps it.
        job: Box<UserJob>,
    },
    /// `qdel` of a job.
    Delete {
        /// When.
        t: SimTime,
        /// The job.
        key: JobKey,
    },
    /// `qhold` (or a dependency hold) of a job.
    Hold {
        /// When.
        t: SimTime,
        /// The job.
        key: JobKey,
    },
    /// `qrls` of a job (or its dependency was satisfied).
    Release {
        /// When.
        t: SimTime,
        /// The job.
        key: JobKey,
    },
    /// The process of a job ended (or was found gone).
    Exited {
        /// When.
        t: SimTime,
        /// The job.
        key: JobKey,
        /// Its exit status.
        status: i32,
    },
    /// The engine, advanced to `t`, started this job and the daemon launched its process:
    /// replay advances to `t` so the job is running again, and does not launch it twice.
    Launched {
        /// When.
        t: SimTime,
        /// The job.
        key: JobKey,
    },
    /// A node went down (`down`) or came back.
    NodeDown {
        /// When.
        t: SimTime,
        /// The node's name.
        node: String,
        /// Down or up.
        down: bool,
    },
    /// A node was marked offline (`pbsnodes -o`) or cleared (`-r`).
    NodeOffline {
        /// When.
        t: SimTime,
        /// The node's name.
        node: String,
        /// Offline or cleared.
        offline: bool,
    },
}

impl Entry {
    /// The simulated time of the input.
    pub fn time(&self) -> SimTime {
        match self {
            Entry::Submit { t, .. }
            | Entry::Delete { t, .. }
            | Entry::Hold { t, .. }
            | Entry::Release { t, .. }
            | Entry::Exited { t, .. }
            | Entry::Launched { t, .. }
            | Entry::NodeDown { t, .. }
            | Entry::NodeOffline { t, .. } => *t,
        }
    }
}

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be opened, read or written.
    #[error("journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a journal entry.
    #[error("journal {path}, line {line}: {source}")]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The file has no header line.
    #[error("journal {0} has no header line")]
    NoHeader(PathBuf),
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Creates a new journal at `path` (replacing any old one) starting with `header`.
    pub fn create(path: &Path, header: &Header) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Job scripts (and the secrets some carry) are in here: the owner alone reads it,
        // as only root reads PBS's own job files.
        let file = {
            use std::os::unix::fs::OpenOptionsExt;
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)
                .map_err(io)?
        };
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
        };
        journal.write_line(&serde_json::to_string(header).expect("a header serialises"))?;
        Ok(journal)
    }

    /// Reads the journal at `path` and opens it for appending. A torn last line (the daemon
    /// was killed mid-write) is dropped, as the input it recorded never took effect.
    pub fn open(path: &Path) -> Result<(Journal, Header, Vec<Entry>), JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let reader = BufReader::new(File::open(path).map_err(io)?);
        let mut lines: Vec<String> = reader.lines().collect::<Result<_, _>>().map_err(io)?;
        let Some(first) = lines.first() else {
            return Err(JournalError::NoHeader(path.to_path_buf()));
        };
        let header: Header =
            serde_json::from_str(first).map_err(|source| JournalError::Corrupt {
                path: path.to_path_buf(),
                line: 1,
                source,
            })?;
        let mut entries = Vec::with_capacity(lines.len());
        let last = lines.len() - 1;
        for (i, line) in lines.iter().enumerate().skip(1) {
            match serde_json::from_str(line) {
                Ok(entry) => entries.push(entry),
                Err(_) if i == last => {}
                Err(source) => {
                    return Err(JournalError::Corrupt {
                        path: path.to_path_buf(),
                        line: i + 1,
                        source,
                    })
                }
            }
        }
        // Rewrite without a torn tail so appends start on a fresh line.
        if entries.len() + 1 != lines.len() {
            lines.truncate(entries.len() + 1);
            let text = lines.join("\n") + "\n";
            std::fs::write(path, text).map_err(io)?;
        }
        let file = OpenOptions::new().append(true).open(path).map_err(io)?;
        let journal = Journal {
            path: path.to_path_buf(),
            file,
        };
        Ok((journal, header, entries))
    }

    /// Appends one entry.
    pub fn append(&mut self, entry: &Entry) -> Result<(), JournalError> {
        self.write_line(&serde_json::to_string(entry).expect("an entry serialises"))
    }

    fn write_line(&mut self, line: &str) -> Result<(), JournalError> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.flush())
            .map_err(|source| JournalError::Io {
                path: self.path.clone(),
                source,
            })
    }
}
