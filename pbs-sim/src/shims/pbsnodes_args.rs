//! `pbsnodes` argument parsing (OpenPBS `pbsnodes.c` `main`; reference `pbs-pro.md` §5).
//!
//! The option string is `acC:dD:F:HjlLoqrs:Sv`. Options switch one operation in a small
//! state machine (most are only allowed from the default "list these hosts" state); any
//! misuse prints the usage and exits **1** (not 2, unlike qstat and qdel). `-q` silences
//! the usage but not glibc's own option messages.

use serde::{Deserialize, Serialize};

use super::getopt::{getopt, Event, Ordering};
use super::{is_version_request, ClientError, Invocation};

/// `pbsnodes`'s usage text, with argv\[0\] as `pbsnodes`, printed on stderr with exit 1.
pub const USAGE: &str = "usage:\tpbsnodes [-{o|r}][-C comment][-s server] host host ...\n\
\tpbsnodes -l [-s server]\n\
\tpbsnodes [-s server] -v vnode vnode ...\n\
\tpbsnodes -a[v][S[j][L]][-F format][-D delim][-s server]\n\
\tpbsnodes -[H][S[j][L]][-F format][-D delim] host host ...\n\
\tpbsnodes --version\n\n";

/// What `pbsnodes` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodesOperation {
    /// `pbsnodes host…` (or `-v vnode…`): show the named hosts or vnodes.
    Show {
        /// The names.
        names: Vec<String>,
        /// `-v`: the names are vnodes.
        vnodes: bool,
    },
    /// `-a` (`-av`): show every host (every vnode).
    All {
        /// `-v`: vnodes rather than hosts.
        vnodes: bool,
    },
    /// `-H host…`: the hosts and their vnodes.
    HostsWithVnodes {
        /// The host names.
        hosts: Vec<String>,
    },
    /// `-l`: list the nodes that are down or offline.
    ListDownOrOffline,
    /// `-o node…`: mark offline.
    Offline {
        /// The nodes.
        nodes: Vec<String>,
        /// `-C`: also set the comment.
        comment: Option<String>,
    },
    /// `-r node…`: clear offline.
    Reset {
        /// The nodes.
        nodes: Vec<String>,
        /// `-C`: also set the comment.
        comment: Option<String>,
    },
    /// `-c node…`: clear offline and down.
    Clear {
        /// The nodes.
        nodes: Vec<String>,
    },
    /// `-d [node…]`: mark these down and every other node up.
    Down {
        /// The nodes to mark down.
        nodes: Vec<String>,
    },
    /// `-C comment node…`: only set the comment.
    Comment {
        /// The nodes.
        nodes: Vec<String>,
        /// The comment.
        comment: String,
    },
}

/// Output format of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodesFormat {
    /// `     attr = value` blocks (the default).
    Text,
    /// `-F json`.
    Json,
    /// `-F dsv`, with the `-D` delimiter (default `|`).
    Dsv {
        /// The field delimiter.
        delimiter: String,
    },
}

/// `-S` node summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// `-j`: job summary columns.
    pub jobs: bool,
    /// `-L`: long (untruncated) columns.
    pub long: bool,
}

/// A parsed `pbsnodes` command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PbsnodesArgs {
    /// What to do.
    pub operation: NodesOperation,
    /// How to print a listing.
    pub format: NodesFormat,
    /// `-S` (with `-j`, `-L`).
    pub summary: Option<Summary>,
    /// `-s server`.
    pub server: Option<String>,
    /// `-q`: do not print errors.
    pub quiet: bool,
}

/// `pbsnodes.c`'s `oper`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Oper {
    ListSpecified,
    All,
    Clear,
    Comment,
    Down,
    HostsWithVnodes,
    ListMarked,
    Offline,
    Reset,
}

#[derive(Debug)]
struct State {
    oper: Oper,
    vnodes: bool,
    comment: Option<String>,
    format: &'static str,
    delimiter: Option<String>,
    summary: bool,
    jobs: bool,
    long: bool,
    server: Option<String>,
    quiet: bool,
}

