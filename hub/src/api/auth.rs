//! Who is calling: the `Authorization: token …` (or `bearer …`) header, looked up among the
//! services' tokens (read from their files at start) and then in the database by hash; or,
//! without that header and when a cookie secret is configured, the browser's signed session
//! cookie (the pages' own calls, e.g. the progress stream), with JupyterHub's XSRF rule for
//! methods that change things.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::scopes::{admin_scopes, implies, role_scopes, self_scopes, Filter, Grant, Target};
use super::ApiState;
use crate::config::ServiceConfig;
use crate::db::{TokenId, TokenOwner};

/// A service as the API knows it: its name and what its token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiService {
    /// The service's name.
    pub name: String,
    /// Its scopes, roles already resolved.
    pub scopes: Vec<String>,
}

/// The declared services' tokens, kept in memory as SHA-256 hashes (never in the database:
/// the files are the truth, so changing a file and restarting replaces the token).
#[derive(Debug, Clone, Default)]
pub struct Services {
    by_hash: BTreeMap<String, ApiService>,
}

/// A service's token file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ServiceTokenError {
    /// The file could not be read.
    #[error("service {service}: cannot read its token file {}", path.display())]
    Read {
        /// The service.
        service: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no token.
    #[error("service {service}: its token file {} is empty", path.display())]
    Empty {
        /// The service.
        service: String,
        /// The file.
        path: PathBuf,
    },
}

impl Services {
    /// Reads each declared service's token file (at start, once). Services without a token
    /// file cannot call the API and are skipped.
    pub fn load(declared: &[ServiceConfig]) -> Result<Services, ServiceTokenError> {
        let mut services = Services::default();
        for service in declared {
            let Some(path) = &service.api_token_file else {
                continue;
            };
            let text = std::fs::read_to_string(path).map_err(|source| ServiceTokenError::Read {
                service: service.name.clone(),
                path: path.clone(),
                source,
            })?;
            let token = text.trim();
            if token.is_empty() {
                return Err(ServiceTokenError::Empty {
                    service: service.name.clone(),
                    path: path.clone(),
                });
            }
            let mut scopes = service.scopes.clone();
            for role in &service.roles {
                scopes.extend(role_scopes(role));
            }
            services.insert(token, &service.name, scopes);
        }
        Ok(services)
    }

    /// Adds a service with its clear token.
    pub fn insert(&mut self, token: &str, name: &str, scopes: Vec<String>) {
        let service = ApiService {
            name: name.to_string(),
            scopes,
        };
        self.by_hash.insert(hash(token), service);
    }

    fn find(&self, token: &str) -> Option<&ApiService> {
        self.by_hash.get(&hash(token))
    }

    fn by_name(&self, name: &str) -> Option<&ApiService> {
        self.by_hash.values().find(|s| s.name == name)
    }
}

fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who a token acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// A hub user.
    User {
        /// The name.
        name: String,
        /// Whether they are an admin.
        admin: bool,
    },
    /// A service.
    Service {
        /// The name.
        name: String,
    },
}

/// An authenticated caller and what its token may do.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub kind: CallerKind,
    /// The token's id (`None` for a service token from a file).
    pub token_id: Option<TokenId>,
    /// The JupyterHub session id the token was issued in (OAuth tokens), if any.
    pub session_id: Option<String>,
    /// What the token may do, parsed.
    pub grants: Vec<Grant>,
}

impl Caller {
    /// The scopes as `/api/user` shows them: fully resolved and expanded (every scope a
    /// held one implies, with its filter), sorted, never a filter without a value.
    pub fn scope_strings(&self) -> Vec<String> {
        super::scopes::expand(&self.grants)
    }

    /// Whether any of `any_of` reaches `target`.
    pub fn may(&self, any_of: &[&str], target: &Target) -> bool {
        self.grants
            .iter()
            .any(|g| any_of.iter().any(|want| g.covers(want, target)))
    }

    /// Like [`Caller::may`], refused as JupyterHub refuses: 404 when the caller holds the
    /// scope for other resources (so it cannot tell "hidden" from "missing"), 403 when it
    /// does not hold it at all.
    pub fn require(&self, any_of: &[&str], target: &Target) -> Result<(), ApiError> {
        if self.may(any_of, target) {
            return Ok(());
        }
        let holds_somewhere = self
            .grants
            .iter()
            .any(|g| any_of.iter().any(|want| implies(&g.base, want)));
        if holds_somewhere && !matches!(target, Target::Hub) {
            return Err(ApiError::not_found());
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Action is not authorized with current scopes; requires any of {any_of:?}"),
        ))
    }
}

/// The token in `Authorization: token <t>` or `bearer <t>` (scheme case-insensitive).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split_whitespace();
    let scheme = parts.next()?;
    let token = parts.next()?;
    let known = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    (known && parts.next().is_none()).then_some(token)
}

