use proptest::prelude::*;

use super::*;
use crate::format::{Attr, Zone};

fn ctx(now: i64) -> Ctx {
    Ctx {
        server: "pbs02".into(),
        pbs_version: "x".into(),
        now,
        zone: Zone::Utc,
    }
}

fn job(id: &str, extra: Vec<Attr>) -> StatusObject {
    let mut attrs = vec![
        Attr::new("Job_Name", "j"),
        Attr::new("Job_Owner", "u@h"),
        Attr::new("job_state", "Q"),
        Attr::new("queue", "workq"),
    ];
    attrs.extend(extra);
    StatusObject::new(id, attrs)
}

#[test]
fn no_jobs_no_header() {
    assert_eq!(qstat_alt(&[], &ctx(0), AltOptions::default()), "");
}

#[test]
fn unset_fields_print_cut_blanks() {
    let t = qstat_alt(&[job("1.pbs02", vec![])], &ctx(0), AltOptions::default());
    let lines: Vec<&str> = t.split('\n').collect();
    assert_eq!(lines[0], "");
    assert_eq!(lines[1], "pbs02: ");
    assert_eq!(
        lines[5],
        "1.pbs02         u        workq    j             --   --  --    --    --  Q   -- "
    );
}

#[test]
fn truncation_at_the_boundaries() {
    let j = StatusObject::new(
        "123456789012345.s",
        vec![
            Attr::new("Job_Name", "abcdefghij"),
            Attr::new("Job_Owner", "abcdefgh@h"),
            Attr::new("queue", "abcdefghi"),
            Attr::new("session_id", "1234567"),
            Attr::res("Resource_List", "nodect", "100"),
            Attr::res("Resource_List", "ncpus", "1000"),
        ],
    );
    let t = qstat_alt(&[j], &ctx(0), AltOptions::default());
    let row = t.lines().nth(5).unwrap();
    assert_eq!(
        row,
        "12345678901234* abcdefgh abcdefg* abcdefghij 12345* 100 10*    --    --      -- "
    );
}

#[test]
fn times_show_hours_and_minutes_and_cput_wins() {
    let j = job(
        "2.s",
        vec![
            Attr::res("Resource_List", "walltime", "01:00:00"),
            Attr::res("resources_used", "walltime", "00:12:34"),
        ],
    );
    let row = qstat_alt(&[j], &ctx(0), AltOptions::default())
        .lines()
        .nth(5)
        .unwrap()
        .to_string();
    assert!(row.ends_with("01:00 Q 00:12"), "{row}");
    let j = job(
        "3.s",
        vec![
            Attr::res("Resource_List", "walltime", "01:00:00"),
            Attr::res("Resource_List", "cput", "02:00:00"),
            Attr::res("resources_used", "walltime", "00:12:34"),
        ],
    );
    let row = qstat_alt(&[j], &ctx(0), AltOptions::default())
        .lines()
        .nth(5)
        .unwrap()
        .to_string();
    assert!(row.ends_with("02:00 Q   -- "), "{row}");
}

#[test]
fn sizes_convert_like_cnv_size() {
    assert_eq!(cnv_size("10gb"), "10gb");
    assert_eq!(cnv_size("1048576kb"), "1024mb");
    assert_eq!(cnv_size("10240kb"), "10mb");
    assert_eq!(cnv_size("10241kb"), "11mb");
    assert_eq!(cnv_size("9999kb"), "9999kb");
    assert_eq!(cnv_size("512"), "512 b");
    assert_eq!(cnv_size("8mw"), "8mw");
    assert_eq!(cnv_size("junk"), "0 b");
}

#[test]
fn nodes_are_stripped_and_wrapped_below_77() {
    let hosts: Vec<String> = (0..12)
        .map(|i| format!("node{i:04}.palmetto.clemson.edu/0*8"))
        .collect();
    let text = node_lines(&hosts.join("+"), false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "   node0000/0*8+node0001/0*8+node0002/0*8+node0003/0*8+node0004/0*8+"
    );
    assert!(lines.iter().all(|l| l.len() < 77 + 3));
    assert_eq!(lines.last().unwrap(), &"   node0010/0*8+node0011/0*8");
    assert_eq!(
        node_lines("10.0.0.1/0+n1.x/1*2", false),
        "   10.0.0.1/0+n1/1*2\n"
    );
    assert_eq!(node_lines("", false), "");
    assert_eq!(node_lines("n1/0", true), "n1/0\n");
}

