//! The hub on a real Slurm: `hub serve` (a process) with `spawner.scheduler = "slurm"`,
//! starting `hub-proxy`, submitting with the cluster's own `sbatch` through the Slurm
//! driver; each job runs `hub-singleuser` on a node of a private cluster
//! (`.ci/slurm-cluster.sh`). Needs Slurm installed (`.ci/slurm-cluster.sh install`).

use batchhub_tests::hub_client::{hub_api, proxy_routes, stop_proxy};
use std::path::PathBuf;
use std::time::Duration;

use batchhub_tests::slurm::SlurmCluster;
use batchhub_tests::{bin, eventually, free_port, hub_and_proxy_config, write_secret, HubProcess};
use serde_json::Value;

/// The job name the hub gives its jobs, to find them in `squeue`.
const JOB_NAME: &str = "bh-slurm-e2e";

/// The hub's directory, addresses and credentials.
struct World {
    dir: tempfile::TempDir,
    public: String,
    proxy_api: String,
    service_token: String,
}

impl World {
    /// Writes the config: Slurm, no run-as prefix (jobs run as the test's user), a form
    /// whose `queue` offers a partition that does not exist, a service with the admin role.
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        // Jobs run as the test's user, on the cluster's nodes: they write their output here.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let (public_port, api_port, hub_port) = (free_port(), free_port(), free_port());
        let service_token = "51a7e2e0".repeat(8);
        write_secret(&d.join("service_token"), &service_token);
        write_secret(&d.join("shared_password"), "the-shared-demo-password");
        let config = format!(
            r#"
{head}
[auth]
authenticator = "shared-password"
shared_password_file = "{d}/shared_password"

[spawner]
scheduler = "slurm"
exec_prefix = []
job_name = "{JOB_NAME}"
cmd = [{singleuser:?}, "--builtin"]
poll_interval = "1s"
http_timeout = "60s"
# The test's users have no home directory.
working_dir = "{d}"

[spawner.form.fields.queue]
kind = "choice"
label = "Partition"
choices = [
  {{ key = "batch", value = "batch" }},
  {{ key = "nowhere", value = "nosuchpartition" }},
]

[spawner.form.fields.ncpus]
kind = "integer"
min = 1
max = 4
default = 1

[spawner.form.fields.mem]
kind = "size"
min = "100mb"
max = "2gb"
default = "500mb"

[spawner.form.fields.walltime]
kind = "duration"
min = "00:10:00"
max = "02:00:00"
default = "01:00:00"

[slurm]
# The test cluster keeps no accounting.
sacct = false

[[services]]
name = "e2e"
api_token_file = "{d}/service_token"
roles = ["admin"]
"#,
            d = d.display(),
            head = hub_and_proxy_config(d, (public_port, hub_port, api_port), "/"),
            singleuser = bin("hub-singleuser").display().to_string(),
        );
        std::fs::write(d.join("hub.toml"), config).expect("config written");
        World {
            public: format!("http://127.0.0.1:{public_port}"),
            proxy_api: format!("http://127.0.0.1:{api_port}"),
            service_token,
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The hub's log so far (for failure messages).
    fn log(&self) -> String {
        std::fs::read_to_string(self.path("hub.log")).unwrap_or_default()
    }

    /// An API call as the service; status and JSON body (Null when empty).
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let api_base = format!("{}/hub/api", self.public);
        hub_api(&api_base, &self.service_token, method, path, body).await
    }

    /// The proxy's routes (its own API, with the hub's token).
    async fn routes(&self) -> Value {
        proxy_routes(&self.proxy_api, &self.path("proxy_token")).await
    }

    /// Creates `user` and starts their default server with `options`.
    async fn start_server(&self, user: &str, options: Value) {
        let (status, _) = self
            .api(reqwest::Method::POST, &format!("/users/{user}"), None)
            .await;
        assert_eq!(status, 201, "create {user}\n{}", self.log());
        let (status, body) = self
            .api(
                reqwest::Method::POST,
                &format!("/users/{user}/server"),
                Some(serde_json::json!({ "user_options": options })),
            )
            .await;
        assert!(
            status == 201 || status == 202,
            "start {user}: {status} {body}\n{}",
            self.log()
        );
    }

    /// `user`'s default server as the API shows it (`None`: not active).
    async fn server(&self, user: &str) -> Option<Value> {
        let (_, body) = self
            .api(reqwest::Method::GET, &format!("/users/{user}"), None)
            .await;
        body.pointer("/servers/").cloned()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        stop_proxy(&self.path("proxy.pid"));
        if std::thread::panicking() {
            eprintln!("--- hub.log\n{}", self.log());
        }
    }
}

/// One line of `squeue` about the hub's jobs, finished ones included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SqueueJob {
    id: String,
    name: String,
    user: String,
    state: String,
    partition: String,
}

