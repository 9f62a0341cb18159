//! The PAM service the `pam` authenticator logs users in through.

use std::path::Path;

use super::Finding;
use crate::config::{AuthenticatorKind, HubConfig};

/// `/etc/pam.d/<auth.pam_service>` when the authenticator is PAM; nothing otherwise.
pub(super) fn check(config: &HubConfig, pam_dir: &Path) -> Option<Finding> {
    if config.auth.authenticator != AuthenticatorKind::Pam {
        return None;
    }
    let service = &config.auth.pam_service;
    let check = "pam service";
    let file = pam_dir.join(service);
    Some(if file.is_file() {
        Finding::ok(check, format!("{} exists", file.display()))
    } else {
        Finding::fail(
            check,
            format!("{} does not exist: every login would fail", file.display()),
            format!(
                "create {} (e.g. a copy of {}), or set auth.pam_service to an existing one",
                file.display(),
                pam_dir.join("login").display()
            ),
        )
    })
}
