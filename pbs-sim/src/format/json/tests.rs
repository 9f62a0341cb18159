use proptest::prelude::*;

use super::*;
use crate::format::Zone;

fn ctx() -> Ctx {
    Ctx {
        server: "pbs02".into(),
        pbs_version: "2022.1.1".into(),
        now: 1_700_000_000,
        zone: Zone::Utc,
    }
}

#[test]
fn numbers_by_json_grammar() {
    for yes in [
        "0",
        "-3",
        "64",
        "0.0615",
        "16005557248",
        "1e5",
        "-0.5",
        "2.5E-3",
    ] {
        assert!(is_valid_json_number(yes), "{yes}");
    }
    for no in [
        "022", "00:30:00", "1gb", "True", "", "-", ".5", "1.", "+5", "inf", "0x1F", "1e",
        "2022.1.1",
    ] {
        assert!(!is_valid_json_number(no), "{no}");
    }
    assert!(prints_bare("0") && prints_bare("0.5") && prints_bare("12 "));
    // A leading zero keeps a value a string unless it is below 1, as in pbs_json.c.
    assert!(!prints_bare("0.5e1") && !prints_bare("022") && !prints_bare(" 1"));
}

#[test]
fn no_jobs_means_no_jobs_key() {
    assert_eq!(
        qstat_json(&[], &ctx()),
        "{\n    \"timestamp\":1700000000,\n    \"pbs_version\":\"2022.1.1\",\n    \"pbs_server\":\"pbs02\"\n}\n"
    );
}

#[test]
fn resources_nest_and_times_are_ctime_strings() {
    let job = StatusObject::new(
        "1.pbs02",
        vec![
            Attr::new("Job_Name", "123"),
            Attr::res("resources_used", "cput", "00:00:01"),
            Attr::new("job_state", "R"),
            Attr::new("umask", "022"),
            Attr::new("stime", "1700000000"),
            Attr::res("estimated", "start_time", "1700003600"),
        ],
    );
    let want = r#"{
    "timestamp":1700000000,
    "pbs_version":"2022.1.1",
    "pbs_server":"pbs02",
    "Jobs":{
        "1.pbs02":{
            "Job_Name":123,
            "resources_used":{
                "cput":"00:00:01"
            },
            "job_state":"R",
            "umask":"022",
            "stime":"Tue Nov 14 22:13:20 2023",
            "estimated":{
                "start_time":"Tue Nov 14 23:13:20 2023"
            }
        }
    }
}
"#;
    assert_eq!(qstat_json(&[job], &ctx()), want);
}

#[test]
fn variable_list_becomes_an_object() {
    assert_eq!(
        split_variable_list(r"A=1,B=x\,y,C,D=e=f,E="),
        vec![
            ("A".into(), Some("1".into())),
            ("B".into(), Some("x,y".into())),
            ("C".into(), None),
            ("D".into(), Some("e=f".into())),
            ("E".into(), Some(String::new())),
        ]
    );
    // qstat always takes the char after `=`, even a comma.
    assert_eq!(
        split_variable_list("A=,B=1"),
        vec![("A".into(), Some(",B=1".into()))]
    );
    let job = StatusObject::new(
        "2.s",
        vec![Attr::new("Variable_List", "PBS_O_HOME=/home/u,N=4,C")],
    );
    let text = qstat_json(&[job], &ctx());
    assert!(text.contains("\"Variable_List\":{\n                \"PBS_O_HOME\":\"/home/u\",\n                \"N\":4\n            }"), "{text}");
}

