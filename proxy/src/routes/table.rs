//! An immutable routing table with longest-prefix lookup.
//!
//! Built on a persistent ordered map: cloning the table is `O(1)` and an insert or a
//! remove copies only `O(log n)` nodes, so the store can publish a fresh snapshot for every
//! API write without copying 10,000 routes. Ordered keys also make listings and the routes
//! file deterministic.

use super::path;
use super::route::Route;
use imbl::OrdMap;
use std::sync::Arc;

/// A snapshot of every route, keyed by [`path::route_key`].
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: OrdMap<Arc<str>, Arc<Route>>,
    /// `depth_counts[d]` routes have `d` segments; lookups skip deeper candidates.
    depth_counts: Vec<usize>,
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when there are no routes.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Adds or replaces the route at `key` (already normalised), returning the old one.
    pub fn insert(&mut self, key: &str, route: Arc<Route>) -> Option<Arc<Route>> {
        let old = self.routes.insert(Arc::from(key), route);
        if old.is_none() {
            let d = path::depth(key);
            if self.depth_counts.len() <= d {
                self.depth_counts.resize(d + 1, 0);
            }
            self.depth_counts[d] += 1;
        }
        old
    }

    /// Removes the route at `key` (already normalised).
    pub fn remove(&mut self, key: &str) -> Option<Arc<Route>> {
        let old = self.routes.remove(key)?;
        let d = path::depth(key);
        self.depth_counts[d] -= 1;
        while self.depth_counts.last() == Some(&0) {
            self.depth_counts.pop();
        }
        Some(old)
    }

    /// The route stored at exactly `key`.
    pub fn get(&self, key: &str) -> Option<&Arc<Route>> {
        self.routes.get(key)
    }

    /// The route with the longest key that is a whole-segment prefix of `request_key`
    /// (a normalised request path), with that key.
    pub fn lookup<'a>(&'a self, request_key: &str) -> Option<(&'a str, &'a Arc<Route>)> {
        let max_depth = self.depth_counts.len().checked_sub(1)?;
        path::prefixes(request_key, max_depth)
            .find_map(|candidate| self.routes.get_key_value(candidate).map(|(k, r)| (&**k, r)))
    }

    /// Every route in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<Route>)> {
        self.routes.iter().map(|(k, r)| (&**k, r))
    }
}
