//! The checks serde cannot make: URLs that parse, limits of at least 1, files named where
//! a setting needs them, names unique. (The form's checks are in `form_toml`; the form on
//! Slurm is checked in `slurm_form`.)

use std::time::Duration;

use http::Uri;

use super::form_toml::Problem;
use super::locate::ConfigPath;
use super::sections::{
    AuthSection, AuthenticatorKind, HubSection, ProxySection, SimSection, SpawnerSection,
};
use super::{HubConfig, ServiceConfig};

/// The built-in JupyterHub roles a service may be granted.
const ROLES: [&str; 4] = ["admin", "user", "server", "token"];

/// Adds every semantic problem of `config` to `problems`.
pub(crate) fn check(config: &HubConfig, problems: &mut Vec<Problem>) {
    hub(&config.hub, problems);
    proxy(&config.proxy, problems);
    auth(&config.auth, problems);
    spawner(&config.spawner, problems);
    services(&config.services, problems);
    sim(&config.sim, problems);
    super::slurm_form::check(config, problems);
}

/// An `http(s)://host:port/path` URL; its path, or the message saying what is wrong.
fn http_url(text: &str) -> Result<String, String> {
    let uri: Uri = text
        .parse()
        .map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(format!("{text:?} must start with http:// or https://"));
    }
    let host_ok = uri.authority().is_some_and(|a| !a.host().is_empty());
    if !host_ok {
        return Err(format!("{text:?} names no host"));
    }
    if uri.query().is_some() {
        return Err(format!("{text:?} must not have a query"));
    }
    Ok(uri.path().to_string())
}

fn hub(hub: &HubSection, problems: &mut Vec<Problem>) {
    let at = ConfigPath::root("hub");
    let mut url = |key: &str, text: &str| match http_url(text) {
        Ok(path) => {
            let path = if path.ends_with('/') {
                path
            } else {
                format!("{path}/")
            };
            if path != "/" && path != hub.base_url.as_str() {
                problems.push((
                    at.key(key),
                    format!(
                        "its path {path:?} must be `/` or base_url {:?}",
                        hub.base_url.as_str()
                    ),
                ));
            }
        }
        Err(message) => problems.push((at.key(key), message)),
    };
    url("bind_url", &hub.bind_url);
    url("hub_bind_url", &hub.hub_bind_url);
    if let Some(connect) = &hub.hub_connect_url {
        url("hub_connect_url", connect);
    }
    let db_ok = ["sqlite://", "postgres://", "postgresql://"]
        .iter()
        .any(|scheme| hub.db_url.starts_with(scheme));
    if !db_ok {
        problems.push((
            at.key("db_url"),
            "must start with sqlite://, postgres:// or postgresql://".into(),
        ));
    }
    named_file(
        &hub.cookie_secret_file,
        &at.key("cookie_secret_file"),
        problems,
    );
    match (&hub.ssl_cert, &hub.ssl_key) {
        (Some(_), None) => problems.push((at.key("ssl_key"), "needed with ssl_cert".into())),
        (None, Some(_)) => problems.push((at.key("ssl_cert"), "needed with ssl_key".into())),
        _ => {}
    }
    at_least_one(
        hub.concurrent_spawn_limit,
        &at.key("concurrent_spawn_limit"),
        problems,
    );
    at_least_one(
        hub.named_server_limit_per_user,
        &at.key("named_server_limit_per_user"),
        problems,
    );
}

