//! JUnit XML for CI (the format GitLab, Jenkins and GitHub test reporters read): one
//! `<testsuite name="scenarios">`, one `<testcase>` per scenario run, one `<failure>` per
//! violated property. The failure's text lists every violated property and the command
//! that replays the run, so the CI page alone says what broke and how to see it again.

use std::path::Path;
use std::time::Duration;

use super::model::{PropertyKind, PropertyResult, Report};

/// The JUnit XML for a suite of runs, each with the host time it took (the only host time
/// in any report: CI shows it, nothing else depends on it).
///
/// `tests` counts runs, `failures` the runs that failed (a run with several violated
/// properties is one failed test with several `<failure>` elements).
pub fn junit(reports: &[(Report, Duration)]) -> String {
    let tests = reports.len();
    let failures = reports.iter().filter(|(r, _)| failed(r)).count();
    // Saturating: `Sum for Duration` panics on overflow.
    let total = reports
        .iter()
        .fold(Duration::ZERO, |sum, (_, d)| sum.saturating_add(*d));
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\"",
        secs(total)
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<testsuites name=\"scenarios\" {counts}>\n"));
    out.push_str(&format!(
        "  <testsuite name=\"scenarios\" {counts} skipped=\"0\">\n"
    ));
    for (report, took) in reports {
        testcase(&mut out, report, *took);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// A run failed if the runner said so or any property did not hold (both, normally).
fn failed(report: &Report) -> bool {
    !report.passed || report.properties.iter().any(|p| !p.passed)
}

/// Host seconds with three decimals, as JUnit readers expect.
fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The scenario file's name without directory and extension: the test's class, so runs
/// of one file group together.
fn file_stem(report: &Report) -> String {
    Path::new(&report.file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "scenario".to_string())
}

/// One `<testcase>`: a `<failure>` per violated property, and the seed and replay command
/// as its output.
fn testcase(out: &mut String, report: &Report, took: Duration) {
    out.push_str(&format!(
        "    <testcase classname=\"scenarios.{}\" name=\"{}\" time=\"{}\">\n",
        escape_attr(&file_stem(report)),
        escape_attr(&report.scenario),
        secs(took)
    ));
    if failed(report) {
        let body = escape_text(&failure_body(report));
        let violated: Vec<&PropertyResult> =
            report.properties.iter().filter(|p| !p.passed).collect();
        if violated.is_empty() {
            // The runner failed the run without naming a property (it could not finish):
            // CI must still show a failure.
            out.push_str(&format!(
                "      <failure message=\"the run failed; no property reports a violation\" type=\"property\">{body}</failure>\n"
            ));
        }
        for p in violated {
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"property\">{body}</failure>\n",
                escape_attr(&failure_message(p))
            ));
        }
    }
    out.push_str(&format!(
        "      <system-out>{}</system-out>\n",
        escape_text(&format!(
            "seed: {}\nreproduce with: {}\n",
            report.seed, report.reproduce
        ))
    ));
    out.push_str("    </testcase>\n");
}

/// The one line CI shows for a failure: which property, what was wrong, when.
fn failure_message(p: &PropertyResult) -> String {
    match (&p.first_violation, &p.measured) {
        (Some(v), _) => format!("{}: {} (at {} s)", p.name, v.message, v.at_s),
        (None, Some(m)) => format!("{}: {m}", p.name),
        (None, None) => format!("{}: did not hold", p.name),
    }
}

/// The name of a property kind as the scenario file spells it.
fn kind_name(kind: PropertyKind) -> &'static str {
    match kind {
        PropertyKind::Safety => "safety",
        PropertyKind::Liveness => "liveness",
        PropertyKind::Slo => "slo",
    }
}

/// Every violated property, then how to replay the run.
fn failure_body(report: &Report) -> String {
    let mut body = format!(
        "scenario {} failed (seed {})\nviolated properties:\n",
        report.scenario, report.seed
    );
    for p in report.properties.iter().filter(|p| !p.passed) {
        body.push_str(&format!(
            "- {} ({}): {} violation(s)",
            p.name,
            kind_name(p.kind),
            p.violations
        ));
        if let Some(v) = &p.first_violation {
            body.push_str(&format!("; first at {} s: {}", v.at_s, v.message));
        }
        if let Some(m) = &p.measured {
            body.push_str(&format!("; measured {m}"));
        }
        body.push('\n');
    }
    body.push_str(&format!("reproduce with: {}\n", report.reproduce));
    body
}

/// `s` as XML 1.0 element text.
fn escape_text(s: &str) -> String {
    escape(s, false)
}

/// `s` as an XML 1.0 attribute value (between double quotes).
fn escape_attr(s: &str) -> String {
    escape(s, true)
}

