//! `qstat` parsing: displays, modes, conflicts, usage and operand errors.

use super::*;

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn run(words: &[&str]) -> QstatMode {
    match parse_qstat(&argv(words)) {
        Ok(Invocation::Run(args)) => args.mode,
        other => panic!("{words:?}: {other:?}"),
    }
}

fn err(words: &[&str]) -> ClientError {
    parse_qstat(&argv(words)).expect_err("expected an error")
}

fn display(words: &[&str]) -> JobDisplay {
    match run(words) {
        QstatMode::Jobs { display, .. } => display,
        other => panic!("{other:?}"),
    }
}

fn usage_after(prefix: &str) -> ClientError {
    ClientError::new(format!("{prefix}{USAGE}"), 2)
}

#[test]
fn default_full_and_json() {
    assert_eq!(
        display(&[]),
        JobDisplay::Default {
            wide: false,
            percent_done: false
        }
    );
    assert_eq!(
        display(&["-f", "-F", "JSON", "-x", "12"]),
        JobDisplay::Full {
            wide: false,
            format: FullFormat::Json
        }
    );
    assert_eq!(
        display(&["-f", "-F", "dsv", "-D", ";"]),
        JobDisplay::Full {
            wide: false,
            format: FullFormat::Dsv {
                delimiter: ";".into()
            }
        }
    );
    assert_eq!(
        display(&["-fw"]),
        JobDisplay::Full {
            wide: true,
            format: FullFormat::Text
        }
    );
    assert_eq!(
        display(&["-wp"]),
        JobDisplay::Default {
            wide: true,
            percent_done: true
        }
    );
    // -a with -f -w: qstat.c prints the full listing.
    assert!(matches!(
        display(&["-a", "-f", "-w"]),
        JobDisplay::Full { .. }
    ));
}

#[test]
fn alternate_displays() {
    assert_eq!(
        display(&["-u", "alice,bob", "-n", "-1", "-s", "-T", "-G"]),
        JobDisplay::Alternate {
            nodes: true,
            comment: true,
            est_start: true,
            one_line: true,
            wide: false,
            units: Some(SizeUnits::Gigabytes)
        }
    );
    // -n after -f turns -f off; -f after -n does not win either.
    assert!(matches!(
        display(&["-f", "-n"]),
        JobDisplay::Alternate { .. }
    ));
    assert!(matches!(
        display(&["-n", "-f"]),
        JobDisplay::Alternate { .. }
    ));
    match run(&["-u", "alice,bob", "-r", "-t", "-J", "12", "@pbs02", "workq"]) {
        QstatMode::Jobs {
            users,
            state,
            subjobs,
            arrays_only,
            operands,
            ..
        } => {
            assert_eq!(users, vec!["alice".to_string(), "bob".to_string()]);
            assert_eq!(state, Some(StateFilter::Running));
            assert!(subjobs && arrays_only);
            assert_eq!(operands.len(), 3);
            assert!(matches!(operands[0], Ok(JobOperand::Job(_))));
            assert!(matches!(operands[1], Ok(JobOperand::Destination(_))));
        }
        other => panic!("{other:?}"),
    }
    match run(&["-H"]) {
        QstatMode::Jobs { history, state, .. } => {
            assert!(history);
            assert_eq!(state, Some(StateFilter::Finished));
        }
        other => panic!("{other:?}"),
    }
    // The legacy -W letters.
    assert!(matches!(
        display(&["-W", "a n"]),
        JobDisplay::Alternate { nodes: true, .. }
    ));
}

#[test]
fn queues_and_servers() {
    match run(&["-Q", "-f", "-F", "json", "workq", "bad queue"]) {
        QstatMode::Queues {
            summary,
            full,
            operands,
        } => {
            assert!(!summary);
            assert_eq!(full, Some(FullFormat::Json));
            assert!(operands[0].is_ok());
            assert_eq!(
                operands[1],
                Err(ClientError::new("qstat: illegal 'destination' value\n", 1))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        run(&["-q"]),
        QstatMode::Queues { summary: true, .. }
    ));
    assert_eq!(
        run(&["-B", "pbs02"]),
        QstatMode::Servers {
            full: None,
            servers: vec!["pbs02".into()]
        }
    );
    assert!(matches!(
        run(&["-Bf"]),
        QstatMode::Servers { full: Some(_), .. }
    ));
    // -w before -B is allowed (alt_opt with wide).
    assert!(matches!(run(&["-w", "-B"]), QstatMode::Servers { .. }));
}

#[test]
fn conflicts_and_usage() {
    let conflict = "qstat: conflicting options.\n";
    assert_eq!(err(&["-a", "-B"]), usage_after(conflict));
    assert_eq!(err(&["-B", "-Q"]), usage_after(conflict));
    assert_eq!(err(&["-Q", "-B"]), usage_after(conflict));
    assert_eq!(err(&["-a", "-i"]), usage_after(conflict));
    assert_eq!(err(&["-G", "-M"]), usage_after(conflict));
    assert_eq!(err(&["-F", "json"]), usage_after(conflict));
    assert_eq!(err(&["-q", "-f"]), usage_after(conflict));
    assert_eq!(err(&["-1"]), usage_after(conflict));
    assert_eq!(
        err(&["-f", "-w", "-F", "json"]),
        usage_after("qstat: option w cannot be used with -F\n")
    );
    // Two clashes print the line twice, as PBS does.
    assert_eq!(err(&["-a", "-B", "-i"]), usage_after(&conflict.repeat(2)));
    // Errors without their own message.
    assert_eq!(err(&["-F", "xml"]), usage_after(""));
    assert_eq!(err(&["-D", ","]), usage_after(""));
    assert_eq!(err(&["-W", "z"]), usage_after(""));
    assert_eq!(err(&["-Z"]), usage_after("qstat: invalid option -- 'Z'\n"));
    assert_eq!(
        err(&["-u"]),
        usage_after("qstat: option requires an argument -- 'u'\n")
    );
    assert!(USAGE.starts_with("usage: \nqstat [-f] [-J] [-p] [-t] [-x] [-E] [-F format | -w]"));
    assert!(USAGE
        .ends_with("qstat -B [-f] [-F format] [-D delim] [ server_name... ]\nqstat --version\n"));
}

#[test]
fn operand_errors() {
    match run(&["12", "12x", "a@", "R12"]) {
        QstatMode::Jobs { operands, .. } => {
            assert!(operands[0].is_ok());
            assert_eq!(
                operands[1],
                Err(ClientError::new(
                    "qstat: illegally formed job identifier: 12x\n",
                    1
                ))
            );
            assert_eq!(
                operands[2],
                Err(ClientError::new(
                    "qstat: illegally formed destination: a@\n",
                    1
                ))
            );
            // Not a digit first: a queue named R12.
            assert!(matches!(operands[3], Ok(JobOperand::Destination(_))));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn version() {
    assert_eq!(parse_qstat(&argv(&["--version"])), Ok(Invocation::Version));
}
