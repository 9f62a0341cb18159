//! `scenarios`: run scenario files against the simulated cluster and write their reports.
//!
//! ```text
//! scenarios run FILE|DIR [--seed N] [--report DIR] [--junit FILE]
//! scenarios list [DIR]
//! ```
//!
//! Exit status: 0 when every property of every scenario held, 1 when one did not, 2 when a
//! file could not be used.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

/// `println!` that does not panic when stdout is closed (`scenarios list | head`): the run
/// goes on and its exit status still says whether it passed.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use indicatif::{ProgressBar, ProgressStyle};
use scenarios::report::{self, model::Report};
use scenarios::sim::{self, RunOptions, Variant};
use scenarios::spec;

/// Deterministic scenario suites: the hub's spawner against a simulated 2,000-node PBS Pro
/// cluster in virtual time, with faults, invariants and reports.
#[derive(Debug, Parser)]
#[command(name = "scenarios", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a scenario file, or every `*.toml` in a directory (in name order).
    Run {
        /// A scenario file or a directory of them.
        path: PathBuf,
        /// The seed (default: each scenario's own `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Write `<name>.json` and `<name>.html` for each scenario here.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Write a JUnit XML report of the whole run here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// The spawner to drive. `deletes-on-unknown` is a deliberately broken one, to see
        /// the invariants catch it.
        #[arg(long, value_enum, default_value_t = VariantArg::Real, hide = true)]
        variant: VariantArg,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Lists the scenarios of a directory (default `scenarios/suite`).
    List {
        /// The directory.
        #[arg(default_value = "scenarios/suite")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VariantArg {
    Real,
    DeletesOnUnknown,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            path,
            seed,
            report,
            junit,
            variant,
            quiet,
        } => {
            let variant = match variant {
                VariantArg::Real => Variant::Real,
                VariantArg::DeletesOnUnknown => Variant::DeletesOnUnknown,
            };
            run(
                &path,
                seed,
                report.as_deref(),
                junit.as_deref(),
                variant,
                quiet,
            )
        }
        Command::List { dir } => list(&dir),
    }
}

/// The scenario files at `path`: the file itself, or a directory's `*.toml` by name.
fn files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(format!("{}: no *.toml scenario files", path.display()));
    }
    Ok(found)
}

fn run(
    path: &Path,
    seed: Option<u64>,
    report_dir: Option<&Path>,
    junit: Option<&Path>,
    variant: Variant,
    quiet: bool,
) -> ExitCode {
    let files = match files(path) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Every file is read first: a typo in the last one should not wait for the others.
    let mut scenarios = Vec::new();
    for file in &files {
        match spec::load(file) {
            Ok(s) => scenarios.push((file.clone(), s)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(dir) = report_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("error: {}: cannot create it: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    let mut done: Vec<(Report, Duration)> = Vec::new();
    for (file, scenario) in &scenarios {
        let options = RunOptions {
            file: file.display().to_string(),
            dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            seed,
            variant,
        };
        let bar = progress_bar(&scenario.name, quiet);
        let started = Instant::now();
        let outcome = sim::run(scenario, &options, &mut |at, end| {
            bar.set_length(end);
            bar.set_position(at);
        });
        bar.finish_and_clear();
        let elapsed = started.elapsed();
        let report = match outcome {
            Ok(report) => report,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        print_outcome(&report, elapsed);
        if let Some(dir) = report_dir {
            if let Err(e) = write_reports(dir, file, &report) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        done.push((report, elapsed));
    }
    if let Some(path) = junit {
        if let Err(e) = std::fs::write(path, report::junit::junit(&done)) {
            eprintln!("error: {}: cannot write it: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let failed = done.iter().filter(|(r, _)| !r.passed).count();
    say!(
        "{} scenarios, {} passed, {failed} failed",
        done.len(),
        done.len() - failed
    );
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn progress_bar(name: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    // indicatif draws only on a terminal: CI logs get the result lines alone.
    let bar = ProgressBar::new(1);
    let style =
        ProgressStyle::with_template("{prefix} [{bar:30}] {percent:>3}% simulated, {elapsed} ")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(name.to_string());
    bar
}

fn print_outcome(report: &Report, elapsed: Duration) {
    let verdict = if report.passed { "PASS" } else { "FAIL" };
    say!(
        "{verdict}  {}  ({}, seed {}, {} events, {:.1} s)",
        report.scenario,
        report.file,
        report.seed,
        report.counts.events,
        elapsed.as_secs_f64()
    );
    for p in report.properties.iter().filter(|p| !p.passed) {
        let what = match (&p.first_violation, &p.measured) {
            (Some(v), _) => format!("at {} s: {}", v.at_s, v.message),
            (None, Some(m)) => m.clone(),
            (None, None) => String::new(),
        };
        say!("      violated {} ({} times) {what}", p.name, p.violations);
    }
    if !report.passed {
        say!("      reproduce with: {}", report.reproduce);
    }
}

fn write_reports(dir: &Path, file: &Path, report: &Report) -> Result<(), String> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let json = report::json(report);
    let json_path = dir.join(format!("{stem}.json"));
    std::fs::write(&json_path, json)
        .map_err(|e| format!("{}: cannot write it: {e}", json_path.display()))?;
    let html_path = dir.join(format!("{stem}.html"));
    std::fs::write(&html_path, report::html::html(report))
        .map_err(|e| format!("{}: cannot write it: {e}", html_path.display()))?;
    Ok(())
}

fn list(dir: &Path) -> ExitCode {
    let files = match files(dir) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut status = ExitCode::SUCCESS;
    for file in files {
        match spec::load(&file) {
            Ok(s) => {
                let faults: Vec<&str> = s.faults.iter().map(|f| f.name()).collect();
                let summary = s.description.lines().next().unwrap_or("").trim();
                say!(
                    "{:<28} {:<44} {:>5} users  {:>6}  faults: {}",
                    file.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    s.name,
                    s.users.count,
                    s.duration.to_string(),
                    if faults.is_empty() {
                        "none".to_string()
                    } else {
                        faults.join(", ")
                    }
                );
                if !summary.is_empty() {
                    say!("{:<28} {summary}", "");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                status = ExitCode::from(2);
            }
        }
    }
    status
}
