//! The spool: one directory per job, shared by the daemon and the job's wrapper. It is the
//! only channel between them, so the job and its end outlive a restart of the daemon.
//!
//! ```text
//! <spool>/<job id>/        the daemon's (mode 0711: the owner may pass, not list)
//!     launch.json          the JobLaunch                     (daemon)
//!     wrapper.json         the wrapper's pid and start time  (daemon)
//!     wrapper.log          the wrapper's own diagnostics     (wrapper)
//!     run/                 the job owner's (mode 0700)
//!         script           the job script                    (wrapper)
//!         nodefile         PBS_NODEFILE                      (wrapper)
//!         pgid             the job's process group           (wrapper)
//!         exit             the job's Exit_status             (wrapper)
//! ```
//!
//! Files others read are written whole and renamed into place, so a reader sees the old
//! state or the new one, never half a file.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The paths of one job's spool entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpool {
    dir: PathBuf,
}

impl JobSpool {
    /// The entry of `job_id` under `spool` (the id must be valid, see `is_valid_job_id`).
    pub fn new(spool: &Path, job_id: &str) -> Self {
        JobSpool {
            dir: spool.join(job_id),
        }
    }
    /// The entry's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The launch description.
    pub fn launch(&self) -> PathBuf {
        self.dir.join("launch.json")
    }
    /// The wrapper's identity.
    pub fn wrapper(&self) -> PathBuf {
        self.dir.join("wrapper.json")
    }
    /// The wrapper's own stdout and stderr.
    pub fn wrapper_log(&self) -> PathBuf {
        self.dir.join("wrapper.log")
    }
    /// The owner's directory.
    pub fn run_dir(&self) -> PathBuf {
        self.dir.join("run")
    }
    /// The script file.
    pub fn script(&self) -> PathBuf {
        self.run_dir().join("script")
    }
    /// `PBS_NODEFILE`.
    pub fn nodefile(&self) -> PathBuf {
        self.run_dir().join("nodefile")
    }
    /// The job's process group id.
    pub fn pgid(&self) -> PathBuf {
        self.run_dir().join("pgid")
    }
    /// The job's `Exit_status`.
    pub fn exit(&self) -> PathBuf {
        self.run_dir().join("exit")
    }
}

/// Which process is a job's wrapper: its pid and its start time (clock ticks since boot,
/// field 22 of `/proc/<pid>/stat`), so a recycled pid is not taken for the wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapperId {
    /// Process id.
    pub pid: i32,
    /// Start time in clock ticks since boot.
    pub start_time: u64,
}

/// Writes `contents` to `path` whole: into a sibling temporary file, then renamed over it.
/// The file is private to its writer: a launch file can hold a user's `-V` environment.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = private_file(&tmp)?;
    file.write_all(contents)?;
    drop(file);
    fs::rename(&tmp, path)
}

/// Reads an integer written by `write_atomic`; `None` if the file is absent or garbled.
pub fn read_int(path: &Path) -> Option<i64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Creates (or empties) a file only its owner can read.
pub fn private_file(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}
