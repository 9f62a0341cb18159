//! The cluster summary's two answers: `qstat -B -f` (the server's `state_count`) and
//! `pbsnodes -a` (each node's `state`), both as text (reference `pbs-pro.md` §3.7, §5).
//!
//! Text rather than JSON because both PBS Pro and OpenPBS print it the same way in every
//! version, and the simulator's shims print it too. Unknown attributes and unknown state
//! words are ignored: a newer PBS adds them, and the summary is informative only.

use super::error::ParseError;
use crate::cluster::{JobCounts, NodeCount};

/// The `state_count` of the first server in `qstat -B -f`'s answer:
///
/// ```text
/// Server: pbs02
///     server_state = Active
///     state_count = Transit:0 Queued:17 Held:8 Waiting:0 Running:7 Exiting:0 Begun:0
/// ```
pub fn qstat_server_state_count(text: &str) -> Result<JobCounts, ParseError> {
    // qstat wraps values at 78 columns with a newline and a TAB inside the value (the
    // state_count line is longer than that): the value comes back by dropping them.
    let text = text.replace("\n\t", "");
    let mut in_server = false;
    for (number, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("Server:") {
            if in_server {
                break;
            }
            in_server = !name.trim().is_empty();
            continue;
        }
        let Some((name, value)) = line.split_once(" = ") else {
            continue;
        };
        if !in_server && !line.trim().is_empty() {
            return Err(ParseError::BadSummary {
                what: format!(
                    "qstat -B line {} belongs to no server: {line:?}",
                    number + 1
                ),
            });
        }
        if name.trim() == "state_count" {
            return read_state_count(value).ok_or_else(|| ParseError::BadSummary {
                what: format!("state_count {value:?}"),
            });
        }
    }
    Err(ParseError::BadSummary {
        what: "no state_count in qstat -B -f's answer".to_string(),
    })
}

/// `Transit:0 Queued:17 Held:8 Waiting:0 Running:7 Exiting:0 Begun:0 `; `None` if a pair
/// is not `Word:number`.
fn read_state_count(value: &str) -> Option<JobCounts> {
    let mut count = JobCounts::default();
    for pair in value.split_whitespace() {
        let (state, n) = pair.split_once(':')?;
        let n: u64 = n.parse().ok()?;
        let slot = match state {
            "Queued" => &mut count.queued,
            "Running" | "Begun" => &mut count.running,
            "Held" => &mut count.held,
            "Waiting" | "Transit" => &mut count.waiting,
            // Exiting, and any state a later PBS adds.
            _ => continue,
        };
        *slot = slot.saturating_add(n);
    }
    Some(count)
}

/// The nodes of `pbsnodes -a`'s text: a node's name alone on a line, then its attributes
/// indented (`     state = free`), a blank line after each node.
pub fn pbsnodes_states(text: &str) -> Result<NodeCount, ParseError> {
    let mut count = NodeCount::default();
    let mut in_node = false;
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            in_node = false;
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if !indented {
            count.total += 1;
            in_node = true;
            continue;
        }
        if !in_node {
            return Err(ParseError::BadSummary {
                what: format!("pbsnodes line {} belongs to no node: {line:?}", number + 1),
            });
        }
        if let Some((name, value)) = line.split_once(" = ") {
            if name.trim() == "state" {
                let value = value.trim();
                if value == "free" {
                    count.free += 1;
                } else if value.split(',').any(unavailable_word) {
                    count.unavailable += 1;
                }
            }
        }
    }
    Ok(count)
}

fn unavailable_word(word: &str) -> bool {
    matches!(
        word.trim(),
        "down" | "offline" | "state-unknown" | "Stale" | "unresolvable" | "maintenance"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `qstat -B -f` as PBS Pro prints it (attribute lines indented by four spaces).
    const SERVER: &str = "Server: pbs02
    server_state = Active
    server_host = pbs02.palmetto.clemson.edu
    scheduling = True
    total_jobs = 8304
    state_count = Transit:0 Queued:211 Held:47 Waiting:3 Running:11 Exiting:0 Begun:2 
    default_queue = workq
    pbs_version = 2022.1.1

";

    /// `pbsnodes -a` (excerpts of Palmetto's nodes, verbatim layout: five spaces).
    const NODES: &str = "node0193
     Mom = node0193.palmetto.clemson.edu
     ntype = PBS
     state = job-busy
     pcpus = 8
     resources_available.ncpus = 8

node0194
     Mom = node0194.palmetto.clemson.edu
     state = free
     pcpus = 8

node0195
     Mom = node0195.palmetto.clemson.edu
     state = down,offline
     comment = node down: communication closed

node0196
     state = offline,job-busy

node0197
     state = free

";

    #[test]
    fn the_servers_state_count_is_read() {
        let count = qstat_server_state_count(SERVER).unwrap();
        assert_eq!(
            count,
            JobCounts {
                queued: 211,
                running: 13,
                held: 47,
                waiting: 3,
            }
        );
    }

    #[test]
    fn a_state_count_wrapped_at_78_columns_is_joined() {
        // As qstat prints it without -w: the value cut in the middle of a word.
        let text = "Server: pbs02\n    server_state = Active\n    state_count = Transit:0 Que\
                    ued:17 Held:8 Waiting:0 Running:7 Exiting:0 Be\n\tgun:1 \n\n";
        let count = qstat_server_state_count(text).unwrap();
        assert_eq!((count.queued, count.running, count.held), (17, 8, 8));
    }

    #[test]
    fn nodes_are_counted_by_state() {
        let count = pbsnodes_states(NODES).unwrap();
        assert_eq!(
            count,
            NodeCount {
                total: 5,
                free: 2,
                unavailable: 2,
            }
        );
        assert_eq!(pbsnodes_states("").unwrap(), NodeCount::default());
    }

    #[test]
    fn bad_answers_are_errors_not_panics() {
        assert!(qstat_server_state_count("").is_err());
        assert!(qstat_server_state_count("Server: pbs02\n    server_state = Active\n").is_err());
        assert!(qstat_server_state_count("Server: x\n    state_count = Queued:lots\n").is_err());
        assert!(qstat_server_state_count("    state_count = Queued:1\n").is_err());
        assert!(pbsnodes_states("     state = free\n").is_err());
        for text in [
            "Server:",
            "Server: a\n = ",
            "\u{0}",
            "Server: a\n    state_count = :\n",
        ] {
            let _ = qstat_server_state_count(text);
            let _ = pbsnodes_states(text);
        }
    }

    #[test]
    fn unknown_state_words_and_counts_are_ignored() {
        let count =
            qstat_server_state_count("Server: a\n    state_count = Queued:1 Frozen:9 Exiting:4\n")
                .unwrap();
        assert_eq!(count.queued, 1);
        assert_eq!(count.running + count.held + count.waiting, 0);
        let nodes = pbsnodes_states("n1\n     state = sleep\n\n").unwrap();
        assert_eq!((nodes.total, nodes.free, nodes.unavailable), (1, 0, 0));
    }
}