/// Parses `pbsnodes`'s argv (without argv\[0\]).
pub fn parse_pbsnodes(args: &[String]) -> Result<Invocation<PbsnodesArgs>, ClientError> {
    if is_version_request(args) {
        return Ok(Invocation::Version);
    }
    let scan = getopt(args, "acC:dD:F:HjlLoqrs:Sv", Ordering::Permute);
    let mut st = State {
        oper: Oper::ListSpecified,
        vnodes: false,
        comment: None,
        format: "default",
        delimiter: None,
        summary: false,
        jobs: false,
        long: false,
        server: None,
        quiet: false,
    };
    let mut stderr = String::new();
    let mut bad = args.is_empty();
    for event in &scan.events {
        match event {
            Event::Opt(c, value) => bad |= !apply(&mut st, *c, value.as_deref()),
            other => {
                stderr.push_str(&other.glibc_message("pbsnodes").unwrap_or_default());
                bad = true;
            }
        }
    }
    let names: Vec<String> = scan.operands.into_iter().map(|(_, n)| n).collect();
    let needs_names = matches!(
        st.oper,
        Oper::Clear
            | Oper::Offline
            | Oper::Reset
            | Oper::HostsWithVnodes
            | Oper::ListSpecified
            | Oper::Comment
    );
    bad |= st.oper == Oper::ListMarked && !names.is_empty();
    bad |= needs_names && names.is_empty();
    bad |= st.summary
        && !matches!(
            st.oper,
            Oper::ListSpecified | Oper::HostsWithVnodes | Oper::All
        );
    if bad {
        if !st.quiet {
            stderr.push_str(USAGE);
        }
        return Err(ClientError::new(stderr, 1));
    }
    Ok(Invocation::Run(finish(st, names)))
}

/// Applies one option; `false` when pbsnodes would set its error flag.
fn apply(st: &mut State, c: char, value: Option<&str>) -> bool {
    use Oper::*;
    let listing = matches!(st.oper, ListSpecified | All | HostsWithVnodes);
    // Most operations may only replace the default, or follow -v.
    let from_default = st.oper == ListSpecified || st.vnodes;
    let (ok, next) = match c {
        'a' => (st.oper == ListSpecified, All),
        'c' => (from_default, Clear),
        'd' => (from_default, Down),
        'l' => (from_default, ListMarked),
        'H' => (st.oper == ListSpecified, HostsWithVnodes),
        'o' => (from_default || st.oper == Comment, Offline),
        'r' => (from_default || st.oper == Comment, Reset),
        'C' => {
            let value = value.map(String::from);
            return match st.oper {
                ListSpecified => {
                    st.oper = Comment;
                    st.comment = value;
                    true
                }
                Offline | Reset => {
                    st.comment = value;
                    true
                }
                _ => false,
            };
        }
        'D' => {
            st.delimiter = value.map(String::from);
            return listing;
        }
        'F' => {
            let name = value.unwrap_or_default().to_ascii_lowercase();
            return match name.as_str() {
                "default" | "dsv" | "json" => {
                    st.format = match name.as_str() {
                        "dsv" => "dsv",
                        "json" => "json",
                        _ => "default",
                    };
                    true
                }
                _ => false,
            };
        }
        'j' => {
            st.jobs = true;
            return listing;
        }
        'L' => {
            st.long = true;
            return listing;
        }
        'S' => {
            st.summary = true;
            return listing;
        }
        'q' => {
            st.quiet = true;
            return true;
        }
        's' => {
            st.server = value.map(String::from);
            return true;
        }
        'v' => {
            let ok = matches!(st.oper, ListSpecified | All);
            if ok {
                st.vnodes = true;
            }
            return ok;
        }
        _ => return false,
    };
    if ok {
        st.oper = next;
    }
    ok
}

