//! [`SlurmDriver`]: the [`Scheduler`] over Slurm's `sbatch`, `squeue` and `scancel`.
//!
//! Status is one `squeue` for every tracked job (`--jobs=1,2,3 --states=all`). A job the
//! answer lacks is looked up with `scontrol show job` (the controller may still hold it),
//! then `sacct` (accounting, where kept); only when neither knows it does it count as a
//! miss, and only after [`SlurmConfig::gone_after_misses`] consecutive misses is it
//! reported gone. An ended job's exit code comes from `scontrol` once. A failed `squeue`
//! makes every job it asked about `Unknown`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::config::SlurmConfig;
use super::parse::{self, SlurmJob};
use super::script::render;
use crate::cluster::ClusterSummary;
use crate::command::{
    allowlisted_env, as_user, id_batches, run_command, submit_on_stdin, CommandOutput,
    CommandRunner, CommandSpec, ProcessRunner,
};
use crate::error::SchedulerError;
use crate::job::{FoundJob, JobId, JobName, JobSpec, JobStatus, UserName};
use crate::job_script::ScriptError;
use crate::misses::Misses;
use crate::scheduler::{Scheduler, StatusMap};

/// The Slurm driver.
pub struct SlurmDriver {
    config: Arc<SlurmConfig>,
    runner: Arc<dyn CommandRunner>,
    /// The commands' environment: the allowlisted part of the hub's.
    env: Vec<(String, String)>,
    /// Consecutive answers without each job.
    misses: Mutex<Misses>,
    /// Who owns each job, so `scancel` runs as them: learnt at submit and from `squeue`
    /// (so a restarted hub learns it at its first poll).
    owners: Mutex<BTreeMap<JobId, UserName>>,
}

impl std::fmt::Debug for SlurmDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlurmDriver")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What one status query said about the jobs it asked about.
enum Answer {
    /// The jobs it listed, by id.
    Jobs(BTreeMap<String, SlurmJob>),
    /// It failed: why.
    Failed(String),
}

impl SlurmDriver {
    /// A driver running real processes, its commands' environment taken from this
    /// process's through `config.env_allowlist`.
    pub fn new(config: SlurmConfig) -> SlurmDriver {
        let env = allowlisted_env(&config.env_allowlist);
        SlurmDriver::with_runner(config, Arc::new(ProcessRunner), env)
    }

    /// A driver running its commands through `runner`, with exactly `env` as their
    /// environment.
    pub fn with_runner(
        config: SlurmConfig,
        runner: Arc<dyn CommandRunner>,
        env: Vec<(String, String)>,
    ) -> SlurmDriver {
        SlurmDriver {
            config: Arc::new(config),
            runner,
            env,
            misses: Mutex::new(Misses::new("Slurm", "squeue")),
            owners: Mutex::new(BTreeMap::new()),
        }
    }

    /// Stops counting answers for a job the hub no longer tracks.
    pub fn forget(&self, id: &JobId) {
        self.misses.lock().expect("misses lock").forget(id);
        self.owners.lock().expect("owners lock").remove(id);
    }

    /// A command with the driver's environment (times asked as Unix seconds) and timeout.
    fn spec(&self, argv: Vec<String>, stdin: Option<Vec<u8>>) -> CommandSpec {
        let mut env = self.env.clone();
        env.retain(|(name, _)| name != "SLURM_TIME_FORMAT");
        env.push(("SLURM_TIME_FORMAT".into(), "%s".into()));
        CommandSpec {
            argv,
            env,
            stdin,
            timeout: self.config.timeout,
        }
    }

    async fn run(&self, spec: &CommandSpec) -> Result<CommandOutput, SchedulerError> {
        run_command(self.runner.as_ref(), spec).await
    }

    /// What a command that exited non-zero means: the controller out of reach, or
    /// Slurm's own refusal in its words.
    fn failure(spec: &CommandSpec, out: &CommandOutput) -> SchedulerError {
        let stderr = out.stderr.trim_end().to_string();
        if parse::controller_unreachable(&stderr) {
            return SchedulerError::Unavailable {
                reason: parse::error_message(&stderr),
            };
        }
        let message = parse::error_message(&stderr);
        if message.is_empty() {
            return SchedulerError::CommandFailed {
                command: spec.display(),
                code: out.code,
                stderr,
            };
        }
        SchedulerError::Declined {
            command: spec.display(),
            code: out.code,
            stderr,
            message,
            transient: false,
        }
    }

    /// Runs `argv` as the hub's user; its stdout, or the error it is.
    async fn query(&self, argv: Vec<String>) -> Result<String, SchedulerError> {
        let spec = self.spec(argv, None);
        let out = self.run(&spec).await?;
        if out.success() {
            Ok(out.stdout)
        } else {
            Err(SlurmDriver::failure(&spec, &out))
        }
    }

