//! The status the server sends for a job, node, queue or the server itself: PBS's
//! attributes, in PBS's order, with values encoded as the server encodes them (times in
//! epoch seconds; the renderers in [`crate::format`] turn them into text).

use drivers::JobState;

use super::server::Server;
use super::userjob::{Dependency, UserJob};
use crate::engine::config::QueueKind;
use crate::engine::job::Job;
use crate::engine::res::SimTime;
use crate::engine::status::format_kb;
use crate::engine::Engine;
use crate::format::{Attr, StatusObject};

/// The host name shown for background jobs' submission (`Job_Owner`, `Submit_Host`).
pub const BACKGROUND_SUBMIT_HOST: &str = "login001";

/// The status of job `job` at simulated time `now`.
pub fn job_status(server: &Server, job: &Job, now: SimTime) -> StatusObject {
    let engine = server.engine();
    let user = server.user_job(job.key);
    let seq = job.key;
    let host = user.map_or(BACKGROUND_SUBMIT_HOST, |u| u.submit_host.as_str());
    let mut a = Vec::with_capacity(48);
    a.push(Attr::new("Job_Name", job.name.as_str()));
    a.push(Attr::new(
        "Job_Owner",
        user.map_or_else(
            || format!("{}@{host}", job.owner),
            |u| u.fixed.job_owner.clone(),
        ),
    ));
    if let Some(started) = job
        .started
        .filter(|_| job.state != JobState::Queued || job.run_count > 0)
    {
        let end = match job.state {
            JobState::Running => now,
            _ => job.finished.unwrap_or(now),
        };
        let wall = end.saturating_sub(started);
        let ncpus = u64::from(job.need.total.ncpus);
        // Background jobs keep their CPUs busy; a user job's real usage is not measured.
        let busy = if user.is_some() { 0 } else { ncpus };
        a.push(Attr::res(
            "resources_used",
            "cpupercent",
            (busy * 100).to_string(),
        ));
        a.push(Attr::res("resources_used", "cput", hms(wall * busy)));
        let mem = if user.is_some() {
            0
        } else {
            job.need.total.mem_kb / 2
        };
        a.push(Attr::res("resources_used", "mem", format!("{mem}kb")));
        a.push(Attr::res("resources_used", "ncpus", ncpus.to_string()));
        a.push(Attr::res("resources_used", "vmem", format!("{mem}kb")));
        a.push(Attr::res("resources_used", "walltime", hms(wall)));
    }
    a.push(Attr::new(
        "job_state",
        job.state.letter().map(String::from).unwrap_or_default(),
    ));
    a.push(Attr::new(
        "queue",
        engine.config().queues[job.queue].name.as_str(),
    ));
    a.push(Attr::new("server", engine.config().server_name.as_str()));
    if let Some(account) = user.and_then(|u| u.account.as_deref()) {
        a.push(Attr::new("Account_Name", account));
    }
    a.push(Attr::new("Checkpoint", "u"));
    a.push(Attr::new("ctime", job.created.to_string()));
    if let Some(dep) = user.and_then(|u| u.depend.as_ref()) {
        a.push(Attr::new("depend", depend_text(dep, engine)));
    }
    let (out, err) = match user {
        Some(u) => (u.fixed.output_path.clone(), u.fixed.error_path.clone()),
        None => {
            let dir = format!("{host}:/home/{}", job.owner);
            (
                format!("{dir}/{}.o{seq}", job.name),
                format!("{dir}/{}.e{seq}", job.name),
            )
        }
    };
    a.push(Attr::new("Error_Path", err));
    let ran = matches!(
        job.state,
        JobState::Running | JobState::Exiting | JobState::Finished
    );
    if let Some(alloc) = job.alloc.as_ref().filter(|_| ran) {
        a.push(Attr::new("exec_host", engine.exec_host(alloc)));
        a.push(Attr::new("exec_vnode", engine.exec_vnode(alloc)));
    }
    a.push(Attr::new("Hold_Types", hold_types(job, user)));
    a.push(Attr::new(
        "Join_Path",
        user.map_or("n", |u| u.join.as_str()),
    ));
    a.push(Attr::new("Keep_Files", "n"));
    a.push(Attr::new(
        "Mail_Points",
        user.map_or("a", |u| u.mail_points.as_str()),
    ));
    if let Some(to) = user.and_then(|u| u.mail_users.as_deref()) {
        a.push(Attr::new("Mail_Users", to));
    }
    a.push(Attr::new("mtime", modified(job).to_string()));
    a.push(Attr::new("Output_Path", out));
    a.push(Attr::new(
        "Priority",
        user.map_or(0, |u| u.priority).to_string(),
    ));
    a.push(Attr::new("qtime", job.queued_at.to_string()));
    a.push(Attr::new(
        "Rerunable",
        if job.rerunnable { "True" } else { "False" },
    ));
    for (name, value) in resource_list(job) {
        a.push(Attr::res("Resource_List", name, value));
    }
    if let Some(started) = job.started {
        a.push(Attr::new("stime", started.to_string()));
    }
    if let Some(finished) = job
        .finished
        .filter(|_| job.state == JobState::Finished && job.run_count > 0)
    {
        a.push(Attr::new("obittime", finished.to_string()));
    }
    if ran {
        a.push(Attr::new("session_id", session_id(job.key).to_string()));
        a.push(Attr::new("jobdir", home(job, user)));
    }
    a.push(Attr::new("substate", substate(job, user).to_string()));
    a.push(Attr::new("Variable_List", variable_list(job, user, host)));
    if let Some(comment) = engine.comment_text(job) {
        a.push(Attr::new("comment", comment));
    }
    a.push(Attr::new("etime", job.queued_at.to_string()));
    if job.run_count > 0 {
        a.push(Attr::new("run_count", job.run_count.to_string()));
    }
    if let Some(status) = job
        .exit_status
        .filter(|_| matches!(job.state, JobState::Exiting | JobState::Finished))
    {
        a.push(Attr::new("Exit_status", status.to_string()));
    }
    a.push(Attr::new(
        "Submit_arguments",
        user.map_or("", |u| u.submit_args.as_str()),
    ));
    if let Some((start, alloc)) = &job.estimate {
        a.push(Attr::res(
            "estimated",
            "exec_vnode",
            engine.exec_vnode(alloc),
        ));
        a.push(Attr::res("estimated", "start_time", start.to_string()));
    }
    if job.state == JobState::Finished {
        a.push(Attr::new(
            "history_timestamp",
            job.finished.unwrap_or(now).to_string(),
        ));
    }
    a.push(Attr::new(
        "project",
        user.and_then(|u| u.project.as_deref())
            .unwrap_or("_pbs_project_default"),
    ));
    a.push(Attr::new("Submit_Host", host));
    StatusObject::new(engine.job_id(job.key).to_string(), a)
}

