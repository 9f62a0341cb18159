//! What the running hub does on its own, periodically:
//! - every `proxy.check_interval` (5 s) — is the proxy there? A proxy the hub started that
//!   died is started again; a proxy that answers again after not answering (restarted by
//!   its own service manager, or back from a network outage) may have lost routes or missed
//!   changes: both get the routes reconciled at once;
//! - every `RECONCILE_INTERVAL` — reconcile the routes anyway (a proxy restarted between two
//!   checks);
//! - every `ACTIVITY_INTERVAL` — copy the proxy's per-route `last_activity` to the
//!   servers and users in the database (what the idle culler reads), as JupyterHub does;
//! - every `EXPIRY_INTERVAL` — delete expired sessions, tokens and OAuth codes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::proxy_process::{ProxyChild, ProxyLaunch};
use crate::db::Db;
use crate::proxy_client::ProxyClient;
use crate::spawning::Spawning;

/// How often the routes are reconciled even when the proxy seemed up all along.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// JupyterHub's `last_activity_interval`.
const ACTIVITY_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// How often expired credentials are swept.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// The proxy the hub looks after: the client, and the child it started, if any.
pub(crate) struct ProxyCare {
    pub client: ProxyClient,
    pub launch: Option<ProxyLaunch>,
    pub child: Arc<Mutex<Option<ProxyChild>>>,
    /// `proxy.check_interval`.
    pub check_interval: Duration,
}

/// Runs the periodic work until `stop`.
pub(crate) async fn run(
    db: Db,
    spawning: Arc<Spawning>,
    proxy: ProxyCare,
    clock: crate::api::Clock,
    stop: CancellationToken,
) {
    let mut proxy_check = tokio::time::interval(proxy.check_interval);
    let mut reconcile = tokio::time::interval(RECONCILE_INTERVAL);
    let mut activity = tokio::time::interval(ACTIVITY_INTERVAL);
    let mut expiry = tokio::time::interval(EXPIRY_INTERVAL);
    // The start-up found the proxy up (or logged that it was not).
    let mut was_up = true;
    for timer in [&mut proxy_check, &mut reconcile, &mut activity, &mut expiry] {
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate; the start-up has just done all of this.
        timer.tick().await;
    }
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = proxy_check.tick() => {
                // One ping per check; a proxy started again answers (its start waits for it).
                let answering = super::proxy_process::answers(&proxy.client).await;
                let restarted = restart_if_dead(&proxy, answering).await;
                let up = answering || restarted;
                if up && (restarted || !was_up) {
                    tracing::info!("the proxy answers again; reconciling its routes");
                    spawning.reconcile_routes().await;
                } else if !up && was_up {
                    tracing::warn!("the proxy does not answer; users cannot reach their servers");
                }
                was_up = up;
            }
            _ = reconcile.tick() => spawning.reconcile_routes().await,
            _ = activity.tick() => record_activity(&db, &proxy.client).await,
            _ = expiry.tick() => expire(&db, clock()).await,
        }
    }
}

/// Starts the proxy again if the hub is to run one and it has exited (or, adopted from a
/// previous hub, is not `answering`); whether it did.
async fn restart_if_dead(proxy: &ProxyCare, answering: bool) -> bool {
    let Some(launch) = &proxy.launch else {
        return false;
    };
    let mut child = proxy.child.lock().await;
    let dead = match child.as_mut() {
        Some(running) => running.exited().map(|status| status.to_string()),
        // One a previous hub started (and this one adopted): gone if it does not answer.
        None => (!answering).then(|| "the adopted proxy does not answer".to_string()),
    };
    if let Some(status) = dead {
        tracing::error!(%status, "the proxy is gone; starting it again");
        match launch.start(&proxy.client).await {
            Ok(started) => {
                *child = Some(started);
                return true;
            }
            Err(e) => tracing::error!(error = %e, "could not restart the proxy"),
        }
    }
    false
}

/// Copies the proxy's activity records to the database.
pub(crate) async fn record_activity(db: &Db, proxy: &ProxyClient) {
    let routes = match proxy.routes().await {
        Ok(routes) => routes,
        Err(e) => {
            tracing::warn!(error = %e, "could not read activity from the proxy");
            return;
        }
    };
    for route in routes.values() {
        let (Some(Value::String(user)), Some(Value::String(server)), Some(when)) = (
            route.data.get("user"),
            route.data.get("server_name"),
            route.last_activity,
        ) else {
            continue;
        };
        if let Err(e) = db.touch_server(user, server, when).await {
            tracing::warn!(%user, %server, error = %e, "could not record activity");
            continue;
        }
        if let Err(e) = db.touch_user(user, when).await {
            tracing::warn!(%user, error = %e, "could not record activity");
        }
    }
}

async fn expire(db: &Db, now: chrono::DateTime<chrono::Utc>) {
    let sessions = db.expire_sessions(now).await;
    let tokens = db.delete_expired_tokens(now).await;
    let codes = db.delete_expired_oauth_codes(now).await;
    match (sessions, tokens, codes) {
        (Ok(s), Ok(t), Ok(c)) => {
            if s + t + c > 0 {
                tracing::info!(
                    sessions = s,
                    tokens = t,
                    oauth_codes = c,
                    "expired credentials deleted"
                );
            }
        }
        (s, t, c) => {
            for e in [s.err(), t.err(), c.err()].into_iter().flatten() {
                tracing::warn!(error = %e, "could not delete expired credentials");
            }
        }
    }
}
