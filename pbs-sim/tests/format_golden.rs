//! Golden tests: every verbatim PBS Pro sample of the reference (§3 qstat, §5 pbsnodes),
//! rebuilt byte for byte from an attribute list by `pbs_sim::format`.
//! Fixtures and their provenance: `tests/fixtures/pbs/README.md`.

use pbs_sim::format::json::{pbsnodes_json, qstat_json};
use pbs_sim::format::pbsnodes::pbsnodes_text;
use pbs_sim::format::qstat_alt::{qstat_alt, AltOptions};
use pbs_sim::format::qstat_full::qstat_full;
use pbs_sim::format::qstat_table::{qstat_table, TableOptions};
use pbs_sim::format::queue_server::{qstat_queues, qstat_servers};
use pbs_sim::format::{Attr, Ctx, StatusObject, Zone};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/pbs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ctx(server: &str) -> Ctx {
    Ctx {
        server: server.into(),
        pbs_version: "19.1.3".into(),
        now: 1_589_439_900,
        zone: Zone::Utc,
    }
}

fn a(name: &str, value: &str) -> Attr {
    Attr::new(name.to_string(), value)
}

fn r(name: &str, resource: &str, value: &str) -> Attr {
    Attr::res(name.to_string(), resource.to_string(), value)
}

#[test]
fn default_table_artemis_row() {
    let job = StatusObject::new(
        "2557008.pbsserver",
        vec![
            a("Job_Name", "Index_hayim"),
            a("Job_Owner", "jdar4135@login1.hpc"),
            a("job_state", "Q"),
            a("queue", "small"),
        ],
    );
    assert_eq!(
        qstat_table(&[job], TableOptions::default()),
        fixture("qstat_default_artemis.txt")
    );
}

#[test]
fn default_table_truncated_ids() {
    // [REAL] `3084.groq-r01-co*` (v20+ truncation: 16 chars and `*`). The reference's other
    // sample, `9932285.string-*`, is only 16 wide, which no qstat version's 17-wide column
    // (nor the 17-char Artemis id above) can produce, so it is not checked here.
    let job = StatusObject::new(
        "3084.groq-r01-control-01.example",
        vec![
            a("Job_Name", "x"),
            a("Job_Owner", "u"),
            a("job_state", "R"),
            a("queue", "q"),
        ],
    );
    let text = qstat_table(&[job], TableOptions::default());
    assert!(text.starts_with(&fixture("qstat_header.txt")));
    assert!(
        text.lines()
            .nth(2)
            .unwrap()
            .starts_with("3084.groq-r01-co* x "),
        "{text}"
    );
}

#[test]
fn alt_table_palmetto_row() {
    let job = StatusObject::new(
        "632585.pbs02",
        vec![
            a("Job_Name", "bigmatrix"),
            a("Job_Owner", "gyourga@login001.palmetto.clemson.edu"),
            r("resources_used", "walltime", "00:00:07"),
            a("job_state", "R"),
            a("queue", "c1_single"),
            r("Resource_List", "mem", "10gb"),
            r("Resource_List", "ncpus", "10"),
            r("Resource_List", "nodect", "1"),
            r("Resource_List", "walltime", "00:30:00"),
            a("session_id", "2438519"),
        ],
    );
    assert_eq!(
        qstat_alt(&[job], &ctx("pbs02"), AltOptions::default()),
        fixture("qstat_a_palmetto.txt")
    );
}

