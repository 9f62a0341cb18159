//! What the daemon tells a job's wrapper: the job, as MoM receives it from the server.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A job to run, as the server hands it to MoM when the job starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobLaunch {
    /// The full job id, e.g. `1234.pbs-sim`. It names the spool entry and `TMPDIR`, so it
    /// must be a plain file name (no `/`, not `.` or `..`).
    pub job_id: String,
    /// `Job_Name` (`PBS_JOBNAME`).
    pub job_name: String,
    /// `Job_Owner`'s user name (without `@host`). Jobs run as this user when the daemon is
    /// root; otherwise they run as the daemon's user and this is ignored.
    pub owner: String,
    /// The execution queue (`PBS_QUEUE`).
    pub queue: String,
    /// What to run.
    pub script: JobScript,
    /// The directory the job starts in; `None` (what PBS does) for the home directory of
    /// the account the job runs as. Scripts `cd "$PBS_O_WORKDIR"` themselves.
    pub cwd: Option<PathBuf>,
    /// Where the job's standard output goes (`Output_Path`, host part removed).
    pub output_path: PathBuf,
    /// Where the job's standard error goes (`Error_Path`, host part removed).
    pub error_path: PathBuf,
    /// `Join_Path` (`qsub -j`).
    pub join: Join,
    /// The job's `Variable_List`: the `PBS_O_*` variables and those of `-v`/`-V`, in order.
    pub variables: Vec<(String, String)>,
    /// One host name per line of `PBS_NODEFILE` (one per chunk, or per MPI rank).
    pub nodes: Vec<String>,
    /// The first chunk's `ncpus`: MoM exports it as `NCPUS` and `OMP_NUM_THREADS`.
    #[serde(default = "one")]
    pub ncpus: u32,
    /// The directory under which the job's `TMPDIR` (`<root>/pbs.<job_id>`) is made; MoM's
    /// `$tmpdir`, `/var/tmp` by default.
    pub tmpdir_root: PathBuf,
}

/// The job's program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobScript {
    /// A job script's text; it runs as `bash <script-file>`.
    Text(String),
    /// `qsub -- program args…`: the program runs directly, without a shell.
    Command {
        /// The program (looked up in the job's `PATH` when it holds no `/`).
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

/// `qsub -j`: whether standard output and error share one file, and which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Join {
    /// `-j n` (the default): two files.
    #[default]
    None,
    /// `-j oe`: both into the output file.
    OutErr,
    /// `-j eo`: both into the error file.
    ErrOut,
}

impl JobLaunch {
    /// The file the job's standard error ends up in, where MoM writes its own messages
    /// (such as the walltime kill) for the user.
    pub fn stderr_file(&self) -> &std::path::Path {
        match self.join {
            Join::OutErr => &self.output_path,
            Join::None | Join::ErrOut => &self.error_path,
        }
    }

    /// The file the job's standard output ends up in.
    pub fn stdout_file(&self) -> &std::path::Path {
        match self.join {
            Join::ErrOut => &self.error_path,
            Join::None | Join::OutErr => &self.output_path,
        }
    }
}

/// Whether `id` can name a spool entry: a single, ordinary path component.
pub fn is_valid_job_id(id: &str) -> bool {
    !id.is_empty() && id != "." && id != ".." && !id.contains(['/', '\0'])
}

/// The `ncpus` of a launch file written before the field existed.
fn one() -> u32 {
    1
}
