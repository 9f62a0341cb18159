//! The hub's secret files (the cookie key, the proxy's API token): read, or created with
//! mode 0600 when missing. A secret file others can read is refused, as JupyterHub
//! refuses a cookie secret with open permissions: a leaked key forges every login.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context};
use rand::RngCore;

/// Mode bits that open a file to its group or to others: a secret file must have none.
const OPEN_TO_OTHERS: u32 = 0o077;

/// Whether a file with permission bits `mode` keeps its secret: only its owner may read or
/// write it. `hub serve` refuses a secret file that is not; `hub doctor` reports it.
pub fn is_private(mode: u32) -> bool {
    mode & OPEN_TO_OTHERS == 0
}

/// The command that makes `path` private.
pub fn private_fix(path: &Path) -> String {
    format!("chmod 600 {}", path.display())
}

/// The secret in `path` (hex text, surrounding whitespace ignored), or `bytes` new random
/// bytes written there as hex with mode 0600 when the file does not exist.
pub fn read_or_create(path: &Path, bytes: usize, what: &str) -> anyhow::Result<String> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mode = meta.permissions().mode();
            if !is_private(mode) {
                bail!(
                    "{what} file {} is readable by others (mode {:o}); run `{}`",
                    path.display(),
                    mode & 0o777,
                    private_fix(path)
                );
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
            let secret = text.trim().to_string();
            if secret.len() < 32 {
                bail!(
                    "the {what} file {} holds {} characters; at least 32 are needed \
                     (delete it to have a new one made)",
                    path.display(),
                    secret.len()
                );
            }
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut raw = vec![0u8; bytes];
            rand::rngs::OsRng.fill_bytes(&mut raw);
            let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create the {what} file {}", path.display()))?;
            file.write_all(format!("{secret}\n").as_bytes())
                .with_context(|| format!("cannot write the {what} file {}", path.display()))?;
            tracing::info!(file = %path.display(), "wrote a new {what}");
            Ok(secret)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the {what} file {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_secret_is_made_0600_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/cookie_secret");
        let made = read_or_create(&path, 32, "cookie secret").unwrap();
        assert_eq!(made.len(), 64);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_or_create(&path, 32, "cookie secret").unwrap(), made);
    }

    #[test]
    fn a_secret_others_can_read_or_a_short_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "x".repeat(64)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_or_create(&path, 32, "proxy token").unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "short\n").unwrap();
        let e = read_or_create(&path, 32, "proxy token").unwrap_err();
        assert!(e.to_string().contains("at least 32"), "{e}");
    }
}
