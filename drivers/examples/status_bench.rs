//! `status` of many tracked jobs, two ways, against a PBS whose `qstat` is in a directory:
//! the driver's one batched `qstat -f -F json -x ids…`, and one `qstat` per job (what
//! batchspawner does). Run by `benches/pbs-driver/run.sh`, which starts pbs-sim.
//!
//! Usage: `status_bench <dir with qstat> <file of job ids> <rounds>`

use std::sync::Arc;
use std::time::{Duration, Instant};

use drivers::command::{CommandRunner, CommandSpec, ProcessRunner};
use drivers::pbs::config::PbsConfig;
use drivers::pbs::driver::PbsDriver;
use drivers::pbs::parse;
use drivers::{JobId, JobState, Scheduler};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, bin, ids_file, rounds] = args.as_slice() else {
        eprintln!("usage: status_bench <dir with qstat> <file of job ids> <rounds>");
        std::process::exit(2);
    };
    let rounds: usize = rounds.parse().expect("rounds is a number");
    let ids: Vec<JobId> = std::fs::read_to_string(ids_file)
        .expect("the ids file is readable")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| JobId::new(l.trim()).expect("a job id"))
        .collect();
    let qstat = format!("{bin}/qstat");
    let env = vec![("PATH".to_string(), "/usr/bin:/bin".to_string())];
    let config = PbsConfig {
        qstat: qstat.clone(),
        ..PbsConfig::default()
    };
    let driver = PbsDriver::with_runner(config, Arc::new(ProcessRunner), env.clone());
    let spec = |argv: Vec<String>| CommandSpec {
        argv,
        env: env.clone(),
        stdin: None,
        timeout: Duration::from_secs(60),
    };
    let (mut batched, mut batched_parse, mut per_job, mut per_job_parse) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        // The driver's way: one qstat for all, then its parse.
        let t = Instant::now();
        let map = driver.status(&ids).await;
        batched.push(t.elapsed());
        let known = map
            .values()
            .filter(|s| s.state != JobState::Unknown)
            .count();
        assert_eq!(known, ids.len(), "every job answered");
        let mut argv: Vec<String> = ["-f", "-F", "json", "-x"].map(String::from).to_vec();
        argv.insert(0, qstat.clone());
        argv.extend(ids.iter().map(|id| id.as_str().to_string()));
        let out = ProcessRunner.run(&spec(argv)).await.expect("qstat runs");
        let t = Instant::now();
        let jobs = parse::qstat_json(&out.stdout).expect("qstat's JSON parses");
        batched_parse.push(t.elapsed());
        assert_eq!(jobs.len(), ids.len());

        // One qstat per job, parsed each.
        let t = Instant::now();
        let mut parsing = Duration::ZERO;
        for id in &ids {
            let argv = [qstat.as_str(), "-f", "-F", "json", "-x", id.as_str()]
                .map(String::from)
                .to_vec();
            let out = ProcessRunner.run(&spec(argv)).await.expect("qstat runs");
            let p = Instant::now();
            let jobs = parse::qstat_json(&out.stdout).expect("qstat's JSON parses");
            parsing += p.elapsed();
            assert_eq!(jobs.len(), 1);
        }
        per_job.push(t.elapsed());
        per_job_parse.push(parsing);
        println!(
            "round {round}: batched {} (parse {}), one per job {} (parse {})",
            ms(batched[round - 1]),
            ms(batched_parse[round - 1]),
            ms(per_job[round - 1]),
            ms(per_job_parse[round - 1])
        );
    }
    let (b, bp, p, pp) = (
        median(batched),
        median(batched_parse),
        median(per_job),
        median(per_job_parse),
    );
    println!(
        "median of {rounds}, {} jobs: batched status {} (parse {}); one qstat per job {} (parse {}); {:.0}x",
        ids.len(),
        ms(b),
        ms(bp),
        ms(p),
        ms(pp),
        p.as_secs_f64() / b.as_secs_f64()
    );
}