/// `HH:MM:SS` with hours past 24, as PBS prints durations.
pub fn hms(seconds: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A held job waiting on a dependency shows `s` (system hold) and substate 22.
fn dependency_held(job: &Job, user: Option<&UserJob>) -> bool {
    job.state == JobState::Held && user.is_some_and(|u| u.depend.is_some() && !u.hold)
}

fn hold_types(job: &Job, user: Option<&UserJob>) -> &'static str {
    if dependency_held(job, user) {
        "s"
    } else if job.state == JobState::Held {
        "u"
    } else {
        "n"
    }
}

fn substate(job: &Job, user: Option<&UserJob>) -> u32 {
    if dependency_held(job, user) {
        22
    } else {
        job.substate
    }
}

fn modified(job: &Job) -> SimTime {
    [Some(job.queued_at), job.started, job.finished]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(job.created)
}

/// A stable stand-in for the job's top process id.
fn session_id(key: u64) -> u64 {
    1000 + key * 7919 % 400_000
}

fn home(job: &Job, user: Option<&UserJob>) -> String {
    user.and_then(|u| u.variable("PBS_O_HOME"))
        .map_or_else(|| format!("/home/{}", job.owner), str::to_string)
}

fn variable_list(job: &Job, user: Option<&UserJob>, host: &str) -> String {
    match user {
        Some(u) => u.fixed.variable_list.clone(),
        None => {
            let home = format!("/home/{}", job.owner);
            format!(
                "PBS_O_HOME={home},PBS_O_LOGNAME={owner},PBS_O_PATH=/usr/local/bin:/usr/bin:/bin,\
                 PBS_O_SHELL=/bin/bash,PBS_O_WORKDIR={home},PBS_O_SYSTEM=Linux,PBS_O_HOST={host}",
                owner = job.owner
            )
        }
    }
}

