//! The hub as an OAuth2 provider, as `jupyterhub-singleuser` expects it (protocol
//! reference §1.3c, §1.6 step 12): every notebook server is a client registered at spawn
//! with its API token as the secret; a logged-in browser is sent to the authorize page
//! ([`crate::web`], it needs the login session), gets a code bound to the server's client,
//! and the server exchanges it here for a token that lets the user in.
//!
//! Layout: [`grant`] (which server a client is, the token's scopes, lifetimes), [`pkce`]
//! (code challenges), `token` (`POST {base}hub/api/oauth2/token`, errors as RFC 6749 JSON).

pub mod grant;
pub mod pkce;
mod token;

pub(super) use token::token;
