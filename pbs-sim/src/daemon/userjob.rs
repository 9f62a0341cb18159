//! A job submitted through `qsub`: what the server keeps beside the engine's job (paths,
//! environment, script), the attributes a real PBS server stores for it.

use serde::{Deserialize, Serialize};

/// `Join_Path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Join {
    /// `n`: separate output and error files.
    #[default]
    No,
    /// `oe`: error into the output file.
    OutErr,
    /// `eo`: output into the error file.
    ErrOut,
}

impl Join {
    /// PBS's letters.
    pub fn as_str(self) -> &'static str {
        match self {
            Join::No => "n",
            Join::OutErr => "oe",
            Join::ErrOut => "eo",
        }
    }
}

/// A `-W depend=` condition on other jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// `after`, `afterok`, `afternotok` or `afterany`.
    pub kind: String,
    /// The job ids it waits for, as typed.
    pub jobs: Vec<String>,
}

/// A job as `qsub` sent it, completed by the server (owner from the peer's credentials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserJob {
    /// The submitting user (from the socket's peer credentials, not from the client).
    pub owner: String,
    /// `Submit_Host` / `PBS_O_HOST`.
    pub submit_host: String,
    /// `Job_Name`.
    pub name: String,
    /// `-q` destination, if any.
    pub queue: Option<String>,
    /// The merged `-l` resources, `name=value` each.
    pub resources: Vec<String>,
    /// `-h`: a user hold.
    pub hold: bool,
    /// `Rerunable`.
    pub rerunnable: bool,
    /// `Join_Path`.
    pub join: Join,
    /// `-o` as given (absolute, possibly `host:`-prefixed), if given.
    pub output_path: Option<String>,
    /// `-e` as given, if given.
    pub error_path: Option<String>,
    /// `Variable_List`: `PBS_O_*` then `-v`/`-V` variables, in order.
    pub variables: Vec<(String, String)>,
    /// The script text (for `qsub -- cmd args`, a script that runs the command).
    pub script: String,
    /// `-W depend=`.
    pub depend: Option<Dependency>,
    /// `Account_Name`.
    pub account: Option<String>,
    /// `Mail_Points`.
    pub mail_points: String,
    /// `Mail_Users`.
    pub mail_users: Option<String>,
    /// `Priority`.
    pub priority: i32,
    /// `Submit_arguments`.
    pub submit_args: String,
    /// `project`.
    pub project: Option<String>,
    /// Attribute texts fixed once the job has its number (not journaled: rebuilt on replay).
    #[serde(skip)]
    pub fixed: Fixed,
}

/// Attribute texts that never change once a job is queued, made once by
/// [`UserJob::fix`] so that status requests on thousands of jobs need not rebuild them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fixed {
    /// `Job_Owner`: `user@host`.
    pub job_owner: String,
    /// `Output_Path`.
    pub output_path: String,
    /// `Error_Path`.
    pub error_path: String,
    /// `Variable_List`: `name=value` joined by commas, commas in values escaped.
    pub variable_list: String,
}

impl UserJob {
    /// Makes the job's [`Fixed`] texts, once its sequence number `seq` is known.
    pub fn fix(&mut self, seq: u64) {
        let escape = |v: &str| v.replace(',', "\\,");
        self.fixed = Fixed {
            job_owner: format!("{}@{}", self.owner, self.submit_host),
            output_path: self.output_path(seq),
            error_path: self.error_path(seq),
            variable_list: self
                .variables
                .iter()
                .map(|(k, v)| format!("{k}={}", escape(v)))
                .collect::<Vec<_>>()
                .join(","),
        };
    }

    /// A variable of the job's `Variable_List`.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `PBS_O_WORKDIR`, or `/` when the client sent none.
    pub fn workdir(&self) -> &str {
        self.variable("PBS_O_WORKDIR").unwrap_or("/")
    }

    /// `Output_Path` as the server stores it, `host:/abs/path`: the `-o` path, or
    /// `<workdir>/<name>.o<seq>` (relative paths are taken from the working directory).
    pub fn output_path(&self, seq: u64) -> String {
        self.std_path(self.output_path.as_deref(), 'o', seq)
    }

