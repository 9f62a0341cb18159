//! The Slurm parsers never panic, and what they accept they read consistently.

use proptest::prelude::*;

use super::parse;
use crate::job::JobState;

/// A line made of fields squeue could print, and some it could not.
fn squeue_line() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        "[0-9]{1,10}",
        "(PENDING|RUNNING|COMPLETED|CANCELLED|TIMEOUT|WIBBLE)",
        "(N/A|NONE|Unknown|0|n/a|\\(null\\))",
        "[ -~]{0,12}",
    ];
    prop::collection::vec(field, 0..14).prop_map(|fields| fields.join("|"))
}

proptest! {
    #[test]
    fn squeue_never_panics(lines in prop::collection::vec(squeue_line(), 0..6)) {
        let text = lines.join("\n");
        if let Ok(jobs) = parse::squeue(&text) {
            for job in jobs {
                // A state it does not know is Unknown, with the reason, never an end.
                if job.status.state == JobState::Unknown {
                    prop_assert!(job.status.query_error.is_some());
                }
            }
        }
    }

    #[test]
    fn the_other_parsers_never_panic(text in "[ -~\n|=:()]{0,300}") {
        let _ = parse::scontrol_job(&text);
        let _ = parse::sacct(&text);
        let _ = parse::sbatch_job_id(&text);
        let _ = parse::sinfo_nodes(&text);
        let _ = parse::job_counts(&text);
        let _ = parse::error_message(&text);
    }

    #[test]
    fn a_well_formed_line_reads_back(
        id in 1u64..10_000_000,
        state in "(PENDING|RUNNING|COMPLETED|FAILED|TIMEOUT|SUSPENDED|COMPLETING)",
        submit in 1_000_000_000i64..2_000_000_000,
        start in prop::option::of(1_000_000_000i64..2_000_000_000),
        reason in "[A-Za-z, :\\[\\]0-9|-]{0,40}",
    ) {
        let start_text = start.map_or("N/A".to_string(), |s| s.to_string());
        let line = format!("{id}|{state}|alice|batch|{submit}|{start_text}|N/A|1:00:00|n/a||{reason}");
        let jobs = parse::squeue(&line).unwrap();
        prop_assert_eq!(jobs.len(), 1);
        prop_assert_eq!(&jobs[0].id, &id.to_string());
        prop_assert_eq!(jobs[0].status.times.created.map(|t| t.timestamp()), Some(submit));
        prop_assert!(jobs[0].status.state != JobState::Unknown);
    }
}
