//! `hub doctor`: checks a deployment from its config file — the config itself, secret file
//! permissions, the database and its migrations, the scheduler's commands, the proxy's API
//! and token, the PAM service, the TLS files — and says, for each, OK, WARN or FAIL with the
//! one-line fix. Nothing is changed: no file is created, no migration applied.
//!
//! Layout: this file holds the report types and [`run`]; one file per check (`secrets`,
//! `database`, `scheduler`, `proxy`, `pam`, `tls`). Each check returns [`Finding`]s; none
//! reads the clock or the environment: [`DoctorOptions`] brings them.

mod database;
mod pam;
mod proxy;
mod scheduler;
mod secrets;
mod tls;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::HubConfig;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but worth a look (or `hub serve` will fix it itself).
    Warn,
    /// `hub serve` will refuse to start, or users will fail.
    Fail,
}

impl Status {
    /// `OK`, `WARN` or `FAIL`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked, e.g. `secret: cookie secret`.
    pub check: String,
    /// How it came out.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// The one-line fix, when not OK.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// More lines (every config error, say).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl Finding {
    /// An OK finding.
    pub fn ok(check: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            check: check.into(),
            status: Status::Ok,
            message: message.into(),
            fix: None,
            details: Vec::new(),
        }
    }

    /// A WARN finding with its fix.
    pub fn warn(
        check: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Finding::ok(check, message)
        }
    }

    /// A FAIL finding with its fix.
    pub fn fail(
        check: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            status: Status::Fail,
            fix: Some(fix.into()),
            ..Finding::ok(check, message)
        }
    }
}

/// Every finding of one run, in check order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The worst status found (OK for an empty report).
    pub fn worst(&self) -> Status {
        self.findings
            .iter()
            .map(|f| f.status)
            .max()
            .unwrap_or(Status::Ok)
    }

    /// How many findings have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// The finding of the check named `check`, if it ran.
    pub fn find(&self, check: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.check == check)
    }

    /// One aligned line per check (`FAIL  check  message — fix: …`), details indented
    /// under it, then a summary line.
    pub fn render(&self) -> String {
        let width = self
            .findings
            .iter()
            .map(|f| f.check.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for f in &self.findings {
            let _ = write!(
                out,
                "{:<4}  {:<width$}  {}",
                f.status.label(),
                f.check,
                f.message
            );
            if let Some(fix) = &f.fix {
                let _ = write!(out, " — fix: {fix}");
            }
            out.push('\n');
            for line in &f.details {
                let _ = writeln!(out, "      {:<width$}    {line}", "");
            }
        }
        let _ = writeln!(
            out,
            "{} checks: {} ok, {} warn, {} fail",
            self.findings.len(),
            self.count(Status::Ok),
            self.count(Status::Warn),
            self.count(Status::Fail)
        );
        out
    }
}

/// What a run needs besides the config: all that comes from the machine and the clock.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// Run the scheduler's commands through `spawner.exec_prefix` as this user; `None` runs
    /// them as the doctor's own user.
    pub test_user: Option<String>,
    /// The environment the scheduler's commands get is the allowlisted part of this one.
    pub environment: Vec<(String, String)>,
    /// Where PAM services live (`/etc/pam.d`).
    pub pam_dir: PathBuf,
    /// Now, for certificate expiry.
    pub now: DateTime<Utc>,
}

impl DoctorOptions {
    /// The options for this machine: its environment, `/etc/pam.d`, the current time.
    pub fn for_this_machine(test_user: Option<String>) -> DoctorOptions {
        DoctorOptions {
            test_user,
            environment: std::env::vars().collect(),
            pam_dir: PathBuf::from("/etc/pam.d"),
            now: Utc::now(),
        }
    }
}

/// Checks the deployment the config file at `path` describes. A config that cannot be
/// read or is invalid is the one finding: the other checks need it.
pub async fn run(path: &Path, options: &DoctorOptions) -> Report {
    let mut report = Report::default();
    let config = match check_config(path) {
        Ok((config, finding)) => {
            report.findings.push(finding);
            config
        }
        Err(finding) => {
            report.findings.push(finding);
            return report;
        }
    };
    report.findings.extend(
        crate::config::warnings(&config)
            .into_iter()
            .map(|w| Finding::warn(CONFIG, w.message, w.fix)),
    );
    report.findings.extend(secrets::check(&config));
    report.findings.push(database::check(&config, path).await);
    report
        .findings
        .extend(scheduler::check(&config, options).await);
    report.findings.push(proxy::check(&config).await);
    report
        .findings
        .extend(pam::check(&config, &options.pam_dir));
    report.findings.extend(tls::check(&config, options.now));
    report
}

const CONFIG: &str = "config";

/// The config through `hub check-config`'s checker.
fn check_config(path: &Path) -> Result<(HubConfig, Finding), Finding> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Finding::fail(
            CONFIG,
            format!("cannot read {shown}: {e}"),
            "give the config file's path (`hub generate-config -o FILE` writes one)",
        )
    })?;
    match crate::config::check_config(&text, &shown) {
        Ok(config) => Ok((config, Finding::ok(CONFIG, format!("{shown} is valid")))),
        Err(errors) => Err(Finding {
            details: errors.iter().map(|e| e.to_string()).collect(),
            ..Finding::fail(
                CONFIG,
                format!(
                    "{shown} has {} error(s); nothing else checked",
                    errors.len()
                ),
                "correct the settings below (`hub check-config` lists them too)",
            )
        }),
    }
}
