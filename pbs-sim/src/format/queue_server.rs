//! The `qstat -Q` and `qstat -B` summary tables (`display_statque`, `display_statserver`).

use super::text::{left, right, star};
use super::StatusObject;

/// Width of the name columns.
const NAMEL: usize = 16;
/// Width of the count columns.
const NUML: usize = 5;
/// Width of `-Q`'s Type column.
const TYPEL: usize = 4;
/// Width of `-B`'s Status column.
const STATUSL: usize = 10;

const QUEUE_HEADER: &str = "Queue              Max   Tot Ena Str   Que   Run   Hld   Wat   Trn   Ext Type\n\
                            ---------------- ----- ----- --- --- ----- ----- ----- ----- ----- ----- ----\n";
const SERVER_HEADER: &str = "Server             Max   Tot   Que   Run   Hld   Wat   Trn   Ext Status\n\
                             ---------------- ----- ----- ----- ----- ----- ----- ----- ----- -----------\n";

/// Per-state job counts read from a `state_count` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateCounts {
    /// `Queued:`
    pub queued: String,
    /// `Running:`
    pub running: String,
    /// `Held:`
    pub held: String,
    /// `Waiting:`
    pub waiting: String,
    /// `Transit:`
    pub transit: String,
    /// `Exiting:`
    pub exiting: String,
}

impl Default for StateCounts {
    fn default() -> Self {
        let zero = || "0".to_string();
        StateCounts {
            queued: zero(),
            running: zero(),
            held: zero(),
            waiting: zero(),
            transit: zero(),
            exiting: zero(),
        }
    }
}

/// Parse `state_count` (`Transit:0 Queued:17 Held:8 Waiting:0 Running:7 Exiting:0 Begun:0 `)
/// the way `qstat`'s `states()` does: counts are kept as text, cut to 5 columns with `*`,
/// missing ones stay `0`. Like the original, after an unknown key (`Begun`) the following
/// key keeps its leading blank and so is not recognised; the server sends `Begun` last.
pub fn parse_state_count(value: &str) -> StateCounts {
    let mut counts = StateCounts::default();
    let mut rest = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
    while let Some(colon) = rest.find(':') {
        let key = &rest[..colon];
        let after = &rest[colon + 1..];
        let end = after.find(' ').unwrap_or(after.len());
        let slot = match key {
            "Queued" => Some(&mut counts.queued),
            "Running" => Some(&mut counts.running),
            "Held" => Some(&mut counts.held),
            "Waiting" => Some(&mut counts.waiting),
            "Transit" => Some(&mut counts.transit),
            "Exiting" => Some(&mut counts.exiting),
            _ => None,
        };
        rest = match slot {
            Some(slot) => {
                *slot = star(&after[..end], NUML);
                // A known count swallows the blank after it; an unknown one does not.
                after.get(end + 1..).unwrap_or("")
            }
            None => &after[end..],
        };
    }
    counts
}

/// C's `istrue`: `TRUE`, `True`, `true` or `1`.
fn istrue(v: &str) -> bool {
    matches!(v, "TRUE" | "True" | "true" | "1")
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

/// `qstat -Q`: header and one row per queue; nothing at all for no queues.
/// Row: `%-16s %5s %5s %3s %3s %5s %5s %5s %5s %5s %5s %-4s`.
pub fn qstat_queues(queues: &[StatusObject]) -> String {
    if queues.is_empty() {
        return String::new();
    }
    let mut out = String::from(QUEUE_HEADER);
    for q in queues {
        let counts = q
            .get("state_count", None)
            .map(parse_state_count)
            .unwrap_or_default();
        let max = star(q.get("max_running", None).unwrap_or("0"), NUML);
        let tot = star(q.get("total_jobs", None).unwrap_or("0"), NUML);
        let ena = yes_no(q.get("enabled", None).is_some_and(istrue));
        let started = yes_no(q.get("started", None).is_some_and(istrue));
        let kind = q
            .get("queue_type", None)
            .map_or("not defined".to_string(), |t| star(t, TYPEL));
        out.push_str(&format!(
            "{} {} {} {} {} {} {} {} {} {} {} {}\n",
            left(&star(&q.name, NAMEL), NAMEL),
            right(&max, NUML),
            right(&tot, NUML),
            right(ena, 3),
            right(started, 3),
            right(&counts.queued, NUML),
            right(&counts.running, NUML),
            right(&counts.held, NUML),
            right(&counts.waiting, NUML),
            right(&counts.transit, NUML),
            right(&counts.exiting, NUML),
            left(&kind, TYPEL),
        ));
    }
    out
}

/// `qstat -B`: header and one row per server; nothing at all for no servers.
/// Row: `%-16s %5s %5s %5s %5s %5s %5s %5s %5s %-10s` (Status = `server_state`).
pub fn qstat_servers(servers: &[StatusObject]) -> String {
    if servers.is_empty() {
        return String::new();
    }
    let mut out = String::from(SERVER_HEADER);
    for s in servers {
        let counts = s
            .get("state_count", None)
            .map(parse_state_count)
            .unwrap_or_default();
        let max = star(s.get("max_running", None).unwrap_or("0"), NUML);
        let tot = star(s.get("total_jobs", None).unwrap_or("0"), NUML);
        let status = star(s.get("server_state", None).unwrap_or(""), STATUSL);
        out.push_str(&format!(
            "{} {} {} {} {} {} {} {} {} {}\n",
            left(&star(&s.name, NAMEL), NAMEL),
            right(&max, NUML),
            right(&tot, NUML),
            right(&counts.queued, NUML),
            right(&counts.running, NUML),
            right(&counts.held, NUML),
            right(&counts.waiting, NUML),
            right(&counts.transit, NUML),
            right(&counts.exiting, NUML),
            left(&status, STATUSL),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Attr;

    #[test]
    fn state_count_parses_like_qstat() {
        let c =
            parse_state_count("Transit:0 Queued:17 Held:8 Waiting:0 Running:7 Exiting:0 Begun:0 ");
        assert_eq!(
            (c.queued.as_str(), c.held.as_str(), c.running.as_str()),
            ("17", "8", "7")
        );
        assert_eq!(parse_state_count("Queued:123456").queued, "1234*");
        assert_eq!(parse_state_count(""), StateCounts::default());
        // After an unknown key the next key is not recognised (qstat's own quirk).
        assert_eq!(parse_state_count("Begun:1 Queued:5").queued, "0");
        assert_eq!(parse_state_count("garbage"), StateCounts::default());
    }

    #[test]
    fn queue_type_and_names_are_starred() {
        let q = StatusObject::new(
            "a_very_long_queue_name",
            vec![
                Attr::new("queue_type", "Route"),
                Attr::new("enabled", "False"),
                Attr::new("max_running", "123456"),
            ],
        );
        let t = qstat_queues(&[q]);
        assert_eq!(
            t.lines().nth(2).unwrap(),
            "a_very_long_que* 1234*     0  no  no     0     0     0     0     0     0 Rou*"
        );
        assert_eq!(qstat_queues(&[]), "");
        assert_eq!(qstat_servers(&[]), "");
        let t = qstat_queues(&[StatusObject::new("q", vec![])]);
        assert!(t.ends_with(" not defined\n"), "{t}");
    }
}
