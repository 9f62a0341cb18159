//! `hub sudoers`: the sudoers lines that let the hub's service user run the configured
//! scheduler's submit and cancel commands as the users it serves — and nothing else.
//!
//! The rule is as narrow as the drivers' command lines: the submit command with exactly the
//! arguments the driver passes (`qsub` with none, its script on stdin; `sbatch --parsable`),
//! the cancel command with job ids; absolute paths; any user but root; no password (the hub
//! has no terminal); `env_reset` left on, with only the scheduler's own config variables
//! kept. Status queries (`qstat`, `squeue`) run as the hub itself and need no rule.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::config::{HubConfig, SchedulerKind};

/// What the rule is written for.
#[derive(Debug, Clone)]
pub struct SudoersRequest {
    /// The hub's service user (the account `hub serve` runs as).
    pub service_user: String,
    /// Where to look for the scheduler's programs: the `PATH` directories in order.
    pub search_path: Vec<PathBuf>,
    /// The config file, named in the header.
    pub config_file: PathBuf,
}

/// Why no rule can be written.
#[derive(Debug, thiserror::Error)]
pub enum SudoersError {
    /// The config runs the commands without sudo.
    #[error(
        "spawner.exec_prefix is {0:?}: the scheduler commands are not run through sudo, so \
         no sudoers rule is needed (or set exec_prefix = [\"sudo\", \"-n\", \"-u\", \
         \"{{username}}\", \"--\"])"
    )]
    NotSudo(Vec<String>),
    /// The simulated cluster runs in the hub's process.
    #[error("spawner.scheduler = \"sim\" runs no scheduler command: no sudoers rule is needed")]
    Simulated,
    /// A program is not on the search path.
    #[error(
        "`{0}` is not on PATH ({1}); run `hub sudoers` where the scheduler's clients are installed"
    )]
    NotFound(String, String),
    /// A name sudoers would read as syntax.
    #[error("the service user {0:?} is not a plain user name")]
    BadUser(String),
}

/// The sudoers file for `config`.
pub fn sudoers(config: &HubConfig, request: &SudoersRequest) -> Result<String, SudoersError> {
    let spawner = &config.spawner;
    let is_sudo = spawner
        .exec_prefix
        .first()
        .is_some_and(|p| Path::new(p).file_name() == Some("sudo".as_ref()));
    if !is_sudo {
        return Err(SudoersError::NotSudo(spawner.exec_prefix.clone()));
    }
    let user = &request.service_user;
    let plain = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !plain {
        return Err(SudoersError::BadUser(user.clone()));
    }
    let (submit, submit_args, cancel, keep) = match spawner.scheduler {
        SchedulerKind::Pbs => ("qsub", "\"\"", "qdel", "PBS_CONF_FILE PBS_SERVER"),
        SchedulerKind::Slurm => ("sbatch", "--parsable", "scancel", "SLURM_CONF"),
        SchedulerKind::Sim => return Err(SudoersError::Simulated),
    };
    let submit_path = find(submit, &request.search_path)?;
    let cancel_path = find(cancel, &request.search_path)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# /etc/sudoers.d/batchhub — written by `hub sudoers` for {}.",
        request.config_file.display()
    );
    let _ = writeln!(
        out,
        "# Install with: visudo -cf FILE && install -m 0440 FILE /etc/sudoers.d/batchhub"
    );
    let _ = writeln!(
        out,
        "# {user} (the hub) may submit and cancel jobs as any user but root: the submit command\n\
         # with exactly the driver's arguments (the job script comes on stdin), the cancel\n\
         # command with job ids. No password, no shell, the environment reset but for {keep}."
    );
    let _ = writeln!(
        out,
        "Cmnd_Alias BATCHHUB_SUBMIT = {} {submit_args}",
        submit_path.display()
    );
    let _ = writeln!(
        out,
        "Cmnd_Alias BATCHHUB_CANCEL = {}",
        cancel_path.display()
    );
    let _ = writeln!(out, "Defaults:{user} !requiretty");
    let _ = writeln!(
        out,
        "Defaults!BATCHHUB_SUBMIT, BATCHHUB_CANCEL env_keep = \"{keep}\""
    );
    let _ = writeln!(
        out,
        "{user} ALL = (ALL, !root) NOPASSWD: BATCHHUB_SUBMIT, BATCHHUB_CANCEL"
    );
    Ok(out)
}

