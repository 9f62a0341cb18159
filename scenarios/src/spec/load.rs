//! Reading a scenario file: TOML into [`Scenario`], then the checks serde cannot express
//! (shares between 0 and 1, ranges in order, faults inside the run). Every error names the
//! file, the line and the field, as a person fixing the file needs.

use std::fmt;
use std::path::Path;

use toml_edit::{ImDocument, TableLike};

use super::{FaultKind, Scenario};

/// Why a scenario file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    /// The file, as given.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field, e.g. `users.cancel_share` or `faults[2].for`, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Reads and checks the scenario in `path`.
pub fn load(path: &Path) -> Result<Scenario, SpecError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: file.clone(),
        line: None,
        field: None,
        message: format!("cannot read it: {e}"),
    })?;
    load_str(&text, &file)
}

/// Reads and checks a scenario from `text`; `file` names it in errors.
pub fn load_str(text: &str, file: &str) -> Result<Scenario, SpecError> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        SpecError {
            file: file.to_string(),
            line,
            field: None,
            // toml's own message has the snippet and caret; keep its first useful line.
            message: e.message().trim().to_string(),
        }
    })?;
    if let Some((field, message)) = check(&scenario).into_iter().next() {
        let doc = ImDocument::parse(text.to_string()).ok();
        let line = doc
            .as_ref()
            .and_then(|doc| span_of(doc, &field))
            .map(|at| line_of(text, at));
        return Err(SpecError {
            file: file.to_string(),
            line,
            field: Some(field),
            message,
        });
    }
    Ok(scenario)
}

