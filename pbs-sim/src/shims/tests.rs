//! Tests of the shared vocabulary: job identifiers, destinations, `--version`.

use super::*;

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn job_ids_of_every_shape() {
    let id = JobIdArg::parse("123.pbs02@other").expect("valid");
    assert_eq!(id.seq, "123");
    assert_eq!(id.parent_server.as_deref(), Some("pbs02"));
    assert_eq!(id.current_server.as_deref(), Some("other"));
    for ok in [
        "1",
        "1234567",
        "12[]",
        "12[3]",
        "12[1-5:2].srv",
        "R45.srv",
        "7@srv",
    ] {
        assert!(JobIdArg::parse(ok).is_some(), "{ok}");
    }
    for bad in [
        "",
        "abc",
        "12.",
        "12@",
        "12x",
        "12[",
        "R4[]",
        "1234567890123",
        "12.a b",
        "-f",
    ] {
        assert!(JobIdArg::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn destinations() {
    assert_eq!(
        Destination::parse("workq@pbs02"),
        Some(Destination {
            queue: Some("workq".into()),
            server: Some("pbs02".into())
        })
    );
    assert_eq!(
        Destination::parse("@pbs02").and_then(|d| d.server),
        Some("pbs02".to_string())
    );
    assert_eq!(Destination::parse(""), Some(Destination::default()));
    for bad in ["a@", "a b", "q#1", "sixteen_chars_xx", "a@b@c"] {
        assert_eq!(Destination::parse(bad), None, "{bad}");
    }
}

#[test]
fn version_is_a_lone_argument() {
    assert!(is_version_request(&argv(&["--version"])));
    assert!(!is_version_request(&argv(&["--version", "-f"])));
    assert!(!is_version_request(&argv(&[])));
    assert_eq!(
        version_output("2022.1.1.20220926110806"),
        "pbs_version = 2022.1.1.20220926110806\n"
    );
}

mod never_panic {
    use proptest::prelude::*;

    use super::super::{pbsnodes_args, qdel_args, qstat_args};

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "-f",
                "-F",
                "json",
                "dsv",
                "-D",
                "-Q",
                "-B",
                "-a",
                "-n",
                "-1",
                "-W",
                "-x",
                "-o",
                "-r",
                "-C",
                "-v",
                "-S",
                "--",
                "-",
                "12",
                "12.pbs02",
                "@s",
                "q@s",
                "--version",
            ])
            .prop_map(String::from),
            "\\PC{0,10}",
            "-[a-zA-Z1]{1,4}",
        ]
    }

    proptest! {
        #[test]
        fn qstat_qdel_pbsnodes(args in prop::collection::vec(word(), 0..8)) {
            let _ = qstat_args::parse_qstat(&args);
            let _ = qdel_args::parse_qdel(&args);
            let _ = pbsnodes_args::parse_pbsnodes(&args);
        }
    }
}
