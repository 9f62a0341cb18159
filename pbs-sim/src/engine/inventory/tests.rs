use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::palmetto::{apportion, PHASES};
use super::*;

#[test]
fn palmetto_has_2000_nodes_named_in_order() {
    let inv = Inventory::palmetto();
    assert_eq!(inv.nodes.len(), 2000);
    for (i, node) in inv.nodes.iter().enumerate() {
        assert_eq!(node.name, format!("node{:04}", i + 1));
    }
    assert_eq!(inv.nodes[0].name, "node0001");
    assert_eq!(inv.nodes[1999].name, "node2000");
}

#[test]
fn palmetto_keeps_every_phase_and_its_share() {
    let inv = Inventory::palmetto();
    let mut per_phase: BTreeMap<&str, u32> = BTreeMap::new();
    for node in &inv.nodes {
        *per_phase
            .entry(node.attributes["phase"].as_str())
            .or_default() += 1;
    }
    let reference_total: u32 = PHASES.iter().map(|p| p.count).sum();
    assert_eq!(reference_total, 2064);
    for phase in PHASES {
        let got = per_phase[phase.phase];
        let exact = f64::from(phase.count) * 2000.0 / f64::from(reference_total);
        assert!(
            (f64::from(got) - exact).abs() < 1.0,
            "{}: {got} vs {exact}",
            phase.phase
        );
        assert!(got >= 1, "{}", phase.phase);
    }
}

#[test]
fn older_phases_have_higher_priority() {
    let inv = Inventory::palmetto();
    assert_eq!(inv.nodes[0].priority, 1000);
    for pair in inv.nodes.windows(2) {
        assert!(pair[0].priority >= pair[1].priority);
        if pair[0].attributes["phase"] != pair[1].attributes["phase"] {
            assert_eq!(pair[0].priority, pair[1].priority + 1);
        }
    }
    let newest = inv.nodes.last().map(|n| n.priority);
    assert_eq!(newest, Some(1000 - (PHASES.len() as i32 - 1)));
}

#[test]
fn palmetto_nodes_look_like_pbsnodes() {
    let inv = Inventory::palmetto();
    let first = &inv.nodes[0];
    assert_eq!(first.ncpus, 8);
    assert_eq!(first.mem_kb, 31_922 * 1024);
    assert_eq!(first.ngpus, 0);
    let expected: BTreeMap<String, String> = [
        ("chip_manufacturer", "intel"),
        ("chip_model", "xeon"),
        ("chip_type", "e5520"),
        ("interconnect", "1g"),
        ("phase", "1a"),
        ("ssd", "False"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(first.attributes, expected);

    for node in &inv.nodes {
        assert!(node.ncpus > 0 && node.mem_kb > 0);
        let net = node.attributes["interconnect"].as_str();
        assert!(["1g", "fdr", "hdr"].contains(&net), "{net}");
        assert_eq!(node.ngpus > 0, node.attributes.contains_key("gpu_model"));
        assert!(["True", "False"].contains(&node.attributes["ssd"].as_str()));
    }
    let phase = |p: &str| inv.nodes.iter().find(|n| n.attributes["phase"] == p);
    let p18a = phase("18a").map(|n| (n.ncpus, n.ngpus, n.attributes["gpu_model"].clone()));
    assert_eq!(p18a, Some((40, 4, "v100nv".to_string())));
    assert_eq!(
        phase("8a").map(|n| n.attributes["ssd"].as_str()),
        Some("True")
    );
    assert_eq!(phase("20").map(|n| n.ncpus), Some(56));
}

#[test]
fn reported_memory_matches_the_hardware_table_in_whole_gib() {
    let table_gib: BTreeMap<&str, u64> = [
        ("1a", 31),
        ("1b", 92),
        ("2a", 375),
        ("2b", 15),
        ("5d", 46),
        ("7a", 62),
        ("9", 126),
        ("17", 124),
        ("18b", 372),
        ("18c", 748),
    ]
    .into_iter()
    .collect();
    for phase in PHASES {
        if let Some(gib) = table_gib.get(phase.phase) {
            assert_eq!(phase.mem_mb / 1024, *gib, "{}", phase.phase);
        }
    }
}

#[test]
fn totals() {
    let inv = Inventory::palmetto();
    assert_eq!(inv.max_ncpus_per_node(), 56);
    let cpus: u64 = inv.nodes.iter().map(|n| u64::from(n.ncpus)).sum();
    assert_eq!(inv.total_ncpus(), cpus);
    assert!(inv.total_ncpus() > 25_000, "{}", inv.total_ncpus());
    assert!(inv.total_ngpus() > 1_000, "{}", inv.total_ngpus());
    assert_eq!(Inventory::default().max_ncpus_per_node(), 0);
}

#[test]
fn scaled_palmetto() {
    for total in [0, 1, 10, 100, 2064, 5000] {
        let inv = Inventory::palmetto_with_nodes(total);
        assert_eq!(inv.nodes.len(), total as usize);
    }
    // At the reference size every phase has its real count.
    let full = Inventory::palmetto_with_nodes(2064);
    let first_phase = full
        .nodes
        .iter()
        .filter(|n| n.attributes["phase"] == "1a")
        .count();
    assert_eq!(first_phase, 116);
}

#[test]
fn palmetto_round_trips_through_toml() {
    let inv = Inventory::palmetto();
    let text = inv.to_toml_string();
    assert_eq!(
        text.lines().filter(|l| *l == "[[group]]").count(),
        PHASES.len()
    );
    assert!(text.contains("mem = \"31922mb\""), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("first")),
        "numbering runs on: {text}"
    );
    assert_eq!(Inventory::from_toml_str(&text).ok(), Some(inv));
}

#[test]
fn groups_number_continuously_unless_first_is_given() {
    let text = r#"
[[group]]
prefix = "node"
count = 2
ncpus = 8
mem = "31922mb"

[[group]]
prefix = "gpu"
count = 2
ncpus = 40
mem = "372gb"
ngpus = 2
priority = 5
[group.attributes]
gpu_model = "v100"
ssd = true
nvme = false
slots = 4

[[group]]
prefix = "node"
first = 100
count = 1
ncpus = 4
mem = "1048576kb"

[[group]]
name = "bigmem"
ncpus = 64
mem = "2tb"

[[group]]
prefix = "node"
count = 1
ncpus = 4
mem = "4194304"
"#;
    let inv = Inventory::from_toml_str(text).expect("valid inventory");
    let names: Vec<&str> = inv.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        ["node0001", "node0002", "gpu0003", "gpu0004", "node0100", "bigmem", "node0101"]
    );
    let gpu = &inv.nodes[2];
    assert_eq!((gpu.ncpus, gpu.ngpus, gpu.priority), (40, 2, 5));
    assert_eq!(gpu.mem_kb, 372 * 1024 * 1024);
    assert_eq!(gpu.attributes["ssd"], "True");
    assert_eq!(gpu.attributes["nvme"], "False");
    assert_eq!(gpu.attributes["slots"], "4");
    assert_eq!(inv.nodes[0].priority, 0);
    assert_eq!(inv.nodes[4].mem_kb, 1024 * 1024);
    assert_eq!(inv.nodes[5].mem_kb, 2 * 1024 * 1024 * 1024);
    assert_eq!(inv.nodes[6].mem_kb, 4096, "no unit is bytes");
    let again = Inventory::from_toml_str(&inv.to_toml_string()).ok();
    assert_eq!(again, Some(inv));
}