/// The problems serde does not catch, as (field path, message).
fn check(s: &Scenario) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut share = |field: &str, value: f64| {
        if !(0.0..=1.0).contains(&value) || value.is_nan() {
            problems.push((
                field.to_string(),
                format!("{value} is not a share between 0 and 1"),
            ));
        }
    };
    share("users.idle_share", s.users.idle_share);
    share("users.cancel_share", s.users.cancel_share);
    share("users.invalid_share", s.users.invalid_share);
    share("background.mpi_fraction", s.background.mpi_fraction);
    share("background.gpu_fraction", s.background.gpu_fraction);
    for (i, fault) in s.faults.iter().enumerate() {
        match fault {
            FaultKind::QstatTruncated { share: v, .. }
            | FaultKind::QsubReject { share: v, .. }
            | FaultKind::JobDeath { share: v, .. } => share(&format!("faults[{i}].share"), *v),
            _ => {}
        }
    }
    if let Some(v) = s.properties.min_running_share {
        share("properties.min_running_share", v);
    }
    if let Some(v) = s.properties.max_idle_share {
        share("properties.max_idle_share", v);
    }
    let positive = |v: f64| v > 0.0 && v.is_finite();
    if !positive(s.background.offered_load) {
        problems.push((
            "background.offered_load".into(),
            format!("{} must be above 0", s.background.offered_load),
        ));
    }
    if !(s.background.duration_scale > 0.0 && s.background.duration_scale <= 1.0) {
        problems.push((
            "background.duration_scale".into(),
            format!(
                "{} must be above 0 and at most 1",
                s.background.duration_scale
            ),
        ));
    }
    let zero = std::time::Duration::ZERO;
    for (field, value) in [
        ("duration", s.duration.get()),
        ("sample_every", s.sample_every.get()),
        ("hub.poll_interval", s.hub.poll_interval.get()),
        ("hub.reconcile_every", s.hub.reconcile_every.get()),
        ("hub.proxy_check_every", s.hub.proxy_check_every.get()),
        ("hub.report_retry", s.hub.report_retry.get()),
        ("hub.cancel_retry", s.hub.cancel_retry.get()),
    ] {
        if value == zero {
            problems.push((field.to_string(), "must be longer than 0s".to_string()));
        }
    }
    for (min_field, min, max_field, max) in [
        (
            "hub.command_min",
            s.hub.command_min,
            "hub.command_max",
            s.hub.command_max,
        ),
        (
            "hub.startup_min",
            s.hub.startup_min,
            "hub.startup_max",
            s.hub.startup_max,
        ),
        (
            "users.gap_min",
            s.users.gap_min,
            "users.gap_max",
            s.users.gap_max,
        ),
        (
            "users.session_min",
            s.users.session_min,
            "users.session_max",
            s.users.session_max,
        ),
        (
            "users.patience_min",
            s.users.patience_min,
            "users.patience_max",
            s.users.patience_max,
        ),
    ] {
        if min > max {
            problems.push((
                max_field.to_string(),
                format!("is shorter than `{min_field}`"),
            ));
        }
    }
    if s.cluster.nodes == 0 {
        problems.push((
            "cluster.nodes".into(),
            "a cluster needs at least one node".into(),
        ));
    }
    if s.users.count > 0 && s.users.options.iter().all(|o| o.weight == 0) {
        problems.push((
            "users.options".into(),
            "users need at least one choice with a weight above 0".into(),
        ));
    }
    for (i, fault) in s.faults.iter().enumerate() {
        if fault.at() >= s.duration {
            problems.push((
                format!("faults[{i}].at"),
                format!(
                    "{} is not inside the run's `duration` ({}): faults belong to the safety phase",
                    fault.at(),
                    s.duration
                ),
            ));
        }
    }
    problems
}

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The byte offset of `path` (`a.b`, `faults[2].share`) in the document: the key if it is
/// there, else the deepest table on the way that is.
fn span_of(doc: &ImDocument<String>, path: &str) -> Option<usize> {
    let mut table: &dyn TableLike = doc.as_table();
    let mut best = None;
    let parts: Vec<&str> = path.split('.').collect();
    for (n, part) in parts.iter().enumerate() {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (*part, None),
        };
        let Some((found, item)) = table.get_key_value(key) else {
            return best;
        };
        best = found.span().map(|s| s.start).or(best);
        let next: Option<&dyn TableLike> = match index {
            Some(i) => {
                let entry = item.as_array_of_tables().and_then(|a| a.get(i));
                best = entry.and_then(|t| t.span()).map(|s| s.start).or(best);
                entry.map(|t| t as &dyn TableLike)
            }
            None if n + 1 < parts.len() => item.as_table_like(),
            None => return best,
        };
        let Some(next) = next else {
            return best;
        };
        table = next;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = \"x\"\nduration = \"1h\"\n";

    #[test]
    fn a_minimal_file_takes_every_default() {
        let s = load_str(MINIMAL, "x.toml").unwrap();
        assert_eq!(s.cluster.nodes, 2000);
        assert_eq!(s.seed, 1);
        assert!(s.faults.is_empty());
    }

    #[test]
    fn an_unknown_field_names_its_line_and_field() {
        let text = "name = \"x\"\nduration = \"1h\"\n[users]\ncount = 3\ncancel_shar = 0.2\n";
        let e = load_str(text, "x.toml").unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("cancel_shar"), "{e}");
        assert!(e.to_string().starts_with("x.toml:5:"), "{e}");
    }

    #[test]
    fn a_bad_duration_names_its_line() {
        let text = "name = \"x\"\nduration = \"1h\"\n[hub]\npoll_interval = \"soon\"\n";
        let e = load_str(text, "x.toml").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("not a duration"), "{e}");
    }

    #[test]
    fn a_share_out_of_range_names_the_field_in_an_array_of_tables() {
        let text = "name = \"x\"\nduration = \"1h\"\n\n[[faults]]\nkind = \"hub_crash\"\nat = \"5m\"\n\n[[faults]]\nkind = \"job_death\"\nat = \"10m\"\nfor = \"5m\"\nshare = 1.5\n";
        let e = load_str(text, "x.toml").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("faults[1].share"), "{e}");
        assert_eq!(e.line, Some(12), "{e}");
    }

    #[test]
    fn a_fault_after_the_run_is_refused() {
        let text =
            "name = \"x\"\nduration = \"1h\"\n[[faults]]\nkind = \"hub_crash\"\nat = \"2h\"\n";
        let e = load_str(text, "x.toml").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("faults[0].at"), "{e}");
        assert_eq!(e.line, Some(5), "{e}");
    }

    #[test]
    fn an_unknown_fault_kind_is_named() {
        let text = "name = \"x\"\nduration = \"1h\"\n[[faults]]\nkind = \"meteor\"\nat = \"5m\"\n";
        let e = load_str(text, "x.toml").unwrap_err();
        assert!(e.message.contains("meteor"), "{e}");
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn ranges_out_of_order_are_refused() {
        let text = "name = \"x\"\nduration = \"1h\"\n[users]\nsession_min = \"2h\"\nsession_max = \"1h\"\n";
        let e = load_str(text, "x.toml").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("users.session_max"), "{e}");
        assert_eq!(e.line, Some(5), "{e}");
    }

    #[test]
    fn a_missing_name_is_named() {
        let e = load_str("duration = \"1h\"\n", "x.toml").unwrap_err();
        assert!(e.message.contains("name"), "{e}");
    }
}