fn depend_text(dep: &Dependency, engine: &Engine) -> String {
    let ids: Vec<String> = dep
        .jobs
        .iter()
        .map(|id| match engine.key_of(id) {
            Some(key) => engine.job_id(key).to_string(),
            None => id.clone(),
        })
        .collect();
    format!("{}:{}", dep.kind, ids.join(":"))
}

/// `Resource_List.*` sorted case-insensitively, as the server sends them: the request,
/// with the chunk sums PBS derives (`ncpus`, `mem`, `ngpus`, `nodect`) and `place`.
pub fn resource_list(job: &Job) -> Vec<(String, String)> {
    let request = &job.request;
    let mut list: Vec<(String, String)> = Vec::new();
    if let Some(select) = &request.select {
        list.push(("select".into(), select.to_string()));
        list.push((
            "ncpus".into(),
            select.total_count("ncpus").max(1).to_string(),
        ));
        let mem = select.total_kb("mem");
        if mem > 0 {
            list.push(("mem".into(), format_kb(mem)));
        }
        list.push(("ngpus".into(), select.total_count("ngpus").to_string()));
        list.push(("nodect".into(), select.chunk_count().to_string()));
        let place = request
            .place
            .as_ref()
            .map_or_else(|| "free".to_string(), ToString::to_string);
        list.push(("place".into(), place));
    }
    if let Some(walltime) = &request.walltime {
        list.push(("walltime".into(), walltime.to_string()));
    }
    for (name, value) in &request.other {
        if !list.iter().any(|(n, _)| n == name) {
            list.push((name.clone(), value.clone()));
        }
    }
    list.sort_by(|(a, _), (b, _)| {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    });
    list
}

/// The status of every node, as `pbsnodes -a` shows them.
pub fn node_status(engine: &Engine, index: usize, domain: &str, changed: SimTime) -> StatusObject {
    let node = &engine.cluster().nodes[index];
    let def = &node.def;
    let mut a = Vec::with_capacity(32);
    a.push(Attr::new("Mom", format!("{}{domain}", def.name)));
    a.push(Attr::new("ntype", "PBS"));
    a.push(Attr::new("state", node.pbs_state()));
    a.push(Attr::new("pcpus", def.ncpus.to_string()));
    a.push(Attr::new("Priority", def.priority.to_string()));
    let mut slots = Vec::new();
    for &key in &node.jobs {
        let Some(job) = engine.job(key) else { continue };
        let id = engine.job_id(key);
        let cpus: u32 = job
            .alloc
            .iter()
            .flatten()
            .filter(|s| s.node as usize == index)
            .map(|s| s.res.ncpus)
            .sum();
        for _ in 0..cpus {
            slots.push(format!("{id}/{}", slots.len()));
        }
    }
    if !slots.is_empty() {
        a.push(Attr::new("jobs", slots.join(", ")));
    }
    let mut available: Vec<(String, String)> = vec![
        ("arch".into(), "linux".into()),
        ("host".into(), def.name.clone()),
        ("mem".into(), format_kb(def.mem_kb)),
        ("ncpus".into(), def.ncpus.to_string()),
        ("ngpus".into(), def.ngpus.to_string()),
        ("vnode".into(), def.name.clone()),
    ];
    for (k, v) in &def.attributes {
        available.push((k.clone(), v.clone()));
    }
    available.sort_by_key(|(k, _)| k.to_lowercase());
    for (k, v) in available {
        a.push(Attr::res("resources_available", k, v));
    }
    let used = node.cap - node.free;
    a.push(Attr::res(
        "resources_assigned",
        "mem",
        format!("{}kb", used.mem_kb),
    ));
    a.push(Attr::res(
        "resources_assigned",
        "ncpus",
        used.ncpus.to_string(),
    ));
    a.push(Attr::res(
        "resources_assigned",
        "ngpus",
        used.ngpus.to_string(),
    ));
    a.push(Attr::res("resources_assigned", "vmem", "0kb"));
    a.push(Attr::new("resv_enable", "True"));
    a.push(Attr::new("sharing", "default_shared"));
    a.push(Attr::new("last_state_change_time", changed.to_string()));
    a.push(Attr::new("last_used_time", changed.to_string()));
    StatusObject::new(def.name.clone(), a)
}

