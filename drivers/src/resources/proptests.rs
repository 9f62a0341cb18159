//! Property tests: printing then parsing gives back the value, for generated values of
//! every type; and parsing arbitrary text never panics and, when it succeeds, gives a value
//! that prints back to itself.

use proptest::prelude::*;

use super::*;

const SELECT_TYPED: [&str; 6] = ["ncpus", "ngpus", "mpiprocs", "ompthreads", "mem", "vmem"];

fn size() -> impl Strategy<Value = Size> {
    let unit = prop::sample::select(vec![
        SizeUnit::One,
        SizeUnit::Kilo,
        SizeUnit::Mega,
        SizeUnit::Giga,
        SizeUnit::Tera,
        SizeUnit::Peta,
    ]);
    (any::<u64>(), unit, any::<bool>()).prop_map(|(amount, unit, words)| Size {
        amount,
        unit,
        words,
    })
}

fn walltime() -> impl Strategy<Value = Walltime> {
    prop_oneof![0u64..1_000_000, any::<u64>()].prop_map(Walltime::from_secs)
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_-]{0,12}"
}

fn place() -> impl Strategy<Value = Place> {
    (
        prop::option::of(prop::sample::select(Arrangement::ALL.to_vec())),
        prop::option::of(prop::sample::select(Sharing::ALL.to_vec())),
        prop::option::of(name()),
    )
        .prop_map(|(arrangement, sharing, group)| Place {
            arrangement,
            sharing,
            group,
        })
}

/// Text a value may hold: plain words, the characters that need quotes, and non-ASCII;
/// never both kinds of quote, never control characters (those cannot be written).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,8}",
        "[a-z0-9:+=, '.-]{0,12}",
        "[a-z0-9:+=,\" ]{0,12}",
        "\\PC{0,8}",
    ]
    .prop_filter("writable", |t| {
        let both_quotes = t.contains('"') && t.contains('\'');
        !both_quotes && !t.chars().any(char::is_control)
    })
}

fn chunk_resource() -> impl Strategy<Value = ChunkResource> {
    let name = prop_oneof![
        prop::sample::select(SELECT_TYPED.to_vec()).prop_map(String::from),
        name()
    ];
    name.prop_flat_map(|name| {
        let value = match name.as_str() {
            "ncpus" | "ngpus" | "mpiprocs" | "ompthreads" => {
                any::<u32>().prop_map(ResourceValue::Count).boxed()
            }
            "mem" | "vmem" => size().prop_map(ResourceValue::Size).boxed(),
            _ => text().prop_map(ResourceValue::Text).boxed(),
        };
        (Just(name), value).prop_map(|(name, value)| ChunkResource { name, value })
    })
    .prop_filter("not job-wide", |r| {
        !super::builtin::JOB_WIDE_ONLY.contains(&r.name.as_str())
    })
}

fn chunk() -> impl Strategy<Value = Chunk> {
    (
        prop_oneof![1u32..10, 1u32..=u32::MAX],
        prop::collection::vec(chunk_resource(), 0..6),
    )
        .prop_map(|(count, resources)| {
            let mut chunk = Chunk::new(count);
            for r in resources {
                if chunk.get(&r.name).is_none() {
                    chunk.resources.push(r);
                }
            }
            chunk
        })
}

fn select() -> impl Strategy<Value = Select> {
    prop::collection::vec(chunk(), 1..4).prop_map(Select::new)
}

/// Job-wide `other` entries: untyped names with any writable text (never chunk-level
/// built-ins, `nodes`, or the names with their own fields).
fn other() -> impl Strategy<Value = Vec<(String, String)>> {
    let cput = walltime().prop_map(|w| ("cput".to_string(), w.to_string()));
    let entry = prop_oneof![cput, (name(), text())];
    prop::collection::vec(entry, 0..4).prop_map(|entries| {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value) in entries {
            let reserved = [
                "select",
                "place",
                "walltime",
                "nodes",
                "ncpus",
                "ngpus",
                "mpiprocs",
                "ompthreads",
                "mem",
                "vmem",
                "naccelerators",
                "host",
                "vnode",
                "arch",
                "soft_walltime",
                "min_walltime",
                "max_walltime",
            ];
            if !reserved.contains(&name.as_str()) && !out.iter().any(|(n, _)| *n == name) {
                out.push((name, value));
            }
        }
        out
    })
}