/// Finds who `token` belongs to; `Ok(None)` for an unknown or expired token.
pub async fn identify(state: &ApiState, token: &str) -> Result<Option<Caller>, ApiError> {
    if let Some(service) = state.services.find(token) {
        return Ok(Some(Caller {
            kind: CallerKind::Service {
                name: service.name.clone(),
            },
            token_id: None,
            session_id: None,
            grants: parse_all(&service.scopes),
        }));
    }
    let now = (state.clock)();
    let Some(record) = state
        .db
        .lookup_token(token, now)
        .await
        .map_err(ApiError::db)?
    else {
        return Ok(None);
    };
    // Recording use is best effort: a failed write must not refuse the request.
    if use_is_news(record.last_activity, now) {
        if let Err(error) = state.db.touch_token(record.id, now).await {
            tracing::warn!(%error, "could not record a token's use");
        }
    }
    let caller = match &record.owner {
        TokenOwner::User(name) => {
            let Some(user) = state.db.get_user(name).await.map_err(ApiError::db)? else {
                return Ok(None);
            };
            let admin = user.admin || state.admin_users.contains(name);
            Caller {
                kind: CallerKind::User {
                    name: name.clone(),
                    admin,
                },
                token_id: Some(record.id),
                session_id: record.session_id.clone(),
                grants: bounded(&record.scopes, name, admin),
            }
        }
        TokenOwner::Service(name) => {
            // A database token of a service is bounded by what the service is declared with.
            let declared = state
                .services
                .by_name(name)
                .map(|s| parse_all(&s.scopes))
                .unwrap_or_default();
            let grants = parse_all(&record.scopes)
                .into_iter()
                .filter(|g| {
                    declared
                        .iter()
                        .any(|d| d.filter == Filter::All && implies(&d.base, &g.base))
                })
                .collect();
            Caller {
                kind: CallerKind::Service { name: name.clone() },
                token_id: Some(record.id),
                session_id: record.session_id.clone(),
                grants,
            }
        }
    };
    Ok(Some(caller))
}

/// How stale a token's recorded use may get before a request writes it again: JupyterHub's
/// `activity_resolution`. Without it every API call was a database write, and a thousand
/// servers reporting in at once queued behind each other's commits.
pub const ACTIVITY_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// Whether a use at `now` is worth writing over the recorded `last` one.
fn use_is_news(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|last| now - last >= ACTIVITY_RESOLUTION)
}

/// The owner's full scopes: what a token created without scopes gets.
pub fn owner_scopes(user: &str, admin: bool) -> Vec<String> {
    if admin {
        admin_scopes()
    } else {
        self_scopes(user)
    }
}

fn parse_all(scopes: &[String]) -> Vec<Grant> {
    scopes.iter().filter_map(|s| Grant::parse(s)).collect()
}

/// A user token's scopes, bounded by its owner: a non-admin's unfiltered scope is narrowed
/// to the owner, so a token never does more than the user could.
fn bounded(scopes: &[String], user: &str, admin: bool) -> Vec<Grant> {
    parse_all(scopes)
        .into_iter()
        .map(|mut grant| {
            if !admin && grant.filter == Filter::All {
                grant.filter = Filter::User(user.to_string());
            }
            grant
        })
        .collect()
}

/// The header a cookie-authenticated call that changes something must carry, holding the
/// session's XSRF token (JupyterHub's name).
pub const XSRF_HEADER: &str = "x-xsrftoken";

/// The user of a request's signed session cookie, with the owner's scopes; `Ok(None)` when
/// there is no valid cookie or session. A method other than GET/HEAD must carry the
/// session's XSRF token in [`XSRF_HEADER`], else 403.
pub async fn identify_cookie(
    state: &ApiState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    let Some(secret) = &state.cookie_secret else {
        return Ok(None);
    };
    let Some(id) = crate::session_cookie::session_id(secret, headers) else {
        return Ok(None);
    };
    let now = (state.clock)();
    let Some(session) = state
        .db
        .lookup_session(id, now)
        .await
        .map_err(ApiError::db)?
    else {
        return Ok(None);
    };
    if method != Method::GET && method != Method::HEAD {
        let sent = headers
            .get(XSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !crate::session_cookie::same_token(sent, &session.xsrf_token) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "XSRF cookie does not match POST argument",
            ));
        }
    }
    let Some(user) = state
        .db
        .get_user(&session.user)
        .await
        .map_err(ApiError::db)?
    else {
        return Ok(None);
    };
    let admin = state.is_admin(&user);
    Ok(Some(Caller {
        grants: bounded(&owner_scopes(&user.name, admin), &user.name, admin),
        kind: CallerKind::User {
            name: user.name,
            admin,
        },
        token_id: None,
        session_id: session.session_id,
    }))
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        if let Some(token) = bearer(&parts.headers) {
            return identify(state, token)
                .await?
                .ok_or_else(ApiError::no_credentials);
        }
        identify_cookie(state, &parts.method, &parts.headers)
            .await?
            .ok_or_else(ApiError::no_credentials)
    }
}