    /// One `squeue` for `ids`.
    async fn squeue(&self, ids: &[JobId]) -> Answer {
        let list: Vec<&str> = ids.iter().map(JobId::as_str).collect();
        let argv = vec![
            self.config.squeue.clone(),
            "--noheader".into(),
            "--all".into(),
            "--states=all".into(),
            format!("--jobs={}", list.join(",")),
            format!("--format={}", parse::SQUEUE_FORMAT),
        ];
        let spec = self.spec(argv, None);
        let out = match self.run(&spec).await {
            Ok(out) => out,
            Err(e) => return Answer::Failed(e.to_string()),
        };
        // Asked only about ids it no longer knows, squeue fails with "Invalid job id
        // specified" (asked about several, it lists the ones it knows).
        if !out.success() && !parse::invalid_job_id(&out.stderr) {
            return Answer::Failed(SlurmDriver::failure(&spec, &out).to_string());
        }
        match parse::squeue(&out.stdout) {
            Ok(jobs) => Answer::Jobs(jobs.into_iter().map(|j| (j.id.clone(), j)).collect()),
            Err(e) => Answer::Failed(format!(
                "could not read the answer of `{}`: {e}",
                spec.display()
            )),
        }
    }

    /// One `squeue` for `owner`'s jobs named `name`, in every state the controller still
    /// holds. Slurm filters by name; the owner printed is checked too, so a site's squeue
    /// wrapper that ignored `--user` cannot hand the hub another user's job.
    async fn find_jobs(
        &self,
        owner: &UserName,
        name: &JobName,
    ) -> Result<Vec<FoundJob>, SchedulerError> {
        let argv = vec![
            self.config.squeue.clone(),
            "--noheader".into(),
            "--states=all".into(),
            format!("--user={owner}"),
            format!("--name={name}"),
            format!("--format={}", parse::SQUEUE_FORMAT),
        ];
        let command = argv.join(" ");
        let stdout = self.query(argv).await?;
        let bad = |reason: String| SchedulerError::BadOutput {
            command: command.clone(),
            reason,
        };
        let mut found = Vec::new();
        for job in parse::squeue(&stdout).map_err(|e| bad(e.to_string()))? {
            if job.user.as_deref().is_some_and(|u| u != owner.as_str()) {
                continue;
            }
            let id = JobId::new(job.id.as_str()).map_err(|e| bad(e.to_string()))?;
            self.learn_owner(&id, &job);
            found.push(FoundJob {
                id,
                state: job.status.state,
                queued: job.status.times.queued,
            });
        }
        Ok(found)
    }

    /// `scontrol show job` for one job: `Ok(None)` when the controller does not know it.
    async fn scontrol(&self, id: &JobId) -> Result<Option<SlurmJob>, String> {
        let argv = vec![
            self.config.scontrol.clone(),
            "--oneliner".into(),
            "show".into(),
            "job".into(),
            id.as_str().to_string(),
        ];
        let spec = self.spec(argv, None);
        let out = self.run(&spec).await.map_err(|e| e.to_string())?;
        if !out.success() {
            if parse::invalid_job_id(&out.stderr) {
                return Ok(None);
            }
            return Err(SlurmDriver::failure(&spec, &out).to_string());
        }
        parse::scontrol_job(&out.stdout)
            .map_err(|e| format!("could not read the answer of `{}`: {e}", spec.display()))
    }

    /// `sacct` for one job, where accounting is kept: `None` when it is not, or does not
    /// know the job.
    async fn sacct(&self, id: &JobId) -> Option<SlurmJob> {
        let program = self.config.sacct.clone()?;
        let argv = vec![
            program,
            "--noheader".into(),
            "--parsable2".into(),
            "--allocations".into(),
            format!("--jobs={id}"),
            format!("--format={}", parse::SACCT_FORMAT),
        ];
        let spec = self.spec(argv, None);
        let out = self.run(&spec).await.ok()?;
        if !out.success() {
            return None;
        }
        parse::sacct(&out.stdout)
            .ok()?
            .into_iter()
            .find(|job| job.id == id.as_str())
    }

    /// The status of a job `squeue` did not list: what `scontrol` or `sacct` know, else
    /// one more miss.
    async fn resolve_missing(&self, id: &JobId) -> JobStatus {
        let found = match self.scontrol(id).await {
            Ok(Some(job)) => Some(job),
            Ok(None) => self.sacct(id).await,
            // The controller failed between the two queries: nothing is known.
            Err(reason) => return JobStatus::unknown(reason),
        };
        let mut misses = self.misses.lock().expect("misses lock");
        let gone_after = self.config.gone_after_misses;
        match found {
            Some(job) => misses.judge(id, Ok(Some(&job.status)), gone_after),
            None => misses.judge(id, Ok(None), gone_after),
        }
    }

    /// An ended job's status with its exit code, which `squeue` does not print.
    async fn with_exit_code(&self, id: &JobId, job: SlurmJob) -> JobStatus {
        if !job.status.state.is_final() || job.status.exit_status.is_some() {
            return job.status;
        }
        match self.scontrol(id).await {
            Ok(Some(detailed)) if detailed.status.state.is_final() => detailed.status,
            // Purged or unreachable in between: what squeue said is still true.
            _ => job.status,
        }
    }

