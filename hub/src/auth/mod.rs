//! Who may log in: the [`Authenticator`] trait and the hub's three authenticators.
//!
//! - [`shared`] — one password for every (allowed) user name: demos only.
//! - [`static_users`] — a file of users with argon2 hashes: tests and small sites.
//! - [`pam`] — the system's PAM, loaded at run time: production.

pub mod pam;
pub mod shared;
pub mod static_users;

use async_trait::async_trait;

/// The outcome of a login attempt that could be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The user is who they say: their canonical name.
    Accepted(String),
    /// Wrong name or password (the two are not told apart, to the user or in the result).
    Rejected,
}

/// Why a login could not be decided at all (the authenticator itself failed).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The authentication service (PAM, a users file) is not usable.
    #[error("authentication is unavailable: {0}")]
    Unavailable(String),
}

/// Checks a user name and password.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Checks `password` for `user`. Slow by design (password hashing, PAM); never blocks the
    /// async runtime.
    async fn authenticate(&self, user: &str, password: &str) -> Result<Verdict, AuthError>;

    /// A short name for logs and the login page (`pam`, `shared-password`, …).
    fn kind(&self) -> &'static str;
}