fn proxy(proxy: &ProxySection, problems: &mut Vec<Problem>) {
    let at = ConfigPath::root("proxy");
    if let Err(message) = http_url(&proxy.api_url) {
        problems.push((at.key("api_url"), message));
    }
    if let Some(ca_file) = &proxy.api_ca_file {
        if let Err(e) = crate::proxy_client::read_ca_file(ca_file) {
            problems.push((
                at.key("api_ca_file"),
                crate::proxy_client::client::error_chain(&e),
            ));
        }
    }
    let https = proxy.api_url.starts_with("https://");
    let api_tls_flags = ["--api-ssl-key", "--api-ssl-cert"].iter().all(|flag| {
        proxy
            .command
            .iter()
            .any(|word| word == flag || word.starts_with(&format!("{flag}=")))
    });
    if https && proxy.should_start && !api_tls_flags {
        problems.push((
            at.key("command"),
            "api_url is https:// and the hub starts the proxy: give it --api-ssl-key KEY \
             --api-ssl-cert CERT in command, or use http:// on loopback"
                .into(),
        ));
    }
    if proxy.should_start && proxy.command.first().is_none_or(|c| c.is_empty()) {
        problems.push((at.key("command"), "needed when should_start is true".into()));
    }
    named_file(&proxy.auth_token_file, &at.key("auth_token_file"), problems);
    positive(
        proxy.check_interval.get(),
        &at.key("check_interval"),
        problems,
    );
}

fn auth(auth: &AuthSection, problems: &mut Vec<Problem>) {
    let at = ConfigPath::root("auth");
    match auth.authenticator {
        AuthenticatorKind::Pam if auth.pam_service.is_empty() => {
            problems.push((at.key("pam_service"), "must not be empty".into()));
        }
        AuthenticatorKind::SharedPassword if auth.shared_password_file.is_none() => {
            problems.push((
                at.key("shared_password_file"),
                "needed by the shared-password authenticator".into(),
            ))
        }
        AuthenticatorKind::StaticUsers if auth.users_file.is_none() => problems.push((
            at.key("users_file"),
            "needed by the static-users authenticator".into(),
        )),
        _ => {}
    }
    for group in &auth.allowed_groups {
        // A group name is one word of the system's group database: no blanks, no colon.
        if group.is_empty() || group.contains(|c: char| c.is_whitespace() || c == ':') {
            problems.push((
                at.key("allowed_groups"),
                format!("{group:?} is not a group name"),
            ));
        }
    }
    at_least_one(
        auth.max_failed_logins,
        &at.key("max_failed_logins"),
        problems,
    );
    positive(
        auth.failed_login_window.get(),
        &at.key("failed_login_window"),
        problems,
    );
}

fn spawner(spawner: &SpawnerSection, problems: &mut Vec<Problem>) {
    let at = ConfigPath::root("spawner");
    positive(
        spawner.poll_interval.get(),
        &at.key("poll_interval"),
        problems,
    );
    positive(
        spawner.command_timeout.get(),
        &at.key("command_timeout"),
        problems,
    );
    positive(
        spawner.http_timeout.get(),
        &at.key("http_timeout"),
        problems,
    );
    if let Some(timeout) = spawner.queue_timeout {
        positive(timeout.get(), &at.key("queue_timeout"), problems);
    }
    if let Some(file) = &spawner.batch_script_file {
        named_file(file, &at.key("batch_script_file"), problems);
    }
    for (i, word) in spawner.exec_prefix.iter().enumerate() {
        // `{username}` is the only placeholder; any other brace is a typo that would reach
        // the command line as it is.
        if word.replace("{username}", "").contains(['{', '}']) {
            problems.push((
                at.key("exec_prefix").index(i),
                "the only placeholder is {username}".into(),
            ));
        }
    }
    sudo_prefix(&spawner.exec_prefix, &at.key("exec_prefix"), problems);
    if spawner.cmd.first().is_none_or(|c| c.is_empty()) {
        problems.push((
            at.key("cmd"),
            "must name the notebook server's program".into(),
        ));
    }
    for (i, name) in spawner.env_keep.iter().enumerate() {
        let mut chars = name.chars();
        let ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            problems.push((
                at.key("env_keep").index(i),
                format!("{name:?} is not an environment variable name"),
            ));
        }
    }
}

