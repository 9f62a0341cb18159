//! Unit tests of the parsers' rules; the real samples are in `drivers/tests/pbs_parse.rs`.

use chrono::{Local, NaiveDate, TimeZone, Utc};

use super::*;
use crate::JobState;

fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> chrono::DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_opt(h, mi, s))
        .expect("valid test date");
    Local
        .from_local_datetime(&naive)
        .earliest()
        .expect("exists locally")
        .with_timezone(&Utc)
}

fn one(jobs: Result<Vec<QstatJob>, ParseError>) -> QstatJob {
    let mut jobs = jobs.expect("parses");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.remove(0)
}

/// The new cJSON generator's layout (reference §3.6): TABs, `"key":<TAB>value`, typed
/// literals, arrays on one line. Written from the description; no verbatim sample exists.
const NEW_GENERATOR: &str = "{\n\t\"timestamp\":\t1749572608,\n\t\"pbs_version\":\t\"23.06.06\",\n\t\"pbs_server\":\t\"VMa\",\n\t\"Jobs\":\t{\n\t\t\"2000.VMa\":\t{\n\t\t\t\"Job_Name\":\t\"123\",\n\t\t\t\"job_state\":\t\"R\",\n\t\t\t\"queue\":\t\"workq\",\n\t\t\t\"exec_host\":\t\"VMa/0\",\n\t\t\t\"Resource_List\":\t{\n\t\t\t\t\"ncpus\":\t1,\n\t\t\t\t\"walltime\":\t\"01:00:00\"\n\t\t\t},\n\t\t\t\"stime\":\t\"Tue Jun 10 16:00:00 2025\",\n\t\t\t\"substate\":\t42,\n\t\t\t\"Variable_List\":\t{\n\t\t\t\t\"PBS_O_HOME\":\t\"/home/u\"\n\t\t\t},\n\t\t\t\"argument_list\":\t[\"a\", \"b\"],\n\t\t\t\"resources_released\":\t{\n\t\t\t},\n\t\t\t\"comment\":\t\"Job run at Tue Jun 10 at 16:00 on (VMa:ncpus=1)\",\n\t\t\t\"run_count\":\t1,\n\t\t\t\"Rerunable\":\t\"True\"\n\t\t}\n\t}\n}\n";

#[test]
fn new_generator_is_read() {
    let job = one(qstat_json(NEW_GENERATOR));
    assert_eq!(job.id, "2000.VMa");
    assert_eq!(job.status.state, JobState::Running);
    assert_eq!(job.status.substate, Some(42));
    assert_eq!(job.status.queue.as_deref(), Some("workq"));
    assert_eq!(job.status.exec_host.as_deref(), Some("VMa/0"));
    assert_eq!(job.status.times.started, Some(local(2025, 6, 10, 16, 0, 0)));
    assert_eq!(job.status.query_error, None);
}

#[test]
fn numbers_are_read_quoted_or_bare() {
    for (substate, exit) in [("92", "-29"), ("\"92\"", "\"-29\""), ("92", "\" -29 \"")] {
        let doc = format!(
            r#"{{"Jobs":{{"1.s":{{"job_state":"F","substate":{substate},"Exit_status":{exit},"queue":7.50,"comment":0}}}}}}"#
        );
        let job = one(qstat_json(&doc));
        assert_eq!(job.status.substate, Some(92), "{doc}");
        assert_eq!(job.status.exit_status, Some(-29), "{doc}");
        // A bare number keeps the literal PBS printed.
        assert_eq!(job.status.queue.as_deref(), Some("7.50"), "{doc}");
        assert_eq!(job.status.comment.as_deref(), Some("0"), "{doc}");
    }
}

#[test]
fn json_strings_with_escapes_are_unescaped() {
    let doc = r#"{"Jobs":{"1.s":{"job_state":"Q","comment":"Not Running: \"x\" \u00e9\\n"}}}"#;
    let job = one(qstat_json(doc));
    assert_eq!(
        job.status.comment.as_deref(),
        Some("Not Running: \"x\" é\\n")
    );
}

