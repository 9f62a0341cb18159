//! Real Jupyter through batchhub, nothing faked: a user logs in through the system's PAM,
//! submits the spawn form, the job runs `hub-singleuser`, which starts the real
//! `jupyterhub-singleuser` (JupyterLab); through hub-proxy, under `/jupyterhub/`, the user
//! opens JupyterLab (the full OAuth dance with the hub), starts a kernel and runs `1+1`
//! over the WebSocket. Another user is refused that server; `jupyterhub-idle-culler`, with a
//! service token, stops it when idle; the user stops the next one from the home page.

use std::process::{Command, Stdio};
use std::time::Duration;

use batchhub_tests::real_hub::{follow, RealHub};
use batchhub_tests::{hidden_xsrf, job_states, jupyter, terminate};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const FORM: &[(&str, &str)] = &[("ncpus", "1"), ("mem", "2gb"), ("walltime", "00:30:00")];

/// JupyterLab's page config (`<script id="jupyter-config-data">`).
fn page_config(html: &str) -> Value {
    let start = html
        .find(r#"id="jupyter-config-data""#)
        .and_then(|at| html[at..].find('>').map(|end| at + end + 1))
        .unwrap_or_else(|| panic!("not a JupyterLab page:\n{html}"));
    let end = start + html[start..].find("</script>").expect("the script ends");
    serde_json::from_str(&html[start..end]).expect("page config is JSON")
}

/// Runs `code` over a kernel's WebSocket channels (Jupyter's JSON wire format), with the
/// OAuth `token` singleuser gave the page (a token in the URL is refused by default), and
/// returns the `text/plain` of its `execute_result`.
async fn execute(ws_url: &str, token: &str, code: &str) -> String {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = ws_url.into_client_request().expect("a WebSocket request");
    request.headers_mut().insert(
        "Authorization",
        format!("token {token}").parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .unwrap_or_else(|e| panic!("WebSocket {ws_url}: {e}"));
    let msg_id = format!("bh-e2e-{}", std::process::id());
    let request = json!({
        "header": {
            "msg_id": msg_id, "username": "e2e", "session": "bh-e2e-session",
            "msg_type": "execute_request", "version": "5.3",
            "date": "2026-11-26T00:00:00.000000Z"
        },
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {
            "code": code, "silent": false, "store_history": false,
            "user_expressions": {}, "allow_stdin": false, "stop_on_error": true
        }
    });
    socket
        .send(Message::text(request.to_string()))
        .await
        .expect("execute_request sent");
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(message) = socket.next().await {
            let Ok(Message::Text(text)) = message else {
                continue;
            };
            let message: Value = serde_json::from_str(&text).expect("a JSON message");
            if message["parent_header"]["msg_id"] == msg_id.as_str()
                && message["msg_type"] == "execute_result"
            {
                return message["content"]["data"]["text/plain"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
            }
        }
        panic!("the kernel's WebSocket closed before the result");
    })
    .await
    .expect("the result within 60 s");
    let _ = socket.close(None).await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root (local accounts, jobs run as their owners), PAM, and jupyterhub + jupyterlab + jupyterhub-idle-culler in /opt/batchhub-jupyter: .ci/run provides them"]
async fn a_pam_user_runs_1_plus_1_in_real_jupyterlab_another_is_refused_the_culler_and_the_home_page_stop_it(
) {
    let mut hub = RealHub::start().await;
    let alice_name = hub.alice.name.clone();

    // Log in with PAM, submit the form: a job that runs the real jupyterhub-singleuser.
    let alice = hub.log_in(&hub.alice).await;
    let pending = hub.spawn(&alice, FORM).await;
    assert!(
        pending.contains("/jupyterhub/hub/spawn-pending/"),
        "{pending}"
    );
    hub.wait_ready(&alice_name).await;
    let jobs = job_states(&hub.cluster);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = hub.cluster.jobs()[&jobs[0].0].clone();
    assert!(
        job["Job_Owner"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!("{alice_name}@")),
        "the job runs as its user: {job}"
    );

    // The browser's way in: hub → OAuth authorize → the server's callback → JupyterLab.
    let lab = follow(&alice, &hub.url(&format!("user/{alice_name}/lab"))).await;
    assert_eq!(lab.status, 200, "{:#?}\n{}", lab.hops, hub.log());
    assert!(
        lab.url
            .ends_with(&format!("/jupyterhub/user/{alice_name}/lab"))
            || lab.url.contains("/lab?"),
        "landed on {}",
        lab.url
    );
    assert!(
        lab.hops
            .iter()
            .any(|hop| hop.contains("/hub/api/oauth2/authorize")),
        "the way in went through the hub's OAuth: {:#?}",
        lab.hops
    );
    let config = page_config(&lab.body);
    assert_eq!(config["hubUser"], alice_name.as_str(), "{config}");
    let token = config["token"]
        .as_str()
        .expect("the page's token")
        .to_string();

    // A kernel, and 1+1 over its WebSocket, through the proxy.
    let api = hub.url(&format!("user/{alice_name}/api"));
    let kernel: Value = reqwest::Client::new()
        .post(format!("{api}/kernels"))
        .header("Authorization", format!("token {token}"))
        .json(&json!({"name": "python3"}))
        .send()
        .await
        .expect("kernels answers")
        .json()
        .await
        .expect("a kernel model");
    let kernel_id = kernel["id"].as_str().unwrap_or_else(|| panic!("{kernel}"));
    let ws = format!(
        "{}/kernels/{kernel_id}/channels",
        api.replacen("http://", "ws://", 1)
    );
    assert_eq!(execute(&ws, &token, "1+1").await, "2");

    // Bob, logged in, is refused alice's server at the hub's authorize step, and his
    // own hub token (the API) cannot reach it either.
    let bob = hub.log_in(&hub.bob).await;
    let refused = follow(&bob, &hub.url(&format!("user/{alice_name}/lab"))).await;
    assert_eq!(refused.status, 403, "{:#?}", refused.hops);
    assert!(!refused.body.contains("jupyter-config-data"));
    let status = bob
        .get(format!("{api}/status"))
        .send()
        .await
        .expect("answers")
        .status();
    assert!(
        status.as_u16() == 302 || status.as_u16() == 403,
        "bob at alice's API: {status}"
    );

    // The idle culler, with its service token, stops the idle server.
    let culler_log = hub.path("culler.log");
    let mut culler = Command::new(jupyter::program("jupyterhub-idle-culler"))
        .arg(format!("--url={}", hub.url("hub/api")))
        .args(["--timeout=20", "--cull-every=5"])
        .env("JUPYTERHUB_API_TOKEN", &hub.culler_token)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&culler_log).expect("log"))
        .spawn()
        .expect("jupyterhub-idle-culler starts");
    hub.wait_stopped(&alice_name, Duration::from_secs(120))
        .await;
    terminate(&mut culler);
    let said = std::fs::read_to_string(&culler_log).unwrap_or_default();
    assert!(said.contains("Culling server"), "the culler's log:\n{said}");

    // Start again, then stop from the home page: the job leaves the queue.
    hub.spawn(&alice, FORM).await;
    hub.wait_ready(&alice_name).await;
    let home = alice
        .get(hub.url("hub/home"))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("a body");
    let stop = alice
        .post(hub.url("hub/stop"))
        .form(&[("_xsrf", hidden_xsrf(&home).as_str())])
        .send()
        .await
        .expect("stop answers");
    assert!(stop.status().is_redirection(), "stop: {}", stop.status());
    hub.wait_stopped(&alice_name, Duration::from_secs(60)).await;
    let queued = hub.cluster.run("qstat", &[]);
    assert!(
        !queued.contains(&alice_name[..alice_name.len().min(8)]),
        "alice's job is still in qstat:\n{queued}"
    );
    hub.stop();
}
