//! Users listed in a file with argon2 password hashes (PHC strings):
//!
//! ```toml
//! [users]
//! alice = "$argon2id$v=19$m=19456,t=2,p=1$…"
//! ```
//!
//! For tests and small sites; [`hash_password`] makes the entries.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;

use super::{AuthError, Authenticator, Verdict};

/// The users of a file.
#[derive(Debug, Clone)]
pub struct StaticUsers {
    users: Arc<BTreeMap<String, String>>,
    /// Checked for unknown names too, so that timing does not tell which names exist.
    decoy: Arc<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    users: BTreeMap<String, String>,
}

impl StaticUsers {
    /// Reads the users file at `path`; every hash must be a valid argon2 PHC string.
    pub fn load(path: &Path) -> Result<StaticUsers, AuthError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AuthError::Unavailable(format!("reading users file {}: {e}", path.display()))
        })?;
        StaticUsers::parse(&text)
            .map_err(|e| AuthError::Unavailable(format!("users file {}: {e}", path.display())))
    }

    /// Reads users from TOML text.
    pub fn parse(text: &str) -> Result<StaticUsers, String> {
        let file: UsersFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for (name, hash) in &file.users {
            drivers::UserName::new(name.as_str()).map_err(|e| e.to_string())?;
            PasswordHash::new(hash).map_err(|e| format!("user {name}: not an argon2 hash: {e}"))?;
        }
        Ok(StaticUsers {
            users: Arc::new(file.users),
            decoy: Arc::new(hash_password("decoy password, never matched")),
        })
    }
}

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

#[async_trait]
impl Authenticator for StaticUsers {
    async fn authenticate(&self, user: &str, password: &str) -> Result<Verdict, AuthError> {
        let known = self.users.get(user).cloned();
        let hash = known.clone().unwrap_or_else(|| self.decoy.as_ref().clone());
        let password = password.to_string();
        // Argon2 is slow on purpose: off the async runtime.
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .map_err(|e| AuthError::Unavailable(format!("password check failed: {e}")))?;
        Ok(if matches && known.is_some() {
            Verdict::Accepted(user.to_string())
        } else {
            Verdict::Rejected
        })
    }

    fn kind(&self) -> &'static str {
        "static-users"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listed_users_with_their_password_get_in() {
        let text = format!(
            "[users]\nalice = \"{}\"\nbob = \"{}\"\n",
            hash_password("wonderland"),
            hash_password("builder")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        std::fs::write(&path, text).unwrap();
        let auth = StaticUsers::load(&path).unwrap();
        assert_eq!(
            auth.authenticate("alice", "wonderland").await.unwrap(),
            Verdict::Accepted("alice".into())
        );
        assert_eq!(
            auth.authenticate("alice", "builder").await.unwrap(),
            Verdict::Rejected
        );
        assert_eq!(
            auth.authenticate("carol", "wonderland").await.unwrap(),
            Verdict::Rejected
        );
    }

    #[test]
    fn a_bad_file_says_what_is_wrong() {
        let err = StaticUsers::parse("[users]\nalice = \"plaintext\"\n").unwrap_err();
        assert!(err.contains("user alice: not an argon2 hash"), "{err}");
        assert!(StaticUsers::parse("[people]\n").is_err());
        let err = StaticUsers::load(Path::new("/nonexistent/users.toml")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/users.toml"), "{err}");
    }
}
