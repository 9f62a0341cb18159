//! Secret files must be private to the hub's user: the same rule `hub serve` enforces
//! ([`crate::serve::secrets::is_private`]).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::Finding;
use crate::config::{AuthenticatorKind, HubConfig};
use crate::serve::secrets::{is_private, private_fix};

/// What to do with a secret file that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WhenMissing {
    /// `hub serve` writes a new one (mode 0600): fine.
    Created,
    /// `hub serve` needs it and stops without it.
    Needed,
}

/// Every secret file the config names.
pub(super) fn check(config: &HubConfig) -> Vec<Finding> {
    let mut findings = vec![
        file(
            "cookie secret",
            &config.hub.cookie_secret_file,
            WhenMissing::Created,
        ),
        file(
            "proxy auth token",
            &config.proxy.auth_token_file,
            WhenMissing::Created,
        ),
    ];
    for service in &config.services {
        if let Some(path) = &service.api_token_file {
            findings.push(file(
                &format!("service {} token", service.name),
                path,
                WhenMissing::Needed,
            ));
        }
    }
    let auth_file = match config.auth.authenticator {
        AuthenticatorKind::SharedPassword => {
            Some(("shared password", &config.auth.shared_password_file))
        }
        AuthenticatorKind::StaticUsers => Some(("users file", &config.auth.users_file)),
        AuthenticatorKind::Pam => None,
    };
    if let Some((what, Some(path))) = auth_file {
        findings.push(file(what, path, WhenMissing::Needed));
    }
    findings
}

/// One secret file: private, missing (and whether that is fine), or unreadable.
pub(super) fn file(what: &str, path: &Path, missing: WhenMissing) -> Finding {
    let check = format!("secret: {what}");
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mode = meta.permissions().mode();
            if is_private(mode) {
                Finding::ok(
                    check,
                    format!("{} is private ({:o})", path.display(), mode & 0o777),
                )
            } else {
                Finding::fail(
                    check,
                    format!(
                        "{} is readable by others (mode {:o})",
                        path.display(),
                        mode & 0o777
                    ),
                    private_fix(path),
                )
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match missing {
            WhenMissing::Created => Finding::ok(
                check,
                format!(
                    "{} does not exist yet; hub serve creates it (0600)",
                    path.display()
                ),
            ),
            WhenMissing::Needed => Finding::fail(
                check,
                format!("{} does not exist; hub serve needs it", path.display()),
                format!("write it, then `{}`", private_fix(path)),
            ),
        },
        Err(e) => Finding::fail(
            check,
            format!("cannot read {}: {e}", path.display()),
            "run the doctor as the hub's user, or fix the directory's permissions",
        ),
    }
}
