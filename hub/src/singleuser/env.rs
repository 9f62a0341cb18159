//! The environment the hub gives a server (see the protocol reference, §1.2), read once.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What `hub-singleuser` needs from the hub's environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubEnv {
    /// `JUPYTERHUB_API_URL`, without a trailing slash, e.g. `http://login1:8081/hub/api`.
    pub api_url: String,
    /// `JUPYTERHUB_API_TOKEN`: this server's own token.
    pub api_token: String,
    /// `JUPYTERHUB_USER`.
    pub user: String,
    /// `JUPYTERHUB_SERVER_NAME`; empty for the default server.
    pub server_name: String,
    /// `JUPYTERHUB_SERVICE_PREFIX`, e.g. `/user/alice/`; always ends with `/`.
    pub service_prefix: String,
    /// `JUPYTERHUB_SERVICE_URL`, if set: the URL the server binds, its port rewritten.
    pub service_url: Option<String>,
    /// Where activity is posted: `JUPYTERHUB_ACTIVITY_URL`, or else
    /// `{api_url}/users/{user}/activity`.
    pub activity_url: String,
}

/// A variable the server cannot do without is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// Not set, or set to the empty string.
    #[error("environment variable {0} is not set (the hub sets it in the job's environment)")]
    Missing(&'static str),
    /// Set, but unusable.
    #[error("environment variable {name}={value:?}: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Characters escaped in a user name within a URL path: like JupyterHub's
/// `quote(name, safe='@~')`, which also keeps `-`, `.` and `_`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

impl HubEnv {
    /// Reads the variables through `var` (e.g. `|name| std::env::var(name).ok()`), so the
    /// reading can be tested without touching the process environment.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<HubEnv, EnvError> {
        let present = |name: &'static str| var(name).filter(|value| !value.is_empty());
        let required = |name: &'static str| present(name).ok_or(EnvError::Missing(name));

        let api_url = required("JUPYTERHUB_API_URL")?;
        if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
            return Err(EnvError::Invalid {
                name: "JUPYTERHUB_API_URL",
                value: api_url,
                reason: "not an http:// or https:// URL",
            });
        }
        let api_url = api_url.trim_end_matches('/').to_string();
        let api_token = required("JUPYTERHUB_API_TOKEN")?;
        let user = required("JUPYTERHUB_USER")?;
        let service_prefix = required("JUPYTERHUB_SERVICE_PREFIX")?;
        if !service_prefix.starts_with('/') {
            return Err(EnvError::Invalid {
                name: "JUPYTERHUB_SERVICE_PREFIX",
                value: service_prefix,
                reason: "must start with /",
            });
        }
        let service_prefix = if service_prefix.ends_with('/') {
            service_prefix
        } else {
            format!("{service_prefix}/")
        };
        let activity_url = present("JUPYTERHUB_ACTIVITY_URL").unwrap_or_else(|| {
            format!(
                "{api_url}/users/{}/activity",
                utf8_percent_encode(&user, PATH_SEGMENT)
            )
        });
        Ok(HubEnv {
            api_token,
            server_name: var("JUPYTERHUB_SERVER_NAME").unwrap_or_default(),
            service_url: present("JUPYTERHUB_SERVICE_URL"),
            activity_url,
            service_prefix,
            user,
            api_url,
        })
    }

    /// Where the port is reported: `{api_url}/batchspawner`.
    pub fn report_url(&self) -> String {
        format!("{}/batchspawner", self.api_url)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const FULL: &[(&str, &str)] = &[
        ("JUPYTERHUB_API_URL", "http://login1:8081/hub/api/"),
        ("JUPYTERHUB_API_TOKEN", "secret"),
        ("JUPYTERHUB_USER", "alice b"),
        ("JUPYTERHUB_SERVICE_PREFIX", "/user/alice%20b"),
        ("JUPYTERHUB_SERVICE_URL", "http://0.0.0.0:0/user/alice%20b/"),
    ];

    #[test]
    fn reads_the_hub_environment() {
        let env = HubEnv::from_lookup(lookup(FULL)).unwrap();
        assert_eq!(env.api_url, "http://login1:8081/hub/api");
        assert_eq!(env.report_url(), "http://login1:8081/hub/api/batchspawner");
        assert_eq!(env.service_prefix, "/user/alice%20b/");
        assert_eq!(env.server_name, "");
        assert_eq!(
            env.activity_url,
            "http://login1:8081/hub/api/users/alice%20b/activity"
        );
        assert_eq!(
            env.service_url.as_deref(),
            Some("http://0.0.0.0:0/user/alice%20b/")
        );
    }

    #[test]
    fn the_hub_given_activity_url_wins() {
        let mut vars = FULL.to_vec();
        vars.push(("JUPYTERHUB_ACTIVITY_URL", "http://elsewhere/act"));
        let env = HubEnv::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(env.activity_url, "http://elsewhere/act");
    }

    #[test]
    fn a_missing_or_empty_variable_is_named() {
        for name in [
            "JUPYTERHUB_API_URL",
            "JUPYTERHUB_API_TOKEN",
            "JUPYTERHUB_USER",
            "JUPYTERHUB_SERVICE_PREFIX",
        ] {
            let without: Vec<_> = FULL.iter().copied().filter(|(k, _)| *k != name).collect();
            assert_eq!(
                HubEnv::from_lookup(lookup(&without)),
                Err(EnvError::Missing(name))
            );
            let mut empty = without.clone();
            empty.push((name, ""));
            assert_eq!(
                HubEnv::from_lookup(lookup(&empty)),
                Err(EnvError::Missing(name))
            );
        }
    }

    #[test]
    fn a_bad_api_url_is_refused() {
        let mut vars: Vec<_> = FULL[1..].to_vec();
        vars.push(("JUPYTERHUB_API_URL", "login1:8081"));
        let err = HubEnv::from_lookup(lookup(&vars)).unwrap_err();
        assert!(err.to_string().contains("JUPYTERHUB_API_URL"), "{err}");
    }
}
