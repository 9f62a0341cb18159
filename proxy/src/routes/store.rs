//! The live routing table: longest-prefix lookup for the data plane, changes and listings
//! for the route API.
//!
//! Two indexes of the same routes, each shaped for its readers:
//!
//! - **Lookups** (every proxied request) read a concurrent hash map ([`papaya`]) without a
//!   lock: they never wait for the API, whatever it is doing or however large the table.
//! - **The API** (one call at a time from the hub) owns a [`BTreeMap`] behind a mutex that
//!   lookups never take. A change updates both in place; a listing or the routes file
//!   copies the B-tree's pointers, in key order, under the mutex: a consistent view.
//!
//! The table used to be one persistent B-tree published whole through an `ArcSwap` after
//! each change. Each add then copied a path of 64-entry nodes, with a reference-count
//! increment for every entry copied and a decrement for every entry of the old path freed:
//! 2.2 µs per add and 2.0 per remove in a warm loop, against 0.5 and 0.4 now (BENCHMARKS.md,
//! hub-proxy). Lookups do not
//! need a snapshot of the whole table, only each key's current route; the API, which wants
//! whole views, is serialised anyway.
//!
//! A watch channel carries a version number so the routes file can follow changes without
//! being on the write path.

use super::path::{self, route_key};
use super::route::Route;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::watch;

/// The live table plus change notification.
#[derive(Debug)]
pub struct RouteStore {
    /// Every route by key, for lookups.
    lookup: papaya::HashMap<Arc<str>, Arc<Route>>,
    /// The same routes, for the API; its lock serialises writers.
    api: Mutex<ApiIndex>,
    /// One more than the deepest route's depth (0: no routes): lookups skip candidates
    /// deeper than any route. Raised before a deeper route is inserted and lowered after
    /// the last one at a depth is removed, so a lookup that can see a route also tries
    /// its depth.
    depth_limit: AtomicUsize,
    version: watch::Sender<u64>,
}

/// What only writers and listings touch.
#[derive(Debug, Default)]
struct ApiIndex {
    by_key: BTreeMap<Arc<str>, Arc<Route>>,
    /// `[d]`: how many routes have `d` segments.
    depth_counts: Vec<usize>,
}

impl Default for RouteStore {
    fn default() -> Self {
        Self {
            // A resize is finished by the write that starts it (copying 10,000 routes
            // takes well under a millisecond), rather than spread over later writes while
            // lookups search both tables.
            lookup: papaya::HashMap::builder()
                .resize_mode(papaya::ResizeMode::Blocking)
                .build(),
            api: Mutex::default(),
            depth_limit: AtomicUsize::new(0),
            version: watch::Sender::new(0),
        }
    }
}

impl RouteStore {
    /// A store holding `routes` (keys in any form; they are normalised).
    pub fn with_routes(routes: impl IntoIterator<Item = (String, Route)>) -> Self {
        let store = Self::default();
        for (path, route) in routes {
            store.add(&path, route);
        }
        store
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.lookup.len()
    }

    /// True when there are no routes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The route stored at exactly `key` (normalised by [`route_key`]).
    pub fn get(&self, key: &str) -> Option<Arc<Route>> {
        self.lookup.pin().get(key).cloned()
    }

    /// The route with the longest key that is a whole-segment prefix of `request_key` (a
    /// normalised request path), and how many segments that key has.
    pub fn lookup(&self, request_key: &str) -> Option<(usize, Arc<Route>)> {
        let max_depth = self.depth_limit.load(Ordering::Acquire).checked_sub(1)?;
        let routes = self.lookup.pin();
        path::prefixes(request_key, max_depth).find_map(|candidate| {
            routes
                .get(candidate)
                .map(|route| (path::depth(candidate), Arc::clone(route)))
        })
    }

    /// Every route, in key order: a consistent view, to render at leisure. The writers'
    /// lock is held only to copy the pointers (a fraction of a millisecond for 10,000
    /// routes), so an API call on another thread is not held up by a listing or by the
    /// routes file being rendered.
    pub fn list(&self) -> Vec<(Arc<str>, Arc<Route>)> {
        let api = self.lock_api();
        api.by_key
            .iter()
            .map(|(k, r)| (Arc::clone(k), Arc::clone(r)))
            .collect()
    }

    /// Adds or replaces the route at `path` (any form; it is normalised).
    pub fn add(&self, path: &str, route: Route) {
        self.add_key(route_key(path), route);
    }

    /// Adds or replaces the route at `key`, already normalised by [`route_key`].
    pub fn add_key(&self, key: String, route: Route) {
        debug_assert_eq!(key, route_key(&key));
        let depth = path::depth(&key);
        let (key, route): (Arc<str>, _) = (key.into(), Arc::new(route));
        let mut api = self.lock_api();
        let replaced = api
            .by_key
            .insert(Arc::clone(&key), Arc::clone(&route))
            .is_some();
        if !replaced {
            let counts = &mut api.depth_counts;
            if counts.len() <= depth {
                counts.resize(depth + 1, 0);
                self.depth_limit.store(counts.len(), Ordering::Release);
            }
            counts[depth] += 1;
        }
        self.lookup.pin().insert(key, route);
        drop(api);
        self.changed();
    }

    /// Removes the route at `path` (any form); false if there was none.
    pub fn remove(&self, path: &str) -> bool {
        let key = route_key(path);
        let mut api = self.lock_api();
        if api.by_key.remove(key.as_str()).is_none() {
            return false;
        }
        self.lookup.pin().remove(key.as_str());
        let counts = &mut api.depth_counts;
        counts[path::depth(&key)] -= 1;
        while counts.last() == Some(&0) {
            counts.pop();
        }
        self.depth_limit.store(counts.len(), Ordering::Release);
        drop(api);
        self.changed();
        true
    }

    /// A receiver that sees the version bump after every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn lock_api(&self) -> MutexGuard<'_, ApiIndex> {
        // Nothing in a writer's critical section panics (the counts index by depths they
        // hold), so a lock poisoned by a panic elsewhere still guards a true index.
        self.api.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}