#[test]
fn n_and_s_lines_follow_the_row() {
    let j = job(
        "4.s",
        vec![
            Attr::new("exec_host", "n1.a.b/0*8+n2.a.b/0*8"),
            Attr::new(
                "comment",
                "Not Running: Insufficient amount of resource: ncpus",
            ),
        ],
    );
    let t = qstat_alt(
        std::slice::from_ref(&j),
        &ctx(0),
        AltOptions {
            nodes: true,
            comment: true,
            ..Default::default()
        },
    );
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[6], "   n1/0*8+n2/0*8");
    assert_eq!(
        lines[7],
        "   Not Running: Insufficient amount of resource: ncpus"
    );
    let t = qstat_alt(
        &[j],
        &ctx(0),
        AltOptions {
            nodes: true,
            one_line: true,
            ..Default::default()
        },
    );
    assert!(
        t.lines()
            .nth(5)
            .unwrap()
            .ends_with("   --  Q   --  n1/0*8+n2/0*8"),
        "{t}"
    );
}

#[test]
fn long_comments_are_cut_with_dots() {
    let c = "x".repeat(75);
    assert_eq!(cut_comment(&c, false), format!("{}...", "x".repeat(70)));
    assert_eq!(cut_comment(&"x".repeat(74), false), "x".repeat(74));
    assert_eq!(cut_comment(&c, true), c);
}

#[test]
fn est_start_header_and_order() {
    let now = 1_704_888_000; // Wed 2024-01-10 12:00 UTC
    let later = job(
        "10.s",
        vec![Attr::res(
            "estimated",
            "start_time",
            (now + 7200).to_string(),
        )],
    );
    let sooner = job(
        "11.s",
        vec![Attr::res(
            "estimated",
            "start_time",
            (now + 3600).to_string(),
        )],
    );
    let unknown = job("12.s", vec![]);
    let running = StatusObject::new(
        "13.s",
        vec![
            Attr::new("job_state", "R"),
            Attr::new("stime", (now - 10).to_string()),
        ],
    );
    let t = qstat_alt(
        &[later, unknown, sooner, running],
        &ctx(now),
        AltOptions {
            est_start: true,
            ..Default::default()
        },
    );
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[2], format!("{}Est", " ".repeat(75)));
    assert_eq!(lines[3], format!("{}Req'd  Req'd   Start", " ".repeat(60)));
    let ids: Vec<&str> = lines[6..]
        .iter()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(ids, ["13.s", "11.s", "10.s", "12.s"]);
    assert!(lines[6].ends_with(" R    --"), "{}", lines[6]);
    assert!(lines[7].ends_with(" Q 13:00"), "{}", lines[7]);
    assert!(lines[9].ends_with(" Q    --"), "{}", lines[9]);
}

#[test]
fn wide_header_shape() {
    let t = qstat_alt(
        &[job("1.s", vec![])],
        &ctx(0),
        AltOptions {
            wide: true,
            ..Default::default()
        },
    );
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[2], format!("{}Req'd  Req'd   Elap", " ".repeat(99)));
    assert!(lines[3].starts_with("Job ID                         Username        Queue           Jobname         SessID   NDS  TSK   Memory"));
    assert!(
        lines[4].ends_with("--------------- -------- ---- ----- ------ ----- - -----"),
        "{}",
        lines[4]
    );
}

proptest! {
    #[test]
    fn never_panics(values in proptest::collection::vec(any::<String>(), 12), now in any::<i64>()) {
        let names = [("Job_Name", None), ("Job_Owner", None), ("job_state", None), ("queue", None),
            ("session_id", None), ("Resource_List", Some("mem")), ("Resource_List", Some("ncpus")),
            ("Resource_List", Some("walltime")), ("exec_host", None), ("comment", None),
            ("estimated", Some("start_time")), ("stime", None)];
        let attrs = names.iter().zip(&values).map(|((n, r), v)| Attr {
            name: n.to_string().into(), resource: r.map(|r| r.to_string().into()), value: v.clone() }).collect();
        let jobs = [StatusObject::new(values[0].clone(), attrs), job("x", vec![])];
        for opts in [AltOptions::default(), AltOptions { nodes: true, comment: true, est_start: true, one_line: true, wide: true, long_ids: true }] {
            let _ = qstat_alt(&jobs, &ctx(now), opts);
        }
    }
}
