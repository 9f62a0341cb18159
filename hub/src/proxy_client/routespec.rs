//! Route specs as JupyterHub writes them (`/`, `/user/alice/`, `/user/alice/gpu1/`) and the
//! paths the route API takes: the trailing slash dropped except for the root, which is
//! posted as `/api/routes/`.

/// The API path for a route spec: `/user/alice/` → `/user/alice`; `/` stays `/`.
pub fn to_api_path(spec: &str) -> String {
    let with_lead = if spec.starts_with('/') {
        spec.to_string()
    } else {
        format!("/{spec}")
    };
    if with_lead == "/" {
        return with_lead;
    }
    with_lead.trim_end_matches('/').to_string()
}

/// The route spec for a path the proxy lists: `/user/alice` → `/user/alice/`.
pub fn from_api_path(path: &str) -> String {
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}

/// The route spec of a user's server: `/user/<name>/` or `/user/<name>/<server>/`, under
/// the hub's `base_url` (`/jupyterhub/` gives `/jupyterhub/user/alice/`).
pub fn user_server(base_url: &str, user: &str, server: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let user = percent_encoding::utf8_percent_encode(user, SEGMENT);
    if server.is_empty() {
        format!("{base}/user/{user}/")
    } else {
        let server = percent_encoding::utf8_percent_encode(server, SEGMENT);
        format!("{base}/user/{user}/{server}/")
    }
}

/// The data JupyterHub stores with a user server's route (`{"user": …, "server_name": …}`):
/// what marks a route as the hub's own to reconcile.
pub fn user_server_data(user: &str, server: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut data = serde_json::Map::new();
    data.insert("user".to_string(), serde_json::Value::from(user));
    data.insert("server_name".to_string(), serde_json::Value::from(server));
    data
}

/// What a path segment must escape (a user name with `/` or `%` must not change the route).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'%')
    .add(b'?')
    .add(b'#')
    .add(b'"')
    .add(b'<')
    .add(b'>');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_paths_map_as_jupyterhub_maps_them() {
        assert_eq!(to_api_path("/user/alice/"), "/user/alice");
        assert_eq!(to_api_path("/"), "/");
        assert_eq!(to_api_path("/user/alice/gpu1/"), "/user/alice/gpu1");
        assert_eq!(from_api_path("/user/alice"), "/user/alice/");
        assert_eq!(from_api_path("/"), "/");
        for spec in ["/", "/user/alice/", "/jupyterhub/user/bob/gpu/"] {
            assert_eq!(from_api_path(&to_api_path(spec)), spec);
        }
    }

    #[test]
    fn user_routes_sit_under_the_base_url_with_names_escaped() {
        assert_eq!(user_server("/", "alice", ""), "/user/alice/");
        assert_eq!(
            user_server("/jupyterhub/", "alice", "gpu1"),
            "/jupyterhub/user/alice/gpu1/"
        );
        assert_eq!(user_server("/", "a/b", ""), "/user/a%2Fb/");
    }
}
