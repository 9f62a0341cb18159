//! [`ServerControl`] for [`Spawning`]: the front's requests as events.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use drivers::resources::Walltime;
use drivers::{ClusterSummary, UserName};
use tokio::sync::watch;

use super::core::{Entry, Inner};
use super::Spawning;
use crate::control::{ControlError, ServerControl, ServerView, Started, Stopped};
use crate::db::DbError;
use crate::form;
use crate::spawner::{self, Event, ProgressEvent, Refusal, ServerKey, ServerState};

/// A database failure as the front answers it.
fn unavailable(e: DbError) -> ControlError {
    ControlError::Unavailable(e.to_string())
}

fn no_such_server(user: &str, server: &str) -> ControlError {
    ControlError::NoSuchServer {
        user: user.to_string(),
        server: server.to_string(),
    }
}

impl Inner {
    /// Feeds a server's address report to its state machine: routed, running.
    async fn take_report(
        self: &Arc<Self>,
        key: &ServerKey,
        host: &str,
        port: u16,
    ) -> Result<(), ControlError> {
        let event = Event::Reported {
            host: host.to_string(),
            port,
        };
        let applied = self
            .apply(key, event, None)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| no_such_server(&key.user, &key.name))?;
        if applied.refusal.is_some() {
            return Err(ControlError::NotExpectingReport(key.to_string()));
        }
        tracing::info!(server = %key, host, port, "server up");
        // A reported server frees its spawn slot.
        self.admit().await;
        Ok(())
    }

    /// Routes the server once `host:port` answers HTTP, in a task of its own; if it never
    /// does, the state machine's start timeout fails the spawn.
    pub(super) fn wait_until_answering(self: &Arc<Self>, key: ServerKey, host: String, port: u16) {
        let inner = self.clone();
        let limit = inner.config.spawner.start_timeout;
        let probe = format!(
            "{}{}api",
            spawner::server_url(&host, port),
            inner.prefix(&key)
        );
        tokio::spawn(async move {
            if super::wait_up::answers_within(&inner.probe, &probe, limit).await {
                if let Err(e) = inner.take_report(&key, &host, port).await {
                    tracing::warn!(server = %key, error = %e, "the server's report was not taken");
                }
            } else {
                tracing::warn!(server = %key, url = probe, "the reported server never answered");
            }
        });
    }

    /// Refuses a named server beyond what the config allows.
    async fn check_named_server(&self, user: &str, server: &str) -> Result<(), ControlError> {
        if server.is_empty() {
            return Ok(());
        }
        if !self.config.allow_named_servers {
            return Err(ControlError::NamedServerLimit(
                "named servers are not enabled".to_string(),
            ));
        }
        crate::control::check_server_name(server).map_err(ControlError::NamedServerLimit)?;
        let limit = self.config.named_server_limit_per_user as usize;
        if limit == 0 {
            return Ok(());
        }
        // Named servers the user has, in the database or only here so far.
        let mut names: Vec<String> = self
            .db
            .list_servers(user)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|r| r.name)
            .collect();
        names.extend(self.user_slots(user).into_iter().map(|(k, _)| k.name));
        names.retain(|n| !n.is_empty());
        names.sort();
        names.dedup();
        if !names.iter().any(|n| n == server) && names.len() >= limit {
            return Err(ControlError::NamedServerLimit(format!(
                "{user} already has the maximum of {limit} named servers"
            )));
        }
        Ok(())
    }

    /// The front's view of one server from its entry.
    async fn view(&self, key: &ServerKey, entry: Entry) -> ServerView {
        let place = self.place(key, &entry.state);
        let prefix = self.prefix(key);
        let progress = spawner::progress(
            &entry.state,
            place,
            &prefix,
            self.clock.now(),
            &self.config.terms,
        );
        let last_activity = match self.db.get_server(&key.user, &key.name).await {
            Ok(record) => record.and_then(|r| r.last_activity),
            Err(e) => {
                tracing::warn!(server = %key, error = %e, "could not read last activity");
                None
            }
        };
        let walltime = entry
            .options
            .get(form::spec::WALLTIME)
            .and_then(|text| text.parse::<Walltime>().ok());
        ServerView {
            key: key.clone(),
            url: matches!(entry.state, ServerState::Running { .. }).then_some(prefix),
            progress,
            started: entry.started,
            last_activity,
            user_options: entry.options,
            place,
            walltime,
            job_started: entry.job_started,
            last_job: entry.last_job,
            state: entry.state,
        }
    }
}

