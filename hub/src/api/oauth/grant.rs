//! What an authorization grants: which server an OAuth client is, who may authorize it,
//! and the scopes of the token it becomes. Pure functions, shared by the authorize page
//! ([`crate::web`]) and the token endpoint.

use std::time::Duration;

use percent_encoding::percent_decode_str;

/// How long an authorization code can be exchanged (JupyterHub: 5 minutes).
pub const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// How long an OAuth access token lasts (JupyterHub's `oauth_token_expires_in`, which
/// defaults to `cookie_max_age_days`: 14 days).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

/// The notebook server an OAuth client stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientServer {
    /// The server's owner.
    pub user: String,
    /// The server's name (`""`: the default server).
    pub server: String,
    /// Its URL prefix as routed (`/user/alice/`), for messages.
    pub prefix: String,
}

/// The server whose OAuth client has `redirect_uri`. The hub registers every client at
/// spawn with the callback `{base}user/{user}/[{server}/]oauth_callback` (see
/// [`crate::spawning::job_env::oauth_callback`]), so the callback names the server; the
/// table does not need to. `None` for anything else.
pub fn server_of_client(base_url: &str, redirect_uri: &str) -> Option<ClientServer> {
    let base = base_url.trim_end_matches('/');
    let rest = redirect_uri.strip_prefix(&format!("{base}/user/"))?;
    let names = rest.strip_suffix("/oauth_callback")?;
    let decode = |s: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    };
    let (user, server) = match names.split_once('/') {
        None => (decode(names)?, String::new()),
        Some((user, server)) if !server.contains('/') && !server.is_empty() => {
            (decode(user)?, decode(server)?)
        }
        Some(_) => return None,
    };
    if user.is_empty() {
        return None;
    }
    let prefix = redirect_uri[..redirect_uri.len() - "oauth_callback".len()].to_string();
    Some(ClientServer {
        user,
        server,
        prefix,
    })
}

/// The scopes of the token a code becomes, fully resolved as `jupyterhub-singleuser`
/// needs them: access to this one server, and the `identify` scopes (name and groups) of
/// the user who authorized it. The same as JupyterHub grants by default.
pub fn token_scopes(authorizer: &str, client: &ClientServer) -> Vec<String> {
    vec![
        format!("access:servers!server={}/{}", client.user, client.server),
        format!("read:users:groups!user={authorizer}"),
        format!("read:users:name!user={authorizer}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_name_their_server() {
        assert_eq!(
            server_of_client("/", "/user/alice/oauth_callback"),
            Some(ClientServer {
                user: "alice".into(),
                server: String::new(),
                prefix: "/user/alice/".into()
            })
        );
        let named = server_of_client("/jh/", "/jh/user/alice/gpu1/oauth_callback").unwrap();
        assert_eq!(
            (named.user.as_str(), named.server.as_str()),
            ("alice", "gpu1")
        );
        assert_eq!(named.prefix, "/jh/user/alice/gpu1/");
        let escaped = server_of_client("/", "/user/a%20b/oauth_callback").unwrap();
        assert_eq!(escaped.user, "a b");
        for other in [
            "/user//oauth_callback",
            "/user/alice/x/y/oauth_callback",
            "/hub/oauth_callback",
            "http://evil/user/alice/oauth_callback",
            "/user/alice/oauth_callback?x",
        ] {
            assert_eq!(server_of_client("/", other), None, "{other}");
        }
        assert_eq!(server_of_client("/jh/", "/user/alice/oauth_callback"), None);
    }

    #[test]
    fn scopes_are_resolved() {
        let client = server_of_client("/", "/user/alice/gpu1/oauth_callback").unwrap();
        assert_eq!(
            token_scopes("root", &client),
            [
                "access:servers!server=alice/gpu1",
                "read:users:groups!user=root",
                "read:users:name!user=root"
            ]
        );
    }
}
