//! Every command's error paths print PBS Pro's text and exit with its code.

use crate::cluster::Cluster;

/// (command, args, exit code, stderr).
type Case<'a> = (&'a str, &'a [&'a str], i32, &'a str);

#[test]
fn errors_print_pbs_texts_and_exit_codes() {
    let cluster = Cluster::start(&[]);
    std::fs::write(cluster.path("job.sh"), "true\n").unwrap();
    std::fs::write(cluster.path("bad.sh"), "#PBS -N my job\ntrue\n").unwrap();
    let cases: &[Case] = &[
        (
            "qstat",
            &["99999"],
            153,
            "qstat: Unknown Job Id 99999.pbs02\n",
        ),
        (
            "qstat",
            &["99999.pbs02"],
            153,
            "qstat: Unknown Job Id 99999.pbs02\n",
        ),
        (
            "qstat",
            &["1x"],
            1,
            "qstat: illegally formed job identifier: 1x\n",
        ),
        (
            "qstat",
            &["nosuch"],
            170,
            "qstat: Unknown queue destination nosuch\n",
        ),
        ("qdel", &["99999"], 153, "qdel: Unknown Job Id 99999\n"),
        (
            "qdel",
            &["foo"],
            1,
            "qdel: illegally formed job identifier: foo\n",
        ),
        (
            "qsub",
            &["-l", "foo=1", "job.sh"],
            187,
            "qsub: Unknown resource Resource_List.foo\n",
        ),
        (
            "qsub",
            &["-l", "select=1:ncpus=1:gizmo=2", "job.sh"],
            187,
            "qsub: Unknown resource: gizmo\n",
        ),
        (
            "qsub",
            &["-l", "walltime=abc", "job.sh"],
            166,
            "qsub: Illegal attribute or resource value Resource_List.walltime\n",
        ),
        (
            "qsub",
            &["-q", "nosuch", "job.sh"],
            170,
            "qsub: Unknown queue\n",
        ),
        (
            "qsub",
            &["missing.sh"],
            1,
            "qsub: script file:: No such file or directory\n",
        ),
        (
            "qsub",
            &["-j", "xy", "job.sh"],
            2,
            "qsub: illegal -j value\n",
        ),
        (
            "qsub",
            &["-q", "c1_single", "-l", "walltime=1000:00:00", "job.sh"],
            188,
            "qsub: Job violates queue and/or server resource limits\n",
        ),
        (
            "qsub",
            &["-l", "walltime=1000:00:00", "job.sh"],
            191,
            "qsub: Job rejected by all possible destinations\n",
        ),
        (
            "qsub",
            &["bad.sh"],
            1,
            "qsub: directive error: -N my job \n",
        ),
        (
            "pbsnodes",
            &["nodeX"],
            1,
            "Node: nodeX,  Error: Unknown node \n",
        ),
    ];
    for (cmd, args, code, stderr) in cases {
        let (got_code, out, err) = cluster.run(cmd, args);
        assert_eq!(
            (got_code, err.as_str()),
            (*code, *stderr),
            "{cmd} {args:?} printed {out:?}"
        );
    }
}

#[test]
fn option_errors_print_the_usage() {
    let cluster = Cluster::start(&[]);
    // pbsnodes alone exits 1 on an option error (pbsnodes.c).
    for (cmd, exit_code) in [("qstat", 2), ("qsub", 2), ("qdel", 2), ("pbsnodes", 1)] {
        let (code, _, err) = cluster.run(cmd, &["-Z"]);
        assert_eq!(code, exit_code, "{cmd} -Z");
        assert!(err.contains("invalid option -- 'Z'"), "{cmd}: {err}");
        assert!(err.contains("usage:"), "{cmd}: {err}");
    }
}

#[test]
fn several_ids_print_the_good_ones_and_exit_with_the_last_error() {
    let cluster = Cluster::start(&[]);
    let id = cluster.submit("a.sh", "sleep 30\n", &["-h"]);
    let (code, out, err) = cluster.run("qstat", &["88888", &id]);
    assert_eq!(code, 153);
    assert_eq!(err, "qstat: Unknown Job Id 88888.pbs02\n");
    assert!(out.contains(&id), "{out}");
}

#[test]
fn without_a_daemon_the_shims_cannot_connect_to_the_server() {
    let cluster = Cluster::start(&[]);
    let mut cluster = cluster;
    let (status, _) = cluster.stop();
    assert!(status.success());
    for cmd in ["qstat", "qdel 1", "pbsnodes -a", "qsub job.sh"] {
        std::fs::write(cluster.path("job.sh"), "true\n").unwrap();
        let mut words = cmd.split(' ');
        let name = words.next().unwrap();
        let args: Vec<&str> = words.collect();
        let (code, out, err) = cluster.run(name, &args);
        assert_eq!(code, 162, "{cmd}: 15010 & 0xff");
        assert_eq!(out, "");
        assert_eq!(
            err,
            format!("{name}: cannot connect to server pbs02 (errno=15010)\n")
        );
    }
    // The version needs no server.
    let (code, out, _) = cluster.run("qstat", &["--version"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "pbs_version = 2022.1.1.20220926110806\n")
    );
}