fn ce2020_job() -> StatusObject {
    let vars = "PBS_O_HOME=/home/testuser,PBS_O_LOGNAME=testuser,PBS_O_PATH=/usr/local/bin:/bin:/usr/bin:/usr/local/sbin:/usr/sbin:/opt/pbs/bin:/home/testuser/.local/bin:/home/testuser/bin,PBS_O_MAIL=/var/spool/mail/testuser,PBS_O_SHELL=/bin/bash,PBS_O_WORKDIR=/home/testuser,PBS_O_SYSTEM=Linux,PBS_O_QUEUE=workq,PBS_O_HOST=e5a207891675";
    StatusObject::new(
        "0.e5a207891675",
        vec![
            a("Job_Name", "pbspro.submit"),
            a("Job_Owner", "testuser@e5a207891675"),
            r("resources_used", "cpupercent", "0"),
            r("resources_used", "cput", "00:00:00"),
            r("resources_used", "mem", "0kb"),
            r("resources_used", "ncpus", "1"),
            r("resources_used", "vmem", "0kb"),
            r("resources_used", "walltime", "00:00:06"),
            a("job_state", "F"),
            a("queue", "debug"),
            a("server", "e5a207891675"),
            a("Checkpoint", "u"),
            a("ctime", "1589439860"),
            a("Error_Path", "e5a207891675:/home/testuser/pbspro.submit.e0"),
            a("exec_host", "e5a207891675/0"),
            a("exec_vnode", "(e5a207891675:ncpus=1)"),
            a("Hold_Types", "n"),
            a("Join_Path", "n"),
            a("Keep_Files", "n"),
            a("Mail_Points", "a"),
            a("mtime", "1589439866"),
            a(
                "Output_Path",
                "e5a207891675:/home/testuser/pbspro.submit.o0",
            ),
            a("Priority", "0"),
            a("qtime", "1589439860"),
            a("Rerunable", "True"),
            r("Resource_List", "ncpus", "1"),
            r("Resource_List", "nice", "19"),
            r("Resource_List", "nodect", "1"),
            r("Resource_List", "nodes", "1"),
            r("Resource_List", "place", "scatter"),
            r("Resource_List", "select", "1:ncpus=1"),
            r("Resource_List", "walltime", "00:01:00"),
            a("stime", "1589439860"),
            a("session_id", "1622"),
            a("jobdir", "/home/testuser"),
            a("substate", "92"),
            a("Variable_List", vars),
            a(
                "comment",
                "Job run at Thu May 14 at 07:04 on (e5a207891675:ncpus=1) and finished",
            ),
            a("etime", "1589439860"),
            a("run_count", "1"),
            a("Stageout_status", "1"),
            a("Exit_status", "0"),
            a(
                "Submit_arguments",
                "<jsdl-hpcpa:Argument>pbspro.submit</jsdl-hpcpa:Argument>",
            ),
            a("history_timestamp", "1589439866"),
            a("project", "_pbs_project_default"),
        ],
    )
}

#[test]
fn full_ce2020_job() {
    let text = qstat_full(&[ce2020_job()], &ctx("e5a207891675"), false);
    assert_eq!(text, fixture("qstat_xf_ce2020_full.txt"));
}

#[test]
fn full_ce2020_matches_the_verbatim_excerpt_lines() {
    // Every verbatim line of the excerpt (all but the elision marker) appears, in order.
    let text = qstat_full(&[ce2020_job()], &ctx("e5a207891675"), false);
    let mut rest = text.as_str();
    for line in fixture("qstat_xf_ce2020_excerpt.txt")
        .lines()
        .filter(|l| !l.contains("wrapped as above"))
    {
        let at = rest
            .find(&format!("{line}\n"))
            .unwrap_or_else(|| panic!("missing or out of order: {line:?}"));
        rest = &rest[at + line.len()..];
    }
}

#[test]
fn full_wrap_example() {
    let sample = fixture("qstat_f_wrap_example.txt");
    let exec_vnode = "(node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)";
    let job = StatusObject::new("7600424.pbs02", vec![a("exec_vnode", exec_vnode)]);
    let text = qstat_full(&[job], &ctx("pbs02"), false);
    let exec_lines: String = sample.lines().take(3).map(|l| format!("{l}\n")).collect();
    assert_eq!(text, format!("Job Id: 7600424.pbs02\n{exec_lines}\n"));
    // The comment and the start of Variable_List, verbatim, in the CE 2020 job.
    let ce = qstat_full(&[ce2020_job()], &ctx("e5a207891675"), false);
    let comment: String = sample
        .lines()
        .skip(3)
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(ce.contains(&comment));
    let vars: String = sample.lines().skip(5).map(|l| format!("{l}\n")).collect();
    assert!(ce.contains(&vars));
}

