//! The web pages in a real browser (Debian's headless Chromium through chromedriver) against
//! the real hub (see `real_jupyter.rs` for what runs): log in with PAM, the spawn form with
//! a validation error and then good values, the pending page with its live progress, the
//! notebook (JupyterLab rendered), the home page, stop from there, the stopped server's
//! URL, and the admin page. A screenshot of each
//! page goes to `docs/screenshots/` with `BATCHHUB_UPDATE_SCREENSHOTS=1`.

use std::time::{Duration, Instant};

use batchhub_tests::chrome::Chrome;
use batchhub_tests::real_hub::RealHub;
use fantoccini::{Client, Locator};

/// Waits until the page has an element matching `css`; panics with the page's URL and
/// source after `limit`.
async fn wait_for(client: &Client, css: &str, limit: Duration) -> fantoccini::elements::Element {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            return element;
        }
        if Instant::now() > deadline {
            let url = client.current_url().await.map(|u| u.to_string());
            let source = client.source().await.unwrap_or_default();
            panic!("no {css} within {limit:?} at {url:?}:\n{source}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the browser's URL path ends with `suffix`.
async fn wait_for_path(client: &Client, suffix: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let url = client.current_url().await.expect("a URL");
        if url.path().ends_with(suffix) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the browser is at {url}, not …{suffix}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the element `css`.
async fn click(client: &Client, css: &str) {
    let element = client.find(Locator::Css(css)).await.expect(css);
    element.click().await.expect("clicked");
}

/// Replaces the value of the input `css` with `text`.
async fn type_into(client: &Client, css: &str, text: &str) {
    let input = client.find(Locator::Css(css)).await.expect(css);
    input.clear().await.expect("cleared");
    input.send_keys(text).await.expect("typed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root (local accounts, jobs as their owners), PAM, the Jupyter venv and Debian's chromium + chromium-driver: .ci/run provides them"]
async fn in_chromium_login_form_with_an_error_pending_notebook_and_stop_from_home() {
    let mut hub = RealHub::start().await;
    let alice = hub.alice.clone();
    let chrome = Chrome::start().await;
    let c = &chrome.client;

    // Login page; a wrong password first, then the right one.
    c.goto(&hub.url("hub/login")).await.expect("login page");
    wait_for(c, "#username_input", Duration::from_secs(10)).await;
    chrome.screenshot("login").await;
    type_into(c, "#username_input", &alice.name).await;
    type_into(c, "#password_input", "not-the-password").await;
    click(c, "#login_submit").await;
    let error = wait_for(c, ".login_error", Duration::from_secs(10)).await;
    assert!(!error.text().await.unwrap().is_empty());
    type_into(c, "#username_input", &alice.name).await;
    type_into(c, "#password_input", &alice.password).await;
    click(c, "#login_submit").await;
    wait_for_path(c, "/hub/home", Duration::from_secs(10)).await;
    chrome.screenshot("home-empty").await;

    // The spawn form: a value the server refuses shows its error next to the field, and
    // nothing is submitted to the cluster.
    c.goto(&hub.url("hub/spawn")).await.expect("spawn form");
    wait_for(c, "#spawn_form", Duration::from_secs(10)).await;
    chrome.screenshot("spawn-form").await;
    type_into(c, "#field-mem", "lots").await;
    click(c, "#spawn_form [type=submit]").await;
    let error = wait_for(c, "#error-mem", Duration::from_secs(10)).await;
    assert!(!error.text().await.unwrap().is_empty());
    chrome.screenshot("spawn-form-error").await;
    assert!(batchhub_tests::job_states(&hub.cluster).is_empty());

    // Good values: the pending page with its progress, then (by itself) the notebook.
    type_into(c, "#field-mem", "2gb").await;
    click(c, "#spawn_form [type=submit]").await;
    wait_for(c, "#progress", Duration::from_secs(10)).await;
    chrome.screenshot("spawn-pending").await;
    let lab = format!("/user/{}/lab", alice.name);
    wait_for_path(c, &lab, Duration::from_secs(180)).await;
    // JupyterLab's shell renders (its scripts ran under the server's own pages).
    wait_for(c, "#jp-main-dock-panel", Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    chrome.screenshot("notebook").await;

    // Home: the running server's card; stop it there.
    c.goto(&hub.url("hub/home")).await.expect("home");
    let card = wait_for(c, ".card", Duration::from_secs(10)).await;
    let text = card.text().await.unwrap();
    assert!(text.to_lowercase().contains("running"), "{text}");
    chrome.screenshot("home-running").await;
    card.find(Locator::Css("form [type=submit]"))
        .await
        .expect("a stop button on the card")
        .click()
        .await
        .unwrap();
    hub.wait_stopped(&alice.name, Duration::from_secs(60)).await;
    c.goto(&hub.url("hub/home")).await.expect("home");
    wait_for(c, ".card", Duration::from_secs(10)).await;
    chrome.screenshot("home-stopped").await;

    // The notebook's URL now: the hub says the server is not running, with a way to start it.
    c.goto(&hub.url(&format!("user/{}/lab", alice.name)))
        .await
        .expect("the user URL");
    let page = wait_for(c, "main, body", Duration::from_secs(10)).await;
    let text = page.text().await.unwrap().to_lowercase();
    assert!(text.contains("not running"), "{text}");
    chrome.screenshot("server-not-running").await;

    // The admin page (alice is an admin): users, servers and the cluster.
    c.goto(&hub.url("hub/admin")).await.expect("admin");
    let page = wait_for(c, "main, body", Duration::from_secs(10)).await;
    let text = page.text().await.unwrap();
    assert!(text.contains(&alice.name), "{text}");
    assert!(text.to_lowercase().contains("nodes"), "{text}");
    chrome.screenshot("admin").await;
    chrome.close().await;
    hub.stop();
}
