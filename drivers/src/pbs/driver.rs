//! [`PbsDriver`]: the [`Scheduler`] over PBS Pro's `qsub`, `qstat` and `qdel`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::answers::{id_key, only_missing_jobs};
use super::config::{PbsConfig, QstatFormat};
use super::found::owned_and_named;
use super::parse;
use super::script::{render, ScriptError};
use crate::cluster::{ClusterSummary, NodeCount};
use crate::command::{
    allowlisted_env, as_user, id_batches, run_command, submit_on_stdin, CommandOutput,
    CommandRunner, CommandSpec, ProcessRunner,
};
use crate::error::SchedulerError;
use crate::job::{FoundJob, JobId, JobName, JobSpec, JobStatus, UserName};
use crate::misses::Misses;
use crate::resources::{PbsError, Pbse};
use crate::scheduler::{Scheduler, StatusMap};

/// The PBS Pro driver.
pub struct PbsDriver {
    commands: Commands,
    /// Consecutive `qstat` answers without each job.
    misses: Mutex<Misses>,
    /// Who owns the jobs this driver submitted, so `qdel` runs as them.
    owners: Mutex<BTreeMap<JobId, UserName>>,
}

impl std::fmt::Debug for PbsDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PbsDriver")
            .field("config", &self.commands.config)
            .finish_non_exhaustive()
    }
}

/// What it takes to run a PBS command; cheap to clone into a background task.
#[derive(Clone)]
struct Commands {
    config: Arc<PbsConfig>,
    runner: Arc<dyn CommandRunner>,
    /// The commands' environment: the allowlisted part of the hub's.
    env: Arc<Vec<(String, String)>>,
}

impl PbsDriver {
    /// A driver running real processes, its commands' environment taken from this
    /// process's through `config.env_allowlist`.
    pub fn new(config: PbsConfig) -> PbsDriver {
        let env = allowlisted_env(&config.env_allowlist);
        PbsDriver::with_runner(config, Arc::new(ProcessRunner), env)
    }

    /// A driver running its commands through `runner`, with exactly `env` as their
    /// environment.
    pub fn with_runner(
        config: PbsConfig,
        runner: Arc<dyn CommandRunner>,
        env: Vec<(String, String)>,
    ) -> PbsDriver {
        PbsDriver {
            commands: Commands {
                config: Arc::new(config),
                runner,
                env: Arc::new(env),
            },
            misses: Mutex::new(Misses::new("PBS", "qstat")),
            owners: Mutex::new(BTreeMap::new()),
        }
    }

    /// Stops counting answers for a job the hub no longer tracks.
    pub fn forget(&self, id: &JobId) {
        self.misses.lock().expect("misses lock").forget(id);
        self.owners.lock().expect("owners lock").remove(id);
    }

    /// The `qstat` argv for `ids`, in groups whose ids stay under `max_arg_bytes`.
    fn qstat_calls<'a>(&self, ids: &'a [JobId]) -> Vec<(Vec<String>, &'a [JobId])> {
        let base = self.commands.qstat_argv();
        id_batches(ids, self.commands.config.max_arg_bytes)
            .into_iter()
            .map(|group| {
                let mut argv = base.clone();
                argv.extend(group.iter().map(|id| id.as_str().to_string()));
                (argv, group)
            })
            .collect()
    }
}

impl Commands {
    /// `qstat -f [-F json] -x`, the ids to follow.
    fn qstat_argv(&self) -> Vec<String> {
        let mut argv = vec![self.config.qstat.clone(), "-f".to_string()];
        if self.config.format == QstatFormat::Json {
            argv.extend(["-F".to_string(), "json".to_string()]);
        }
        argv.push("-x".to_string());
        argv
    }

    fn spec(&self, argv: Vec<String>, stdin: Option<Vec<u8>>) -> CommandSpec {
        CommandSpec {
            argv,
            env: self.env.as_ref().clone(),
            stdin,
            timeout: self.config.timeout,
        }
    }

    /// Runs a command, turning a run failure into the scheduler error it is.
    async fn run(&self, spec: &CommandSpec) -> Result<CommandOutput, SchedulerError> {
        run_command(self.runner.as_ref(), spec).await
    }

    /// What a command that exited non-zero means: PBS's own error when its stderr names
    /// one, an unreachable server, or a plain failure with the raw text.
    fn failure(spec: &CommandSpec, out: &CommandOutput) -> SchedulerError {
        let stderr = out.stderr.trim_end().to_string();
        if stderr.contains("cannot connect to server") {
            return SchedulerError::Unavailable { reason: stderr };
        }
        // A site hook's rejection has the hook's own words, which name no PBS error; the
        // exit code (PBSE_HOOKERROR's low byte) says what it is.
        let hook_exit = i32::from(Pbse::HookError.exit_code());
        let hook = (out.code == Some(hook_exit)).then(|| {
            let text = stderr.split_once(": ").map_or(stderr.as_str(), |(_, t)| t);
            PbsError::with_text(Pbse::HookError, text)
        });
        match parse::pbs_error(&out.stderr).or(hook) {
            Some(error) => SchedulerError::Refused {
                command: spec.display(),
                code: out.code,
                stderr,
                error,
            },
            None => SchedulerError::CommandFailed {
                command: spec.display(),
                code: out.code,
                stderr,
            },
        }
    }

