//! Run by root, the daemon runs each job as its owner (the peer that submitted it) and
//! keeps users out of each other's jobs, as PBS does.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::cluster::Cluster;

/// Debian's `daemon` account (uid and gid 1): a user other than root whose home
/// directory exists (jobs start there, as PBS's do; `nobody`'s does not exist).
const USER: &str = "daemon";
const UID: u32 = 1;

/// A command run as [`USER`], from `dir`.
fn as_user(program: &std::path::Path, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", USER, "--regid", USER, "--clear-groups", "--"])
        .arg(program)
        .current_dir(dir)
        .env_remove("PBS_SIM_SOCKET")
        .env("USER", USER)
        .env("LOGNAME", USER);
    cmd
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("setpriv runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "needs root (the daemon switches to job owners) and the daemon account"]
fn jobs_run_as_their_owner_and_other_users_cannot_touch_them() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "run this test as root"
    );
    let account = nix::unistd::User::from_name(USER)
        .unwrap()
        .expect("a daemon account");
    assert_eq!(account.uid.as_raw(), UID);
    assert!(
        account.dir.is_dir(),
        "{USER}'s home {} must exist",
        account.dir.display()
    );
    let cluster = Cluster::start(&[]);
    // The user must reach the shims, the binary they link to and a directory of its own.
    let dir = cluster.dir.path();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.join("pbs-sim");
    std::fs::copy(assert_cmd::cargo::cargo_bin("pbs-sim"), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A child another test spawned while the copy was open holds its write descriptor
    // until that child execs, and running the copy meanwhile fails with ETXTBSY. No new
    // child can inherit it now the copy is closed, so one clean run proves it gone.
    let runs = (0..100).find_map(|_| match Command::new(&exe).arg("--help").output() {
        Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
            std::thread::sleep(std::time::Duration::from_millis(50));
            None
        }
        r => Some(r.expect("the copied pbs-sim runs")),
    });
    assert!(runs.is_some(), "{} stayed busy for 5 s", exe.display());
    let ubin = dir.join("ubin");
    let out = Command::new(&exe)
        .args(["install-shims"])
        .arg(&ubin)
        .arg("--socket")
        .arg(cluster.socket())
        .output()
        .unwrap();
    assert!(out.status.success());
    let shared = dir.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(shared.join("who.sh"), "id -un\n").unwrap();

    let (code, out, err) = output(as_user(&ubin.join("qsub"), &shared).arg("who.sh"));
    assert_eq!(code, 0, "{err}");
    let id = out.trim_end().to_string();
    let done = cluster.wait_for(&id, "F", &mut Vec::new());
    assert!(
        done["Job_Owner"].as_str().unwrap().starts_with("daemon@"),
        "{done}"
    );
    assert_eq!(done["Exit_status"], 0, "{done}");
    let seq = id.split('.').next().unwrap();
    let out_file = shared.join(format!("who.sh.o{seq}"));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "daemon\n");
    let meta = std::fs::metadata(&out_file).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), UID);

    // root's job: another user may see it but not delete it.
    let roots = cluster.submit("mine.sh", "sleep 30\n", &["-h"]);
    let (code, _, err) = output(as_user(&ubin.join("qdel"), &shared).arg(&roots));
    assert_eq!(
        (code, err.as_str()),
        (
            159,
            format!("qdel: Unauthorized Request  {roots}\n").as_str()
        )
    );
    assert_eq!(cluster.job(&roots)["job_state"], "H");
    // Nor mark nodes, nor inject faults.
    let (code, _, err) = output(as_user(&ubin.join("pbsnodes"), &shared).args(["-o", "node0001"]));
    assert_eq!(code, 159, "{err}");
    let (code, _, err) = output(
        as_user(&exe, &shared)
            .args(["fault", "--socket"])
            .arg(cluster.socket())
            .arg("qstat-fail"),
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("only root or the daemon's user may inject faults"),
        "{err}"
    );
    // root (a manager) may delete anyone's job.
    let (code, _, _) = cluster.run("qdel", &[&roots]);
    assert_eq!(code, 0);
}
