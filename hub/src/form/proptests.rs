//! `validate` on any submission: never a panic, and every request it builds reads back
//! through PBS's grammar and stays within the form's bounds.

use drivers::resources::ResourceList;
use drivers::UserName;
use proptest::prelude::*;

use super::tests::site_form;
use super::*;

/// Keys: the form's own names (and `profile`) most of the time, anything otherwise.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "queue", "chunks", "ncpus", "mem", "ngpus", "gpu_model", "interconnect",
            "walltime", "profile",
        ])
        .prop_map(String::from),
        1 => ".{0,12}",
    ]
}

/// Values: plausible ones, near-misses, and arbitrary text.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..300).prop_map(|n| n.to_string()),
        (
            0u64..600,
            prop::sample::select(vec!["b", "kb", "mb", "gb", "tb", "GB", "w", ""])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        (0u64..30, 0u64..70, 0u64..70).prop_map(|(h, m, s)| format!("{h}:{m:02}:{s:02}")),
        prop::sample::select(vec![
            "",
            " ",
            "gpu",
            "workq",
            "default",
            "any",
            "v100",
            "a100",
            "hdr",
            "1g",
            "x:y",
            "1:ncpus=2",
            "4gb+1",
            "\"q\"",
            "a,b",
        ])
        .prop_map(String::from),
        ".{0,20}",
    ]
}

proptest! {
    #[test]
    fn any_submission_is_a_request_within_bounds_or_field_errors(
        submitted in prop::collection::btree_map(key(), value(), 0..10),
        alice in any::<bool>(),
    ) {
        let form = site_form();
        let user = UserName::new(if alice { "alice" } else { "bob" }).unwrap();
        match validate(&form, &submitted, &user) {
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in &errors {
                    prop_assert!(!error.message.is_empty());
                    let known = form.field(&error.field).is_some() || error.field == "profile";
                    prop_assert!(known || submitted.contains_key(&error.field), "{error}");
                }
            }
            Ok(request) => {
                let printed = request.resources.to_string();
                let reparsed = ResourceList::parse(&[printed.as_str()]);
                prop_assert_eq!(reparsed, Ok(request.resources.clone()));
                let select = request.resources.select.as_ref().unwrap();
                prop_assert_eq!(select.chunks.len(), 1);
                let chunk = &select.chunks[0];
                prop_assert!((1..=4).contains(&chunk.count));
                prop_assert!(chunk.count_of("ncpus").is_some_and(|n| (1..=64).contains(&n)));
                prop_assert!(chunk.count_of("ngpus").is_some_and(|n| n <= 2));
                let mem = chunk.size_of("mem").unwrap().bytes();
                prop_assert!(((1u64 << 30)..=(256u64 << 30)).contains(&mem));
                prop_assert!(matches!(chunk.text_of("gpu_model"), None | Some("v100")) || alice);
                prop_assert!(matches!(chunk.text_of("interconnect"), Some("1g" | "hdr")));
                let walltime = request.resources.walltime.unwrap().as_secs();
                prop_assert!((300..=86_400).contains(&walltime));
                prop_assert!(matches!(request.queue.as_deref(), None | Some("workq" | "gpuq")));
            }
        }
    }
}
