//! A (re)starting hub: every server from the database, `Restarted` fed to each, and the
//! proxy's table reconciled with the running servers.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Map};

use super::core::{route_data, Entry, Inner};
use super::HubRoute;
use crate::db::{DbError, ServerRecord};
use crate::proxy_client::{plan, Wanted};
use crate::spawner::{wanted_routes, Event, ServerKey, ServerState};

/// Users read per database page while loading.
const PAGE: u64 = 500;

pub(super) async fn resume(
    inner: &Arc<Inner>,
    hub_route: Option<&HubRoute>,
) -> Result<(), DbError> {
    // `servers_with_jobs` misses waiting and submitting servers, which hold no job yet but
    // must be re-adopted too (the job of a submit cut short is looked up): read every
    // user's.
    let mut offset = 0;
    loop {
        let users = inner.db.list_users(offset, PAGE).await?;
        for user in &users {
            for record in inner.db.list_servers(&user.name).await? {
                let (key, entry) = entry_of(record);
                inner.insert(key, entry);
            }
        }
        if (users.len() as u64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    let keys: Vec<ServerKey> = inner.snapshot().into_keys().collect();
    tracing::info!(servers = keys.len(), "re-adopting servers");
    for key in &keys {
        let applied = inner.apply(key, Event::Restarted, None).await?;
        // A server that reported while the hub was waiting for it to answer: wait again
        // (it will not report a second time).
        if let Some(ServerState::Starting {
            reported: Some(address),
            ..
        }) = applied.map(|a| a.state)
        {
            if inner.config.wait_until_answering {
                inner.wait_until_answering(key.clone(), address.host, address.port);
            }
        }
    }
    inner.refresh_progress();
    reconcile_routes(inner, hub_route).await;
    inner.admit().await;
    Ok(())
}

/// A stored server as the shell keeps it. A state that does not read back is logged and
/// taken as stopped: nothing can be done for a job the hub cannot describe, and the row's
/// `job_id` still names it for an operator.
fn entry_of(record: ServerRecord) -> (ServerKey, Entry) {
    let key = ServerKey::new(record.user, record.name);
    let empty = record.state.as_object().is_some_and(Map::is_empty);
    let state = if empty {
        ServerState::new()
    } else {
        serde_json::from_value(record.state).unwrap_or_else(|e| {
            tracing::error!(server = %key, job = ?record.job_id, error = %e, "unreadable spawner state, taken as stopped");
            ServerState::new()
        })
    };
    let options = serde_json::from_value(record.user_options).unwrap_or_default();
    let job_started = match &state {
        ServerState::Starting { since, .. } => Some(*since),
        _ => None,
    };
    let last_job = state.job().cloned().or(record.job_id);
    let entry = Entry {
        state,
        options,
        started: record.started,
        job_started,
        last_job,
    };
    (key, entry)
}

/// Adds the running servers' routes the proxy lacks and deletes those of servers that no
/// longer run; routes of servers still starting are left alone.
pub(super) async fn reconcile_routes(inner: &Arc<Inner>, hub_route: Option<&HubRoute>) {
    let snapshot = inner.snapshot();
    let states = || snapshot.iter().map(|(key, entry)| (key, &entry.state));
    let mut wanted: BTreeMap<String, Wanted> = wanted_routes(states())
        .into_iter()
        .map(|(key, target)| {
            let want = Wanted {
                target,
                data: route_data(&key),
            };
            (inner.prefix(&key), want)
        })
        .collect();
    if let Some(hub) = hub_route {
        let data = json!({"hub": true})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let want = Wanted {
            target: hub.target.clone(),
            data,
        };
        wanted.insert(hub.spec.clone(), want);
    }
    let pending: Vec<String> = states()
        .filter(|(_, state)| state.is_spawning())
        .map(|(key, _)| inner.prefix(key))
        .collect();
    let actual = match inner.proxy.routes().await {
        Ok(actual) => actual,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the proxy's routes; not reconciled");
            return;
        }
    };
    // Only user-server routes (and the hub's, when given) are ours to delete: services'
    // routes are someone else's.
    let actual = actual
        .into_iter()
        .filter(|(spec, route)| {
            route.data.contains_key("user") || hub_route.is_some_and(|hub| hub.spec == *spec)
        })
        .collect();
    let changes = plan(&wanted, &actual, &pending);
    for (spec, want) in &changes.add {
        tracing::info!(route = %spec, target = %want.target, "re-adding a route");
        if let Err(e) = inner.proxy.add_route(spec, &want.target, &want.data).await {
            tracing::warn!(route = %spec, error = %e, "could not add a route");
        }
    }
    for spec in &changes.delete {
        tracing::info!(route = %spec, "deleting a stale route");
        if let Err(e) = inner.proxy.delete_route(spec).await {
            tracing::warn!(route = %spec, error = %e, "could not delete a route");
        }
    }
}