/// The first `program` in `path` that is an executable file.
fn find(program: &str, path: &[PathBuf]) -> Result<PathBuf, SudoersError> {
    use std::os::unix::fs::PermissionsExt;
    path.iter()
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| {
            let dirs: Vec<String> = path.iter().map(|d| d.display().to_string()).collect();
            SudoersError::NotFound(program.to_string(), dirs.join(":"))
        })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A directory holding executable stand-ins for the scheduler's clients.
    fn bin_dir(programs: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for program in programs {
            let path = dir.path().join(program);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir
    }

    fn config(scheduler: SchedulerKind, prefix: &[&str]) -> HubConfig {
        let mut config = HubConfig::default();
        config.spawner.scheduler = scheduler;
        config.spawner.exec_prefix = prefix.iter().map(|w| w.to_string()).collect();
        config
    }

    fn request(dir: &Path) -> SudoersRequest {
        SudoersRequest {
            service_user: "batchhub".into(),
            search_path: vec![PathBuf::from("/nonexistent"), dir.to_path_buf()],
            config_file: PathBuf::from("/etc/batchhub/hub.toml"),
        }
    }

    const SUDO: [&str; 5] = ["sudo", "-n", "-u", "{username}", "--"];

    #[test]
    fn pbs_submit_takes_no_arguments_and_cancel_takes_ids() {
        let dir = bin_dir(&["qsub", "qdel"]);
        let text = sudoers(&config(SchedulerKind::Pbs, &SUDO), &request(dir.path())).unwrap();
        let bin = dir.path().display();
        assert!(
            text.contains(&format!("Cmnd_Alias BATCHHUB_SUBMIT = {bin}/qsub \"\"\n")),
            "{text}"
        );
        assert!(text.contains(&format!("Cmnd_Alias BATCHHUB_CANCEL = {bin}/qdel\n")));
        assert!(text.contains("env_keep = \"PBS_CONF_FILE PBS_SERVER\""));
        assert!(text
            .contains("batchhub ALL = (ALL, !root) NOPASSWD: BATCHHUB_SUBMIT, BATCHHUB_CANCEL\n"));
        assert!(!text.contains("SETENV") && !text.contains("ALL = (ALL) ALL"));
    }

    #[test]
    fn slurm_submit_is_exactly_sbatch_parsable() {
        let dir = bin_dir(&["sbatch", "scancel"]);
        let text = sudoers(&config(SchedulerKind::Slurm, &SUDO), &request(dir.path())).unwrap();
        assert!(text.contains(&format!(
            "Cmnd_Alias BATCHHUB_SUBMIT = {}/sbatch --parsable\n",
            dir.path().display()
        )));
        assert!(text.contains("env_keep = \"SLURM_CONF\""));
    }

    #[test]
    fn what_cannot_have_a_rule_says_why() {
        let dir = bin_dir(&["qsub"]);
        let err = sudoers(&config(SchedulerKind::Pbs, &SUDO), &request(dir.path())).unwrap_err();
        assert!(err.to_string().contains("`qdel` is not on PATH"), "{err}");
        let err = sudoers(&config(SchedulerKind::Pbs, &[]), &request(dir.path())).unwrap_err();
        assert!(matches!(err, SudoersError::NotSudo(_)), "{err}");
        let err = sudoers(&config(SchedulerKind::Sim, &SUDO), &request(dir.path())).unwrap_err();
        assert!(matches!(err, SudoersError::Simulated), "{err}");
        let dir = bin_dir(&["qsub", "qdel"]);
        let mut bad = request(dir.path());
        bad.service_user = "hub ALL=(ALL) ALL".into();
        let err = sudoers(&config(SchedulerKind::Pbs, &SUDO), &bad).unwrap_err();
        assert!(matches!(err, SudoersError::BadUser(_)), "{err}");
    }
}
