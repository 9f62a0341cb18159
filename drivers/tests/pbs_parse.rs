//! The PBS parsers on verbatim samples: the reference's real outputs (`pbs-pro.md` §1.5,
//! §3.3–3.6, §4) and a capture of pbs-sim's `qstat -f [-F json] -x` and error lines, all kept
//! byte-exact in `tests/fixtures/pbs/`.

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use drivers::pbs::parse::{pbs_error, qstat_full_text, qstat_json, QstatJob};
use drivers::resources::Pbse;
use drivers::JobState;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/pbs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A wall-clock time in this machine's zone, as qstat printed it, in UTC.
fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<DateTime<Utc>> {
    let naive = NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn only(jobs: Vec<QstatJob>) -> QstatJob {
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.into_iter().next().expect("one job")
}

/// §3.6 [REAL] Polaris, PBS Pro 2022.1.1, old generator. The reference elided keys from it;
/// it is still valid JSON, so it is read as it stands (no key completed).
#[test]
fn polaris_2022_excerpt() {
    let job = only(qstat_json(&fixture("ref-3.6-polaris-2022-old-generator.json")).unwrap());
    assert_eq!(job.id, "412020.polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov");
    let s = job.status;
    assert_eq!(s.state, JobState::Held);
    assert_eq!(s.substate, Some(20));
    assert_eq!(s.exit_status, Some(-3));
    assert_eq!(
        s.comment.as_deref(),
        Some("job held, too many failed attempts to run")
    );
    assert_eq!(s.times.started, local(2023, 2, 10, 17, 2, 23));
    assert_eq!(s.times.finished, local(2023, 2, 10, 17, 2, 59));
    // Elided by the reference, so absent here.
    assert_eq!(s.queue, None);
    assert_eq!(s.times.created, None);
    assert_eq!(s.query_error, None);
}

/// §3.6: the `estimated` object, as the reference quotes it, inside a minimal document.
#[test]
fn estimated_start_time_object() {
    let fragment = fixture("ref-3.6-estimated-fragment.txt");
    let document = format!(r#"{{"Jobs":{{"7.pbs02":{{"job_state":"Q",{fragment}}}}}}}"#);
    let job = only(qstat_json(&document).unwrap());
    assert_eq!(job.status.estimated_start, local(2023, 11, 9, 13, 4, 14));
}

/// pbs-sim's answer for an id it does not know: the document has no `Jobs` key.
#[test]
fn document_without_jobs_is_empty() {
    assert_eq!(qstat_json(&fixture("pbs-sim-no-jobs.json")), Ok(vec![]));
}

/// §3.3 [REAL] PBS Pro CE 2020 `qstat -x -f` of a finished job. The reference replaced the
/// wrapped Variable_List continuation with a line `        ... (wrapped as above) ...`;
/// such a line is skipped, and everything else is read.
#[test]
fn pbspro_ce_2020_finished_job_text() {
    let job = only(qstat_full_text(&fixture("ref-3.3-pbspro-ce-2020-finished.txt")).unwrap());
    assert_eq!(job.id, "0.e5a207891675");
    let s = job.status;
    assert_eq!(s.state, JobState::Finished);
    assert_eq!(s.substate, Some(92));
    assert_eq!(s.exit_status, Some(0));
    assert_eq!(s.queue.as_deref(), Some("debug"));
    assert_eq!(s.exec_host.as_deref(), Some("e5a207891675/0"));
    assert_eq!(s.exec_vnode.as_deref(), Some("(e5a207891675:ncpus=1)"));
    // Wrapped in the middle of a word, re-joined with nothing inserted.
    assert_eq!(
        s.comment.as_deref(),
        Some("Job run at Thu May 14 at 07:04 on (e5a207891675:ncpus=1) and finished")
    );
    let at = local(2020, 5, 14, 7, 4, 20);
    assert_eq!(s.times.created, at);
    assert_eq!(s.times.queued, at);
    assert_eq!(s.times.eligible, at);
    assert_eq!(s.times.started, at);
    assert_eq!(s.times.finished, None, "2020 printed no obittime");
    assert_eq!(s.query_error, None);
}

/// §3.3 [REAL] wrapped values (the reference shows the attribute lines only; a `Job Id:` and
/// a `job_state` are put before them).
#[test]
fn wrapped_values_text() {
    let text = format!(
        "Job Id: 7600424.pbs02\n    job_state = R\n{}",
        fixture("ref-3.3-wrapped-values.txt")
    );
    let s = only(qstat_full_text(&text).unwrap()).status;
    assert_eq!(
        s.exec_vnode.as_deref(),
        Some(
            "(node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)"
        )
    );
    assert_eq!(
        s.comment.as_deref(),
        Some("Job run at Thu May 14 at 07:04 on (e5a207891675:ncpus=1) and finished")
    );
}

/// pbs-sim's `qstat -f -F json -x` (old generator, `"Job_Name":123` bare) of seven jobs in
/// states F, F, R, F, Q, Q (calendared), H.
#[test]
fn pbs_sim_json() {
    let jobs = qstat_json(&fixture("pbs-sim-2022-old-generator.json")).unwrap();
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1.pbs02",
            "18.pbs02",
            "34.pbs02",
            "36.pbs02",
            "92.pbs02",
            "2274.pbs02",
            "2313.pbs02"
        ]
    );
    let states: String = jobs
        .iter()
        .map(|j| j.status.state.letter().unwrap_or('?'))
        .collect();
    assert_eq!(states, "FFRFQQH");
    let exits: Vec<Option<i32>> = jobs.iter().map(|j| j.status.exit_status).collect();
    assert_eq!(exits, [Some(0), Some(-29), None, Some(1), None, None, None]);
    let substates: Vec<Option<u32>> = jobs.iter().map(|j| j.status.substate).collect();
    assert_eq!(
        substates,
        [
            Some(92),
            Some(93),
            Some(42),
            Some(93),
            Some(10),
            Some(10),
            Some(20)
        ]
    );
    let running = &jobs[2].status;
    assert_eq!(running.queue.as_deref(), Some("gpu"));
    assert_eq!(running.exec_host.as_deref(), Some("node0136/0*8"));
    assert_eq!(running.times.started, local(2026, 11, 24, 2, 48, 38));
    assert_eq!(
        jobs[4].status.comment.as_deref(),
        Some("Not Running: Not enough free nodes available")
    );
    assert_eq!(
        jobs[5].status.estimated_start,
        local(2026, 11, 26, 5, 5, 56)
    );
    assert!(jobs.iter().all(|j| j.status.query_error.is_none()));
}

