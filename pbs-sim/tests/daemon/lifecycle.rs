//! The daemon itself: a clean shutdown on SIGTERM, a socket it will not steal, and a job
//! table (and running jobs) that survive a restart, as a PBS server's do.

use std::time::Duration;

use crate::cluster::{process_exists, Cluster};

#[test]
fn sigterm_stops_the_daemon_cleanly_and_removes_its_socket() {
    let mut cluster = Cluster::start(&[]);
    assert!(cluster.socket().exists());
    let (status, stderr) = cluster.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("pbs-sim: SIGTERM, shutting down"),
        "{stderr}"
    );
    assert!(stderr.ends_with("pbs-sim: stopped\n"), "{stderr}");
    assert!(!cluster.socket().exists());
}

#[test]
fn a_socket_in_use_is_refused_with_a_clear_error() {
    let cluster = Cluster::start(&[]);
    let out = cluster
        .pbs_sim()
        .arg("serve")
        .arg("--socket")
        .arg(cluster.socket())
        .arg("--state-dir")
        .arg(cluster.path("other-state"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "another pbs-sim daemon is already serving on {}",
            cluster.socket().display()
        )),
        "{err}"
    );
    // The first daemon is unharmed.
    let (code, _, _) = cluster.run("qstat", &[]);
    assert_eq!(code, 0);
}

#[test]
fn jobs_and_their_processes_survive_a_restart_of_the_daemon() {
    let mut cluster = Cluster::start(&[]);
    let running = cluster.submit(
        "run.sh",
        "echo $$ > \"$PBS_O_WORKDIR/pid.txt\"\nsleep 3\necho done\n",
        &["-N", "run"],
    );
    let held = cluster.submit("held.sh", "true\n", &["-h", "-N", "held"]);
    cluster.wait_for(&running, "R", &mut Vec::new());
    let before = cluster.job(&running);

    let (status, _) = cluster.stop();
    assert!(status.success());
    // PBS's jobs outlive its server: the job's process is still there.
    std::thread::sleep(Duration::from_millis(300));
    let pid_file = cluster.path("pid.txt");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()))
        .trim()
        .parse()
        .unwrap();
    assert!(
        process_exists(pid),
        "the job's process died with the daemon"
    );

    cluster.restart();
    let after = cluster.job(&running);
    assert_eq!(after["job_state"], "R");
    assert_eq!(after["exec_host"], before["exec_host"]);
    assert_eq!(after["stime"], before["stime"]);
    assert_eq!(cluster.job(&held)["job_state"], "H");

    let done = cluster.wait_for(&running, "F", &mut Vec::new());
    assert_eq!(done["Exit_status"], 0);
    let seq = running.split('.').next().unwrap();
    let out = std::fs::read_to_string(cluster.path(&format!("run.o{seq}"))).unwrap();
    assert_eq!(out, "done\n");
    // New jobs carry on the sequence.
    let next = cluster.submit("next.sh", "true\n", &[]);
    let next_seq: u64 = next.split('.').next().unwrap().parse().unwrap();
    assert!(next_seq > held.split('.').next().unwrap().parse::<u64>().unwrap());
}

#[test]
fn a_job_that_ended_while_the_daemon_was_down_is_finished_on_restart() {
    let mut cluster = Cluster::start(&[]);
    let id = cluster.submit("quick.sh", "sleep 1\nexit 7\n", &[]);
    cluster.wait_for(&id, "R", &mut Vec::new());
    let (status, _) = cluster.stop();
    assert!(status.success());
    std::thread::sleep(Duration::from_secs(2));
    cluster.restart();
    let done = cluster.wait_for(&id, "F", &mut Vec::new());
    assert_eq!(done["Exit_status"], 7);
}

#[test]
fn the_journal_of_job_scripts_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = Cluster::start(&[]);
    cluster.submit("secret.sh", "export TOKEN=s3cret\ntrue\n", &["-h"]);
    let journal = cluster.path("state").join("journal.jsonl");
    let mode = std::fs::metadata(&journal).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "journal mode {mode:o}");
    let dir_mode = std::fs::metadata(cluster.path("state"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o711, "state directory mode {dir_mode:o}");
}
