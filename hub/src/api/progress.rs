//! `GET /hub/api/users/{name}/server/progress` and `/servers/{server}/progress`: spawn
//! progress as Server-Sent Events (`data: {json}` per event), ending after a ready or
//! failed event.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::watch;

use super::auth::Caller;
use super::error::ApiError;
use super::scopes::Target;
use super::users::find_user;
use super::ApiState;
use crate::spawner::progress::ProgressEvent;

/// JupyterHub sends a keep-alive every 8 s so proxies do not close an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(8);

/// The default server's stream.
pub async fn default_server(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    progress(state, caller, name, String::new()).await
}

/// A named server's stream.
pub async fn named_server(
    State(state): State<ApiState>,
    caller: Caller,
    Path((name, server)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    progress(state, caller, name, server).await
}

async fn progress(
    state: ApiState,
    caller: Caller,
    name: String,
    server: String,
) -> Result<Response, ApiError> {
    let target = Target::Server {
        user: name.clone(),
        server: server.clone(),
    };
    caller.require(&["read:servers"], &target)?;
    find_user(&state, &name).await?;
    let view = state
        .control
        .server(&name, &server)
        .await
        .ok_or_else(ApiError::not_found)?;
    let mut receiver = state
        .control
        .progress(&name, &server)
        .ok_or_else(ApiError::not_found)?;
    let current = receiver.borrow_and_update().clone();
    let (first, follow) = if view.ready() {
        // Already up: only the ready event, as JupyterHub.
        let ready = if current.ready {
            current
        } else {
            let url = view.url.clone().unwrap_or_default();
            ProgressEvent {
                progress: Some(100),
                message: format!("Server ready at {url}"),
                ready: true,
                failed: false,
                url: Some(url),
            }
        };
        (vec![ready], None)
    } else if view.pending() == Some("spawn") {
        let requested = ProgressEvent {
            progress: Some(0),
            message: "Server requested".to_string(),
            ready: false,
            failed: false,
            url: None,
        };
        (vec![requested, current], Some(receiver))
    } else if current.failed {
        // A spawn that just failed: say why, once.
        (vec![current], None)
    } else {
        return Err(ApiError::bad_request(format!(
            "{name}'s server is not starting"
        )));
    };
    let events = follow_events(first.into(), follow);
    let sse = stream::StreamExt::map(events, |event| {
        let json = serde_json::to_string(&event).expect("a progress event serializes");
        Ok::<_, Infallible>(Event::default().data(json))
    });
    Ok(Sse::new(sse)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// The queued events, then each new one from `receiver`, ending after the first final event
/// or when the spawner drops the sender.
fn follow_events(
    queue: VecDeque<ProgressEvent>,
    receiver: Option<watch::Receiver<ProgressEvent>>,
) -> impl futures_util::Stream<Item = ProgressEvent> {
    stream::unfold((queue, receiver), |(mut queue, receiver)| async move {
        if let Some(event) = queue.pop_front() {
            let receiver = if event.is_final() { None } else { receiver };
            return Some((event, (queue, receiver)));
        }
        let mut receiver = receiver?;
        receiver.changed().await.ok()?;
        let event = receiver.borrow_and_update().clone();
        let receiver = (!event.is_final()).then_some(receiver);
        Some((event, (queue, receiver)))
    })
}
