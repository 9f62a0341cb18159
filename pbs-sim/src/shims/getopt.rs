//! A small POSIX `getopt` that behaves like glibc's for the PBS commands' option strings.
//!
//! - Flags may be clustered (`-hV`), a value may be attached (`-lselect=1`) or be the next
//!   word (`-l select=1`), even when that word starts with `-` or is `--`.
//! - `--` alone ends the options; everything after it is an operand.
//! - glibc *permutes* by default: a word that is not an option (a script path, a job id) is
//!   set aside and scanning goes on, so `qstat 12 -f` honours `-f`. PBS relies on this:
//!   `qsub.c` compares argv before and after getopt to detect a script followed by options.
//!   [`Ordering::RequireOrder`] (glibc's `+` prefix or `POSIXLY_CORRECT`) stops at the first
//!   operand instead.
//! - There are no long options: `--version` is read as the cluster `-` `v` `e` … exactly as
//!   glibc reads it without a long-option table (callers check `--version` alone first,
//!   as PBS's `PRINT_VERSION_AND_EXIT` does).
//!
//! Errors are reported in order, with glibc's texts, so a command can interleave them with
//! its own messages as PBS does.

/// How scanning treats the first word that is not an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// glibc's default: set operands aside and keep scanning for options.
    Permute,
    /// POSIX: the first operand ends the options.
    RequireOrder,
}

/// One thing `getopt` returned, in argv order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An option letter, with its argument if the option string gives it one.
    Opt(char, Option<String>),
    /// A letter not in the option string (`getopt` returned `'?'`).
    Invalid(char),
    /// An option that needs an argument was the last word.
    MissingArgument(char),
}

impl Event {
    /// The message glibc prints on stderr for an error event, with `prog` as argv\[0\];
    /// `None` for an option.
    pub fn glibc_message(&self, prog: &str) -> Option<String> {
        match self {
            Event::Opt(..) => None,
            Event::Invalid(c) => Some(format!("{prog}: invalid option -- '{c}'\n")),
            Event::MissingArgument(c) => {
                Some(format!("{prog}: option requires an argument -- '{c}'\n"))
            }
        }
    }

    /// Whether this is an error event.
    pub fn is_error(&self) -> bool {
        !matches!(self, Event::Opt(..))
    }
}

/// A whole scan of argv.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Options and errors in order.
    pub events: Vec<Event>,
    /// Operands in order, each with its index in argv (without argv\[0\]).
    pub operands: Vec<(usize, String)>,
    /// The index of the `--` that ended the options, if one did.
    pub ddash: Option<usize>,
    /// Whether the last option took a separate `--` word as its argument (`qsub -N --`):
    /// qsub then refuses the command line, since it cannot tell a value from the separator.
    pub ddash_consumed_last: bool,
}

/// The letters of an option string and whether each takes an argument.
#[derive(Debug, Clone)]
struct Spec(Vec<(char, bool)>);

impl Spec {
    fn parse(optstring: &str) -> Spec {
        let chars: Vec<char> = optstring.chars().collect();
        let mut spec = Vec::new();
        for (i, &c) in chars.iter().enumerate() {
            // ':' marks the previous letter; glibc never treats ':' itself as an option.
            if c != ':' {
                spec.push((c, chars.get(i + 1) == Some(&':')));
            }
        }
        Spec(spec)
    }

    fn lookup(&self, c: char) -> Option<bool> {
        self.0.iter().find(|(o, _)| *o == c).map(|(_, arg)| *arg)
    }
}

