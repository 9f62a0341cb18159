//! [`place_in_line`]: one server's place in its line, without building every place.
//!
//! The same answer as [`waiting_positions`](super::waiting_positions) (a waiting server) or
//! [`queue_positions`](super::queue_positions) (a queued job) give for that server, in one
//! pass and without copying the others: a view of one server during a spawn storm must not
//! cost a sort of every server (listing 2,000 users would be quadratic).

use super::poll::Position;
use super::state::{ServerKey, ServerState};

/// `key`'s place in its line, given every server's state (`key`'s own among them or not);
/// `None` for a server in no line (neither waiting nor queued).
pub fn place_in_line<'a>(
    key: &ServerKey,
    state: &ServerState,
    servers: impl IntoIterator<Item = (&'a ServerKey, &'a ServerState)>,
) -> Option<Position> {
    match state {
        ServerState::Waiting { since } => {
            let me = (since, key);
            let (mut ahead, mut of) = (0, 0);
            for (other, state) in servers {
                if let ServerState::Waiting { since } = state {
                    of += 1;
                    ahead += usize::from((since, other) < me);
                }
            }
            Some(Position {
                position: ahead + 1,
                of: of.max(ahead + 1),
            })
        }
        ServerState::Queued {
            job, since, info, ..
        } => {
            let me = (info.queued_at.unwrap_or(*since), job, key);
            let (mut ahead, mut of) = (0, 0);
            for (other, state) in servers {
                if let ServerState::Queued {
                    job,
                    since,
                    info: other_info,
                    ..
                } = state
                {
                    if other_info.queue != info.queue {
                        continue;
                    }
                    of += 1;
                    ahead += usize::from((other_info.queued_at.unwrap_or(*since), job, other) < me);
                }
            }
            Some(Position {
                position: ahead + 1,
                of: of.max(ahead + 1),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use drivers::JobId;

    use super::*;
    use crate::spawner::state::QueueInfo;
    use crate::spawner::{queue_positions, waiting_positions};

    fn at(s: i64) -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    fn queued(job: &str, since: i64, queue: Option<&str>, queued_at: Option<i64>) -> ServerState {
        ServerState::Queued {
            job: JobId::new(job).unwrap(),
            since: at(since),
            info: QueueInfo {
                queue: queue.map(str::to_string),
                queued_at: queued_at.map(at),
                ..QueueInfo::default()
            },
            query_error: None,
        }
    }

    #[test]
    fn every_place_is_the_one_the_full_lines_give() {
        let servers: Vec<(ServerKey, ServerState)> = vec![
            (
                ServerKey::new("a", ""),
                ServerState::Waiting { since: at(5) },
            ),
            (
                ServerKey::new("b", ""),
                ServerState::Waiting { since: at(1) },
            ),
            // A tie on time: the key decides.
            (
                ServerKey::new("c", ""),
                ServerState::Waiting { since: at(5) },
            ),
            (
                ServerKey::new("d", ""),
                queued("12.pbs", 3, Some("workq"), None),
            ),
            (
                ServerKey::new("e", ""),
                queued("11.pbs", 9, Some("workq"), Some(2)),
            ),
            (
                ServerKey::new("f", ""),
                queued("13.pbs", 1, Some("gpu"), None),
            ),
            (
                ServerKey::new("g", ""),
                queued("14.pbs", 3, Some("workq"), None),
            ),
            (ServerKey::new("h", ""), ServerState::new()),
        ];
        let all = || servers.iter().map(|(k, s)| (k, s));
        let waiting = waiting_positions(all());
        let queued = queue_positions(all());
        for (key, state) in &servers {
            let expected = waiting.get(key).or_else(|| queued.get(key)).copied();
            assert_eq!(place_in_line(key, state, all()), expected, "{key}");
        }
        assert_eq!(
            place_in_line(&servers[2].0, &servers[2].1, all()),
            Some(Position { position: 3, of: 3 })
        );
        assert_eq!(place_in_line(&servers[7].0, &servers[7].1, all()), None);
    }

    #[test]
    fn a_server_not_yet_among_the_others_counts_itself() {
        let key = ServerKey::new("z", "");
        let state = ServerState::Waiting { since: at(0) };
        let none: Vec<(ServerKey, ServerState)> = Vec::new();
        assert_eq!(
            place_in_line(&key, &state, none.iter().map(|(k, s)| (k, s))),
            Some(Position { position: 1, of: 1 })
        );
    }
}