#[async_trait]
impl ServerControl for Spawning {
    async fn start(
        &self,
        user: &str,
        server: &str,
        options: BTreeMap<String, String>,
    ) -> Result<Started, ControlError> {
        let inner = &self.inner;
        let owner = UserName::new(user).map_err(|_| no_such_server(user, server))?;
        inner.check_named_server(user, server).await?;
        let request = form::validate(&inner.config.form, &options, &owner)
            .map_err(ControlError::InvalidOptions)?;
        let key = ServerKey::new(user, server);
        inner.slot_or_insert(&key);
        let applied = match inner
            .apply(&key, Event::StartRequested, Some(request.values))
            .await
        {
            Ok(applied) => applied,
            Err(e) => {
                inner.forget_if_never_ran(&key);
                return Err(match e {
                    DbError::NoSuchUser(_) => no_such_server(user, server),
                    e => unavailable(e),
                });
            }
        };
        if let Some(Refusal::AlreadyActive | Refusal::NotExpectingReport) =
            applied.and_then(|a| a.refusal)
        {
            return Err(ControlError::AlreadyActive(key.to_string()));
        }
        tracing::info!(server = %key, "start requested");
        inner.admit().await;
        Ok(Started::Pending)
    }

    async fn stop(&self, user: &str, server: &str) -> Result<Stopped, ControlError> {
        let key = ServerKey::new(user, server);
        let applied = self
            .inner
            .apply(&key, Event::StopRequested, None)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| no_such_server(user, server))?;
        tracing::info!(server = %key, state = applied.state.name(), "stop requested");
        self.inner.admit().await;
        if applied.state.is_active() {
            Ok(Stopped::Pending)
        } else {
            Ok(Stopped::Done)
        }
    }

    async fn server(&self, user: &str, server: &str) -> Option<ServerView> {
        let key = ServerKey::new(user, server);
        match self.inner.slot(&key) {
            Some(slot) => Some(self.inner.view(&key, slot.entry()).await),
            // A server the API created but never started.
            None => match self.inner.db.get_server(user, server).await {
                Ok(Some(_)) => Some(self.inner.view(&key, Entry::default()).await),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(server = %key, error = %e, "could not read a server");
                    None
                }
            },
        }
    }

    fn states_by_user(&self) -> HashMap<String, Vec<ServerState>> {
        self.inner.states_by_user()
    }

    async fn servers(&self, user: &str) -> Vec<ServerView> {
        let mut views = Vec::new();
        for (key, slot) in self.inner.user_slots(user) {
            views.push(self.inner.view(&key, slot.entry()).await);
        }
        views
    }

    async fn report(
        &self,
        user: &str,
        server: &str,
        host: &str,
        port: u16,
    ) -> Result<(), ControlError> {
        let key = ServerKey::new(user, server);
        if !self.inner.config.wait_until_answering {
            return self.inner.take_report(&key, host, port).await;
        }
        let slot = self
            .inner
            .slot(&key)
            .ok_or_else(|| no_such_server(user, server))?;
        if let ServerState::Running { url, .. } = &slot.entry().state {
            if *url == spawner::server_url(host, port) {
                return Ok(()); // The reporter retried a report the hub already took.
            }
            // The job moved (rerun elsewhere) while the hub thought it running: wait for
            // the new address to answer, then re-route.
            self.inner.wait_until_answering(key, host.to_string(), port);
            return Ok(());
        }
        // Keep the address (persisted: a hub restarted now waits again), then route the
        // server once it answers, in the background: the reporter starts the server only
        // after this answer.
        let event = Event::AddressReported {
            host: host.to_string(),
            port,
        };
        let applied = self
            .inner
            .apply(&key, event, None)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| no_such_server(user, server))?;
        if applied.refusal.is_some() {
            return Err(ControlError::NotExpectingReport(key.to_string()));
        }
        tracing::info!(server = %key, host, port, "server reported; waiting for it to answer");
        self.inner.wait_until_answering(key, host.to_string(), port);
        Ok(())
    }

    fn progress(&self, user: &str, server: &str) -> Option<watch::Receiver<ProgressEvent>> {
        let slot = self.inner.slot(&ServerKey::new(user, server))?;
        Some(slot.progress.subscribe())
    }

    async fn output_tail(&self, user: &str, server: &str) -> Option<String> {
        let slot = self.inner.slot(&ServerKey::new(user, server))?;
        let entry = slot.entry();
        let job = match &entry.state {
            ServerState::Failed { job: Some(job), .. } => Some(job.clone()),
            state => state.job().cloned().or(entry.last_job),
        }?;
        self.inner.output_tail(user, &job).await
    }

    async fn cluster_summary(&self) -> Result<ClusterSummary, ControlError> {
        super::cluster::summary(&self.inner).await
    }

    fn allows_named_servers(&self) -> bool {
        self.inner.config.allow_named_servers
    }
}
