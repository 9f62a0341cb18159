//! `pbsnodes`: node listings (text, JSON, the down/offline list) and the operator's
//! offline, clear and down marks.

use super::{client_error, render_ctx, unsupported, version};
use crate::daemon::attrs::node_status;
use crate::daemon::handle::{Daemon, Peer};
use crate::daemon::protocol::{Invocation, Reply};
use crate::format::json::pbsnodes_json;
use crate::format::pbsnodes::{pbsnodes_list_marked, pbsnodes_text};
use crate::format::{StatusObject, Zone};
use crate::shims::pbsnodes_args::{parse_pbsnodes, NodesFormat, NodesOperation};
use crate::shims::Invocation as Parsed;

/// Runs `pbsnodes` for `peer`.
pub fn pbsnodes(daemon: &mut Daemon, peer: &Peer, invocation: &Invocation) -> Reply {
    let args = match parse_pbsnodes(&invocation.args) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Version) => return version(daemon),
        Err(e) => return client_error(e),
    };
    if args.summary.is_some() {
        return unsupported("pbsnodes", "-S");
    }
    match args.operation {
        NodesOperation::All { .. } => {
            let count = daemon.server.engine().cluster().nodes.len();
            let nodes: Vec<StatusObject> = (0..count).map(|i| node(daemon, i)).collect();
            listing(daemon, &nodes, &args.format, String::new())
        }
        NodesOperation::Show { names, .. } | NodesOperation::HostsWithVnodes { hosts: names } => {
            let mut nodes = Vec::new();
            let mut stderr = String::new();
            for name in &names {
                match index_of(daemon, name) {
                    Some(i) => nodes.push(node(daemon, i)),
                    None => stderr.push_str(&unknown_node(name)),
                }
            }
            listing(daemon, &nodes, &args.format, stderr)
        }
        NodesOperation::ListDownOrOffline => {
            let count = daemon.server.engine().cluster().nodes.len();
            let nodes: Vec<StatusObject> = (0..count).map(|i| node(daemon, i)).collect();
            Reply::out(pbsnodes_list_marked(&nodes))
        }
        NodesOperation::Offline {
            comment: Some(_), ..
        }
        | NodesOperation::Reset {
            comment: Some(_), ..
        }
        | NodesOperation::Comment { .. } => unsupported("pbsnodes", "-C (node comments)"),
        NodesOperation::Offline { nodes, .. } => mark(daemon, peer, &nodes, Mark::Offline),
        NodesOperation::Reset { nodes, .. } => mark(daemon, peer, &nodes, Mark::Reset),
        NodesOperation::Clear { nodes } => mark(daemon, peer, &nodes, Mark::Clear),
        NodesOperation::Down { nodes } => {
            // Every node not named comes up.
            let others: Vec<String> = daemon
                .server
                .engine()
                .cluster()
                .nodes
                .iter()
                .filter(|n| n.down && !nodes.contains(&n.def.name))
                .map(|n| n.def.name.clone())
                .collect();
            let reply = mark(daemon, peer, &nodes, Mark::Down);
            if reply.exit_code == 0 || peer.manager {
                mark(daemon, peer, &others, Mark::Up);
            }
            reply
        }
    }
}

fn node(daemon: &Daemon, index: usize) -> StatusObject {
    let changed = daemon.server.header().clock.origin_sim;
    node_status(daemon.server.engine(), index, "", changed)
}

fn index_of(daemon: &Daemon, name: &str) -> Option<usize> {
    daemon
        .server
        .engine()
        .cluster()
        .nodes
        .iter()
        .position(|n| n.def.name == name)
}

fn unknown_node(name: &str) -> String {
    format!("Node: {name},  Error: Unknown node \n")
}

fn listing(daemon: &Daemon, nodes: &[StatusObject], format: &NodesFormat, stderr: String) -> Reply {
    let stdout = match format {
        NodesFormat::Text => pbsnodes_text(nodes, Zone::Local),
        NodesFormat::Json => pbsnodes_json(nodes, &render_ctx(daemon)),
        NodesFormat::Dsv { .. } => return unsupported("pbsnodes", "-F dsv"),
    };
    Reply {
        exit_code: i32::from(!stderr.is_empty()),
        stdout,
        stderr,
    }
}

#[derive(Debug, Clone, Copy)]
enum Mark {
    Offline,
    Reset,
    Clear,
    Down,
    Up,
}

/// Marks nodes as the operator asked. Only managers may.
fn mark(daemon: &mut Daemon, peer: &Peer, nodes: &[String], mark: Mark) -> Reply {
    if !peer.manager {
        return Reply::err(
            i32::from(drivers::resources::Pbse::Perm.exit_code()),
            "pbsnodes: Unauthorized Request \n",
        );
    }
    let mut reply = Reply::default();
    for name in nodes {
        let now = daemon.now();
        let server = &mut daemon.server;
        let known = match mark {
            Mark::Offline => server.set_node_offline(now, name, true),
            Mark::Reset => server.set_node_offline(now, name, false),
            Mark::Clear => {
                server.set_node_offline(now, name, false) && server.set_node_down(now, name, false)
            }
            Mark::Down => server.set_node_down(now, name, true),
            Mark::Up => server.set_node_down(now, name, false),
        };
        if !known {
            reply.stderr.push_str(&unknown_node(name));
            reply.exit_code = 1;
        }
    }
    reply
}
