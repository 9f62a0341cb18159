//! The scopes the API checks, as a small subset of JupyterHub's: a scope is `base` or
//! `base!user=name` or `base!server=user/name`; broader scopes imply narrower ones.

use std::fmt;

/// What a scope's filter limits it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every resource.
    All,
    /// One user and their servers.
    User(String),
    /// One server.
    Server {
        /// Its user.
        user: String,
        /// Its name (`""`: the default server).
        server: String,
    },
}

/// One parsed scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `read:users`, `servers`, …
    pub base: String,
    /// What it covers.
    pub filter: Filter,
}

impl Grant {
    /// Parses `base[!user=…|!server=…/…]`; `None` for filters this hub does not know
    /// (`!group=…`) or with an empty value, which then grant nothing.
    pub fn parse(text: &str) -> Option<Grant> {
        let (base, filter) = match text.split_once('!') {
            None => (text, Filter::All),
            Some((base, filter)) => {
                let filter = if let Some(user) = filter.strip_prefix("user=") {
                    Filter::User(user.to_string())
                } else if let Some(server) = filter.strip_prefix("server=") {
                    let (user, server) = server.split_once('/')?;
                    Filter::Server {
                        user: user.to_string(),
                        server: server.to_string(),
                    }
                } else {
                    return None;
                };
                (base, filter)
            }
        };
        let empty = match &filter {
            Filter::All => false,
            Filter::User(user) => user.is_empty(),
            Filter::Server { user, .. } => user.is_empty(),
        };
        if base.is_empty() || empty {
            return None;
        }
        Some(Grant {
            base: base.to_string(),
            filter,
        })
    }

    /// Whether this grant gives `want` on `target`.
    pub fn covers(&self, want: &str, target: &Target) -> bool {
        implies(&self.base, want) && self.reaches(target)
    }

    /// Whether the filter reaches the target, whatever the scope.
    pub fn reaches(&self, target: &Target) -> bool {
        match (&self.filter, target) {
            (Filter::All, _) => true,
            (Filter::User(u), Target::User(t)) => u == t,
            (Filter::User(u), Target::Server { user, .. }) => u == user,
            (Filter::Server { user, server }, Target::Server { user: u, server: s }) => {
                user == u && server == s
            }
            _ => false,
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.filter {
            Filter::All => write!(f, "{}", self.base),
            Filter::User(user) => write!(f, "{}!user={user}", self.base),
            Filter::Server { user, server } => write!(f, "{}!server={user}/{server}", self.base),
        }
    }
}

/// What a request acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The hub itself (only unfiltered scopes reach it).
    Hub,
    /// A user.
    User(String),
    /// One of a user's servers.
    Server {
        /// The user.
        user: String,
        /// The server (`""`: default).
        server: String,
    },
}

/// The scopes each scope directly includes (JupyterHub's hierarchy, trimmed to what this
/// API checks).
fn children(scope: &str) -> &'static [&'static str] {
    match scope {
        "admin:users" => &["users", "tokens", "read:users"],
        "users" => &["read:users", "list:users", "users:activity"],
        "read:users" => &[
            "read:users:name",
            "read:users:activity",
            "read:users:groups",
        ],
        "admin:servers" => &["servers", "admin:server_state"],
        "servers" => &["start:servers", "delete:servers", "read:servers"],
        "tokens" => &["read:tokens"],
        _ => &[],
    }
}

/// Every grant with all the scopes it implies (same filter), as strings, sorted and
/// without duplicates: what `GET /hub/api/user` shows, so a client's own scope check
/// (`jupyterhub-singleuser`'s) sees `access:servers!…` and never a parent it cannot read.
pub fn expand(grants: &[Grant]) -> Vec<String> {
    fn add(base: &str, grant: &Grant, out: &mut std::collections::BTreeSet<String>) {
        let expanded = Grant {
            base: base.to_string(),
            filter: grant.filter.clone(),
        };
        if out.insert(expanded.to_string()) {
            for child in children(base) {
                add(child, grant, out);
            }
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for grant in grants {
        add(&grant.base, grant, &mut out);
    }
    out.into_iter().collect()
}

/// Whether holding `have` gives `want`.
pub fn implies(have: &str, want: &str) -> bool {
    have == want || children(have).iter().any(|c| implies(c, want))
}

/// What a full (admin) account may do: unfiltered.
pub fn admin_scopes() -> Vec<String> {
    [
        "admin:users",
        "admin:servers",
        "tokens",
        "read:hub",
        "access:servers",
        "proxy",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// What a user may do to itself (JupyterHub's `self` role, resolved to the user).
pub fn self_scopes(user: &str) -> Vec<String> {
    [
        "read:users",
        "users:activity",
        "servers",
        "tokens",
        "access:servers",
    ]
    .iter()
    .map(|s| format!("{s}!user={user}"))
    .collect()
}

/// The scopes of JupyterHub's built-in roles a service may be declared with.
pub fn role_scopes(role: &str) -> Vec<String> {
    match role {
        "admin" => admin_scopes(),
        _ => Vec::new(),
    }
}