/// Every job named [`JOB_NAME`] the controller remembers.
fn hub_jobs(cluster: &SlurmCluster) -> Vec<SqueueJob> {
    let out = cluster.run(
        "squeue",
        &[
            "--noheader",
            "--states=all",
            &format!("--name={JOB_NAME}"),
            "--format=%i|%j|%u|%T|%P",
        ],
    );
    assert!(
        out.status.success(),
        "squeue failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.trim().split('|').collect();
            let [id, name, user, state, partition] = f.as_slice() else {
                return None;
            };
            Some(SqueueJob {
                id: id.to_string(),
                name: name.to_string(),
                user: user.to_string(),
                state: state.to_string(),
                partition: partition.to_string(),
            })
        })
        .collect()
}

/// The name of the user this test runs as (whom `sbatch` runs as without a prefix).
fn this_user() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Slurm (.ci/slurm-cluster.sh install)"]
async fn a_server_is_a_slurm_job_reached_through_the_proxy_and_cancelled_and_slurm_refusals_are_shown(
) {
    let cluster = SlurmCluster::start(2, 4);
    let world = World::new();
    let hub = HubProcess::start_with_env(
        &world.path("hub.toml"),
        &world.path("hub.log"),
        &[(
            "SLURM_CONF".to_string(),
            cluster.conf().display().to_string(),
        )],
    );
    eventually(
        Duration::from_secs(60),
        "the hub answers through the proxy",
        || async {
            let (status, body) = world.api(reqwest::Method::GET, "/", None).await;
            (status == 200 && body.get("version").is_some()).then_some(())
        },
    )
    .await;

    // Started through the API: a Slurm job, running as the submitter under the job name.
    world
        .start_server("alice", serde_json::json!({ "ncpus": "2" }))
        .await;
    let running = eventually(Duration::from_secs(60), "alice's job runs", || async {
        let jobs = hub_jobs(&cluster);
        jobs.into_iter().find(|job| job.state == "RUNNING")
    })
    .await;
    assert_eq!(running.name, JOB_NAME, "{running:?}");
    assert_eq!(running.user, this_user(), "{running:?}");
    assert_eq!(running.partition, "batch", "{running:?}");
    let detail = cluster.run("scontrol", &["show", "job", &running.id]);
    let detail = String::from_utf8_lossy(&detail.stdout).to_string();
    assert!(detail.contains("NumCPUs=2"), "{detail}");
    assert!(detail.contains("TimeLimit=01:00:00"), "{detail}");

    // The hub says it is ready; through the proxy's public port to the server in the job.
    let url = eventually(
        Duration::from_secs(90),
        "alice's server becomes ready",
        || async {
            let server = world.server("alice").await?;
            (server["ready"] == Value::Bool(true))
                .then(|| server["url"].as_str().unwrap_or("").to_string())
        },
    )
    .await;
    assert_eq!(url, "/user/alice/");
    let page = reqwest::get(format!("{}/user/alice/", world.public))
        .await
        .expect("the proxy answers");
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("a body");
    assert!(page.contains("batchhub built-in test server"), "{page}");
    assert_eq!(world.routes().await["/user/alice"]["user"], "alice");

    // Stopped through the API: the job leaves Slurm's running jobs, the route goes.
    let (status, _) = world
        .api(reqwest::Method::DELETE, "/users/alice/server", None)
        .await;
    assert!(status == 204 || status == 202, "stop: {status}");
    let ended = eventually(
        Duration::from_secs(60),
        "alice's job ends and her route goes",
        || async {
            let job = hub_jobs(&cluster)
                .into_iter()
                .find(|job| job.id == running.id)?;
            let ended = job.state == "CANCELLED" || job.state == "COMPLETED";
            let unrouted = world.routes().await.get("/user/alice").is_none();
            let stopped = world.server("alice").await.is_none();
            (ended && unrouted && stopped).then_some(job)
        },
    )
    .await;
    assert_ne!(ended.state, "RUNNING");

    // A partition Slurm does not have: refused by sbatch, in Slurm's own words.
    world
        .start_server("bob", serde_json::json!({ "queue": "nowhere" }))
        .await;
    let response = reqwest::Client::new()
        .get(format!(
            "{}/hub/api/users/bob/server/progress",
            world.public
        ))
        .header("Authorization", format!("token {}", world.service_token))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("the progress stream answers");
    assert_eq!(response.status(), 200);
    let events = response.text().await.expect("the stream ends");
    assert!(events.contains("\"failed\":true"), "{events}");
    assert!(
        events.contains("invalid partition"),
        "Slurm's words are shown: {events}"
    );
    let bob_jobs: Vec<SqueueJob> = hub_jobs(&cluster)
        .into_iter()
        .filter(|job| job.partition != "batch")
        .collect();
    assert!(bob_jobs.is_empty(), "nothing was queued: {bob_jobs:?}");
    hub.stop();
}
