//! Property tests: qsub's parsers never panic, and a `-l` list rendered from valid
//! resources comes back as the same merged list.

use proptest::prelude::*;

use super::*;

fn ctx() -> SubmitContext {
    SubmitContext {
        env: [("HOME", "/h"), ("X", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: "/h".into(),
        user: "u".into(),
        host: "h".into(),
    }
}

/// Words that look like qsub arguments often enough to reach the deep paths.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "-l",
            "-N",
            "-q",
            "-W",
            "-v",
            "-V",
            "-h",
            "-j",
            "--",
            "-",
            "-I",
            "-r",
            "-J",
            "-C",
            "-lselect=1",
            "walltime=1:00",
            "depend=afterok:1",
            "oe",
            "y",
            "n",
            "job.sh",
        ])
        .prop_map(String::from),
        "\\PC{0,12}",
        "-[a-zA-Z]{1,3}",
    ]
}

/// A built-in-free resource value that `ResourceList::parse` accepts bare.
fn resource() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (0u64..400_000).prop_map(|s| ("walltime".to_string(), format!("{s}"))),
        (1u32..64, 1u32..64).prop_map(|(n, c)| ("select".to_string(), format!("{n}:ncpus={c}"))),
        ("[a-z][a-z0-9_]{0,6}", "[a-z0-9]{1,6}").prop_filter("not built-in", |(n, _)| !matches!(
            n.as_str(),
            "select"
                | "place"
                | "walltime"
                | "ncpus"
                | "mem"
                | "vmem"
                | "ngpus"
                | "mpiprocs"
                | "ompthreads"
                | "naccelerators"
                | "host"
                | "vnode"
                | "arch"
                | "nodes"
                | "cput"
                | "nice"
                | "soft_walltime"
                | "min_walltime"
                | "max_walltime"
        )),
    ]
}

proptest! {
    #[test]
    fn never_panics(args in prop::collection::vec(word(), 0..8), script in "\\PC{0,200}") {
        if let Ok(Invocation::Run(cmd)) = parse_command_line(&args) {
            let _ = build_request(&cmd, &script, Some("job.sh"), &ctx());
        }
    }

    #[test]
    fn directives_never_panic(lines in prop::collection::vec(
        prop_oneof![
            word().prop_map(|w| format!("#PBS {w}")),
            prop::collection::vec(word(), 0..4).prop_map(|ws| format!("#PBS {}", ws.join(" "))),
            "\\PC{0,30}",
        ], 0..8)) {
        let cmd = match parse_command_line(&[]) {
            Ok(Invocation::Run(cmd)) => cmd,
            other => panic!("{other:?}"),
        };
        let _ = build_request(&cmd, &lines.join("\n"), None, &ctx());
    }

    #[test]
    fn resource_lists_round_trip(
        cmd in prop::collection::vec(resource(), 0..4),
        script in prop::collection::vec(resource(), 0..4),
    ) {
        let mut args = Vec::new();
        for (n, v) in &cmd {
            args.push("-l".to_string());
            args.push(format!("{n}={v}"));
        }
        let directives: String = script
            .iter()
            .map(|(n, v)| format!("#PBS -l {n}={v}\n"))
            .collect();
        let parsed = match parse_command_line(&args) {
            Ok(Invocation::Run(c)) => c,
            other => panic!("{other:?}"),
        };
        let req = build_request(&parsed, &directives, None, &ctx()).expect("valid resources");
        let mut expected: Vec<String> = cmd.iter().map(|(n, v)| format!("{n}={v}")).collect();
        for (n, v) in &script {
            if !expected.iter().any(|e| e.split('=').next() == Some(n.as_str())) {
                expected.push(format!("{n}={v}"));
            }
        }
        prop_assert_eq!(req.resources, expected);
    }
}