fn error_of(text: &str) -> InventoryError {
    match Inventory::from_toml_str(text) {
        Ok(inv) => panic!("expected an error, got {} nodes", inv.nodes.len()),
        Err(e) => e,
    }
}

const GOOD: &str = "[[group]]\nprefix = \"node\"\ncount = 2\nncpus = 8\nmem = \"8gb\"\n";

#[test]
fn errors_name_the_group_and_field() {
    let e = error_of(&format!(
        "{GOOD}[[group]]\nprefix = \"n\"\ncount = 0\nncpus = 8\nmem = \"1gb\"\n"
    ));
    assert!(
        matches!(
            e,
            InventoryError::Zero {
                group: 2,
                field: "count"
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "group 2: `count` must be more than zero");

    let e = error_of("[[group]]\nprefix = \"n\"\ncount = 1\nncpus = 0\nmem = \"1gb\"\n");
    assert!(
        matches!(
            e,
            InventoryError::Zero {
                group: 1,
                field: "ncpus"
            }
        ),
        "{e:?}"
    );

    let e = error_of("[[group]]\nprefix = \"n\"\ncount = 1\nncpus = 1\nmem = \"0mb\"\n");
    assert!(
        matches!(
            e,
            InventoryError::Zero {
                group: 1,
                field: "mem"
            }
        ),
        "{e:?}"
    );

    let e = error_of(&format!(
        "{GOOD}[[group]]\nprefix = \"n\"\ncount = 1\nncpus = 1\nmem = \"1.5gb\"\n"
    ));
    assert!(
        matches!(&e, InventoryError::BadSize { group: 2, field: "mem", value, .. } if value == "1.5gb"),
        "{e:?}"
    );
    assert!(e.to_string().contains("group 2: `mem`"), "{e}");

    let e = error_of(&format!(
        "{GOOD}[[group]]\nprefix = \"n\"\ncount = 1\nmem = \"1gb\"\n"
    ));
    assert!(matches!(e, InventoryError::Field { group: 2, .. }), "{e:?}");
    let source = std::error::Error::source(&e).map(ToString::to_string);
    assert!(source.is_some_and(|s| s.contains("ncpus")), "{e:?}");

    let e = error_of(&format!("{GOOD}ncores = 3\n"));
    assert!(matches!(e, InventoryError::Field { group: 1, .. }), "{e:?}");

    let e = error_of("[[group]]\nprefix = \"n\"\nncpus = 1\nmem = \"1gb\"\n");
    assert!(
        matches!(
            e,
            InventoryError::Missing {
                group: 1,
                field: "count",
                with: "prefix"
            }
        ),
        "{e:?}"
    );

    let e = error_of("[[group]]\nncpus = 1\nmem = \"1gb\"\n");
    assert!(matches!(e, InventoryError::Naming { group: 1 }), "{e:?}");
    let e =
        error_of("[[group]]\nname = \"a\"\nprefix = \"n\"\ncount = 1\nncpus = 1\nmem = \"1gb\"\n");
    assert!(matches!(e, InventoryError::Naming { group: 1 }), "{e:?}");

    let e = error_of("[[group]]\nname = \"a\"\ncount = 1\nncpus = 1\nmem = \"1gb\"\n");
    assert!(
        matches!(
            e,
            InventoryError::Conflict {
                group: 1,
                field: "count",
                with: "name"
            }
        ),
        "{e:?}"
    );

    let e = error_of(&format!("{GOOD}[group.attributes]\nspeed = 2.5\n"));
    assert!(
        matches!(&e, InventoryError::BadAttribute { group: 1, name } if name == "speed"),
        "{e:?}"
    );

    let e = error_of("[[group]]\nprefix = \"n\"\ncount = 4000000000\nncpus = 1\nmem = \"1gb\"\n");
    assert!(
        matches!(e, InventoryError::TooLarge { group: 1, .. }),
        "{e:?}"
    );
}

#[test]
fn duplicate_names_are_errors() {
    let text = format!(
        "{GOOD}[[group]]\nprefix = \"node\"\nfirst = 2\ncount = 1\nncpus = 8\nmem = \"8gb\"\n"
    );
    let e = error_of(&text);
    assert!(
        matches!(&e, InventoryError::DuplicateName { group: 2, first_group: 1, name } if name == "node0002"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "group 2: node node0002 is already defined by group 1"
    );

    let text = format!("{GOOD}[[group]]\nname = \"node0001\"\nncpus = 8\nmem = \"8gb\"\n");
    assert!(matches!(
        error_of(&text),
        InventoryError::DuplicateName { group: 2, .. }
    ));
}

#[test]
fn whole_file_errors() {
    assert!(matches!(error_of(""), InventoryError::Empty));
    assert!(matches!(error_of("[[group"), InventoryError::Syntax { .. }));
    assert!(matches!(
        error_of("[group]\nprefix = \"n\"\n"),
        InventoryError::Syntax { .. }
    ));
    assert!(matches!(
        error_of("nodes = 3\n"),
        InventoryError::Syntax { .. }
    ));
}

#[test]
fn from_file_reads_and_reports_the_path() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cluster.toml");
    std::fs::write(&path, Inventory::palmetto_with_nodes(50).to_toml_string())?;
    assert_eq!(
        Inventory::from_file(&path)?,
        Inventory::palmetto_with_nodes(50)
    );

    let missing = dir.path().join("missing.toml");
    let e = Inventory::from_file(&missing).err();
    assert!(
        matches!(&e, Some(InventoryError::Read { path, .. }) if *path == missing),
        "{e:?}"
    );
    Ok(())
}

fn arb_node_name() -> impl Strategy<Value = String> {
    prop_oneof![
        ("[a-z]{0,3}", 0u64..20_000).prop_map(|(p, i)| format!("{p}{i:04}")),
        "[a-z][a-z0-9-]{0,6}",
    ]
}

fn arb_node() -> impl Strategy<Value = NodeDef> {
    (
        arb_node_name(),
        1u32..4,
        prop_oneof![Just(4 * 1024 * 1024), 1u64..3],
        0u32..2,
        0i32..2,
        proptest::collection::btree_map("[a-z_]{1,4}", "[ -~]{0,5}", 0..2),
    )
        .prop_map(
            |(name, ncpus, mem_kb, ngpus, priority, attributes)| NodeDef {
                name,
                ncpus,
                mem_kb,
                ngpus,
                priority,
                attributes,
            },
        )
}

proptest! {
    #[test]
    fn apportion_sums_to_total_and_stays_within_one(
        weights in proptest::collection::vec(0u32..500, 1..40),
        total in 0u32..10_000,
    ) {
        let parts = apportion(weights.iter().copied(), total);
        let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if sum == 0 {
            prop_assert!(parts.iter().all(|&p| p == 0));
        } else {
            prop_assert_eq!(parts.iter().map(|&p| u64::from(p)).sum::<u64>(), u64::from(total));
            for (w, p) in weights.iter().zip(&parts) {
                let exact = f64::from(*w) * f64::from(total) / sum as f64;
                prop_assert!((f64::from(*p) - exact).abs() < 1.0);
            }
        }
    }

    #[test]
    fn any_inventory_round_trips(nodes in proptest::collection::vec(arb_node(), 1..30)) {
        let mut seen = BTreeSet::new();
        let nodes: Vec<NodeDef> = nodes.into_iter().filter(|n| seen.insert(n.name.clone())).collect();
        let inv = Inventory { nodes };
        let text = inv.to_toml_string();
        prop_assert_eq!(Inventory::from_toml_str(&text).ok(), Some(inv), "{}", text);
    }

    #[test]
    fn parsing_never_panics(text in "[\\[\\]a-z=\" 0-9\n.]{0,200}") {
        let _ = Inventory::from_toml_str(&text);
    }
}
