//! The operator's commands: `pbs-sim status` and `pbs-sim fault …` (what a test uses to
//! make the "PBS server" misbehave on purpose).

use drivers::JobState;

use crate::daemon::faults::QstatFault;
use crate::daemon::handle::{Daemon, Peer};
use crate::daemon::protocol::{Control, Reply};
use crate::runner::KillReason;

/// Carries out a control command; faults are for managers only.
pub fn control(daemon: &mut Daemon, peer: &Peer, control: Control) -> Reply {
    if !matches!(control, Control::Status) && !peer.manager {
        return Reply::err(
            1,
            format!(
                "pbs-sim: only root or the daemon's user may inject faults (you are {})\n",
                peer.user
            ),
        );
    }
    let done = |what: String| Reply::out(format!("{what}\n"));
    match control {
        Control::Status => Reply::out(status(daemon)),
        Control::QstatFail { count } => {
            daemon.faults.queue_qstat(QstatFault::Fail, count);
            done(format!("the next {count} qstat calls cannot connect"))
        }
        Control::QstatSlow { count, millis } => {
            daemon.faults.queue_qstat(QstatFault::Slow(millis), count);
            done(format!(
                "the next {count} qstat calls answer after {millis} ms"
            ))
        }
        Control::QstatTruncate { count } => {
            daemon.faults.queue_qstat(QstatFault::Truncate, count);
            done(format!(
                "the next {count} qstat calls print half their output"
            ))
        }
        Control::QsubReject { count, message } => {
            daemon.faults.queue_qsub(&message, count);
            done(format!(
                "the next {count} qsub calls are rejected: {message}"
            ))
        }
        Control::NodeDown { node, down } => {
            let now = daemon.now();
            if daemon.server.set_node_down(now, &node, down) {
                done(format!("{node} is {}", if down { "down" } else { "up" }))
            } else {
                Reply::err(1, format!("pbs-sim: no node {node}\n"))
            }
        }
        Control::JobDie { job, exit_status } => job_die(daemon, &job, exit_status),
        Control::Clear => {
            daemon.faults.clear();
            done("pending faults cleared".to_string())
        }
    }
}

/// A running user job's process is killed and the job ends with `exit_status`, as if the
/// process had died by itself.
fn job_die(daemon: &mut Daemon, job: &str, exit_status: i32) -> Reply {
    let engine = daemon.server.engine();
    let Some(key) = engine.key_of(job).filter(|k| engine.job(*k).is_some()) else {
        return Reply::err(1, format!("pbs-sim: Unknown Job Id {job}\n"));
    };
    let running = engine
        .job(key)
        .is_some_and(|j| j.state == JobState::Running);
    if !running || daemon.server.user_job(key).is_none() {
        return Reply::err(1, format!("pbs-sim: {job} is not a running qsub job\n"));
    }
    let id = engine.job_id(key).to_string();
    if let Err(e) = daemon.runner.kill(&id, KillReason::Deleted) {
        eprintln!("pbs-sim: cannot kill job {id}: {e}");
    }
    let now = daemon.now();
    daemon.server.script_exited(now, key, exit_status);
    Reply::out(format!("{id} ended with exit status {exit_status}\n"))
}

/// A few lines on the cluster: what runs, what waits, how time goes.
fn status(daemon: &Daemon) -> String {
    let server = &daemon.server;
    let engine = server.engine();
    let header = server.header();
    let nodes = &engine.cluster().nodes;
    let busy = nodes.iter().filter(|n| !n.jobs.is_empty()).count();
    let down = nodes.iter().filter(|n| n.down || n.offline).count();
    let (cap, free) = nodes.iter().fold((0u64, 0u64), |(c, f), n| {
        (c + u64::from(n.cap.ncpus), f + u64::from(n.free.ncpus))
    });
    let mut counts = [0usize; 4];
    for job in engine.jobs() {
        let slot = match job.state {
            JobState::Running | JobState::Exiting => 0,
            JobState::Queued => 1,
            JobState::Held | JobState::Waiting => 2,
            _ => 3,
        };
        counts[slot] += 1;
    }
    let used = cap - free;
    format!(
        "server:      {name} ({policy}, seed {seed})\n\
         time:        {now} (speed-up {speedup}x)\n\
         nodes:       {total} ({busy} with jobs, {down} down or offline)\n\
         cores:       {used} of {cap} in use ({pct:.1}%)\n\
         jobs:        {running} running, {queued} queued, {held} held, {done} finished\n\
         background:  {background} jobs submitted\n\
         processes:   {processes} qsub jobs launched\n\
         commands:    qsub {qsub}, qstat {qstat}, qdel {qdel}, pbsnodes {pbsnodes}\n",
        name = header.server_name,
        policy = header.policy,
        seed = header.seed,
        now = crate::engine::status::to_utc(daemon.now()).format("%Y-%m-%d %H:%M:%S UTC"),
        speedup = header.clock.speedup,
        total = nodes.len(),
        pct = if cap == 0 {
            0.0
        } else {
            used as f64 * 100.0 / cap as f64
        },
        running = counts[0],
        queued = counts[1],
        held = counts[2],
        done = counts[3],
        background = server.background_submitted(),
        processes = server.launched().count(),
        qsub = daemon.calls.qsub,
        qstat = daemon.calls.qstat,
        qdel = daemon.calls.qdel,
        pbsnodes = daemon.calls.pbsnodes,
    )
}