#[test]
fn strings_are_escaped() {
    let job = StatusObject::new(
        "3.s",
        vec![
            Attr::new("comment", "say \"hi\"\tnow\u{1}"),
            Attr::new("a", r"x\,y\'z\q\"),
            Attr::new("b", r#"k\"v\\w"#),
        ],
    );
    let text = qstat_json(&[job], &ctx());
    assert!(
        text.contains(r#""comment":"say \"hi\"\tnow\u0001""#),
        "{text}"
    );
    assert!(text.contains(r#""a":"x,y'z\\q\\""#), "{text}");
    assert!(text.contains(r#""b":"k\"v\\w""#), "{text}");
    serde_json::from_str::<serde_json::Value>(&text).unwrap();
}

#[test]
fn queues_and_servers_have_their_keys() {
    let q = StatusObject::new(
        "workq",
        vec![
            Attr::new("queue_type", "Execution"),
            Attr::res("resources_assigned", "ncpus", "8"),
        ],
    );
    let text = qstat_queues_json(&[q], &ctx());
    assert!(text.contains("    \"Queue\":{\n        \"workq\":{\n            \"queue_type\":\"Execution\",\n            \"resources_assigned\":{\n                \"ncpus\":8\n            }\n        }\n    }\n}\n"), "{text}");
    let s = StatusObject::new("pbs02", vec![Attr::new("server_state", "Active")]);
    assert!(qstat_servers_json(&[s], &ctx()).contains(
        "\"Server\":{\n        \"pbs02\":{\n            \"server_state\":\"Active\"\n        }"
    ));
    assert!(!qstat_queues_json(&[], &ctx()).contains("Queue"));
}

#[test]
fn nodes_json_shape() {
    let n = StatusObject::new(
        "n1",
        vec![
            Attr::new("Mom", "n1.x"),
            Attr::new("state", "job-exclusive"),
            Attr::new("pcpus", "64"),
            Attr::new("jobs", "1.s/0, 1.s/1, 2.s/2, 1.s/3"),
            Attr::res("resources_available", "mem", "527672488kb"),
            Attr::res("resources_available", "ncpus", "64"),
            Attr::res("resources_assigned", "mem", "0kb"),
            Attr::res("resources_assigned", "ncpus", "1"),
            Attr::res("resources_assigned", "ngpus", "0"),
            Attr::new("last_state_change_time", "1699556747"),
        ],
    );
    let want = r#"{
    "timestamp":1700000000,
    "pbs_version":"2022.1.1",
    "pbs_server":"pbs02",
    "nodes":{
        "n1":{
            "Mom":"n1.x",
            "state":"job-exclusive",
            "pcpus":64,
            "jobs":[
                "1.s",
                "2.s",
                "1.s"
            ],
            "resources_available":{
                "mem":"527672488kb",
                "ncpus":64
            },
            "resources_assigned":{
                "ncpus":1
            },
            "last_state_change_time":1699556747
        }
    }
}
"#;
    assert_eq!(pbsnodes_json(&[n], &ctx()), want);
    let empty = StatusObject::new("n2", vec![Attr::res("resources_assigned", "ncpus", "0")]);
    assert!(pbsnodes_json(&[empty], &ctx()).contains("\"resources_assigned\":{\n            }"));
    assert!(pbsnodes_json(&[], &ctx()).ends_with("\"nodes\":{\n    }\n}\n"));
}

fn arb_attr() -> impl Strategy<Value = Attr> {
    (
        prop_oneof![
            Just("Variable_List".to_string()),
            Just("ctime".to_string()),
            Just("jobs".to_string()),
            Just("resources_assigned".to_string()),
            "[A-Za-z_]{1,12}"
        ],
        proptest::option::of("[a-z]{1,6}"),
        any::<String>(),
    )
        .prop_map(|(name, resource, value)| Attr {
            name: name.into(),
            resource: resource.map(Into::into),
            value,
        })
}

proptest! {
    #[test]
    fn output_is_always_valid_json(attrs in proptest::collection::vec(arb_attr(), 0..12), name in any::<String>()) {
        let objs = [StatusObject::new(name, attrs)];
        for text in [qstat_json(&objs, &ctx()), qstat_queues_json(&objs, &ctx()), pbsnodes_json(&objs, &ctx())] {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{}", text);
        }
    }
}
