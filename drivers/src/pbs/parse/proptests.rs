//! Properties of the parsers: no input makes them panic, and jobs rendered the way PBS
//! prints them read back to the same statuses.

use chrono::{DateTime, Local, TimeZone, Utc};
use proptest::prelude::*;

use super::render::{full_text, old_generator_json};
use super::*;
use crate::{JobState, JobStatus, JobTimes};

/// Every parser on one input; only panics matter.
fn parse_everything(text: &str) {
    let _ = qstat_json(text);
    let _ = qstat_full_text(text);
    let _ = qsub_job_id(text);
    let _ = pbs_error(text);
    let _ = ctime(text);
}

/// A time that `ctime()` text can carry exactly: whole seconds, and for a local time that
/// occurs twice, the earlier instant (which is how [`ctime()`] reads it back).
fn printable_time() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of(0i64..4_102_444_800).prop_map(|secs| {
        let t = Utc.timestamp_opt(secs?, 0).single()?;
        let wall = t.with_timezone(&Local).naive_local();
        Local
            .from_local_datetime(&wall)
            .earliest()
            .map(|l| l.with_timezone(&Utc))
    })
}

/// A value qstat could print and read back unchanged in both forms: printable ASCII, no
/// empty comma-separated token (qstat's `strtok` drops those).
fn value() -> impl Strategy<Value = Option<String>> {
    let text = prop_oneof![
        "[ -~]{0,200}",
        "[a-z0-9]{1,12}(,[a-z0-9=:/]{1,40}){0,6}",
        "-?[0-9]{1,6}",
        "[0-9]\\.[0-9]{1,4}",
        "\\(node[0-9]{4}:ncpus=[0-9]{1,2}:mem=[0-9]{6,9}kb\\)(\\+\\(node[0-9]{4}:ncpus=[0-9]:mem=[0-9]{7}kb\\)){0,8}",
    ]
    .prop_filter("qstat drops empty tokens", |s: &String| {
        !s.starts_with(',') && !s.ends_with(',') && !s.contains(",,")
    });
    proptest::option::of(text)
}

fn status() -> impl Strategy<Value = JobStatus> {
    (
        proptest::sample::select(JobState::PBS_STATES.to_vec()),
        proptest::option::of(0u32..100),
        (value(), value(), value(), value()),
        proptest::option::of(any::<i32>()),
        printable_time(),
        (
            printable_time(),
            printable_time(),
            printable_time(),
            printable_time(),
            printable_time(),
        ),
    )
        .prop_map(
            |(
                state,
                substate,
                (queue, exec_host, exec_vnode, comment),
                exit_status,
                estimated_start,
                t,
            )| {
                JobStatus {
                    state,
                    substate,
                    queue,
                    exec_host,
                    exec_vnode,
                    comment,
                    estimated_start,
                    exit_status,
                    times: JobTimes {
                        created: t.0,
                        queued: t.1,
                        eligible: t.2,
                        started: t.3,
                        finished: t.4,
                    },
                    query_error: None,
                }
            },
        )
}

fn jobs() -> impl Strategy<Value = Vec<(String, JobStatus)>> {
    proptest::collection::vec(status(), 0..6).prop_map(|statuses| {
        statuses
            .into_iter()
            .enumerate()
            .map(|(i, s)| (format!("{}.pbs02.cluster.edu", 1000 + i), s))
            .collect()
    })
}

fn as_pairs(parsed: Vec<QstatJob>) -> Vec<(String, JobStatus)> {
    parsed.into_iter().map(|j| (j.id, j.status)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_string_makes_a_parser_panic(text in "\\PC{0,400}") {
        parse_everything(&text);
    }

    #[test]
    fn no_bytes_pattern_makes_a_parser_panic(
        text in "(Job Id:|    [a-z_.]{1,20} = |\t|\n|\\{|\\}|\"|:|,|[ -~]{0,10}|\"Jobs\"|qsub: |Unknown |[0-9]{1,3}){0,60}"
    ) {
        parse_everything(&text);
    }

    #[test]
    fn truncated_or_mutated_documents_never_panic(
        jobs in jobs(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in "\\PC{0,3}",
    ) {
        for document in [old_generator_json(&jobs), full_text(&jobs)] {
            let cut_at = floor_char_boundary(&document, cut.index(document.len() + 1));
            parse_everything(&document[..cut_at]);
            let mut mutated = document.clone();
            let at = floor_char_boundary(&mutated, at.index(mutated.len() + 1));
            let end = floor_char_boundary(&mutated, (at + 2).min(mutated.len()));
            mutated.replace_range(at..end, &replacement);
            parse_everything(&mutated);
        }
    }

    #[test]
    fn old_generator_json_reads_back(jobs in jobs()) {
        let document = old_generator_json(&jobs);
        let parsed = qstat_json(&document).map_err(|e| TestCaseError::fail(format!("{e}\n{document}")))?;
        prop_assert_eq!(as_pairs(parsed), jobs, "{}", document);
    }

    #[test]
    fn full_text_reads_back(jobs in jobs()) {
        let document = full_text(&jobs);
        let parsed = qstat_full_text(&document).map_err(|e| TestCaseError::fail(format!("{e}\n{document}")))?;
        prop_assert_eq!(as_pairs(parsed), jobs, "{}", document);
    }
}

/// The largest char boundary of `s` at or below `i`.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