/// Escapes the five markup characters and replaces the characters XML 1.0 forbids (C0
/// controls other than tab, newline and carriage return; U+FFFE and U+FFFF) with U+FFFD,
/// so one stray byte in a message cannot make CI reject the whole file. In an attribute,
/// tab, newline and carriage return are written as character references: a parser
/// would otherwise turn them into spaces.
fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' if attr => out.push_str("&#13;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_report;

    fn passing() -> Report {
        let mut r = sample_report();
        r.scenario = "quiet-night".to_string();
        r.file = "suites/quiet-night.toml".to_string();
        r.passed = true;
        for p in &mut r.properties {
            p.passed = true;
            p.violations = 0;
            p.first_violation = None;
        }
        r
    }

    /// Every element opened is closed (a cheap well-formedness check without a parser).
    fn assert_balanced(xml: &str) {
        for tag in [
            "testsuites",
            "testsuite",
            "testcase",
            "failure",
            "system-out",
        ] {
            let open =
                xml.matches(&format!("<{tag} ")).count() + xml.matches(&format!("<{tag}>")).count();
            let close = xml.matches(&format!("</{tag}>")).count();
            assert_eq!(open, close, "<{tag}> in\n{xml}");
        }
    }

    #[test]
    fn a_passing_run_is_one_passing_testcase() {
        let xml = junit(&[(passing(), Duration::from_millis(1500))]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        assert!(xml.contains(
            "<testsuites name=\"scenarios\" tests=\"1\" failures=\"0\" errors=\"0\" time=\"1.500\">"
        ));
        assert!(xml.contains("<testsuite name=\"scenarios\" tests=\"1\" failures=\"0\""));
        assert!(xml.contains(
            "<testcase classname=\"scenarios.quiet-night\" name=\"quiet-night\" time=\"1.500\">"
        ));
        assert_eq!(xml.matches("<testcase ").count(), 1);
        assert_eq!(xml.matches("<failure").count(), 0);
        assert!(xml.contains("seed: 42\nreproduce with: cargo run"));
        assert_balanced(&xml);
    }

    #[test]
    fn a_failed_run_has_a_failure_per_violated_property() {
        let mut failing = sample_report();
        failing.properties[2].passed = false;
        failing.properties[2].violations = 1;
        failing.properties[2].measured = Some("p95 190 s <= 120 s".to_string());
        let xml = junit(&[
            (passing(), Duration::from_millis(250)),
            (failing, Duration::from_millis(1250)),
        ]);
        assert!(xml.contains("tests=\"2\" failures=\"1\" errors=\"0\" time=\"1.500\""));
        assert_eq!(xml.matches("<testcase ").count(), 2);
        assert_eq!(xml.matches("<failure ").count(), 2);
        assert!(xml.contains(
            "<failure message=\"no_delete_on_unknown: server alice/ deleted job 1234.pbs while qstat was out (at 37230 s)\" type=\"property\">"
        ));
        assert!(xml.contains("<failure message=\"spawn_p95: p95 190 s &lt;= 120 s\""));
        // Each failure's text names every violated property and the replay command.
        let body = "- no_delete_on_unknown (safety): 2 violation(s); first at 37230 s";
        assert_eq!(xml.matches(body).count(), 2);
        assert_eq!(
            xml.matches("- spawn_p95 (slo): 1 violation(s); measured p95 190 s &lt;= 120 s")
                .count(),
            2
        );
        assert_eq!(
            xml.matches(
                "reproduce with: cargo run -p scenarios -- run scenarios/busy-day.toml --seed 42"
            )
            .count(),
            // Two failure texts and the failing run's output, plus the passing run's output.
            4
        );
        assert_balanced(&xml);
    }

    #[test]
    fn a_run_failed_without_a_violated_property_still_fails() {
        let mut r = passing();
        r.passed = false;
        let xml = junit(&[(r, Duration::ZERO)]);
        assert!(xml.contains("failures=\"1\""));
        assert_eq!(xml.matches("<failure ").count(), 1);
        assert!(xml.contains("time=\"0.000\""));
    }

    #[test]
    fn an_empty_suite_is_valid() {
        let xml = junit(&[]);
        assert!(xml.contains("tests=\"0\" failures=\"0\" errors=\"0\" time=\"0.000\""));
        assert_balanced(&xml);
    }

    #[test]
    fn escape_handles_markup_and_illegal_characters() {
        assert_eq!(escape_attr("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
        assert_eq!(escape_text("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
        assert_eq!(
            escape_text("a\u{0}b\u{1B}c\u{FFFF}d"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d"
        );
        assert_eq!(escape_text("a\tb\nc\r"), "a\tb\nc\r");
        assert_eq!(escape_attr("a\tb\nc\r"), "a&#9;b&#10;c&#13;");
        assert_eq!(escape_text("héllo ✓ 😀"), "héllo ✓ 😀");
    }

    #[test]
    fn everything_from_the_report_is_escaped() {
        let mut r = sample_report();
        r.scenario = "<b>&\u{7}".to_string();
        r.file = "dir/a<b>.toml".to_string();
        r.properties[0].first_violation = Some(crate::report::model::Violation {
            at_s: 1,
            message: "line one\nline \"two\"".to_string(),
        });
        let xml = junit(&[(r, Duration::from_secs(2))]);
        assert!(!xml.contains("<b>"));
        assert!(!xml.contains('\u{7}'));
        assert!(xml.contains("name=\"&lt;b&gt;&amp;\u{FFFD}\""));
        assert!(xml.contains("classname=\"scenarios.a&lt;b&gt;\""));
        assert!(xml.contains("line one&#10;line &quot;two&quot; (at 1 s)"));
        assert_balanced(&xml);
    }
}
