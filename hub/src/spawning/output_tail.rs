//! The end of a failed job's output, shown to its user with the failure ("where
//! readable", and never more than they could read themselves).
//!
//! The PBS driver joins stdout and stderr (`#PBS -j oe`) into the job's working directory
//! (`#PBS -o DIR/`), where PBS names the file `{Job_Name}.o{sequence number}`.
//!
//! The hub may run as root and the directory is the user's, so the file is opened without
//! following a symbolic link and read only if it is a regular file owned by the user (or, for
//! users with no account — the simulated cluster's — by the hub's own unprivileged user):
//! a link planted to `/etc/shadow` reads as nothing.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use drivers::JobId;

/// How much of the end of the output is read.
const TAIL_BYTES: u64 = 4096;
/// How many of its last lines are kept.
const TAIL_LINES: usize = 20;

/// Where PBS put the output of `job` named `job_name` started in `working_dir`.
pub fn output_path(working_dir: &Path, job_name: &str, job: &JobId) -> PathBuf {
    let sequence = job.as_str().split('.').next().unwrap_or(job.as_str());
    working_dir.join(format!("{job_name}.o{sequence}"))
}

/// The last lines of the file at `path` if `owner` (a uid; `None` for a user without an
/// account) may read it as described above; `None` otherwise or if it cannot be read.
/// Blocking: call it off the async runtime.
pub fn read_tail(path: &Path, owner: Option<u32>) -> Option<String> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    let hub = nix::unistd::geteuid().as_raw();
    let allowed = match owner {
        Some(uid) => meta.uid() == uid,
        None => hub != 0 && meta.uid() == hub,
    };
    if !meta.is_file() || !allowed {
        tracing::warn!(file = %path.display(), "job output not read: not a regular file of the job's owner");
        return None;
    }
    let start = meta.len().saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    // A partial first line (cut by the byte limit) is dropped.
    let lines: Vec<&str> = text.lines().collect();
    let skip_partial = usize::from(start > 0 && lines.len() > 1);
    let kept = &lines[skip_partial..];
    let tail = kept[kept.len().saturating_sub(TAIL_LINES)..].join("\n");
    (!tail.trim().is_empty()).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    #[test]
    fn the_path_follows_pbs_naming() {
        let job = JobId::new("4242.pbs02").unwrap();
        assert_eq!(
            output_path(Path::new("/home/alice"), "jupyterhub-singleuser", &job),
            PathBuf::from("/home/alice/jupyterhub-singleuser.o4242")
        );
    }

    #[test]
    fn the_last_lines_of_the_owners_file_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.o1");
        let text: String = (1..=500).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let tail = read_tail(&path, Some(me())).unwrap();
        let lines: Vec<&str> = tail.lines().collect();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines.last(), Some(&"line 500"));
        assert_eq!(lines[0], "line 481");
        assert_eq!(
            read_tail(&path, Some(me() + 1)),
            None,
            "someone else's file"
        );
    }

    #[test]
    fn a_symbolic_link_or_a_missing_file_reads_as_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "root:$6$hash\n").unwrap();
        let link = dir.path().join("job.o2");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        assert_eq!(read_tail(&link, Some(me())), None);
        assert_eq!(read_tail(&dir.path().join("job.o3"), Some(me())), None);
        let fifo = dir.path().join("job.o4");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(
            read_tail(&fifo, Some(me())),
            None,
            "a fifo is not read (or waited on)"
        );
    }
}
