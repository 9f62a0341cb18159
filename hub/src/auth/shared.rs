//! One password for everyone: what `hub demo` uses. The hub refuses to start with it on a
//! non-loopback address unless told to (that check lives with the config).

use async_trait::async_trait;
use subtle::ConstantTimeEq;

use super::{AuthError, Authenticator, Verdict};

/// Accepts any valid user name with the shared password.
#[derive(Debug, Clone)]
pub struct SharedPassword {
    password: String,
}

impl SharedPassword {
    /// An authenticator accepting `password` (which must not be empty).
    pub fn new(password: impl Into<String>) -> Result<SharedPassword, AuthError> {
        let password = password.into();
        if password.is_empty() {
            return Err(AuthError::Unavailable(
                "the shared password is empty".into(),
            ));
        }
        Ok(SharedPassword { password })
    }
}

#[async_trait]
impl Authenticator for SharedPassword {
    async fn authenticate(&self, user: &str, password: &str) -> Result<Verdict, AuthError> {
        // Compared in constant time: the password's length and prefix leak nothing.
        let same: bool = self.password.as_bytes().ct_eq(password.as_bytes()).into();
        if same && drivers::UserName::new(user).is_ok() {
            Ok(Verdict::Accepted(user.to_string()))
        } else {
            Ok(Verdict::Rejected)
        }
    }

    fn kind(&self) -> &'static str {
        "shared-password"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_password_and_a_valid_name_get_in() {
        let auth = SharedPassword::new("demo").unwrap();
        assert_eq!(
            auth.authenticate("alice", "demo").await.unwrap(),
            Verdict::Accepted("alice".into())
        );
        assert_eq!(
            auth.authenticate("alice", "Demo").await.unwrap(),
            Verdict::Rejected
        );
        assert_eq!(
            auth.authenticate("alice", "").await.unwrap(),
            Verdict::Rejected
        );
        assert_eq!(
            auth.authenticate("../etc", "demo").await.unwrap(),
            Verdict::Rejected,
            "a name that is no user name"
        );
        assert!(SharedPassword::new("").is_err());
    }
}
