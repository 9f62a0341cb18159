//! What `qstat` and `pbsnodes` list, in their formats, through the daemon.

use serde_json::Value;

use crate::cluster::Cluster;

#[test]
fn json_has_no_jobs_key_when_nothing_matches() {
    let cluster = Cluster::start(&[]);
    let (code, out, err) = cluster.run("qstat", &["-f", "-F", "json"]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert!(json.get("Jobs").is_none(), "{out}");
    assert_eq!(json["pbs_server"], "pbs02");
    assert!(json["timestamp"].is_u64());
    assert!(out.starts_with("{\n    \"timestamp\":"), "{out}");
    // Nothing to list: the default table prints nothing at all.
    let (code, out, _) = cluster.run("qstat", &[]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn a_busy_cluster_lists_other_users_jobs_in_every_format() {
    let cluster = Cluster::start(&["--background-load", "0.9", "--warmup", "20000"]);
    let (code, table, _) = cluster.run("qstat", &[]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines.len() > 10, "{table}");
    assert!(lines[0].starts_with("Job id"), "{table}");
    assert!(lines[2..].iter().any(|l| l.contains(" R ")), "{table}");

    let (code, alt, _) = cluster.run("qstat", &["-a", "-n", "-s"]);
    assert_eq!(code, 0);
    assert!(alt.starts_with("\npbs02: \n"), "{alt}");

    let (code, out, _) = cluster.run("qstat", &["-f", "-F", "json"]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&out).unwrap();
    let jobs = json["Jobs"].as_object().unwrap();
    // The cluster lives on between the two calls: a job may have ended meanwhile.
    let listed = lines.len() - 2;
    assert!(
        jobs.len().abs_diff(listed) <= 3,
        "{} JSON jobs, {listed} in the table",
        jobs.len()
    );

    let (code, full, _) = cluster.run("qstat", &["-f"]);
    assert_eq!(code, 0);
    assert!(full.matches("Job Id: ").count().abs_diff(jobs.len()) <= 3);
    assert!(
        full.lines().all(|l| l.len() <= 80 || l.starts_with('\t')),
        "78-column wrapping"
    );

    // -T: waiting jobs with the scheduler's estimate show a start; -u picks one user.
    let (code, est, _) = cluster.run("qstat", &["-T"]);
    assert_eq!(code, 0);
    assert!(est.contains("Est"), "{est}");
    let user = lines[2].split_whitespace().nth(2).unwrap().to_string();
    let (code, mine, _) = cluster.run("qstat", &["-u", &user]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = mine.lines().skip(5).collect();
    assert!(!rows.is_empty(), "{mine}");
    assert!(
        rows.iter()
            .all(|r| r.split_whitespace().nth(1) == Some(user.as_str())),
        "{mine}"
    );

    let (code, queues, _) = cluster.run("qstat", &["-Q"]);
    assert_eq!(code, 0);
    assert!(queues.lines().any(|l| l.starts_with("workq ")), "{queues}");
    let (code, server, _) = cluster.run("qstat", &["-B"]);
    assert_eq!(code, 0);
    assert!(
        server.lines().nth(2).unwrap().starts_with("pbs02 "),
        "{server}"
    );
    assert!(server.contains("Active"));
}

#[test]
fn pbsnodes_shows_nodes_and_marks() {
    let cluster = Cluster::start(&[]);
    let (code, all, _) = cluster.run("pbsnodes", &["-a"]);
    assert_eq!(code, 0);
    assert_eq!(all.matches("\n     state = ").count(), 20);
    let first = all.lines().next().unwrap().to_string();
    assert!(all.contains("     state = free\n"), "{all}");

    let (code, vnodes, _) = cluster.run("pbsnodes", &["-av"]);
    assert_eq!(code, 0);
    assert_eq!(vnodes, all, "one vnode per host: -av shows the same");

    let (code, out, _) = cluster.run("pbsnodes", &["-F", "json", "-a"]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["nodes"].as_object().unwrap().len(), 20);

    let (code, out, err) = cluster.run("pbsnodes", &["-o", &first]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    cluster.fault(&["node-down", &first]);
    let (code, list, _) = cluster.run("pbsnodes", &["-l"]);
    assert_eq!(code, 0);
    assert_eq!(list, format!("{first:<20} down,offline \n"));
    let (_, one, _) = cluster.run("pbsnodes", &[&first]);
    assert!(one.contains("     state = down,offline\n"), "{one}");
}
