//! `pbsnodes` text output (`prt_node`) and the `pbsnodes -l` list. JSON is
//! [`super::json::pbsnodes_json`].

use super::text::left;
use super::time::ctime_value;
use super::{StatusObject, Zone};

/// Node attributes the server sends as epoch seconds and `pbsnodes` prints with `ctime()`.
pub const NODE_TIME_ATTRS: [&str; 2] = ["last_state_change_time", "last_used_time"];

/// `pbsnodes -a`, `-av`, `pbsnodes <node>`: the node name on its own line, then
/// `     name[.resc] = value` (five blanks, never wrapped), then a blank line.
pub fn pbsnodes_text(nodes: &[StatusObject], zone: Zone) -> String {
    let mut out = String::new();
    for node in nodes {
        out.push_str(&node.name);
        out.push('\n');
        for a in &node.attrs {
            out.push_str("     ");
            out.push_str(&a.name);
            if let Some(r) = &a.resource {
                out.push('.');
                out.push_str(r);
            }
            out.push_str(" = ");
            if NODE_TIME_ATTRS.contains(&a.name.as_ref()) {
                out.push_str(&ctime_value(&a.value, zone));
            } else {
                out.push_str(&a.value);
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// `pbsnodes -l`: every node whose state contains `down` or `offline`, as
/// `printf("%-20s %s %s\n", name, state, comment)` (empty when unset).
pub fn pbsnodes_list_marked(nodes: &[StatusObject]) -> String {
    let mut out = String::new();
    for node in nodes {
        let state = node.get("state", None).unwrap_or("");
        if state.contains("down") || state.contains("offline") {
            let comment = node.get("comment", None).unwrap_or("");
            out.push_str(&format!("{} {state} {comment}\n", left(&node.name, 20)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Attr;

    #[test]
    fn text_block_has_five_blanks_and_ctime() {
        let n = StatusObject::new(
            "n1",
            vec![
                Attr::new("state", "free"),
                Attr::res("resources_available", "ncpus", "8"),
                Attr::new("last_used_time", "0"),
            ],
        );
        assert_eq!(
            pbsnodes_text(&[n], Zone::Utc),
            "n1\n     state = free\n     resources_available.ncpus = 8\n     last_used_time = Thu Jan  1 00:00:00 1970\n\n"
        );
        assert_eq!(pbsnodes_text(&[], Zone::Utc), "");
    }

    #[test]
    fn list_shows_only_down_or_offline() {
        let nodes = [
            StatusObject::new("n1", vec![Attr::new("state", "free")]),
            StatusObject::new(
                "n2",
                vec![
                    Attr::new("state", "down,offline"),
                    Attr::new("comment", "node down: communication closed"),
                ],
            ),
            StatusObject::new("n3", vec![Attr::new("state", "offline,job-busy")]),
        ];
        assert_eq!(
            pbsnodes_list_marked(&nodes),
            "n2                   down,offline node down: communication closed\nn3                   offline,job-busy \n"
        );
    }
}