/// The same seven jobs captured as `qstat -f -x` text read to the same statuses as the JSON.
#[test]
fn pbs_sim_text_agrees_with_json() {
    let json = qstat_json(&fixture("pbs-sim-2022-old-generator.json")).unwrap();
    let text = qstat_full_text(&fixture("pbs-sim-full-text.txt")).unwrap();
    assert_eq!(text.len(), 7);
    for (j, t) in json.iter().zip(&text) {
        assert_eq!(j, t);
    }
    // A value that was wrapped over several lines in the text.
    let vnode = text[3].status.exec_vnode.as_deref().unwrap_or_default();
    assert!(vnode.len() > 2 * 78 && !vnode.contains('\t'), "{vnode}");
}

/// Reads every line of an error fixture and checks the code each maps to.
fn check_error_lines(name: &str, expected: &[Option<Pbse>]) {
    let text = fixture(name);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{name}");
    for (line, code) in lines.iter().zip(expected) {
        let read = pbs_error(line);
        assert_eq!(read.as_ref().map(|e| e.code()), *code, "{line:?}");
        if let Some(error) = read {
            let (_, after_command) = line.split_once(": ").expect("has a prefix");
            assert_eq!(error.text(), after_command, "the text is kept as printed");
        }
    }
}

/// §1.5: qsub's error lines (the table's verbatim column, and §1.1's client-side errors).
#[test]
fn qsub_error_lines() {
    use Pbse::*;
    check_error_lines(
        "ref-1.5-qsub-stderr.txt",
        &[
            Some(UnkResc),
            Some(UnkResc),
            Some(BadAtVal),
            Some(ExcQResc),
            Some(RouteRej),
            Some(UnkQue),
            Some(NoDefQue),
            Some(QueNoEnb),
            Some(InvalSelectResc),
            Some(InvalJobResc),
            Some(InvalNodePlace),
            Some(PlaceNoSelect),
            Some(DupResc),
            Some(EntLimCt),
            Some(EntLimResc),
            Some(NoServer),
            // Client-side errors carry no PBS error number.
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],
    );
}

/// §3.4–3.5: qstat's error lines, including the one with the id before the text.
#[test]
fn qstat_error_lines() {
    use Pbse::*;
    check_error_lines(
        "ref-3.4-3.5-qstat-stderr.txt",
        &[Some(HistJobId), Some(UnkJobId), Some(UnkJobId)],
    );
}

/// §4: qdel's error lines (`<id>` is the reference's placeholder for the id).
#[test]
fn qdel_error_lines() {
    use Pbse::*;
    check_error_lines(
        "ref-4-qdel-stderr.txt",
        &[Some(UnkJobId), Some(HistJobId), Some(BadState), Some(Perm)],
    );
}

/// pbs-sim's shims print the same lines.
#[test]
fn pbs_sim_error_lines() {
    use Pbse::*;
    check_error_lines(
        "pbs-sim-stderr.txt",
        &[
            Some(UnkJobId),
            Some(UnkJobId),
            Some(UnkQue),
            Some(UnkResc),
            Some(HistJobId),
            Some(HistJobId),
            Some(InvalSelectResc),
            Some(UnkResc),
            Some(BadAtVal),
            Some(InvalJobResc),
            Some(PlaceNoSelect),
        ],
    );
    // A whole stderr: the first known line is the error.
    let error = pbs_error(&fixture("pbs-sim-stderr.txt")).unwrap();
    assert_eq!(error.text(), "Unknown Job Id 99999.pbs02");
}