    /// `Error_Path`, likewise with `.e<seq>`.
    pub fn error_path(&self, seq: u64) -> String {
        self.std_path(self.error_path.as_deref(), 'e', seq)
    }

    /// Ends a `-o`/`-e` path that names an existing directory with `/`, so the job's file
    /// goes inside it. Done once at submission: status requests then need no file system.
    pub fn mark_directories(&mut self) {
        let workdir = self.workdir().trim_end_matches('/').to_string();
        for given in [&mut self.output_path, &mut self.error_path] {
            let Some(path) = given.as_mut() else { continue };
            let local = split_host(path).1;
            let absolute = if local.starts_with('/') {
                local.to_string()
            } else {
                format!("{workdir}/{local}")
            };
            if !path.ends_with('/') && std::path::Path::new(&absolute).is_dir() {
                path.push('/');
            }
        }
    }

    fn std_path(&self, given: Option<&str>, letter: char, seq: u64) -> String {
        let default_name = format!("{}.{letter}{seq}", self.name);
        let (host, path) = match given.map(split_host) {
            Some((Some(host), path)) => (host.to_string(), path.to_string()),
            Some((None, path)) => (self.submit_host.clone(), path.to_string()),
            None => (self.submit_host.clone(), default_name.clone()),
        };
        let mut path = if path.starts_with('/') {
            path
        } else {
            format!("{}/{path}", self.workdir().trim_end_matches('/'))
        };
        // A directory gets the default file name inside it, as PBS does (see
        // [`UserJob::mark_directories`]).
        if path.ends_with('/') {
            path = format!("{}/{default_name}", path.trim_end_matches('/'));
        }
        format!("{host}:{path}")
    }
}

/// `host:path` → (`Some(host)`, `path`); a bare path → (`None`, path).
pub fn split_host(path: &str) -> (Option<&str>, &str) {
    match path.split_once(':') {
        Some((host, rest)) if !host.is_empty() && !host.contains('/') => (Some(host), rest),
        _ => (None, path),
    }
}

/// The local file of a `host:/path` attribute.
pub fn local_path(attr: &str) -> &str {
    split_host(attr).1
}

#[cfg(test)]
pub(crate) fn sample(owner: &str) -> UserJob {
    UserJob {
        owner: owner.to_string(),
        submit_host: "login001".to_string(),
        name: "job.sh".to_string(),
        queue: None,
        resources: vec![
            "select=1:ncpus=1".to_string(),
            "walltime=00:10:00".to_string(),
        ],
        hold: false,
        rerunnable: true,
        join: Join::No,
        output_path: None,
        error_path: None,
        variables: vec![
            ("PBS_O_HOME".to_string(), format!("/home/{owner}")),
            ("PBS_O_WORKDIR".to_string(), "/nonexistent/work".to_string()),
        ],
        script: "#!/bin/bash\necho hi\n".to_string(),
        depend: None,
        account: None,
        mail_points: "a".to_string(),
        mail_users: None,
        priority: 0,
        submit_args: "job.sh".to_string(),
        project: None,
        fixed: Fixed::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_are_in_the_working_directory() {
        let job = sample("alice");
        assert_eq!(job.output_path(42), "login001:/nonexistent/work/job.sh.o42");
        assert_eq!(job.error_path(42), "login001:/nonexistent/work/job.sh.e42");
    }

    #[test]
    fn given_paths_keep_their_host_and_relative_ones_join_the_workdir() {
        let mut job = sample("alice");
        job.output_path = Some("node7:/scratch/out.txt".to_string());
        job.error_path = Some("logs/err.txt".to_string());
        assert_eq!(job.output_path(1), "node7:/scratch/out.txt");
        assert_eq!(job.error_path(1), "login001:/nonexistent/work/logs/err.txt");
        let dir = tempfile::tempdir().unwrap();
        job.output_path = Some(dir.path().display().to_string());
        job.mark_directories();
        assert_eq!(
            job.output_path(9),
            format!("login001:{}/job.sh.o9", dir.path().display())
        );
    }
}
