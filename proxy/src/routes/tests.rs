//! The table against the naive model over random adds, deletes and lookups.

use super::model::Model;
use super::path::route_key;
use super::{Route, RouteStore};
use proptest::prelude::*;

fn route(value: u32) -> Route {
    let mut data = serde_json::Map::new();
    data.insert("target".into(), format!("http://h:{}", value + 1).into());
    data.insert("v".into(), value.into());
    Route::new(data, 0).expect("valid route")
}

fn value_of(r: &Route) -> u32 {
    let port = r
        .target()
        .authority()
        .port_u16()
        .expect("test targets have ports");
    u32::from(port) - 1
}

/// Paths over a tiny alphabet, so that adds, lookups and deletes collide often, with the
/// slash variants clients send (leading, trailing, none).
fn path() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop::sample::select(vec!["a", "b", "ab", "user", "x"]),
            0..5,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(segs, lead, trail)| {
            let mut p = segs.join("/");
            if lead || p.is_empty() {
                p.insert(0, '/');
            }
            if trail && !p.ends_with('/') {
                p.push('/');
            }
            p
        })
}

#[derive(Debug, Clone)]
enum Op {
    Add(String, u32),
    Remove(String),
    Lookup(String),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (path(), 0u32..1000).prop_map(|(p, v)| Op::Add(p, v)),
        1 => path().prop_map(Op::Remove),
        4 => path().prop_map(Op::Lookup),
    ]
}

proptest! {
    #[test]
    fn table_matches_naive_longest_prefix_model(ops in prop::collection::vec(op(), 1..200)) {
        let store = RouteStore::default();
        let mut model = Model::default();
        for op in ops {
            match op {
                Op::Add(p, v) => {
                    store.add(&p, route(v));
                    model.insert(&p, v);
                }
                Op::Remove(p) => {
                    prop_assert_eq!(store.remove(&p), model.remove(&p), "remove {}", p);
                }
                Op::Lookup(p) => {
                    let got = store.lookup(&route_key(&p)).map(|(_, r)| value_of(&r));
                    prop_assert_eq!(got, model.lookup(&p), "lookup {}", p);
                }
            }
            prop_assert_eq!(store.len(), model.len());
        }
    }
}

#[test]
fn a_listing_is_in_key_order_and_unaffected_by_later_writes() {
    let store = RouteStore::default();
    for (p, v) in [("/user/bob", 2), ("/", 0), ("user/alice/", 1), ("/hub", 3)] {
        store.add(p, route(v));
    }
    store.remove("/hub");
    let listed = store.list();
    store.remove("/user/alice");
    let seen: Vec<(&str, u32)> = listed.iter().map(|(k, r)| (&**k, value_of(r))).collect();
    assert_eq!(seen, [("/", 0), ("/user/alice", 1), ("/user/bob", 2)]);
    assert!(store.get("/user/alice").is_none());
}

#[test]
fn removing_the_deepest_routes_lowers_the_lookup_depth_and_deeper_adds_raise_it() {
    let store = RouteStore::default();
    assert!(store.lookup("/a/b/c").is_none());
    store.add("/a/b/c", route(3));
    store.add("/a", route(1));
    assert_eq!(
        store.lookup("/a/b/c/d").map(|(d, r)| (d, value_of(&r))),
        Some((3, 3))
    );
    assert!(store.remove("/a/b/c"));
    assert_eq!(
        store.lookup("/a/b/c/d").map(|(d, r)| (d, value_of(&r))),
        Some((1, 1))
    );
    store.add("/a/b/c/d/e", route(5));
    assert_eq!(
        store.lookup("/a/b/c/d/e/f").map(|(d, r)| (d, value_of(&r))),
        Some((5, 5))
    );
    assert!(store.remove("/a/b/c/d/e"));
    assert!(store.remove("/a"));
    assert!(store.is_empty());
    assert!(store.lookup("/a").is_none());
}

#[test]
fn replacing_a_route_keeps_one_entry() {
    let store = RouteStore::default();
    store.add("/user/alice", route(1));
    store.add("/user/alice/", route(2));
    assert_eq!(store.len(), 1);
    assert_eq!(store.get("/user/alice").map(|r| value_of(&r)), Some(2));
    assert!(store.remove("user/alice"));
    assert!(store.is_empty());
    assert!(store.lookup("/user/alice").is_none());
}

#[test]
fn lookups_never_wait_for_writers_and_always_see_the_stable_routes() {
    // Readers on other threads while a writer churns 20,000 deep routes: every lookup of a
    // route that exists throughout finds it, and every lookup under a churned prefix finds
    // either the churned route or the stable one above it.
    let store = std::sync::Arc::new(RouteStore::default());
    store.add("/", route(0));
    store.add("/user", route(1));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut lookups = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (depth, r) = store.lookup("/user/u7/lab/tree").expect("stable route");
                    assert!(
                        (depth, value_of(&r)) == (1, 1) || (depth, value_of(&r)) == (2, 7),
                        "{depth} {}",
                        value_of(&r)
                    );
                    assert_eq!(store.lookup("/hub/home").map(|(d, _)| d), Some(0));
                    lookups += 1;
                }
                lookups
            })
        })
        .collect();
    for round in 0..10u32 {
        for i in 0..1000u32 {
            store.add(&format!("/user/u{i}"), route(i));
        }
        for i in 0..1000u32 {
            assert!(store.remove(&format!("/user/u{i}")), "round {round}, u{i}");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().expect("reader") > 0);
    }
    assert_eq!(store.len(), 2);
}

#[test]
fn segment_boundaries_are_respected() {
    let store = RouteStore::default();
    store.add("/user/alice", route(1));
    store.add("/", route(0));
    let found = |p: &str| store.lookup(p).map(|(depth, r)| (depth, value_of(&r)));
    assert_eq!(found("/user/alice/lab"), Some((2, 1)));
    assert_eq!(found("/user/alicex"), Some((0, 0)));
    assert_eq!(found("/user"), Some((0, 0)));
}

#[test]
fn writes_bump_the_version_only_when_something_changed() {
    let store = RouteStore::default();
    let rx = store.subscribe();
    store.add("/a", route(1));
    assert_eq!(*rx.borrow(), 1);
    assert!(!store.remove("/nothing"));
    assert_eq!(*rx.borrow(), 1);
    assert!(store.remove("/a/"));
    assert_eq!(*rx.borrow(), 2);
}