/// A `sudo` run-as prefix may not pass the hub's environment (`-E`, `--preserve-env`) nor
/// start a shell (`-s`, `-i`): the submit command gets only what the driver's allowlist
/// names, and a user's job script is never read by a shell the hub's privileges opened.
fn sudo_prefix(prefix: &[String], at: &ConfigPath, problems: &mut Vec<Problem>) {
    let is_sudo = prefix
        .first()
        .is_some_and(|p| std::path::Path::new(p).file_name() == Some("sudo".as_ref()));
    if !is_sudo {
        return;
    }
    for (i, word) in prefix.iter().enumerate().skip(1) {
        if word == "--" {
            break;
        }
        let long_bad = ["--preserve-env", "--shell", "--login"]
            .iter()
            .any(|flag| word == flag || word.starts_with(&format!("{flag}=")));
        let short_bad = word.starts_with('-')
            && !word.starts_with("--")
            && word[1..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .any(|c| matches!(c, 'E' | 's' | 'i'));
        if long_bad || short_bad {
            problems.push((
                at.index(i),
                format!(
                    "sudo {word} would pass the hub's environment or open a shell; the \
                     scheduler commands get only the driver's allowlisted variables \
                     (keep them in sudoers with env_keep, see `hub sudoers`)"
                ),
            ));
        }
    }
}

fn services(services: &[ServiceConfig], problems: &mut Vec<Problem>) {
    let at = ConfigPath::root("services");
    for (i, service) in services.iter().enumerate() {
        let here = at.index(i);
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if service.name.is_empty() || !service.name.chars().all(plain) {
            problems.push((
                here.key("name"),
                "must be letters, digits, `-`, `_` or `.`".into(),
            ));
        } else if services[..i].iter().any(|s| s.name == service.name) {
            problems.push((
                here.key("name"),
                format!("another service is already called {:?}", service.name),
            ));
        }
        if let Some(url) = &service.url {
            if let Err(message) = http_url(url) {
                problems.push((here.key("url"), message));
            }
        }
        match &service.api_token_file {
            Some(file) => named_file(file, &here.key("api_token_file"), problems),
            None => problems.push((
                here.key("api_token_file"),
                "a service needs the file holding its API token".into(),
            )),
        }
        for (j, scope) in service.scopes.iter().enumerate() {
            if scope.is_empty() || scope.contains(char::is_whitespace) {
                problems.push((
                    here.key("scopes").index(j),
                    format!("{scope:?} is not a scope"),
                ));
            }
        }
        for (j, role) in service.roles.iter().enumerate() {
            if !ROLES.contains(&role.as_str()) {
                problems.push((
                    here.key("roles").index(j),
                    format!("not one of {}", ROLES.join(", ")),
                ));
            }
        }
    }
}

fn sim(sim: &SimSection, problems: &mut Vec<Problem>) {
    let at = ConfigPath::root("sim");
    named_file(&sim.state_dir, &at.key("state_dir"), problems);
    at_least_one(sim.node_count, &at.key("node_count"), problems);
    if !(0.0..10.0).contains(&sim.background_load) {
        problems.push((
            at.key("background_load"),
            "must be between 0 and 10 (1 = every core demanded)".into(),
        ));
    }
    if !(sim.speedup > 0.0 && sim.speedup.is_finite()) {
        problems.push((at.key("speedup"), "must be a positive number".into()));
    }
}

fn named_file(file: &std::path::Path, at: &ConfigPath, problems: &mut Vec<Problem>) {
    if file.as_os_str().is_empty() {
        problems.push((at.clone(), "must name a file".into()));
    }
}

fn at_least_one(value: u32, at: &ConfigPath, problems: &mut Vec<Problem>) {
    if value < 1 {
        problems.push((at.clone(), "must be at least 1".into()));
    }
}

fn positive(value: Duration, at: &ConfigPath, problems: &mut Vec<Problem>) {
    if value.is_zero() {
        problems.push((at.clone(), "must be longer than 0s".into()));
    }
}
