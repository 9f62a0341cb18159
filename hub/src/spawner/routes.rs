//! What the proxy's route table should hold: exactly the running servers.
//!
//! Transitions add and delete routes as they go ([`Action::AddRoute`](super::Action),
//! [`Action::DeleteRoute`](super::Action)); a hub killed between persisting a transition and
//! deleting a route leaves a stale one behind. At start-up the shell compares the proxy's
//! table with [`wanted_routes`] and deletes the routes of servers not in it (re-adding is
//! done by [`Event::Restarted`](super::Event::Restarted) for each running server).

use std::collections::BTreeMap;

use super::state::{ServerKey, ServerState};

/// Each running server's proxy target.
pub fn wanted_routes<'a>(
    servers: impl IntoIterator<Item = (&'a ServerKey, &'a ServerState)>,
) -> BTreeMap<ServerKey, String> {
    servers
        .into_iter()
        .filter_map(|(key, state)| match state {
            ServerState::Running { url, .. } => Some((key.clone(), url.clone())),
            _ => None,
        })
        .collect()
}
