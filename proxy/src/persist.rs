//! `--routes-file`: routes that survive a restart (configurable-http-proxy forgets them).
//!
//! The file holds exactly what `GET /api/routes` returns: `{"/path": {…data…,
//! "last_activity": "…"}}`. It is replaced atomically (write a temporary file beside it,
//! fsync, rename, fsync the directory), so a crash leaves the old or the new table, never
//! a torn one. Writes happen on a background task that follows the store's version
//! counter: a burst of API calls costs one write per write-time, not one per call, and
//! the API never waits on the disk. The last state is written once more at shutdown,
//! which also records the latest activity times.

use crate::api::render_routes;
use crate::app::App;
use crate::routes::{self, Route, RouteError, RouteStore};
use crate::time::{now_millis, parse_timestamp};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the routes file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading failed (other than "not found", which means no routes yet).
    #[error("cannot read routes file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a JSON object of route objects.
    #[error("routes file {path} is not valid JSON")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A route in the file is not valid.
    #[error("routes file {path}: route {key}")]
    Route {
        /// The file.
        path: PathBuf,
        /// The route's key.
        key: String,
        /// The cause.
        #[source]
        source: RouteError,
    },
}

/// Loads the routes saved at `path` (key, route); an absent file holds none.
pub fn load(path: &Path) -> Result<Vec<(String, Route)>, LoadError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LoadError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    // Read as the API reads a posted route (raw member values), so that whatever the API
    // accepted, the file reloads.
    let saved: BTreeMap<String, &RawValue> =
        serde_json::from_slice(&text).map_err(|source| LoadError::Json {
            path: path.to_owned(),
            source,
        })?;
    let mut routes = Vec::with_capacity(saved.len());
    let now = now_millis();
    for (key, value) in saved {
        let route =
            saved_route(value.get().as_bytes(), now).map_err(|source| LoadError::Route {
                path: path.to_owned(),
                key: key.clone(),
                source,
            })?;
        routes.push((key, route));
    }
    Ok(routes)
}

/// A saved route: its data, active last at its saved `last_activity` (else `now`).
fn saved_route(json: &[u8], now: i64) -> Result<Route, RouteError> {
    let members = routes::json::members(json).map_err(RouteError::Json)?;
    let activity = members
        .iter()
        .rev()
        .find(|(key, _)| key == "last_activity")
        .and_then(|(_, value)| serde_json::from_str::<&str>(value.get()).ok())
        .and_then(parse_timestamp)
        .unwrap_or(now);
    Route::from_members(members, activity)
}

/// Writes the routes in `store` to `path` atomically, in key order (a file that changes
/// only where the routes did).
pub fn save(path: &Path, store: &RouteStore) -> std::io::Result<()> {
    let text = render_routes(&store.list(), None);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Follows route changes and writes `path` until shutdown, then writes a final time.
pub async fn run(app: Arc<App>, path: PathBuf) {
    let mut versions = app.routes.subscribe();
    let mut saved = *versions.borrow_and_update();
    loop {
        tokio::select! {
            changed = versions.changed() => if changed.is_err() { break },
            () = app.shutdown.cancelled() => break,
        }
        let version = *versions.borrow_and_update();
        if version != saved && write(&app, &path).await {
            saved = version;
        }
    }
    write(&app, &path).await;
}

async fn write(app: &Arc<App>, path: &Path) -> bool {
    let (shared, target) = (Arc::clone(app), path.to_owned());
    let result = tokio::task::spawn_blocking(move || save(&target, &shared.routes)).await;
    match result {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            app.metrics.persist_failed();
            tracing::error!("cannot write routes file {}: {e}", path.display());
            false
        }
        Err(e) => {
            app.metrics.persist_failed();
            tracing::error!("routes file writer failed: {e}");
            false
        }
    }
}