    /// `qdel [-W force] id`, as `prefix`'s user. A job that already ended is deleted.
    async fn qdel(
        &self,
        prefix: &[String],
        user: &str,
        id: &JobId,
        force: bool,
    ) -> Result<(), SchedulerError> {
        let mut args = Vec::new();
        if force {
            args.extend(["-W", "force"]);
        }
        args.push(id.as_str());
        let spec = self.spec(as_user(prefix, user, &self.config.qdel, &args), None);
        let out = self.run(&spec).await?;
        if out.success() {
            return Ok(());
        }
        let done = out.stderr.contains("Unknown Job Id")
            || out.stderr.contains("Job has finished")
            // In `E`: its process is already being ended.
            || out.stderr.contains("Request invalid for state of job");
        if done {
            Ok(())
        } else {
            Err(Commands::failure(&spec, &out))
        }
    }

    /// One `qstat` call: the jobs it described, keyed by [`id_key`], or why it failed.
    async fn qstat(
        &self,
        argv: Vec<String>,
    ) -> Result<BTreeMap<(String, String), JobStatus>, String> {
        let jobs = self
            .qstat_jobs(argv)
            .await
            .map_err(Unreadable::into_reason)?;
        Ok(jobs
            .into_iter()
            .map(|job| (id_key(&job.id), job.status))
            .collect())
    }

    /// One `qstat` call: the jobs it described, in the order printed, or why it failed.
    ///
    /// PBS's old JSON generator prints invalid JSON for some values (a `Variable_List` that
    /// `qsub -V` filled with shell functions, say): such an answer is asked again as
    /// `qstat -f` text, which any value survives.
    async fn qstat_jobs(&self, argv: Vec<String>) -> Result<Vec<parse::QstatJob>, Unreadable> {
        let json = argv.windows(2).position(|w| w[0] == "-F" && w[1] == "json");
        let first = self
            .qstat_once(
                argv.clone(),
                if json.is_some() {
                    QstatFormat::Json
                } else {
                    QstatFormat::Text
                },
            )
            .await;
        match (first, json) {
            (Err(Unreadable::Parse { .. }), Some(at)) => {
                let mut text = argv;
                text.drain(at..at + 2);
                self.qstat_once(text, QstatFormat::Text).await
            }
            (result, _) => result,
        }
    }

    async fn qstat_once(
        &self,
        argv: Vec<String>,
        format: QstatFormat,
    ) -> Result<Vec<parse::QstatJob>, Unreadable> {
        let spec = self.spec(argv, None);
        let out = self.run(&spec).await.map_err(Unreadable::Failed)?;
        if !out.success() && !only_missing_jobs(&out.stderr) {
            return Err(Unreadable::Failed(Commands::failure(&spec, &out)));
        }
        // Every `Job Id:` block ends with a blank line: text that does not was cut short
        // (JSON that was is caught by the parser).
        if format == QstatFormat::Text && !out.stdout.is_empty() && !out.stdout.ends_with("\n\n") {
            return Err(Unreadable::Parse {
                command: spec.display(),
                reason: "the answer was cut short".to_string(),
            });
        }
        match format {
            QstatFormat::Json => parse::qstat_json(&out.stdout),
            QstatFormat::Text => parse::qstat_full_text(&out.stdout),
        }
        .map_err(|e| Unreadable::Parse {
            command: spec.display(),
            reason: e.to_string(),
        })
    }

    /// `qstat -f [-F json] -x` of every job, as the hub's user, read for `owner`'s jobs
    /// named `name`. Heavy on a big cluster with history, but asked only when a hub restarts
    /// with a submit cut short.
    async fn find_jobs(
        &self,
        owner: &UserName,
        name: &JobName,
    ) -> Result<Vec<FoundJob>, SchedulerError> {
        let argv = self.qstat_argv();
        let command = argv.join(" ");
        let jobs = self
            .qstat_jobs(argv)
            .await
            .map_err(Unreadable::into_error)?;
        owned_and_named(jobs, owner, name)
            .map_err(|reason| SchedulerError::BadOutput { command, reason })
    }
}

/// Why a `qstat` gave no answer to use.
enum Unreadable {
    /// The command failed.
    Failed(SchedulerError),
    /// It answered something that does not parse.
    Parse {
        /// The command, as run.
        command: String,
        /// What was wrong with its answer.
        reason: String,
    },
}

impl Unreadable {
    /// The reason, as a status's `query_error` carries it.
    fn into_reason(self) -> String {
        match self {
            Unreadable::Failed(error) => error.to_string(),
            Unreadable::Parse { command, reason } => {
                format!("could not read the answer of `{command}`: {reason}")
            }
        }
    }

    fn into_error(self) -> SchedulerError {
        match self {
            Unreadable::Failed(error) => error,
            Unreadable::Parse { command, reason } => SchedulerError::BadOutput { command, reason },
        }
    }
}

