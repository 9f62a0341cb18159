//! What to change in the proxy so that it routes exactly what the hub knows: the hub route,
//! every ready server, every service — as JupyterHub's `check_routes` does, at start and
//! periodically, so that a proxy that restarted empty is caught up.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::client::Route;

/// A route the hub wants.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    /// Its target.
    pub target: String,
    /// Its data (`{"user": …, "server_name": …}`, `{"hub": true}`, `{"service": …}`).
    pub data: Map<String, Value>,
}

/// The changes to make, adds first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Routes to add or replace (missing, or pointing elsewhere).
    pub add: Vec<(String, Wanted)>,
    /// Routes of ours the hub no longer wants.
    pub delete: Vec<String>,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.delete.is_empty()
    }
}

/// The plan taking the proxy's `actual` routes (ours only, as [`super::ProxyClient::routes`]
/// lists them) to `wanted`. `pending` holds the specs of servers still starting: a route the
/// proxy already has for one of them is left alone (JupyterHub counts them as good).
pub fn plan(
    wanted: &BTreeMap<String, Wanted>,
    actual: &BTreeMap<String, Route>,
    pending: &[String],
) -> Plan {
    let mut plan = Plan::default();
    for (spec, want) in wanted {
        let fine = actual.get(spec).is_some_and(|r| r.target == want.target);
        if !fine {
            plan.add.push((spec.clone(), want.clone()));
        }
    }
    for spec in actual.keys() {
        if !wanted.contains_key(spec) && !pending.contains(spec) {
            plan.delete.push(spec.clone());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn want(target: &str) -> Wanted {
        Wanted {
            target: target.into(),
            data: json!({"user": "x"}).as_object().unwrap().clone(),
        }
    }

    fn route(target: &str) -> Route {
        Route {
            target: target.into(),
            data: Map::new(),
            last_activity: None,
        }
    }

    #[test]
    fn missing_and_moved_routes_are_added_stale_ones_deleted_pending_ones_kept() {
        let wanted = BTreeMap::from([
            ("/".to_string(), want("http://hub:8081")),
            ("/user/a/".to_string(), want("http://n1:1000")),
            ("/user/b/".to_string(), want("http://n2:2000")),
        ]);
        let actual = BTreeMap::from([
            ("/".to_string(), route("http://hub:8081")),
            ("/user/b/".to_string(), route("http://old:2000")),
            ("/user/gone/".to_string(), route("http://n3:3000")),
            ("/user/starting/".to_string(), route("http://n4:4000")),
        ]);
        let plan = plan(&wanted, &actual, &["/user/starting/".to_string()]);
        let added: Vec<&str> = plan.add.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(added, ["/user/a/", "/user/b/"]);
        assert_eq!(plan.delete, ["/user/gone/"]);
    }

    proptest! {
        /// Applying the plan to the actual table gives exactly the wanted routes (plus the
        /// pending ones the proxy had).
        #[test]
        fn applying_the_plan_converges(
            wanted in proptest::collection::btree_map("/user/[a-e]/", "http://n[0-3]:1", 0..6),
            actual in proptest::collection::btree_map("/user/[a-h]/", "http://n[0-3]:1", 0..8),
            pending in proptest::collection::vec("/user/[f-h]/", 0..3),
        ) {
            let wanted: BTreeMap<String, Wanted> = wanted.into_iter().map(|(k, t)| (k, want(&t))).collect();
            let mut table: BTreeMap<String, Route> = actual.into_iter().map(|(k, t)| (k, route(&t))).collect();
            let p = plan(&wanted, &table, &pending);
            for (spec, w) in &p.add {
                table.insert(spec.clone(), route(&w.target));
            }
            for spec in &p.delete {
                table.remove(spec);
            }
            for (spec, w) in &wanted {
                prop_assert_eq!(&table[spec].target, &w.target);
            }
            for spec in table.keys() {
                prop_assert!(wanted.contains_key(spec) || pending.contains(spec));
            }
            prop_assert!(plan(&wanted, &table, &pending).is_empty(), "a second pass has nothing to do");
        }
    }
}
