//! How long the hub's poll spends reading one `qstat` answer for 2,000 tracked jobs
//! (target: under 20 ms), for each form the driver may get:
//! the old JSON generator, the new cJSON generator and the `qstat -f` text.
//!
//! The documents repeat the seven real jobs pbs-sim printed (F, F, R, F, Q, Q calendared, H;
//! `tests/fixtures/pbs/`) with distinct ids, each job's `Variable_List` grown to ten
//! variables like a real `qsub`'s (reference §3.3), about 2 KB of JSON per job.
//!
//! Run: `cargo bench -p drivers --bench qstat_parse`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use drivers::pbs::parse::{qstat_full_text, qstat_json};

const JOBS: usize = 2_000;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/pbs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The job objects of an old-generator document, each without its id line, with three more
/// variables (qsub's PBS_O_LANG, PBS_O_MAIL, PBS_O_QUEUE) in its Variable_List.
fn old_generator_jobs(document: &str) -> Vec<String> {
    let mut jobs = Vec::new();
    let mut body: Option<String> = None;
    for line in document.lines() {
        // `        "<id>":{` opens a job, `        }` closes it (8 spaces: inside "Jobs").
        if line.starts_with("        \"") && line.ends_with("\":{") {
            body = Some(String::new());
        } else if line == "        }" || line == "        }," {
            jobs.extend(body.take());
        } else if let Some(body) = body.as_mut() {
            body.push_str(line);
            body.push('\n');
            if line.trim_start() == "\"Variable_List\":{" {
                body.push_str("                \"PBS_O_LANG\":\"en_US.UTF-8\",\n");
                body.push_str("                \"PBS_O_MAIL\":\"/var/spool/mail/user047\",\n");
                body.push_str("                \"PBS_O_QUEUE\":\"c1_single\",\n");
            }
        }
    }
    jobs
}

/// `JOBS` jobs in the old generator's layout.
fn old_generator_document(jobs: &[String]) -> String {
    let mut out = String::from(
        "{\n    \"timestamp\":1795659251,\n    \"pbs_version\":\"2022.1.1.20220926110806\",\n    \"pbs_server\":\"pbs02\",\n    \"Jobs\":{\n",
    );
    for n in 0..JOBS {
        out.push_str(&format!("        \"{}.pbs02\":{{\n", 100_000 + n));
        out.push_str(&jobs[n % jobs.len()]);
        out.push_str(if n + 1 < JOBS {
            "        },\n"
        } else {
            "        }\n"
        });
    }
    out.push_str("    }\n}\n");
    out
}

/// The same document in the new cJSON layout: a TAB per level, a TAB after each key's colon,
/// Job_Name always a string.
fn new_generator_document(old: &str) -> String {
    let mut out = String::with_capacity(old.len());
    for line in old.lines() {
        let body = line.trim_start_matches(' ');
        let depth = (line.len() - body.len()) / 4;
        out.extend(std::iter::repeat_n('\t', depth));
        match body.split_once("\":") {
            Some((key, value)) if body.starts_with('"') => {
                let value = match key {
                    "\"Job_Name" if !value.starts_with('"') => {
                        let (name, comma) = match value.strip_suffix(',') {
                            Some(name) => (name, ","),
                            None => (value, ""),
                        };
                        format!("\"{name}\"{comma}")
                    }
                    _ => value.to_owned(),
                };
                out.push_str(key);
                out.push_str("\":\t");
                out.push_str(&value);
            }
            _ => out.push_str(body),
        }
        out.push('\n');
    }
    out
}

/// `JOBS` jobs as `qstat -f` text, with the same three extra variables (wrapped onto lines of
/// their own, as qstat moves a token that does not fit).
fn text_document(text: &str) -> String {
    let blocks: Vec<String> = text
        .split("Job Id: ")
        .filter(|b| !b.is_empty())
        .map(|b| {
            let (_, rest) = b.split_once('\n').unwrap_or((b, ""));
            let mut block = String::new();
            let mut in_variables = false;
            for line in rest.lines() {
                if in_variables && !line.starts_with('\t') {
                    block.push_str(",\n\tPBS_O_LANG=en_US.UTF-8,PBS_O_MAIL=/var/spool/mail/user047,\n\tPBS_O_QUEUE=c1_single\n");
                    in_variables = false;
                } else if !block.is_empty() {
                    block.push('\n');
                }
                block.push_str(line);
                in_variables |= line.starts_with("    Variable_List = ");
            }
            block.push('\n');
            block
        })
        .collect();
    let mut out = String::new();
    for n in 0..JOBS {
        out.push_str(&format!("Job Id: {}.pbs02\n", 100_000 + n));
        out.push_str(&blocks[n % blocks.len()]);
    }
    out
}

fn bench(c: &mut Criterion) {
    let jobs = old_generator_jobs(&fixture("pbs-sim-2022-old-generator.json"));
    assert_eq!(jobs.len(), 7, "fixture jobs");
    let old = old_generator_document(&jobs);
    let new = new_generator_document(&old);
    let text = text_document(&fixture("pbs-sim-full-text.txt"));
    // The documents must read back whole, or the timings mean nothing.
    for parsed in [qstat_json(&old), qstat_json(&new), qstat_full_text(&text)] {
        let parsed = parsed.expect("document reads");
        assert_eq!(parsed.len(), JOBS);
        assert!(parsed.iter().all(|j| j.status.query_error.is_none()));
    }
    assert_eq!(qstat_json(&old), qstat_json(&new));
    assert_eq!(qstat_json(&old), qstat_full_text(&text));
    eprintln!(
        "documents: old JSON {} B ({} B/job), new JSON {} B, text {} B",
        old.len(),
        old.len() / JOBS,
        new.len(),
        text.len()
    );

    let mut group = c.benchmark_group("qstat_2000_jobs");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(6));
    for (name, document, parse) in [
        ("json_old_generator", &old, qstat_json as fn(&str) -> _),
        ("json_new_generator", &new, qstat_json),
        ("full_text", &text, qstat_full_text),
    ] {
        group.throughput(Throughput::Bytes(document.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse(black_box(document))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
