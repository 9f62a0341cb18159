//! `status` of many tracked jobs on a real Slurm, two ways: the driver's one
//! `squeue --jobs=…` for all of them, and one `squeue --jobs=<id>` per job (what
//! batchspawner's SlurmSpawner does each poll). Run by `benches/slurm-driver/run.sh`, which
//! starts a private Slurm and queues the jobs.
//!
//! Usage: `slurm_status_bench <file of job ids> <rounds>` with `SLURM_CONF` set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use drivers::command::{CommandRunner, CommandSpec, ProcessRunner};
use drivers::slurm::config::SlurmConfig;
use drivers::slurm::driver::SlurmDriver;
use drivers::slurm::parse;
use drivers::{JobId, JobState, Scheduler};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, ids_file, rounds] = args.as_slice() else {
        eprintln!("usage: slurm_status_bench <file of job ids> <rounds>   (SLURM_CONF set)");
        std::process::exit(2);
    };
    let rounds: usize = rounds.parse().expect("rounds is a number");
    let ids: Vec<JobId> = std::fs::read_to_string(ids_file)
        .expect("the ids file is readable")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| JobId::new(l.trim()).expect("a job id"))
        .collect();
    let env: Vec<(String, String)> = ["PATH", "SLURM_CONF"]
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|v| (name.to_string(), v)))
        .chain([("SLURM_TIME_FORMAT".to_string(), "%s".to_string())])
        .collect();
    let driver =
        SlurmDriver::with_runner(SlurmConfig::default(), Arc::new(ProcessRunner), env.clone());
    let (mut batched, mut per_job) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        // The driver's way: one squeue for all, parsed, judged per job.
        let t = Instant::now();
        let map = driver.status(&ids).await;
        batched.push(t.elapsed());
        let known = map
            .values()
            .filter(|s| s.state != JobState::Unknown)
            .count();
        assert_eq!(known, ids.len(), "every job answered: {map:?}");

        // One squeue per job, each parsed.
        let t = Instant::now();
        for id in &ids {
            let argv = vec![
                "squeue".to_string(),
                "--noheader".into(),
                "--states=all".into(),
                format!("--jobs={id}"),
                format!("--format={}", parse::SQUEUE_FORMAT),
            ];
            let spec = CommandSpec {
                argv,
                env: env.clone(),
                stdin: None,
                timeout: Duration::from_secs(60),
            };
            let out = ProcessRunner.run(&spec).await.expect("squeue runs");
            let jobs = parse::squeue(&out.stdout).expect("squeue's answer parses");
            assert_eq!(jobs.len(), 1, "{id}: {}", out.stderr);
        }
        per_job.push(t.elapsed());
        println!(
            "round {round}: one squeue {}, one squeue per job {}",
            ms(batched[round - 1]),
            ms(per_job[round - 1])
        );
    }
    let (b, p) = (median(batched), median(per_job));
    println!(
        "median of {rounds}, {} jobs: one squeue {}; one squeue per job {}; {:.0}x",
        ids.len(),
        ms(b),
        ms(p),
        p.as_secs_f64() / b.as_secs_f64()
    );
}
