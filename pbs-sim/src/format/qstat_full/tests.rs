use proptest::prelude::*;

use super::*;

fn utc_ctx() -> Ctx {
    Ctx {
        server: "pbs02".into(),
        pbs_version: "2022.1.1".into(),
        now: 0,
        zone: Zone::Utc,
    }
}

#[test]
fn long_comma_free_value_fills_62_then_71_columns() {
    let v = "(node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)";
    let want = "    exec_vnode = (node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncp\n\
                \tus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngp\n\
                \tus=0:nphis=0)+(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)";
    assert_eq!(attr_line("exec_vnode", None, v, false), want);
}

#[test]
fn token_that_fits_exactly_before_the_limit_stays_on_the_line() {
    // start = len("Error_Path") + 7 = 17; a piece fits while len + 17 < 78.
    let fits = "a".repeat(60);
    assert_eq!(
        attr_line("Error_Path", None, &fits, false),
        format!("    Error_Path = {fits}")
    );
    // One more char no longer fits: char-wrapped, 62 chars on the first line.
    let over = "b".repeat(61);
    assert_eq!(
        attr_line("Error_Path", None, &over, false),
        format!("    Error_Path = {over}")
    );
}

#[test]
fn char_wrapped_token_ending_at_the_limit_leaves_a_lone_tab_line() {
    let v = "c".repeat(62);
    let line = attr_line("Error_Path", None, &v, false);
    assert_eq!(line, format!("    Error_Path = {v}\n\t"));
    // Inside a job block that is a line holding only a tab.
    let job = StatusObject::new(
        "1.pbs02",
        vec![Attr::new("Error_Path", v), Attr::new("Priority", "0")],
    );
    let text = qstat_full(&[job], &utc_ctx(), false);
    assert!(text.contains("\n\t\n    Priority = 0\n\n"), "{text:?}");
    // Same on a continuation line: 62 + 71 chars.
    let v2 = "d".repeat(62 + 71);
    assert!(attr_line("Error_Path", None, &v2, false).ends_with("\n\t"));
}

#[test]
fn moved_token_leaves_a_trailing_comma_and_starts_a_tab_line() {
    let v = format!("A=1,{}", "x".repeat(80));
    let line = attr_line("Variable_List", None, &v, false);
    assert!(
        line.starts_with("    Variable_List = A=1,\n\txxxx"),
        "{line:?}"
    );
}

#[test]
fn empty_pieces_vanish_and_empty_values_keep_the_blank() {
    assert_eq!(attr_line("a", None, "x,,y,", false), "    a = x,y");
    assert_eq!(attr_line("comment", None, "", false), "    comment = ");
    assert_eq!(attr_line("comment", None, ",,", false), "    comment = ");
}

#[test]
fn wide_prints_one_line_with_visible_feeds() {
    let v = "x".repeat(200);
    assert_eq!(
        attr_line("Resource_List", Some("select"), &v, true),
        format!("    Resource_List.select = {v}")
    );
    assert_eq!(
        attr_line("comment", None, "a\nb\x0cc", true),
        "    comment = a\\nb\\fc"
    );
}

#[test]
fn times_convert_and_unknown_estimates_say_so() {
    let ctx = utc_ctx();
    let job = StatusObject::new(
        "7.pbs02",
        vec![
            Attr::new("ctime", "1589439860"),
            Attr::res("estimated", "start_time", "0"),
            Attr::res("estimated", "exec_vnode", "(n1:ncpus=1)"),
            Attr::new("history_timestamp", "1589439866"),
            Attr::new("Submit_arguments", "<jsdl-hpcpa:Argument>-l</jsdl-hpcpa:Argument><jsdl-hpcpa:Argument>a&amp;b</jsdl-hpcpa:Argument>"),
            Attr::new("executable", "/bin/sleep"),
        ],
    );
    let want = "Job Id: 7.pbs02\n    ctime = Thu May 14 07:04:20 2020\n    estimated.start_time = UNKNOWN\n    estimated.exec_vnode = (n1:ncpus=1)\n    history_timestamp = 1589439866\n    Submit_arguments = -l a&b\n    executable = <jsdl-hpcpa:Executable>/bin/sleep</jsdl-hpcpa:Executable>\n\n";
    assert_eq!(qstat_full(&[job], &ctx, false), want);
}

#[test]
fn queue_and_server_blocks() {
    let q = StatusObject::new(
        "workq",
        vec![
            Attr::new("queue_type", "Execution"),
            Attr::res("resources_max", "ncpus", "64"),
        ],
    );
    assert_eq!(
        qstat_queues_full(&[q], false),
        "Queue: workq\n    queue_type = Execution\n    resources_max.ncpus = 64\n\n"
    );
    let s = StatusObject::new("pbs02", vec![Attr::new("server_state", "Active")]);
    assert_eq!(
        qstat_servers_full(&[s], false),
        "Server: pbs02\n    server_state = Active\n\n"
    );
    assert_eq!(
        qstat_servers_full(&[StatusObject::new("pbs02", vec![])], false),
        "Server: pbs02\n\n"
    );
    assert_eq!(qstat_full(&[], &utc_ctx(), false), "");
}

proptest! {
    #[test]
    fn unwrapping_gives_back_the_value(name in "[A-Za-z_]{1,20}", value in "[^\t\n]{0,300}") {
        let line = attr_line(&name, None, &value, false);
        let prefix = format!("    {name} = ");
        prop_assert!(line.starts_with(&prefix));
        let body: String = line[prefix.len()..].chars().filter(|c| *c != '\n' && *c != '\t').collect();
        let want: Vec<&str> = value.split(',').filter(|p| !p.is_empty()).collect();
        prop_assert_eq!(body, want.join(","));
        // Every continuation line starts with the tab.
        for l in line.split('\n').skip(1) {
            prop_assert!(l.starts_with('\t'));
        }
    }

    #[test]
    fn never_panics_on_any_value(value in any::<String>(), res in proptest::option::of("[a-z]{1,8}")) {
        let job = StatusObject::new("1.s", vec![
            Attr { name: "ctime".into(), resource: None, value: value.clone() },
            Attr { name: "Submit_arguments".into(), resource: None, value: value.clone() },
            Attr { name: "x".into(), resource: res.map(Into::into), value },
        ]);
        let _ = qstat_full(std::slice::from_ref(&job), &utc_ctx(), false);
        let _ = qstat_full(&[job], &utc_ctx(), true);
    }
}

#[test]
fn the_time_attribute_match_agrees_with_the_list() {
    for name in JOB_TIME_ATTRS {
        assert!(is_time_attr(&Attr::new(name, "0")), "{name}");
    }
    assert!(is_time_attr(&Attr::res("estimated", "start_time", "0")));
    assert!(!is_time_attr(&Attr::res("estimated", "exec_vnode", "x")));
    assert!(!is_time_attr(&Attr::new("Job_Name", "ctime")));
}
