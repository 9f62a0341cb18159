//! The config, turned into the settings each part takes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use http::Uri;

use super::scheduler::SimCluster;
use crate::auth::pam::Pam;
use crate::auth::shared::SharedPassword;
use crate::auth::static_users::StaticUsers;
use crate::auth::Authenticator;
use crate::config::{AuthSection, AuthenticatorKind, HubConfig};
use crate::spawner::SpawnerConfig;
use crate::spawning::SpawningConfig;
use crate::web::WebSettings;

/// The authenticator `[auth]` names.
pub(crate) fn authenticator(auth: &AuthSection) -> anyhow::Result<Arc<dyn Authenticator>> {
    Ok(match auth.authenticator {
        AuthenticatorKind::Pam => Arc::new(Pam::new(&auth.pam_service).context("[auth] pam")?),
        AuthenticatorKind::SharedPassword => {
            let file = auth
                .shared_password_file
                .as_ref()
                .context("auth.shared_password_file is needed by shared-password")?;
            let text = std::fs::read_to_string(file).with_context(|| {
                format!("cannot read auth.shared_password_file {}", file.display())
            })?;
            Arc::new(SharedPassword::new(text.trim()).context("auth.shared_password_file")?)
        }
        AuthenticatorKind::StaticUsers => {
            let file = auth
                .users_file
                .as_ref()
                .context("auth.users_file is needed by static-users")?;
            Arc::new(StaticUsers::load(file).context("auth.users_file")?)
        }
    })
}

/// The pages' settings. Cookies are marked `Secure` when users reach the hub over HTTPS
/// (`bind_url` is `https://…`).
pub(crate) fn web(
    config: &HubConfig,
    cookie_secret: &[u8],
    clock: crate::api::Clock,
    authenticator_kind: &'static str,
    login_hint: Option<String>,
) -> WebSettings {
    let names = |list: &[drivers::UserName]| list.iter().map(|u| u.to_string()).collect();
    WebSettings {
        base_url: config.hub.base_url.as_str().to_string(),
        admin_users: names(&config.auth.admin_users),
        allowed_users: names(&config.auth.allowed_users),
        allowed_groups: config.auth.allowed_groups.iter().cloned().collect(),
        form: config.spawner.form.clone(),
        terms: config.spawner.scheduler.terms(),
        cookie_secret: cookie_secret.to_vec(),
        secure_cookies: config.hub.bind_url.starts_with("https://"),
        session_lifetime: WebSettings::DEFAULT_SESSION_LIFETIME,
        max_failed_logins: config.auth.max_failed_logins,
        failed_login_window: config.auth.failed_login_window.get(),
        clock,
        authenticator_kind,
        login_hint,
    }
}

/// The hub as the proxy and the hub itself reach it: its bound address, with a wildcard
/// address replaced by loopback.
pub(crate) fn hub_target(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
        ip if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{ip}:{}", addr.port())
}

/// `scheme://authority` of a URL (its path dropped).
fn origin(url: &str) -> anyhow::Result<String> {
    let uri: Uri = url
        .parse()
        .with_context(|| format!("{url:?} is not a URL"))?;
    let scheme = uri.scheme_str().unwrap_or("http");
    let authority = uri
        .authority()
        .with_context(|| format!("{url:?} names no host"))?;
    Ok(format!("{scheme}://{authority}"))
}

/// The URL users open: `bind_url`'s origin (a wildcard host shown as `127.0.0.1`) and the
/// base URL.
pub(crate) fn public_url(bind_url: &str, base_url: &str) -> String {
    let origin = origin(bind_url).unwrap_or_else(|_| bind_url.trim_end_matches('/').to_string());
    let origin = origin
        .replace("://0.0.0.0", "://127.0.0.1")
        .replace("://[::]", "://[::1]");
    format!("{origin}{base_url}")
}

/// The spawner's settings. Notebook servers reach the hub at `hub_connect_url` (default:
/// where the hub really listens); their API URL is that origin + `{base_url}hub/api`.
pub(crate) fn spawning(
    config: &HubConfig,
    hub_addr: SocketAddr,
    sim: Option<&SimCluster>,
) -> anyhow::Result<SpawningConfig> {
    let base_url = config.hub.base_url.as_str().to_string();
    let connect = match &config.hub.hub_connect_url {
        Some(url) => origin(url).context("hub.hub_connect_url")?,
        None => hub_target(hub_addr),
    };
    let spawner = &config.spawner;
    // Library code reads no environment; the binary's process is the hub, so here is
    // where `env_keep` is looked up.
    let extra_env: BTreeMap<String, String> = spawner
        .env_keep
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|value| (name.clone(), value)))
        .collect();
    // The simulated cluster's jobs all run as the hub's own user, who has one home: unless
    // configured, they start in the cluster's state directory instead.
    let working_dir = match (&spawner.working_dir, sim) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(sim)) => {
            let dir = sim.state_dir.join("work");
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Some(dir)
        }
        (None, None) => None,
    };
    Ok(SpawningConfig {
        spawner: SpawnerConfig {
            start_timeout: spawner.http_timeout.get(),
            queue_timeout: spawner.queue_timeout.map(|d| d.get()),
            concurrent_spawn_limit: Some(config.hub.concurrent_spawn_limit as usize),
            ..SpawnerConfig::default()
        },
        form: spawner.form.clone(),
        terms: spawner.scheduler.terms(),
        poll_interval: spawner.poll_interval.get(),
        base_url: base_url.clone(),
        api_url: format!("{connect}{base_url}hub/api"),
        job_name: spawner.job_name.clone(),
        cmd: spawner.cmd.clone(),
        working_dir,
        allow_named_servers: config.hub.allow_named_servers,
        named_server_limit_per_user: config.hub.named_server_limit_per_user,
        extra_env,
        wait_until_answering: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_reached_on_loopback() {
        assert_eq!(
            hub_target("0.0.0.0:8081".parse().unwrap()),
            "http://127.0.0.1:8081"
        );
        assert_eq!(
            hub_target("10.1.2.3:8081".parse().unwrap()),
            "http://10.1.2.3:8081"
        );
        assert_eq!(
            hub_target("[::]:8081".parse().unwrap()),
            "http://[::1]:8081"
        );
        assert_eq!(
            public_url("http://0.0.0.0:8000/", "/jupyter/"),
            "http://127.0.0.1:8000/jupyter/"
        );
    }

    #[test]
    fn servers_reach_the_hub_api_at_the_connect_url_under_the_base_url() {
        let mut config = HubConfig::default();
        config.hub.hub_connect_url = Some("http://login1.cluster:8081/".to_string());
        let built = spawning(&config, "127.0.0.1:8081".parse().unwrap(), None).unwrap();
        assert_eq!(built.api_url, "http://login1.cluster:8081/hub/api");
        config.hub.hub_connect_url = None;
        let built = spawning(&config, "0.0.0.0:9000".parse().unwrap(), None).unwrap();
        assert_eq!(built.api_url, "http://127.0.0.1:9000/hub/api");
        assert_eq!(
            built.spawner.start_timeout,
            config.spawner.http_timeout.get()
        );
        assert_eq!(built.spawner.concurrent_spawn_limit, Some(100));
    }
}
