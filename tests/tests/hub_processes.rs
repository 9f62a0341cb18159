//! The hub as operators run it: `hub serve` (a process) starting `hub-proxy` (a process),
//! submitting to `pbs-sim serve` (a process) through the PBS driver and the cluster's
//! `qsub`/`qstat`/`qdel`, whose jobs run `hub-singleuser` (processes). All on 127.0.0.1.

use std::time::Duration;

use batchhub_tests::pbs_hub::{singleuser, start};
use batchhub_tests::{
    browser, eventually, eventually_explained, hidden_xsrf, job_states, location,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_logs_in_submits_the_form_reaches_the_server_through_the_proxy_and_stops_it() {
    let (world, cluster, hub) = start(&singleuser(0), 4).await;
    let web = browser();
    let public = &world.public;

    // Log in through the proxy: the form's XSRF value, then the password.
    let page = web.get(format!("{public}/hub/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let xsrf = hidden_xsrf(&page.text().await.unwrap());
    let wrong = web
        .post(format!("{public}/hub/login"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("username", "alice"),
            ("password", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let login = web
        .post(format!("{public}/hub/login"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("username", "alice"),
            ("password", "the-shared-demo-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 302, "{}", world.log());
    assert_eq!(location(&login), "/hub/home");

    // The spawn form, then a bad value (named), then good ones.
    let form = web.get(format!("{public}/hub/spawn")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains(r#"name="ncpus""#), "{html}");
    let xsrf = hidden_xsrf(&html);
    let bad = web
        .post(format!("{public}/hub/spawn"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("ncpus", "9999"),
            ("mem", "4gb"),
            ("walltime", "01:00:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("ncpus"));
    assert!(
        job_states(&cluster).is_empty(),
        "nothing submitted for a bad form"
    );
    let spawn = web
        .post(format!("{public}/hub/spawn"))
        .form(&[
            ("_xsrf", xsrf.as_str()),
            ("ncpus", "2"),
            ("mem", "2gb"),
            ("walltime", "00:30:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(spawn.status(), 302, "{}", world.log());
    assert_eq!(location(&spawn), "/hub/spawn-pending/alice");
    let url = world.wait_ready("alice").await;

    // The job asked for what the form said.
    let jobs = cluster.jobs();
    let job = jobs.as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(job["Resource_List"]["ncpus"], 2, "{job}");
    assert_eq!(job["Resource_List"]["walltime"], "00:30:00", "{job}");

    // Through the proxy to the server in the job; another user is refused at the hub.
    let page = web.get(format!("{public}{url}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("batchhub built-in test server"));
    let other = web
        .get(format!("{public}/hub/user/bob/"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);

    // Stop from the home page's form.
    let home = web.get(format!("{public}/hub/home")).send().await.unwrap();
    let xsrf = hidden_xsrf(&home.text().await.unwrap());
    let stop = web
        .post(format!("{public}/hub/stop"))
        .form(&[("_xsrf", xsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(stop.status().is_redirection(), "stop: {}", stop.status());
    world.wait_all_ended(&cluster, &["alice"]).await;
    hub.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_through_the_api_is_reached_through_the_proxy_and_stopped() {
    let (world, cluster, hub) = start(&singleuser(0), 4).await;

    let (status, _) = world.api(reqwest::Method::POST, "/users/alice", None).await;
    assert_eq!(status, 201, "{}", world.log());
    let (status, _) = world
        .api(reqwest::Method::POST, "/users/alice/server", None)
        .await;
    assert!(
        status == 202 || status == 201,
        "start: {status}\n{}",
        world.log()
    );
    let url = world.wait_ready("alice").await;
    assert_eq!(url, "/user/alice/");

    // Through the proxy, to the built-in server in the job.
    let page = reqwest::get(format!("{}/user/alice/", world.public))
        .await
        .expect("the proxy answers")
        .text()
        .await
        .expect("a body");
    assert!(page.contains("batchhub built-in test server"), "{page}");
    let routes = world.routes().await;
    assert_eq!(routes["/user/alice"]["user"], "alice", "{routes}");

    // One job, running; stopping deletes it and its route.
    let jobs = job_states(&cluster);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].1, "R", "{jobs:?}");
    let (status, _) = world
        .api(reqwest::Method::DELETE, "/users/alice/server", None)
        .await;
    assert!(status == 204 || status == 202, "stop: {status}");
    world.wait_all_ended(&cluster, &["alice"]).await;
    hub.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_killed_mid_spawn_readopts_every_job_and_deletes_nothing() {
    // Servers take 4 s to report: the hub dies while they are starting.
    let (world, cluster, hub) = start(&singleuser(4), 4).await;
    let users = ["ann", "ben", "cat"];
    for (user, status) in users.iter().zip(world.create_and_start(&users).await) {
        assert_eq!(status, 202, "{user}: {}", world.log());
    }
    // Every job submitted (the hub persisted each transition before acting on it).
    eventually_explained(
        Duration::from_secs(30),
        "three jobs are running",
        || async {
            let jobs = job_states(&cluster);
            (jobs.len() == 3 && jobs.iter().all(|(_, s)| s == "R")).then_some(())
        },
        || {
            format!(
                "jobs: {:?}\nhub log:\n{}",
                job_states(&cluster),
                world.log()
            )
        },
    )
    .await;
    // And the hub has stored every job id: a server moves on from queued only once its
    // queued state (holding the job) is committed. (Killed before that, between qsub's answer
    // and the commit, the restarted hub would look the job up by owner and name and adopt
    // it: `hub/tests/spawning.rs` and the scenario `hub-crash.toml` cover that window.)
    eventually_explained(
        Duration::from_secs(30),
        "the hub saw every job start",
        || async {
            let log = world.log();
            users
                .iter()
                .all(|user| log.contains(&format!(r#"server={user}/ from="queued" to="starting""#)))
                .then_some(())
        },
        || format!("hub log:\n{}", world.log()),
    )
    .await;
    let before = job_states(&cluster);
    hub.kill9();

    // While the hub is down the servers come up and cannot report (they retry); the
    // restarted hub re-adopts the jobs, takes their reports and routes them.
    let mut hub = world.start_hub(&cluster);
    for user in users {
        let url = world.wait_ready(user).await;
        assert_eq!(url, format!("/user/{user}/"));
        let page = reqwest::get(format!("{}{url}", world.public))
            .await
            .expect("the proxy answers")
            .text()
            .await
            .expect("a body");
        assert!(
            page.contains("batchhub built-in test server"),
            "{user}: {page}"
        );
    }
    assert!(hub.running(), "the restarted hub is up");
    // Nothing resubmitted, nothing deleted: the same three jobs, still running.
    assert_eq!(job_states(&cluster), before, "{}", world.log());
    let log = world.log();
    assert!(!log.contains("cancelling"), "{log}");

    for user in users {
        world
            .api(
                reqwest::Method::DELETE,
                &format!("/users/{user}/server"),
                None,
            )
            .await;
    }
    world.wait_all_ended(&cluster, &users).await;
    hub.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_dies_is_started_again_and_given_back_its_routes() {
    let (world, cluster, hub) = start(&singleuser(0), 4).await;
    world.api(reqwest::Method::POST, "/users/dora", None).await;
    world
        .api(reqwest::Method::POST, "/users/dora/server", None)
        .await;
    let url = world.wait_ready("dora").await;
    let first = world.proxy_pid();
    nix::sys::signal::kill(first, nix::sys::signal::Signal::SIGKILL).unwrap();

    // A new proxy (a new pid), with the hub's route and dora's, serving her server.
    let page = eventually(
        Duration::from_secs(30),
        "dora's server answers again",
        || async {
            let response = reqwest::get(format!("{}{url}", world.public)).await.ok()?;
            let text = response.text().await.ok()?;
            text.contains("batchhub built-in test server")
                .then_some(text)
        },
    )
    .await;
    assert!(!page.is_empty());
    assert_ne!(world.proxy_pid(), first, "{}", world.log());
    let routes = world.routes().await;
    assert_eq!(routes["/user/dora"]["user"], "dora", "{routes}");
    assert!(routes.get("/").is_some(), "{routes}");
    // The same table through the hub's API (JupyterHub's `GET /hub/api/proxy`); a route
    // deleted behind the hub's back comes back with `POST /hub/api/proxy`.
    let (status, table) = world.api(reqwest::Method::GET, "/proxy", None).await;
    assert_eq!(status, 200);
    assert_eq!(table["/user/dora/"]["data"]["user"], "dora", "{table}");
    let token = std::fs::read_to_string(world.path("proxy_token")).unwrap();
    reqwest::Client::new()
        .delete(format!("{}/api/routes/user/dora", world.proxy_api))
        .header("Authorization", format!("token {}", token.trim()))
        .send()
        .await
        .unwrap();
    assert!(world.routes().await.get("/user/dora").is_none());
    let (status, _) = world.api(reqwest::Method::POST, "/proxy", None).await;
    assert_eq!(status, 200);
    assert_eq!(world.routes().await["/user/dora"]["user"], "dora");

    world
        .api(reqwest::Method::DELETE, "/users/dora/server", None)
        .await;
    world.wait_all_ended(&cluster, &["dora"]).await;
    hub.stop();
}