fn finish(st: State, names: Vec<String>) -> PbsnodesArgs {
    let operation = match st.oper {
        Oper::ListSpecified => NodesOperation::Show {
            names,
            vnodes: st.vnodes,
        },
        Oper::All => NodesOperation::All { vnodes: st.vnodes },
        Oper::HostsWithVnodes => NodesOperation::HostsWithVnodes { hosts: names },
        Oper::ListMarked => NodesOperation::ListDownOrOffline,
        Oper::Offline => NodesOperation::Offline {
            nodes: names,
            comment: st.comment,
        },
        Oper::Reset => NodesOperation::Reset {
            nodes: names,
            comment: st.comment,
        },
        Oper::Clear => NodesOperation::Clear { nodes: names },
        Oper::Down => NodesOperation::Down { nodes: names },
        Oper::Comment => NodesOperation::Comment {
            nodes: names,
            comment: st.comment.unwrap_or_default(),
        },
    };
    let format = match st.format {
        "json" => NodesFormat::Json,
        "dsv" => NodesFormat::Dsv {
            delimiter: st.delimiter.unwrap_or_else(|| "|".to_string()),
        },
        _ => NodesFormat::Text,
    };
    PbsnodesArgs {
        operation,
        format,
        summary: st.summary.then_some(Summary {
            jobs: st.jobs,
            long: st.long,
        }),
        server: st.server,
        quiet: st.quiet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn run(words: &[&str]) -> PbsnodesArgs {
        match parse_pbsnodes(&argv(words)) {
            Ok(Invocation::Run(args)) => args,
            other => panic!("{words:?}: {other:?}"),
        }
    }

    fn err(words: &[&str]) -> ClientError {
        parse_pbsnodes(&argv(words)).expect_err("expected an error")
    }

    #[test]
    fn listings() {
        assert_eq!(
            run(&["-a"]).operation,
            NodesOperation::All { vnodes: false }
        );
        assert_eq!(
            run(&["-av"]).operation,
            NodesOperation::All { vnodes: true }
        );
        assert_eq!(
            run(&["-va"]).operation,
            NodesOperation::All { vnodes: true }
        );
        assert_eq!(
            run(&["node0193"]).operation,
            NodesOperation::Show {
                names: vec!["node0193".into()],
                vnodes: false
            }
        );
        assert_eq!(
            run(&["-v", "n1", "n2"]).operation,
            NodesOperation::Show {
                names: vec!["n1".into(), "n2".into()],
                vnodes: true
            }
        );
        assert_eq!(run(&["-l"]).operation, NodesOperation::ListDownOrOffline);
        let json = run(&["-a", "-F", "JSON", "-s", "pbs02"]);
        assert_eq!(json.format, NodesFormat::Json);
        assert_eq!(json.server.as_deref(), Some("pbs02"));
        assert_eq!(
            run(&["-a", "-F", "dsv", "-D", ","]).format,
            NodesFormat::Dsv {
                delimiter: ",".into()
            }
        );
        assert_eq!(
            run(&["-aSjL"]).summary,
            Some(Summary {
                jobs: true,
                long: true
            })
        );
        assert_eq!(
            run(&["-H", "h1"]).operation,
            NodesOperation::HostsWithVnodes {
                hosts: vec!["h1".into()]
            }
        );
    }

    #[test]
    fn marking() {
        assert_eq!(
            run(&["-o", "-C", "broken fan", "n1"]).operation,
            NodesOperation::Offline {
                nodes: vec!["n1".into()],
                comment: Some("broken fan".into())
            }
        );
        // -C first, then -o: still an offline with a comment.
        assert_eq!(
            run(&["-C", "x", "-o", "n1"]).operation,
            NodesOperation::Offline {
                nodes: vec!["n1".into()],
                comment: Some("x".into())
            }
        );
        assert_eq!(
            run(&["-r", "n1"]).operation,
            NodesOperation::Reset {
                nodes: vec!["n1".into()],
                comment: None
            }
        );
        assert_eq!(
            run(&["-C", "hi", "n1"]).operation,
            NodesOperation::Comment {
                nodes: vec!["n1".into()],
                comment: "hi".into()
            }
        );
        assert_eq!(
            run(&["-c", "n1"]).operation,
            NodesOperation::Clear {
                nodes: vec!["n1".into()]
            }
        );
        assert_eq!(
            run(&["-d"]).operation,
            NodesOperation::Down { nodes: vec![] }
        );
    }

    #[test]
    fn usage_exits_1() {
        let usage = ClientError::new(USAGE, 1);
        for words in [
            &[][..],
            &["-o"][..],
            &["-r"][..],
            &["-v"][..],
            &["-l", "n1"][..],
            &["-a", "-o", "n1"][..],
            &["-o", "-a", "n1"][..],
            &["-o", "-S", "n1"][..],
            &["-a", "-F", "xml"][..],
            &["-l", "-C", "x"][..],
            &["-l", "-D", ","][..],
        ] {
            assert_eq!(err(words), usage, "{words:?}");
        }
        assert_eq!(
            err(&["-Z"]),
            ClientError::new(format!("pbsnodes: invalid option -- 'Z'\n{USAGE}"), 1)
        );
        // -q silences the usage, not getopt.
        assert_eq!(err(&["-q", "-o"]), ClientError::new("", 1));
        assert_eq!(
            err(&["-q", "-Z", "n1"]),
            ClientError::new("pbsnodes: invalid option -- 'Z'\n", 1)
        );
        assert!(
            USAGE.starts_with("usage:\tpbsnodes [-{o|r}][-C comment][-s server] host host ...\n")
        );
        assert!(USAGE.ends_with("\tpbsnodes --version\n\n"));
    }

    #[test]
    fn version() {
        assert_eq!(
            parse_pbsnodes(&argv(&["--version"])),
            Ok(Invocation::Version)
        );
    }
}
