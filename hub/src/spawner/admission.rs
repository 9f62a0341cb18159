//! The concurrent-spawn limit as a line, not a 429: [`admit`] picks the waiting servers that
//! may submit now, [`waiting_positions`] tells the others their place.

use std::collections::BTreeMap;

use super::config::SpawnerConfig;
use super::poll::Position;
use super::state::{ServerKey, ServerState};

/// Whether a server holds one of the concurrent-spawn slots: a submit in flight (or the
/// lookup of one cut short by a restart), or a running job whose server has not reported
/// yet. Queued jobs hold none (see
/// [`SpawnerConfig::concurrent_spawn_limit`]).
pub fn holds_spawn_slot(state: &ServerState) -> bool {
    matches!(
        state,
        ServerState::Submitting { .. }
            | ServerState::Adopting { .. }
            | ServerState::Starting { .. }
            | ServerState::Stopping { job: None, .. }
    )
}

/// The waiting servers that may be sent [`Event::Admitted`](super::Event::Admitted) now,
/// first come first served.
pub fn admit<'a>(
    servers: impl IntoIterator<Item = (&'a ServerKey, &'a ServerState)>,
    config: &SpawnerConfig,
) -> Vec<ServerKey> {
    let servers: Vec<_> = servers.into_iter().collect();
    let line = waiting_line(servers.iter().copied());
    let free = match config.concurrent_spawn_limit {
        None => line.len(),
        Some(limit) => {
            let busy = servers.iter().filter(|(_, s)| holds_spawn_slot(s)).count();
            limit.saturating_sub(busy)
        }
    };
    line.into_iter().take(free).collect()
}

/// Each waiting server's place in the line.
pub fn waiting_positions<'a>(
    servers: impl IntoIterator<Item = (&'a ServerKey, &'a ServerState)>,
) -> BTreeMap<ServerKey, Position> {
    let line = waiting_line(servers);
    let of = line.len();
    line.into_iter()
        .enumerate()
        .map(|(i, key)| {
            (
                key,
                Position {
                    position: i + 1,
                    of,
                },
            )
        })
        .collect()
}

/// The waiting servers, in order of their request (then by key, so ties are stable).
fn waiting_line<'a>(
    servers: impl IntoIterator<Item = (&'a ServerKey, &'a ServerState)>,
) -> Vec<ServerKey> {
    let mut line: Vec<_> = servers
        .into_iter()
        .filter_map(|(key, state)| match state {
            ServerState::Waiting { since } => Some((*since, key.clone())),
            _ => None,
        })
        .collect();
    line.sort();
    line.into_iter().map(|(_, key)| key).collect()
}