#[test]
fn json_polaris_job() {
    let job = StatusObject::new(
        "412020.polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov",
        vec![
            a("Job_Name", "pyannote"),
            a("job_state", "H"),
            a("Priority", "0"),
            a("Rerunable", "False"),
            r("Resource_List", "burn_ratio", "0.0129"),
            r("Resource_List", "ncpus", "64"),
            r("Resource_List", "nodect", "1"),
            r("Resource_List", "place", "scatter"),
            r("Resource_List", "select", "1:system=polaris"),
            r("Resource_List", "walltime", "08:00:00"),
            a("stime", "1676048543"),
            a("obittime", "1676048579"),
            a("substate", "20"),
            a("comment", "job held, too many failed attempts to run"),
            a("run_count", "21"),
            a("Exit_status", "-3"),
            a(
                "Submit_arguments",
                "<jsdl-hpcpa:Argument>run_polaris.sh</jsdl-hpcpa:Argument>",
            ),
            a("project", "BPC"),
            a(
                "Submit_Host",
                "polaris-login-01.hsn.cm.polaris.alcf.anl.gov",
            ),
        ],
    );
    let ctx = Ctx {
        server: "polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov".into(),
        pbs_version: "2022.1.1.20220926110806".into(),
        now: 1_699_637_718,
        zone: Zone::Utc,
    };
    assert_eq!(
        qstat_json(&[job], &ctx),
        fixture("qstat_f_json_polaris.json")
    );
}

#[test]
fn queue_table_row() {
    let q = StatusObject::new(
        "workq",
        vec![
            a("queue_type", "Execution"),
            a("total_jobs", "3"),
            a(
                "state_count",
                "Transit:0 Queued:1 Held:0 Waiting:0 Running:2 Exiting:0 Begun:0 ",
            ),
            a("enabled", "True"),
            a("started", "True"),
        ],
    );
    assert_eq!(qstat_queues(&[q]), fixture("qstat_Q.txt"));
}

#[test]
fn server_table_row() {
    let s = StatusObject::new(
        "pbs02",
        vec![
            a("server_state", "Active"),
            a("server_host", "pbs02.palmetto.clemson.edu"),
            a("total_jobs", "8304"),
            a(
                "state_count",
                "Transit:0 Queued:211 Held:47 Waiting:0 Running:11 Exiting:0 Begun:0 ",
            ),
        ],
    );
    assert_eq!(qstat_servers(&[s]), fixture("qstat_B.txt"));
}

/// The Palmetto node's attributes, read off the sample (times turned back into epochs).
fn palmetto_node() -> StatusObject {
    let sample = fixture("pbsnodes_palmetto.txt");
    let mut lines = sample.lines();
    let name = lines.next().unwrap();
    let attrs = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (key, value) = l.trim_start().split_once(" = ").unwrap();
            let value = match key {
                "last_state_change_time" => "1602508556",
                "last_used_time" => "1601515890",
                _ => value,
            };
            match key.split_once('.') {
                Some((n, res)) => r(n, res, value),
                None => a(key, value),
            }
        })
        .collect();
    StatusObject::new(name, attrs)
}

#[test]
fn pbsnodes_palmetto_node() {
    assert_eq!(
        pbsnodes_text(&[palmetto_node()], Zone::Utc),
        fixture("pbsnodes_palmetto.txt")
    );
}

#[test]
fn pbsnodes_palmetto_json_shape() {
    let text = pbsnodes_json(&[palmetto_node()], &ctx("pbs02"));
    assert!(text.contains("\n            \"jobs\":[\n                \"626489.pbs02\",\n                \"631266.pbs02\"\n            ],\n"), "{text}");
    assert!(text.contains("\"resources_assigned\":{\n                \"mem\":\"18874368kb\",\n                \"ncpus\":8\n            },"), "{text}");
    assert!(text.contains("\"last_used_time\":1601515890\n"), "{text}");
    serde_json::from_str::<serde_json::Value>(&text).unwrap();
}