impl Commands {
    /// Runs `argv` as the hub's user and returns its stdout, or the error it is.
    async fn query(&self, argv: Vec<String>) -> Result<String, SchedulerError> {
        let spec = self.spec(argv, None);
        let out = self.run(&spec).await?;
        if out.success() {
            Ok(out.stdout)
        } else {
            Err(Commands::failure(&spec, &out))
        }
    }

    /// `qstat -B -f` and `pbsnodes -a`, one after the other (two light queries; the hub
    /// caches the answer).
    async fn cluster_summary(&self) -> Result<ClusterSummary, SchedulerError> {
        let bad = |command: &str, e: parse::ParseError| SchedulerError::BadOutput {
            command: command.to_string(),
            reason: e.to_string(),
        };
        let qstat = vec![self.config.qstat.clone(), "-B".into(), "-f".into()];
        let server = self.query(qstat).await?;
        let jobs = parse::qstat_server_state_count(&server).map_err(|e| bad("qstat -B -f", e))?;
        let pbsnodes = vec![self.config.pbsnodes.clone(), "-a".into()];
        let nodes = match self.query(pbsnodes).await {
            Ok(text) => parse::pbsnodes_states(&text).map_err(|e| bad("pbsnodes -a", e))?,
            // An empty cluster: `pbsnodes: No nodes found`, exit 0 on most versions, 1 on
            // some.
            Err(SchedulerError::CommandFailed { stderr, .. })
                if stderr.contains("No nodes found") =>
            {
                NodeCount::default()
            }
            Err(e) => return Err(e),
        };
        Ok(ClusterSummary::from_counts(jobs, nodes))
    }
}

#[async_trait]
impl Scheduler for PbsDriver {
    async fn submit(&self, spec: &JobSpec) -> Result<JobId, SchedulerError> {
        let commands = &self.commands;
        let script = render(spec, &commands.config.body).map_err(|e| match e {
            ScriptError::Resources(error) => SchedulerError::Rejected(error),
            other => SchedulerError::Invalid(other.to_string()),
        })?;
        let argv = as_user(
            &commands.config.run_as,
            spec.owner.as_str(),
            &commands.config.qsub,
            &[],
        );
        let command = commands.spec(argv, Some(script.into_bytes()));
        let id = submit_on_stdin(
            commands.runner.as_ref(),
            &command,
            parse::qsub_job_id,
            Commands::failure,
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
        let gone_after = self.commands.config.gone_after_misses;
        for (argv, group) in self.qstat_calls(ids) {
            let answer = self.commands.qstat(argv).await;
            let mut misses = self.misses.lock().expect("misses lock");
            for id in group {
                let outcome = match &answer {
                    Ok(jobs) => Ok(jobs.get(&id_key(id.as_str()))),
                    Err(reason) => Err(reason.as_str()),
                };
                map.insert(id.clone(), misses.judge(id, outcome, gone_after));
            }
        }
        map
    }

    async fn cancel(&self, id: &JobId) -> Result<(), SchedulerError> {
        let config = &self.commands.config;
        let owner = self.owners.lock().expect("owners lock").get(id).cloned();
        let (prefix, user) = match &owner {
            Some(owner) => (config.run_as.clone(), owner.as_str().to_string()),
            None => (config.manage_as.clone(), String::new()),
        };
        self.commands.qdel(&prefix, &user, id, false).await?;
        if let Some(grace) = config.force_after {
            tokio::spawn(force_later(
                self.commands.clone(),
                prefix,
                user,
                id.clone(),
                grace,
            ));
        }
        Ok(())
    }
    async fn find_jobs(
        &self,
        owner: &UserName,
        name: &JobName,
    ) -> Result<Vec<FoundJob>, SchedulerError> {
        let found = self.commands.find_jobs(owner, name).await?;
        // A job found is one the hub may adopt and later delete: as its owner, like the
        // jobs this driver submitted.
        let mut owners = self.owners.lock().expect("owners lock");
        for job in &found {
            owners.insert(job.id.clone(), owner.clone());
        }
        Ok(found)
    }

    async fn cluster_summary(&self) -> Result<ClusterSummary, SchedulerError> {
        self.commands.cluster_summary().await
    }
}

/// After `grace`, a job `qdel` did not end is deleted with `qdel -W force` (a MoM that does
/// not answer keeps a job in `R` or `E` forever otherwise).
async fn force_later(
    commands: Commands,
    prefix: Vec<String>,
    user: String,
    id: JobId,
    grace: Duration,
) {
    tokio::time::sleep(grace).await;
    let mut argv = commands.qstat_argv();
    argv.push(id.as_str().to_string());
    let still_there = match commands.qstat(argv).await {
        Ok(jobs) => jobs
            .get(&id_key(id.as_str()))
            .is_some_and(|s| s.state.holds_nodes()),
        // Cannot tell: forcing a job that may be gone is harmless (qdel says so).
        Err(_) => true,
    };
    if still_there {
        let _ = commands.qdel(&prefix, &user, &id, true).await;
    }
}