    fn learn_owner(&self, id: &JobId, job: &SlurmJob) {
        if let Some(user) = job.user.as_deref().and_then(|u| UserName::new(u).ok()) {
            self.owners
                .lock()
                .expect("owners lock")
                .entry(id.clone())
                .or_insert(user);
        }
    }

    /// `sinfo` for nodes, `squeue` for jobs.
    async fn summary(&self) -> Result<ClusterSummary, SchedulerError> {
        let bad = |command: &str, e: parse::ParseError| SchedulerError::BadOutput {
            command: command.to_string(),
            reason: e.to_string(),
        };
        let sinfo = vec![
            self.config.sinfo.clone(),
            "--noheader".into(),
            "--Node".into(),
            "--format=%N|%T".into(),
        ];
        let nodes = parse::sinfo_nodes(&self.query(sinfo).await?).map_err(|e| bad("sinfo", e))?;
        let squeue = vec![
            self.config.squeue.clone(),
            "--noheader".into(),
            "--all".into(),
            "--format=%T|%r".into(),
        ];
        let jobs = parse::job_counts(&self.query(squeue).await?).map_err(|e| bad("squeue", e))?;
        Ok(ClusterSummary::from_counts(jobs, nodes))
    }
}

#[async_trait]
impl Scheduler for SlurmDriver {
    async fn submit(&self, spec: &JobSpec) -> Result<JobId, SchedulerError> {
        let config = &self.config;
        let script = render(spec, &config.body, &config.mapping).map_err(|e| match e {
            ScriptError::Resources(error) => SchedulerError::Rejected(error),
            other => SchedulerError::Invalid(other.to_string()),
        })?;
        let argv = as_user(
            &config.run_as,
            spec.owner.as_str(),
            &config.sbatch,
            &["--parsable"],
        );
        let command = self.spec(argv, Some(script.into_bytes()));
        let id = submit_on_stdin(
            self.runner.as_ref(),
            &command,
            parse::sbatch_job_id,
            SlurmDriver::failure,
        )
        .await?;
        self.owners
            .lock()
            .expect("owners lock")
            .insert(id.clone(), spec.owner.clone());
        Ok(id)
    }

    async fn status(&self, ids: &[JobId]) -> StatusMap {
        let mut map = StatusMap::new();
        let gone_after = self.config.gone_after_misses;
        // Lookups are one process each: a hub back after a long outage, whose jobs all
        // ended and were purged meanwhile, must not run thousands in one poll.
        let mut lookups_left = self.config.max_lookups_per_poll;
        for batch in id_batches(ids, self.config.max_arg_bytes) {
            let mut answer = self.squeue(batch).await;
            for id in batch {
                let status = match &mut answer {
                    Answer::Failed(reason) => JobStatus::unknown(reason.clone()),
                    Answer::Jobs(jobs) => match jobs.remove(id.as_str()) {
                        Some(job) => {
                            self.learn_owner(id, &job);
                            let needs_lookup = job.status.state.is_final();
                            let status = if needs_lookup && lookups_left > 0 {
                                lookups_left -= 1;
                                self.with_exit_code(id, job).await
                            } else {
                                job.status
                            };
                            self.misses.lock().expect("misses lock").judge(
                                id,
                                Ok(Some(&status)),
                                gone_after,
                            )
                        }
                        None if lookups_left > 0 => {
                            lookups_left -= 1;
                            self.resolve_missing(id).await
                        }
                        None => JobStatus::unknown(
                            "not in squeue's answer; looked up at a later poll (too many to \
                             look up in this one)",
                        ),
                    },
                };
                map.insert(id.clone(), status);
            }
        }
        map
    }

    async fn cancel(&self, id: &JobId) -> Result<(), SchedulerError> {
        let config = &self.config;
        let owner = self.owners.lock().expect("owners lock").get(id).cloned();
        let argv = match &owner {
            Some(owner) => as_user(
                &config.run_as,
                owner.as_str(),
                &config.scancel,
                &[id.as_str()],
            ),
            None => as_user(&config.manage_as, "", &config.scancel, &[id.as_str()]),
        };
        let spec = self.spec(argv, None);
        let out = self.run(&spec).await?;
        // Already ended, or purged: what was asked is done.
        let done = parse::invalid_job_id(&out.stderr)
            || out.stderr.contains("already completing or completed");
        if out.success() && !out.stderr.contains("error:") || done {
            return Ok(());
        }
        Err(SlurmDriver::failure(&spec, &out))
    }

    async fn find_jobs(
        &self,
        owner: &UserName,
        name: &JobName,
    ) -> Result<Vec<FoundJob>, SchedulerError> {
        SlurmDriver::find_jobs(self, owner, name).await
    }

    async fn cluster_summary(&self) -> Result<ClusterSummary, SchedulerError> {
        self.summary().await
    }
}
