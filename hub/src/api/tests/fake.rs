//! A fake spawner: servers and progress senders set by the test, every call recorded,
//! answers chosen by the test.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::control::{ControlError, ServerControl, ServerView, Started, Stopped};
use crate::spawner::progress::ProgressEvent;
use crate::spawner::state::{ServerKey, ServerState};

type Key = (String, String);

#[derive(Default)]
pub struct FakeControl {
    pub servers: Mutex<BTreeMap<Key, ServerView>>,
    pub senders: Mutex<BTreeMap<Key, watch::Sender<ProgressEvent>>>,
    pub calls: Mutex<Vec<String>>,
    pub start_answer: Mutex<Option<Result<Started, ControlError>>>,
    pub stop_answer: Mutex<Option<Result<Stopped, ControlError>>>,
    pub report_answer: Mutex<Option<Result<(), ControlError>>>,
    /// What `output_tail` answers, per server (the web pages' output page).
    pub outputs: Mutex<BTreeMap<Key, String>>,
    /// What `cluster_summary` answers (the admin page); `None`: unavailable.
    pub cluster: Mutex<Option<drivers::ClusterSummary>>,
    /// What `allows_named_servers` answers.
    pub named_servers: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for FakeControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeControl")
    }
}

pub fn event(progress: u8, message: &str) -> ProgressEvent {
    ProgressEvent {
        progress: Some(progress),
        message: message.to_string(),
        ready: false,
        failed: false,
        url: None,
    }
}

impl FakeControl {
    /// Puts a server in `state`, with `first` as its current progress event; returns the
    /// sender the test drives progress with.
    pub fn put(
        &self,
        user: &str,
        name: &str,
        state: ServerState,
        started: Option<DateTime<Utc>>,
        first: ProgressEvent,
    ) -> watch::Sender<ProgressEvent> {
        let url = matches!(state, ServerState::Running { .. }).then(|| format!("/user/{user}/"));
        let view = ServerView {
            state,
            url,
            progress: Some(first.clone()),
            started,
            ..ServerView::never_started(ServerKey::new(user, name))
        };
        let key = (user.to_string(), name.to_string());
        self.servers.lock().unwrap().insert(key.clone(), view);
        let (sender, _) = watch::channel(first);
        self.senders.lock().unwrap().insert(key, sender.clone());
        sender
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

#[async_trait]
impl ServerControl for FakeControl {
    async fn start(
        &self,
        user: &str,
        server: &str,
        options: BTreeMap<String, String>,
    ) -> Result<Started, ControlError> {
        self.record(format!("start {user}/{server} {options:?}"));
        self.start_answer
            .lock()
            .unwrap()
            .take()
            .unwrap_or(Ok(Started::Pending))
    }

    async fn stop(&self, user: &str, server: &str) -> Result<Stopped, ControlError> {
        self.record(format!("stop {user}/{server}"));
        self.stop_answer
            .lock()
            .unwrap()
            .take()
            .unwrap_or(Ok(Stopped::Done))
    }

    async fn server(&self, user: &str, server: &str) -> Option<ServerView> {
        let key = (user.to_string(), server.to_string());
        self.servers.lock().unwrap().get(&key).cloned()
    }

    fn states_by_user(&self) -> HashMap<String, Vec<ServerState>> {
        let mut by_user: HashMap<String, Vec<ServerState>> = HashMap::new();
        for view in self.servers.lock().unwrap().values() {
            by_user
                .entry(view.key.user.to_string())
                .or_default()
                .push(view.state.clone());
        }
        by_user
    }

    async fn servers(&self, user: &str) -> Vec<ServerView> {
        self.servers
            .lock()
            .unwrap()
            .values()
            .filter(|v| v.key.user == user)
            .cloned()
            .collect()
    }

    async fn report(
        &self,
        user: &str,
        server: &str,
        host: &str,
        port: u16,
    ) -> Result<(), ControlError> {
        self.record(format!("report {user}/{server} {host}:{port}"));
        self.report_answer.lock().unwrap().take().unwrap_or(Ok(()))
    }

    fn progress(&self, user: &str, server: &str) -> Option<watch::Receiver<ProgressEvent>> {
        let key = (user.to_string(), server.to_string());
        self.senders
            .lock()
            .unwrap()
            .get(&key)
            .map(|s| s.subscribe())
    }

    async fn output_tail(&self, user: &str, server: &str) -> Option<String> {
        let key = (user.to_string(), server.to_string());
        self.outputs.lock().unwrap().get(&key).cloned()
    }

    async fn cluster_summary(&self) -> Result<drivers::ClusterSummary, ControlError> {
        self.cluster
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| ControlError::Unavailable("qstat: cannot connect to server".into()))
    }

    fn allows_named_servers(&self) -> bool {
        self.named_servers.load(std::sync::atomic::Ordering::SeqCst)
    }
}
