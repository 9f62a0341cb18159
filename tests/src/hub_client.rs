//! Talking to a test hub and its proxy from outside, as a service or an operator would:
//! the hub's REST API with a token, the proxy's route API, and stopping the proxy a hub
//! left running (a hub's SIGTERM leaves it, as production wants).

use std::path::Path;

use serde_json::Value;

/// `method` on `{api_base}{path}` (`api_base` ends in `hub/api`) with `token`; the status
/// and the JSON body (`Null` when empty or not JSON; status 0 when nothing answered).
pub async fn hub_api(
    api_base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{api_base}{path}"))
        .header("Authorization", format!("token {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// The routes of the proxy whose API is `proxy_api` (`http://127.0.0.1:PORT`), asked
/// with the token in `token_file` (the hub's).
pub async fn proxy_routes(proxy_api: &str, token_file: &Path) -> Value {
    let token = std::fs::read_to_string(token_file).expect("proxy token");
    let response = reqwest::Client::new()
        .get(format!("{proxy_api}/api/routes"))
        .header("Authorization", format!("token {}", token.trim()))
        .send()
        .await
        .expect("the proxy's API answers");
    response.json().await.expect("routes are JSON")
}

/// SIGTERM to the proxy whose pid is in `pid_file` (`--pid-file`), if it wrote one.
pub fn stop_proxy(pid_file: &Path) {
    if let Ok(text) = std::fs::read_to_string(pid_file) {
        if let Ok(pid) = text.trim().parse::<i32>() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }
}