#[test]
fn no_jobs_key_is_an_empty_answer_but_no_document_is_an_error() {
    let doc =
        "{\n    \"timestamp\":1,\n    \"pbs_version\":\"x\",\n    \"pbs_server\":\"pbs02\"\n}\n";
    assert_eq!(qstat_json(doc), Ok(vec![]));
    assert_eq!(qstat_json(r#"{"Jobs":{}}"#), Ok(vec![]));
    for bad in [
        "",
        "   ",
        "[]",
        "qstat: Unknown Job Id 1.pbs02",
        r#"{"Jobs":[]}"#,
        r#"{"Jobs":{"1.s":5}}"#,
        "{\"Jobs\":{\"1.s\":{\"job_state\":\"R\"}",
    ] {
        match qstat_json(bad) {
            Err(ParseError::NotJson { .. }) => {}
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[test]
fn jobs_keep_qstat_order() {
    let doc =
        r#"{"Jobs":{"9.s":{"job_state":"Q"},"1.s":{"job_state":"R"},"5.s":{"job_state":"H"}}}"#;
    let ids: Vec<String> = qstat_json(doc).unwrap().into_iter().map(|j| j.id).collect();
    assert_eq!(ids, ["9.s", "1.s", "5.s"]);
}

#[test]
fn an_unknown_state_letter_makes_only_that_job_unknown() {
    let doc = r#"{"Jobs":{"1.s":{"job_state":"Z","queue":"workq","substate":42},"2.s":{"job_state":"R"},"3.s":{"job_state":"RR"}}}"#;
    let jobs = qstat_json(doc).unwrap();
    assert_eq!(jobs[0].status.state, JobState::Unknown);
    assert_eq!(jobs[0].status.queue.as_deref(), Some("workq"));
    assert_eq!(jobs[0].status.substate, Some(42));
    let why = jobs[0].status.query_error.as_deref().unwrap();
    assert!(why.contains("\"Z\""), "{why}");
    assert_eq!(jobs[1].status.state, JobState::Running);
    assert_eq!(jobs[1].status.query_error, None);
    assert_eq!(jobs[2].status.state, JobState::Unknown);
}

#[test]
fn a_missing_job_state_makes_only_that_job_unknown() {
    let doc = r#"{"Jobs":{"1.s":{"queue":"workq"},"2.s":{"job_state":"Q"}}}"#;
    let jobs = qstat_json(doc).unwrap();
    assert_eq!(jobs[0].status.state, JobState::Unknown);
    assert!(jobs[0]
        .status
        .query_error
        .as_deref()
        .unwrap()
        .contains("no job_state"));
    assert_eq!(jobs[1].status.state, JobState::Queued);

    let text = "Job Id: 1.s\n    queue = workq\n\nJob Id: 2.s\n    job_state = Q\n\n";
    let jobs = qstat_full_text(text).unwrap();
    assert_eq!(jobs[0].status.state, JobState::Unknown);
    assert!(jobs[0].status.query_error.is_some());
    assert_eq!(jobs[1].status.state, JobState::Queued);
}

#[test]
fn a_non_integer_exit_status_makes_the_job_unknown() {
    let doc = r#"{"Jobs":{"1.s":{"job_state":"F","Exit_status":"-3x","substate":1.5}}}"#;
    let job = one(qstat_json(doc));
    assert_eq!(job.status.state, JobState::Unknown);
    assert_eq!(job.status.exit_status, None);
    assert_eq!(job.status.substate, None);
    let why = job.status.query_error.unwrap();
    assert!(
        why.contains("Exit_status") && why.contains("substate"),
        "{why}"
    );
}

#[test]
fn unreadable_times_are_none_not_errors() {
    let doc = r#"{"Jobs":{"1.s":{"job_state":"Q","ctime":"yesterday","qtime":1699637718,"estimated":"soon"}}}"#;
    let job = one(qstat_json(doc));
    assert_eq!(job.status.state, JobState::Queued);
    assert_eq!(job.status.times.created, None);
    assert_eq!(job.status.times.queued, None);
    assert_eq!(job.status.estimated_start, None);
    assert_eq!(job.status.query_error, None);
}

#[test]
fn text_wrapped_values_are_rejoined_exactly() {
    let text = "Job Id: 7.pbs02\n    job_state = R\n    exec_vnode = (node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncp\n\tus=2:mem=1048576kb)\n    comment = Job run at Thu May 14 at 07:04 on (e5a207891675:ncpus=1) and fini\n\tshed\n    Error_Path = login001.palmetto.clemson.edu:/home/username/MPI/pi-mpi.e760042\n\t4\n\t\n    queue = c1_\n\tsingle\n";
    let job = one(qstat_full_text(text));
    assert_eq!(
        job.status.exec_vnode.as_deref(),
        Some("(node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb)")
    );
    assert_eq!(
        job.status.comment.as_deref(),
        Some("Job run at Thu May 14 at 07:04 on (e5a207891675:ncpus=1) and finished")
    );
    assert_eq!(job.status.queue.as_deref(), Some("c1_single"));
}

#[test]
fn text_estimated_start_and_empty_values() {
    let text = "Job Id: 8.pbs02\n    job_state = Q\n    comment = \n    exec_host =\n    estimated.exec_vnode = (n1:ncpus=1)\n    estimated.start_time = Thu Nov  9 13:04:14 2023\n";
    let job = one(qstat_full_text(text));
    assert_eq!(job.status.comment.as_deref(), Some(""));
    assert_eq!(job.status.exec_host.as_deref(), Some(""));
    assert_eq!(job.status.exec_vnode, None);
    assert_eq!(
        job.status.estimated_start,
        Some(local(2023, 11, 9, 13, 4, 14))
    );
}

#[test]
fn text_structure_errors_name_the_line() {
    assert_eq!(
        qstat_full_text("\n    job_state = R\n"),
        Err(ParseError::NoJobId {
            line: 2,
            text: "    job_state = R".to_owned()
        })
    );
    assert_eq!(
        qstat_full_text("Job Id: 1.s\n    job_state = R\n\nJob Id:  \n"),
        Err(ParseError::NoJobId {
            line: 4,
            text: "Job Id:  ".to_owned()
        })
    );
}

#[test]
fn text_messages_and_stray_lines_are_skipped() {
    assert_eq!(qstat_full_text(""), Ok(vec![]));
    assert_eq!(
        qstat_full_text("PBS is not configured to maintain job history\n"),
        Ok(vec![])
    );
    // A stray line ends a value: the TAB line after it is not appended to the comment.
    let text = "Job Id: 1.s\n    job_state = H\n    comment = held\n        ... (elided) ...\n\tnot part of it\n";
    let job = one(qstat_full_text(text));
    assert_eq!(job.status.state, JobState::Held);
    assert_eq!(job.status.comment.as_deref(), Some("held"));
}

#[test]
fn text_later_attribute_wins_and_unkept_continuations_are_skipped() {
    let text = "Job Id: 1.s\n    job_state = Q\n    Variable_List = A=1,\n\tqueue=zzz\n    job_state = R\n";
    let job = one(qstat_full_text(text));
    assert_eq!(job.status.state, JobState::Running);
    assert_eq!(job.status.queue, None);
}