/// Scans `args` (argv without argv\[0\]) against `optstring` (e.g. `"a:fhz"`).
pub fn getopt(args: &[String], optstring: &str, ordering: Ordering) -> Scan {
    let spec = Spec::parse(optstring);
    let mut scan = Scan::default();
    let mut i = 0;
    while i < args.len() {
        let word = &args[i];
        if word == "--" {
            scan.ddash = Some(i);
            scan.operands.extend(
                args.iter()
                    .enumerate()
                    .skip(i + 1)
                    .map(|(j, a)| (j, a.clone())),
            );
            return scan;
        }
        let Some(cluster) = word.strip_prefix('-').filter(|rest| !rest.is_empty()) else {
            // An operand: "-" alone or a word without a leading '-'.
            scan.operands.push((i, word.clone()));
            if ordering == Ordering::RequireOrder {
                scan.operands.extend(
                    args.iter()
                        .enumerate()
                        .skip(i + 1)
                        .map(|(j, a)| (j, a.clone())),
                );
                return scan;
            }
            i += 1;
            continue;
        };
        scan.ddash_consumed_last = false;
        i += 1;
        for (pos, c) in cluster.char_indices() {
            match spec.lookup(c) {
                None => scan.events.push(Event::Invalid(c)),
                Some(false) => scan.events.push(Event::Opt(c, None)),
                Some(true) => {
                    let attached = &cluster[pos + c.len_utf8()..];
                    if !attached.is_empty() {
                        scan.events.push(Event::Opt(c, Some(attached.to_string())));
                    } else if let Some(next) = args.get(i) {
                        scan.ddash_consumed_last = next == "--";
                        scan.events.push(Event::Opt(c, Some(next.clone())));
                        i += 1;
                    } else {
                        scan.events.push(Event::MissingArgument(c));
                    }
                    break;
                }
            }
        }
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn opt(c: char, v: Option<&str>) -> Event {
        Event::Opt(c, v.map(String::from))
    }

    #[test]
    fn clusters_attached_and_separate_values() {
        let scan = getopt(
            &argv(&["-hV", "-lselect=1", "-l", "walltime=1:00", "-N-x"]),
            "hl:N:V",
            Ordering::Permute,
        );
        assert_eq!(
            scan.events,
            vec![
                opt('h', None),
                opt('V', None),
                opt('l', Some("select=1")),
                opt('l', Some("walltime=1:00")),
                opt('N', Some("-x")),
            ]
        );
        assert!(scan.operands.is_empty());
    }

    #[test]
    fn ddash_ends_options() {
        let scan = getopt(&argv(&["-h", "--", "-h", "x"]), "h", Ordering::Permute);
        assert_eq!(scan.events, vec![opt('h', None)]);
        assert_eq!(scan.ddash, Some(1));
        assert_eq!(
            scan.operands,
            vec![(2, "-h".to_string()), (3, "x".to_string())]
        );
    }

    #[test]
    fn permute_versus_require_order() {
        let args = argv(&["12", "-f", "13"]);
        let permuted = getopt(&args, "f", Ordering::Permute);
        assert_eq!(permuted.events, vec![opt('f', None)]);
        assert_eq!(permuted.operands.len(), 2);
        let ordered = getopt(&args, "f", Ordering::RequireOrder);
        assert!(ordered.events.is_empty());
        assert_eq!(ordered.operands.len(), 3);
    }

    #[test]
    fn errors_have_glibc_texts() {
        let scan = getopt(&argv(&["-x", "-l"]), "l:", Ordering::Permute);
        assert_eq!(
            scan.events,
            vec![Event::Invalid('x'), Event::MissingArgument('l')]
        );
        assert_eq!(
            scan.events[0].glibc_message("qsub").as_deref(),
            Some("qsub: invalid option -- 'x'\n")
        );
        assert_eq!(
            scan.events[1].glibc_message("qsub").as_deref(),
            Some("qsub: option requires an argument -- 'l'\n")
        );
    }

    #[test]
    fn long_version_is_a_cluster_without_long_options() {
        let scan = getopt(&argv(&["--version"]), "v:", Ordering::Permute);
        assert_eq!(
            scan.events,
            vec![Event::Invalid('-'), opt('v', Some("ersion"))]
        );
    }

    #[test]
    fn lone_dash_is_an_operand_and_ddash_as_value_is_noted() {
        let scan = getopt(&argv(&["-", "-N", "--"]), "N:", Ordering::Permute);
        assert_eq!(scan.operands, vec![(0, "-".to_string())]);
        assert_eq!(scan.events, vec![opt('N', Some("--"))]);
        assert!(scan.ddash_consumed_last);
        assert_eq!(scan.ddash, None);
    }
}
