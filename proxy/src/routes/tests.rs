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
                    let snap = store.snapshot();
                    let got = snap.lookup(&route_key(&p)).map(|(_, r)| value_of(r));
                    prop_assert_eq!(got, model.lookup(&p), "lookup {}", p);
                }
            }
            prop_assert_eq!(store.snapshot().len(), model.len());
        }
    }
}

#[test]
fn a_snapshot_is_unaffected_by_later_writes() {
    let store = RouteStore::default();
    store.add("/user/alice", route(1));
    let before = store.full();
    store.remove("/user/alice");
    store.add("/user/bob", route(2));
    assert!(before.get("/user/alice").is_some());
    assert!(before.get("/user/bob").is_none());
    assert!(store.snapshot().get("/user/alice").is_none());
}

#[test]
fn segment_boundaries_are_respected() {
    let store = RouteStore::default();
    store.add("/user/alice", route(1));
    store.add("/", route(0));
    let t = store.snapshot();
    assert_eq!(
        t.lookup("/user/alice/lab").map(|(k, _)| k),
        Some("/user/alice")
    );
    assert_eq!(t.lookup("/user/alicex").map(|(k, _)| k), Some("/"));
    assert_eq!(t.lookup("/user").map(|(k, _)| k), Some("/"));
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