fn resource_list() -> impl Strategy<Value = ResourceList> {
    (
        prop::option::of(select()),
        prop::option::of(place()),
        prop::option::of(walltime()),
        other(),
    )
        .prop_map(|(select, place, walltime, other)| ResourceList {
            place: place.filter(|_| select.is_some()),
            select,
            walltime,
            other,
        })
}

/// Text built from the grammar's own pieces, so that a fair share of it parses.
fn grammar_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "select=",
        "place=",
        "walltime=",
        "ncpus",
        "mem",
        "foo",
        "=",
        ":",
        "+",
        ",",
        "1",
        "2",
        "10",
        "0",
        "gb",
        "kw",
        "'",
        "\"",
        "a b",
        "scatter",
        "excl",
        "group=",
        "pack",
        ".5",
        "nodes",
        "cput=",
        "x",
        "-",
    ]);
    prop::collection::vec(piece, 0..16).prop_map(|p| p.concat())
}

/// A printed valid request with one character inserted, deleted or replaced: text that is
/// almost right, where parsers' edge cases live.
fn mutated_text() -> impl Strategy<Value = String> {
    let edit_char =
        prop::sample::select(vec![':', '+', '=', ',', '\'', '"', ' ', '.', '0', 'k', 'x']);
    (
        resource_list(),
        any::<prop::sample::Index>(),
        0..3u8,
        edit_char,
    )
        .prop_map(|(list, at, edit, c)| {
            let mut chars: Vec<char> = list.to_string().chars().collect();
            let i = at.index(chars.len() + 1);
            match edit {
                0 => chars.insert(i, c),
                1 if i < chars.len() => drop(chars.remove(i)),
                _ if i < chars.len() => chars[i] = c,
                _ => chars.push(c),
            }
            chars.into_iter().collect()
        })
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9:+=.,'\"]{0,40}",
        grammar_text(),
        mutated_text()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn size_round_trips(x in size()) {
        prop_assert_eq!(x.to_string().parse::<Size>(), Ok(x));
    }

    #[test]
    fn walltime_round_trips(x in walltime()) {
        prop_assert_eq!(x.to_string().parse::<Walltime>(), Ok(x));
    }

    #[test]
    fn place_round_trips(x in place()) {
        prop_assert_eq!(x.validate(), Ok(()));
        prop_assert_eq!(x.to_string().parse::<Place>(), Ok(x));
    }

    #[test]
    fn select_round_trips(x in select()) {
        prop_assert_eq!(x.validate(), Ok(()));
        prop_assert_eq!(x.to_string().parse::<Select>(), Ok(x));
    }

    #[test]
    fn resource_list_round_trips(x in resource_list()) {
        prop_assert_eq!(x.validate(), Ok(()));
        let args = x.to_qsub_args();
        let values: Vec<&str> = args.iter().skip(1).step_by(2).map(String::as_str).collect();
        prop_assert_eq!(ResourceList::parse(&values), Ok(x.clone()));
        if x != ResourceList::default() {
            prop_assert_eq!(ResourceList::parse(&[x.to_string().as_str()]), Ok(x));
        }
    }

    #[test]
    fn defs_check_never_panics(x in resource_list()) {
        let _ = ResourceDefs::palmetto().check(&x);
        let _ = ResourceDefs::builtin().check(&x);
    }
}

proptest! {
    // Cheap cases, and most random text fails early: many more of them.
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn parsing_any_text_is_stable(s in any_text()) {
        if let Ok(x) = s.parse::<Size>() {
            prop_assert_eq!(x.to_string().parse::<Size>(), Ok(x));
        }
        if let Ok(x) = s.parse::<Walltime>() {
            prop_assert_eq!(x.to_string().parse::<Walltime>(), Ok(x));
        }
        if let Ok(x) = s.parse::<Place>() {
            prop_assert_eq!(x.validate(), Ok(()));
            prop_assert_eq!(x.to_string().parse::<Place>(), Ok(x));
        }
        if let Ok(x) = s.parse::<Select>() {
            prop_assert_eq!(x.validate(), Ok(()));
            prop_assert_eq!(x.to_string().parse::<Select>(), Ok(x));
        }
        if let Ok(x) = ResourceList::parse(&[s.as_str()]) {
            prop_assert_eq!(x.validate(), Ok(()));
            prop_assert_eq!(ResourceList::parse(&[x.to_string().as_str()]), Ok(x.clone()));
            let _ = ResourceDefs::palmetto().check(&x);
        }
    }
}
