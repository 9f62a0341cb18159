//! qsub: usage errors, every directive rule, every precedence rule, the §1.5 client-side
//! errors, `-v` quoting and the request's shape.

use std::collections::BTreeMap;

use super::*;

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn cmdline(words: &[&str]) -> QsubCommandLine {
    match parse_command_line(&argv(words)) {
        Ok(Invocation::Run(c)) => c,
        other => panic!("{words:?}: {other:?}"),
    }
}

fn cmd_err(words: &[&str]) -> ClientError {
    parse_command_line(&argv(words)).expect_err("expected an error")
}

fn ctx() -> SubmitContext {
    let env: BTreeMap<String, String> = [
        ("HOME", "/home/alice"),
        ("PATH", "/usr/bin:/bin"),
        ("LOGNAME", "alice"),
        ("SHELL", "/bin/bash"),
        ("FOO", "bar"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    SubmitContext {
        env,
        cwd: "/home/alice/work".into(),
        user: "alice".into(),
        host: "login1".into(),
    }
}

/// `qsub <words> job.sh` with `script` as the file's text.
fn submit(words: &[&str], script: &str) -> Result<QsubRequest, ClientError> {
    let mut all = words.to_vec();
    all.push("job.sh");
    build_request(&cmdline(&all), script, Some("job.sh"), &ctx())
}

fn ok(words: &[&str], script: &str) -> QsubRequest {
    submit(words, script).unwrap_or_else(|e| panic!("{words:?}: {e}"))
}

fn usage(prefix: &str) -> ClientError {
    ClientError::new(format!("{prefix}{USAGE}"), 2)
}

#[test]
fn usage_text_is_verbatim() {
    assert!(USAGE.starts_with(
        "usage: qsub [-a date_time] [-A account_string] [-c interval]\n\t[-C directive_prefix]"
    ));
    assert!(USAGE.ends_with("[script | -- command [arg1 ...]]\n       qsub --version\n"));
}

#[test]
fn command_line_shapes() {
    assert_eq!(cmdline(&[]).source, JobSource::Stdin);
    assert_eq!(
        cmdline(&["-N", "x", "a.sh"]).source,
        JobSource::Script("a.sh".into())
    );
    assert_eq!(
        cmdline(&["-l", "walltime=10", "--", "/bin/sleep", "60"]).source,
        JobSource::Command {
            program: "/bin/sleep".into(),
            args: vec!["60".into()]
        }
    );
    assert_eq!(
        cmdline(&["-N", "x", "-lselect=1", "a.sh"]).submit_arguments,
        "-N x -lselect=1 a.sh"
    );
    assert_eq!(
        parse_command_line(&argv(&["--version"])),
        Ok(Invocation::Version)
    );
}

#[test]
fn command_line_errors_print_usage_and_exit_2() {
    assert_eq!(cmd_err(&["-Y"]), usage("qsub: invalid option -- 'Y'\n"));
    assert_eq!(
        cmd_err(&["-N"]),
        usage("qsub: option requires an argument -- 'N'\n")
    );
    assert_eq!(cmd_err(&["-r", "maybe"]), usage("qsub: illegal -r value\n"));
    assert_eq!(
        cmd_err(&["-l", "walltime=1,"]),
        usage("qsub: illegal -l value\n")
    );
    assert_eq!(cmd_err(&["-l", "=1"]), usage("qsub: illegal -l value\n"));
    assert_eq!(cmd_err(&["-W", ""]), usage("qsub: illegal -W value\n"));
    assert_eq!(cmd_err(&["-W", "force"]), usage("qsub: illegal -W value\n"));
    assert_eq!(
        cmd_err(&["-a", "tomorrow"]),
        usage("qsub: illegal -a value\n")
    );
    assert_eq!(cmd_err(&["-c", "u"]), usage("qsub: illegal -c value\n"));
    assert_eq!(
        cmd_err(&["-r", "n", "-J", "1-3"]),
        usage("qsub:  cannot submit non-rerunable Array Job\n")
    );
    // Interactive jobs are refused clearly.
    assert_eq!(cmd_err(&["-I"]), usage(options::NO_INTERACTIVE));
    assert_eq!(
        cmd_err(&["-W", "interactive=true"]),
        usage(options::NO_INTERACTIVE)
    );
    // A script must be last; two scripts; script and "--"; nothing after "--"; "-N --".
    assert_eq!(cmd_err(&["a.sh", "-N", "x"]), usage(""));
    assert_eq!(cmd_err(&["a.sh", "b.sh"]), usage(""));
    assert_eq!(cmd_err(&["a.sh", "--", "/bin/true"]), usage(""));
    assert_eq!(cmd_err(&["--"]), usage(""));
    assert_eq!(cmd_err(&["-N", "--"]), usage(""));
    // `--version` among other words is an option error, as in PBS.
    assert_eq!(cmd_err(&["--version", "a.sh"]).exit_code, 2);
}

#[test]
fn directives_are_read_until_the_first_command() {
    let script = "#!/bin/bash\n#PBS -N first\n\n: setup\n# a comment\n  #PBS -q workq\necho hi\n#PBS -N ignored\n";
    let req = ok(&[], script);
    assert_eq!(req.job_name, "first");
    assert_eq!(req.queue.as_deref(), Some("workq"));
    assert_eq!(req.body, JobBody::Script(script.to_string()));
}

#[test]
fn directive_prefix_from_c_or_environment() {
    let script = "#XX -N viaC\n#PBS -N viaPBS\n";
    assert_eq!(ok(&["-C", "#XX"], script).job_name, "viaC");
    assert_eq!(ok(&[], script).job_name, "viaPBS");
    assert_eq!(ok(&["-C", ""], script).job_name, "job.sh");
    let mut c = ctx();
    c.env.insert("PBS_DPREFIX".into(), "#XX".into());
    let req = build_request(&cmdline(&["job.sh"]), script, Some("job.sh"), &c).unwrap();
    assert_eq!(req.job_name, "viaC");
}

#[test]
fn directive_continuation_and_quotes() {
    let script =
        "#PBS -l select=1:ncpus=2,\\\n#PBS walltime=1:00:00\n#PBS -N \"my.job\" -v 'A=1,B=2'\n";
    // The continued line is taken raw, so its "#PBS" is a stray word.
    assert_eq!(submit(&[], script).unwrap_err().exit_code, 1);
    let script = "#PBS -l select=1:ncpus=2,\\\nwalltime=1:00:00\n#PBS -N \"my.job\" -v 'A=1,B=2'\n";
    let req = ok(&[], script);
    assert_eq!(req.resources, vec!["select=1:ncpus=2", "walltime=1:00:00"]);
    assert_eq!(req.job_name, "my.job");
    assert!(req.variables.contains(&("B".to_string(), "2".to_string())));
}

#[test]
fn directive_errors_exit_1() {
    assert_eq!(
        submit(&[], "#PBS -N foo bar\n"),
        Err(ClientError::new("qsub: directive error: -N foo bar \n", 1))
    );
    assert_eq!(
        submit(&[], "#PBS -l select=1 # two cpus\n"),
        Err(ClientError::new(
            "qsub: directive error: -l select=1 # two cpus \n",
            1
        ))
    );
    assert_eq!(
        submit(&[], "#PBS -Y\n"),
        Err(ClientError::new(
            "qsub: invalid option -- 'Y'\nqsub: directive error: -Y \n",
            1
        ))
    );
    assert_eq!(
        submit(&[], "#PBS -r maybe\n"),
        Err(ClientError::new(
            "qsub: illegal -r value\nqsub: directive error: -r maybe \n",
            1
        ))
    );
    assert_eq!(
        submit(&[], "#PBS -N 'open\n"),
        Err(ClientError::new("qsub: unmatched \0\n", 1))
    );
    assert_eq!(
        submit(&[], "#PBS -N a\r\necho\r\n"),
        Err(ClientError::new("qsub: script contains cr, lf\n", 1))
    );
}

#[test]
fn precedence_of_ordinary_options() {
    let script = "#PBS -N one\n#PBS -N two\n#PBS -q dq\n#PBS -r n\n";
    // Within directives the last wins; the command line beats directives.
    assert_eq!(ok(&[], script).job_name, "two");
    assert_eq!(ok(&["-N", "cmd"], script).job_name, "cmd");
    assert_eq!(ok(&["-N", "a", "-N", "b"], script).job_name, "b");
    assert_eq!(ok(&["-q", "cq"], script).queue.as_deref(), Some("cq"));
    assert!(!ok(&[], script).rerunnable);
    assert!(ok(&["-r", "y"], script).rerunnable);
    // A bad directive value for an option the command line set is never looked at.
    assert_eq!(
        ok(&["-a", "1200"], "#PBS -a never\n")
            .execution_time
            .as_deref(),
        Some("1200")
    );
    // -v from the command line replaces the directive's list entirely.
    let req = ok(&["-v", "X=1"], "#PBS -v Y=2\n");
    assert!(req.variables.contains(&("X".into(), "1".into())));
    assert!(!req.variables.iter().any(|(n, _)| n == "Y"));
}

#[test]
fn precedence_of_resources() {
    let script =
        "#PBS -l select=2:ncpus=4\n#PBS -l walltime=1:00:00\n#PBS -l walltime=3:00:00,scratch=1\n";
    let req = ok(&["-l", "walltime=2:00:00"], script);
    // Command line first; then directives, each name only if new (first -l foo= wins).
    assert_eq!(
        req.resources,
        vec!["walltime=2:00:00", "select=2:ncpus=4", "scratch=1"]
    );
    let only_script = ok(&[], "#PBS -l walltime=1:00:00\n#PBS -l walltime=3:00:00\n");
    assert_eq!(only_script.resources, vec!["walltime=1:00:00"]);
    // Repeats on the command line are all sent (the server keeps the last).
    let repeated = ok(&["-l", "walltime=1:00", "-l", "walltime=2:00"], "");
    assert_eq!(repeated.resources, vec!["walltime=1:00", "walltime=2:00"]);
}

#[test]
fn resource_errors_of_the_reference_table() {
    let err = |res: &[&str]| {
        let mut words = Vec::new();
        for r in res {
            words.extend(["-l", r]);
        }
        submit(&words, "").expect_err("expected an error")
    };
    let e = |text: &str, code: i32| ClientError::new(format!("qsub: {text}\n"), code);
    assert_eq!(
        err(&["walltime=abc"]),
        e(
            "Illegal attribute or resource value Resource_List.walltime",
            166
        )
    );
    assert_eq!(
        err(&["mem=1.5gb"]),
        e("Illegal attribute or resource value Resource_List.mem", 166)
    );
    assert_eq!(
        err(&["select=1:ncpus=x"]),
        e(
            "Illegal attribute or resource value Resource_List.ncpus",
            166
        )
    );
    assert_eq!(
        err(&["place=everywhere", "select=1"]),
        e(
            "Illegal attribute or resource value Resource_List.place",
            166
        )
    );
    assert_eq!(
        err(&["select=1:walltime=10"]),
        e("Resource invalid in \"select\" specification: walltime", 4)
    );
    assert_eq!(
        err(&["select=1:ncpus=2", "ncpus=4"]),
        e(
            "\"-lresource=\" cannot be used with \"select\" or \"place\", resource is: ncpus",
            5
        )
    );
    assert_eq!(
        err(&["select=1", "nodes=2"]),
        e("Cannot be used with select or place: nodes", 6)
    );
    assert_eq!(
        err(&["place=scatter"]),
        e("Cannot have \"place\" without \"select\"", 7)
    );
    assert_eq!(
        err(&["select=1:ncpus=1:ncpus=2"]),
        e(
            "duplicated resource within a section of a select specification, resource is: ncpus",
            12
        )
    );
    // Mixing across levels is caught too (command line select, directive ncpus).
    assert_eq!(
        submit(&["-l", "select=1"], "#PBS -l ncpus=2\n")
            .unwrap_err()
            .exit_code,
        5
    );
    // Custom resources pass: the server decides whether they exist.
    assert_eq!(
        ok(&["-l", "foo=1,select=1:interconnect=hdr"], "")
            .resources
            .len(),
        2
    );
}

#[test]
fn job_names() {
    assert_eq!(ok(&[], "").job_name, "job.sh");
    let path = build_request(&cmdline(&["dir/run.pbs"]), "", Some("dir/run.pbs"), &ctx()).unwrap();
    assert_eq!(path.job_name, "run.pbs");
    let stdin = build_request(&cmdline(&[]), "", None, &ctx()).unwrap();
    assert_eq!(stdin.job_name, "STDIN");
    let command =
        build_request(&cmdline(&["--", "/bin/true"]), "#PBS -N no\n", None, &ctx()).unwrap();
    assert_eq!(command.job_name, "STDIN");
    assert_eq!(
        command.body,
        JobBody::Command {
            program: "/bin/true".into(),
            args: vec![]
        }
    );
    assert_eq!(
        submit(&["-N", "a b"], ""),
        Err(usage("qsub: illegal -N value\n"))
    );
    assert_eq!(
        submit(&["-N", &"n".repeat(231)], ""),
        Err(ClientError::new("qsub: Job name is too long \n", 2))
    );
}

#[test]
fn attribute_checks_at_submission() {
    let e = |c: char| ClientError::new(format!("qsub: illegal -{c} value\n"), 2);
    assert_eq!(submit(&["-j", "x"], ""), Err(e('j')));
    assert_eq!(submit(&["-k", "z"], ""), Err(e('k')));
    assert_eq!(submit(&["-m", "q"], ""), Err(e('m')));
    assert_eq!(submit(&["-p", "5000"], ""), Err(e('p')));
    assert_eq!(submit(&["-W", "depend=afterok"], ""), Err(e('W')));
    assert_eq!(submit(&["-J", "5-1"], ""), Err(e('J')));
    assert_eq!(
        submit(&["-q", "a@"], ""),
        Err(ClientError::new(
            "qsub: illegally formed destination: a@\n",
            2
        ))
    );
    assert_eq!(
        submit(&["-m", "j"], ""),
        Err(ClientError::new(
            "qsub: mail option 'j' can not be used without array job\n",
            1
        ))
    );
    assert_eq!(submit(&["-X"], ""), Err(usage("qsub: DISPLAY not set\n")));
}

#[test]
fn request_fields() {
    let req = ok(
        &[
            "-j",
            "oe",
            "-o",
            "out.txt",
            "-e",
            "host:/err",
            "-h",
            "-A",
            "acct",
            "-m",
            "abe",
            "-M",
            "a@b",
            "-p",
            "-5",
            "-z",
            "-S",
            "/bin/sh",
            "-P",
            "proj",
            "-k",
            "oe",
            "-W",
            "depend=afterok:12.pbs02:13,umask=022",
            "-q",
            "workq@pbs02",
            "-J",
            "1-9:2%3",
            "-c",
            "n",
            "-a",
            "1200",
        ],
        "",
    );
    assert_eq!(req.join, Join::OutputAndError);
    assert_eq!(req.output_path.as_deref(), Some("out.txt"));
    assert_eq!(req.error_path.as_deref(), Some("host:/err"));
    assert!(req.user_hold && req.suppress_id && req.rerunnable);
    assert_eq!(req.account.as_deref(), Some("acct"));
    assert_eq!(req.mail_points, "abe");
    assert_eq!(req.priority, -5);
    assert_eq!(req.depend.as_deref(), Some("afterok:12.pbs02:13"));
    assert_eq!(
        req.other_attributes,
        vec![("umask".to_string(), "022".to_string())]
    );
    assert_eq!(
        (req.queue.as_deref(), req.server.as_deref()),
        (Some("workq"), Some("pbs02"))
    );
    assert_eq!(req.array_range.as_deref(), Some("1-9:2"));
    assert_eq!(req.max_run_subjobs.as_deref(), Some("3"));
    assert_eq!(req.checkpoint, "n");
    assert_eq!(req.keep_files, "oe");
    // Defaults qsub always sends.
    let plain = ok(&[], "");
    assert_eq!(
        (
            plain.join,
            plain.user_hold,
            plain.mail_points.as_str(),
            plain.priority,
            plain.rerunnable
        ),
        (Join::No, false, "a", 0, true)
    );
    assert_eq!(
        (plain.checkpoint.as_str(), plain.keep_files.as_str()),
        ("u", "n")
    );
}

#[test]
fn variable_list_order_and_quoting() {
    let req = ok(&["-q", "workq", "-v", "A=1,FOO,B=\"x,y\"", "-V"], "");
    let names: Vec<&str> = req.variables.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "PBS_O_HOME",
            "PBS_O_LOGNAME",
            "PBS_O_PATH",
            "PBS_O_SHELL",
            "PBS_O_WORKDIR",
            "PBS_O_SYSTEM",
            "PBS_O_QUEUE",
            "PBS_O_HOST",
            "A",
            "FOO",
            "B",
            "HOME",
            "LOGNAME",
            "PATH",
            "SHELL"
        ]
    );
    assert!(req.variables.contains(&("B".into(), "x,y".into())));
    assert!(req.variables.contains(&("FOO".into(), "bar".into())));
    assert!(req
        .variables
        .contains(&("PBS_O_WORKDIR".into(), "/home/alice/work".into())));
    assert!(req
        .variables
        .contains(&("PBS_O_HOST".into(), "login1".into())));
    assert_eq!(
        submit(&["-v", "NOPE"], ""),
        Err(ClientError::new(
            "qsub: cannot send environment with the job\n",
            1
        ))
    );
}

#[test]
fn request_serialises() {
    let req = ok(&["-l", "select=1"], "echo\n");
    let json = serde_json::to_string(&req).expect("json");
    let back: QsubRequest = serde_json::from_str(&json).expect("back");
    assert_eq!(back, req);
}
