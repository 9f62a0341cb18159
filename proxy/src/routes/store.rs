//! The live routing table.
//!
//! Readers (every proxied request) load the current snapshot from an [`ArcSwap`]: no lock,
//! no waiting, whatever the API is doing. Writers serialise on a mutex that only writers
//! take, build the next snapshot by copy-on-write and publish it. A watch channel carries a
//! version number so the routes file can follow changes without being on the write path.

use super::path::route_key;
use super::route::Route;
use super::table::RouteTable;
use arc_swap::{ArcSwap, Guard};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// The live table plus change notification.
#[derive(Debug)]
pub struct RouteStore {
    current: ArcSwap<RouteTable>,
    writer: Mutex<()>,
    version: watch::Sender<u64>,
}

impl Default for RouteStore {
    fn default() -> Self {
        Self::new(RouteTable::new())
    }
}

impl RouteStore {
    /// A store starting from `table`.
    pub fn new(table: RouteTable) -> Self {
        Self {
            current: ArcSwap::from_pointee(table),
            writer: Mutex::new(()),
            version: watch::Sender::new(0),
        }
    }

    /// The current snapshot, for a lookup. Cheap; hold it only briefly.
    pub fn snapshot(&self) -> Guard<Arc<RouteTable>> {
        self.current.load()
    }

    /// The current snapshot as an owned `Arc`, to serialise at leisure.
    pub fn full(&self) -> Arc<RouteTable> {
        self.current.load_full()
    }

    /// Adds or replaces the route at `path` (any form; it is normalised).
    pub fn add(&self, path: &str, route: Route) {
        let key = route_key(path);
        self.write(|t| {
            t.insert(&key, Arc::new(route));
            true
        });
    }

    /// Adds or replaces the route at `key`, already normalised by [`route_key`].
    pub fn add_key(&self, key: String, route: Route) {
        debug_assert_eq!(key, route_key(&key));
        self.write(|t| {
            t.insert(&key, Arc::new(route));
            true
        });
    }

    /// Removes the route at `path`; false if there was none.
    pub fn remove(&self, path: &str) -> bool {
        let key = route_key(path);
        self.write(|t| t.remove(&key).is_some())
    }

    /// A receiver that sees the version bump after every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn write(&self, change: impl FnOnce(&mut RouteTable) -> bool) -> bool {
        // The guard protects no data of its own (the table is in the ArcSwap); a panic in
        // another writer leaves nothing half-done, so a poisoned lock is safe to take.
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = RouteTable::clone(&self.current.load());
        let changed = change(&mut next);
        if changed {
            self.current.store(Arc::new(next));
            self.version.send_modify(|v| *v += 1);
        }
        changed
    }
}
