//! The environment a server's job starts with: what `jupyterhub-singleuser` reads (see the
//! protocol reference, §1.2). Pure: the token and the URLs come in, a map goes out.

use std::collections::BTreeMap;

use crate::proxy_client::routespec;

/// What the job's environment is built from.
#[derive(Debug, Clone)]
pub struct JobEnvInput<'a> {
    /// The hub's base URL (`/` or `/jupyterhub/`).
    pub base_url: &'a str,
    /// The hub's API URL as the compute nodes reach it (`http://hub:8081/hub/api`).
    pub api_url: &'a str,
    /// The server's owner.
    pub user: &'a str,
    /// The server's name (`""` for the default server).
    pub server: &'a str,
    /// The server's own API token (also its OAuth client secret).
    pub token: &'a str,
    /// Variables the site passes on (`env_keep`, resolved by the binary); the
    /// `JUPYTERHUB_*` ones below win over them.
    pub extra: &'a BTreeMap<String, String>,
}

/// The OAuth client id of a server: `jupyterhub-user-alice[-gpu1]`, as JupyterHub names it.
pub fn client_id(user: &str, server: &str) -> String {
    if server.is_empty() {
        format!("jupyterhub-user-{user}")
    } else {
        format!("jupyterhub-user-{user}-{server}")
    }
}

/// The OAuth callback of a server: `<prefix>oauth_callback`.
pub fn oauth_callback(base_url: &str, user: &str, server: &str) -> String {
    format!(
        "{}oauth_callback",
        routespec::user_server(base_url, user, server)
    )
}

/// The scopes the server's own token holds: report activity for its user, reach the server.
pub fn server_token_scopes(user: &str, server: &str) -> Vec<String> {
    vec![
        format!("users:activity!user={user}"),
        format!("access:servers!server={user}/{server}"),
    ]
}

/// The job's environment.
pub fn job_environment(input: &JobEnvInput<'_>) -> BTreeMap<String, String> {
    let JobEnvInput {
        base_url,
        api_url,
        user,
        server,
        token,
        extra,
    } = input;
    let api_url = api_url.trim_end_matches('/');
    let prefix = routespec::user_server(base_url, user, server);
    // Who may use the server: the user's own session for it, or any of the user's servers.
    let access = serde_json::json!([
        format!("access:servers!server={user}/{server}"),
        format!("access:servers!user={user}"),
    ])
    .to_string();
    let mut env = (*extra).clone();
    let vars = [
        ("JUPYTERHUB_API_TOKEN", token.to_string()),
        ("JUPYTERHUB_API_URL", api_url.to_string()),
        (
            "JUPYTERHUB_ACTIVITY_URL",
            format!("{api_url}/users/{user}/activity"),
        ),
        ("JUPYTERHUB_BASE_URL", base_url.to_string()),
        ("JUPYTERHUB_SERVICE_PREFIX", prefix.clone()),
        // The port is not known until the job picks one; the wrapper reports it.
        (
            "JUPYTERHUB_SERVICE_URL",
            format!("http://0.0.0.0:0{prefix}"),
        ),
        ("JUPYTERHUB_USER", user.to_string()),
        ("JUPYTERHUB_SERVER_NAME", server.to_string()),
        ("JUPYTERHUB_CLIENT_ID", client_id(user, server)),
        (
            "JUPYTERHUB_OAUTH_CALLBACK_URL",
            oauth_callback(base_url, user, server),
        ),
        ("JUPYTERHUB_OAUTH_ACCESS_SCOPES", access.clone()),
        ("JUPYTERHUB_OAUTH_SCOPES", access),
        ("JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES", "[]".to_string()),
        // Empty: redirects stay relative, on the proxy's origin.
        ("JUPYTERHUB_HOST", String::new()),
    ];
    for (name, value) in vars {
        env.insert(name.to_string(), value);
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_server_gets_its_prefix_client_and_callback() {
        let extra = BTreeMap::from([
            ("PATH".to_string(), "/usr/bin".to_string()),
            ("JUPYTERHUB_USER".to_string(), "mallory".to_string()),
        ]);
        let env = job_environment(&JobEnvInput {
            base_url: "/jh/",
            api_url: "http://hub:8081/jh/hub/api/",
            user: "alice",
            server: "gpu1",
            token: "secret",
            extra: &extra,
        });
        assert_eq!(env["JUPYTERHUB_API_URL"], "http://hub:8081/jh/hub/api");
        assert_eq!(env["JUPYTERHUB_SERVICE_PREFIX"], "/jh/user/alice/gpu1/");
        assert_eq!(
            env["JUPYTERHUB_SERVICE_URL"],
            "http://0.0.0.0:0/jh/user/alice/gpu1/"
        );
        assert_eq!(env["JUPYTERHUB_CLIENT_ID"], "jupyterhub-user-alice-gpu1");
        assert_eq!(
            env["JUPYTERHUB_OAUTH_CALLBACK_URL"],
            "/jh/user/alice/gpu1/oauth_callback"
        );
        assert_eq!(
            env["JUPYTERHUB_USER"], "alice",
            "ours win over passed-on ones"
        );
        assert_eq!(env["JUPYTERHUB_SERVER_NAME"], "gpu1");
        assert_eq!(env["JUPYTERHUB_API_TOKEN"], "secret");
        assert_eq!(env["PATH"], "/usr/bin");
        let scopes: Vec<String> =
            serde_json::from_str(&env["JUPYTERHUB_OAUTH_ACCESS_SCOPES"]).unwrap();
        assert_eq!(
            scopes,
            [
                "access:servers!server=alice/gpu1",
                "access:servers!user=alice"
            ]
        );
    }

    #[test]
    fn the_default_server_has_the_plain_names() {
        let env = job_environment(&JobEnvInput {
            base_url: "/",
            api_url: "http://hub:8081/hub/api",
            user: "bob",
            server: "",
            token: "t",
            extra: &BTreeMap::new(),
        });
        assert_eq!(env["JUPYTERHUB_SERVICE_PREFIX"], "/user/bob/");
        assert_eq!(env["JUPYTERHUB_CLIENT_ID"], "jupyterhub-user-bob");
        assert_eq!(env["JUPYTERHUB_SERVER_NAME"], "");
        assert_eq!(
            env["JUPYTERHUB_ACTIVITY_URL"],
            "http://hub:8081/hub/api/users/bob/activity"
        );
    }
}
