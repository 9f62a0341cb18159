//! The proxy as the runner plays it: a route table that is lost when the proxy restarts
//! (a proxy without persistence, the worst case for the hub).

use std::collections::BTreeMap;

/// The proxy's state.
#[derive(Debug)]
pub struct ProxySim {
    /// Whether it answers.
    pub up: bool,
    /// Route spec → target.
    pub routes: BTreeMap<String, String>,
}

impl Default for ProxySim {
    fn default() -> Self {
        ProxySim {
            up: true,
            routes: BTreeMap::new(),
        }
    }
}

impl ProxySim {
    /// Goes down and forgets every route.
    pub fn crash(&mut self) {
        self.up = false;
        self.routes.clear();
    }
}