/// Per state, how many jobs (`state_count`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    transit: u64,
    queued: u64,
    held: u64,
    waiting: u64,
    running: u64,
    exiting: u64,
    begun: u64,
}

impl Counts {
    fn add(&mut self, state: JobState) {
        match state {
            JobState::Transiting => self.transit += 1,
            JobState::Queued => self.queued += 1,
            JobState::Held => self.held += 1,
            JobState::Waiting => self.waiting += 1,
            JobState::Running => self.running += 1,
            JobState::Exiting => self.exiting += 1,
            JobState::Begun => self.begun += 1,
            _ => {}
        }
    }

    fn total(&self) -> u64 {
        self.transit
            + self.queued
            + self.held
            + self.waiting
            + self.running
            + self.exiting
            + self.begun
    }

    fn text(&self) -> String {
        format!(
            "Transit:{} Queued:{} Held:{} Waiting:{} Running:{} Exiting:{} Begun:{} ",
            self.transit,
            self.queued,
            self.held,
            self.waiting,
            self.running,
            self.exiting,
            self.begun
        )
    }
}

/// The status of every queue (`qstat -Q`).
pub fn queue_status(engine: &Engine) -> Vec<StatusObject> {
    let queues = &engine.config().queues;
    let mut counts = vec![Counts::default(); queues.len()];
    for job in engine.jobs() {
        counts[job.queue].add(job.state);
    }
    queues
        .iter()
        .zip(counts)
        .map(|(q, c)| {
            let kind = match q.kind {
                QueueKind::Execution => "Execution",
                QueueKind::Route { .. } => "Route",
            };
            let mut a = vec![
                Attr::new("queue_type", kind),
                Attr::new("Priority", q.priority.to_string()),
                Attr::new("total_jobs", c.total().to_string()),
                Attr::new("state_count", c.text()),
            ];
            if let Some(max) = q.max_run {
                a.push(Attr::new("max_running", max.to_string()));
            }
            if let Some(w) = &q.max.walltime {
                a.push(Attr::res("resources_max", "walltime", w.to_string()));
            }
            if let Some(w) = &q.default_walltime {
                a.push(Attr::res("resources_default", "walltime", w.to_string()));
            }
            if let QueueKind::Route { destinations } = &q.kind {
                a.push(Attr::new("route_destinations", destinations.join(",")));
            }
            a.push(Attr::new(
                "enabled",
                if q.enabled { "True" } else { "False" },
            ));
            a.push(Attr::new(
                "started",
                if q.started { "True" } else { "False" },
            ));
            StatusObject::new(q.name.clone(), a)
        })
        .collect()
}

/// The server's status (`qstat -B`).
pub fn server_status(engine: &Engine, pbs_version: &str) -> StatusObject {
    let mut c = Counts::default();
    for job in engine.jobs() {
        c.add(job.state);
    }
    let config = engine.config();
    let mut a = vec![
        Attr::new("server_state", "Active"),
        Attr::new("server_host", config.server_name.as_str()),
        Attr::new("scheduling", "True"),
        Attr::new("total_jobs", c.total().to_string()),
        Attr::new("state_count", c.text()),
    ];
    if let Some(q) = &config.default_queue {
        a.push(Attr::new("default_queue", q.as_str()));
    }
    a.push(Attr::new("log_events", "511"));
    a.push(Attr::new("query_other_jobs", "True"));
    a.push(Attr::new("scheduler_iteration", "600"));
    a.push(Attr::new("pbs_version", pbs_version));
    a.push(Attr::new(
        "job_history_enable",
        if config.history { "True" } else { "False" },
    ));
    StatusObject::new(config.server_name.clone(), a)
}
