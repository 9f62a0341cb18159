//! `GET|POST {base}hub/api/oauth2/authorize`: the OAuth2 authorization page a notebook
//! server (`jupyterhub-singleuser`) sends the browser to (protocol reference §1.6 step 12).
//! It lives with the pages, not the REST API, because it is authenticated by the login
//! session: without one the browser goes to the login page and comes back here.
//!
//! The request is checked before anything is issued: a registered `client_id`, a
//! `redirect_uri` equal to the registered one (or absent), `response_type=code`, a
//! well-formed PKCE challenge. A bad request gets a 400 page and is never redirected, so
//! the page cannot send a browser anywhere but to a registered callback. Then who may
//! authorize: the server's owner at once; an admin after confirming on a page whose form
//! POSTs back here with the session's XSRF token; anybody else gets 403. The code (single
//! use, 5 minutes, bound to the client, the redirect URI, the challenge and the login
//! session's JupyterHub session id) goes back as `302 {redirect_uri}?code=…&state=…`.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use maud::html;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::error::{redirect, WebError};
use super::login::{session_id_cookie, SESSION_ID_COOKIE};
use super::session::{self, Viewer};
use super::templates;
use super::WebState;
use crate::api::oauth::grant::{self, ClientServer};
use crate::api::oauth::pkce::{self, Method};
use crate::db::{NewOAuthCode, OAuthClient};
use crate::session_cookie;

/// What is escaped in the `code` and `state` values of the callback URL: everything but
/// RFC 3986's unreserved characters.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The authorization request's parameters; all optional so a missing one gets a precise
/// error page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The confirmation form's fields.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ConfirmForm {
    #[serde(rename = "_xsrf")]
    xsrf: Option<String>,
}

/// A request that passed every check of its parameters.
#[derive(Debug)]
struct Checked {
    client: OAuthClient,
    server: ClientServer,
    redirect_uri: String,
    state: Option<String>,
    challenge: Option<(String, Method)>,
}

/// `GET {base}hub/api/oauth2/authorize`.
pub(super) async fn authorize(
    State(state): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<AuthorizeQuery>, QueryRejection>,
) -> Response {
    respond(&state, &headers, &uri, query, None).await
}

/// `POST {base}hub/api/oauth2/authorize`: the confirmation form (same query, plus `_xsrf`).
pub(super) async fn confirm(
    State(state): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<AuthorizeQuery>, QueryRejection>,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    respond(&state, &headers, &uri, query, Some(form)).await
}

async fn respond(
    state: &WebState,
    headers: &HeaderMap,
    uri: &Uri,
    query: Result<Query<AuthorizeQuery>, QueryRejection>,
    confirmed: Option<ConfirmForm>,
) -> Response {
    match run(state, headers, uri, query, confirmed).await {
        Ok(response) | Err(response) => response,
    }
}

/// The request's path and query: where login comes back to, where the form posts.
fn this_url(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_string(), ToString::to_string)
}

fn bad_request(state: &WebState, viewer: &Viewer, message: &str) -> Response {
    WebError::page(
        state,
        Some(viewer),
        StatusCode::BAD_REQUEST,
        "Bad authorization request",
        message,
    )
    .into_response()
}

async fn run(
    state: &WebState,
    headers: &HeaderMap,
    uri: &Uri,
    query: Result<Query<AuthorizeQuery>, QueryRejection>,
    confirmed: Option<ConfirmForm>,
) -> Result<Response, Response> {
    let viewer = session::current(state, headers)
        .await
        .map_err(IntoResponse::into_response)?
        .ok_or_else(|| redirect(&session::login_url(state, &this_url(uri))))?;
    let Query(query) = query.map_err(|e| bad_request(state, &viewer, &e.body_text()))?;
    let checked = check(state, &viewer, query).await?;
    let owner = checked.server.user == viewer.name();
    if !owner {
        if !viewer.admin {
            let message = format!(
                "You do not have permission to access Server at {}",
                checked.server.prefix
            );
            return Err(WebError::forbidden(state, Some(&viewer), &message).into_response());
        }
        match &confirmed {
            None => return Ok(confirmation_page(state, &viewer, &checked, uri)),
            Some(form) => viewer
                .check_xsrf(state, form.xsrf.as_deref())
                .map_err(IntoResponse::into_response)?,
        }
    }
    issue(state, headers, &viewer, checked).await
}

/// Checks the parameters against the registered client.
async fn check(
    state: &WebState,
    viewer: &Viewer,
    query: AuthorizeQuery,
) -> Result<Checked, Response> {
    let Some(client_id) = query.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return Err(bad_request(state, viewer, "Missing client_id."));
    };
    let client = state
        .db()
        .get_oauth_client(client_id)
        .await
        .map_err(|e| WebError::db(state, Some(viewer), e).into_response())?
        .ok_or_else(|| {
            bad_request(
                state,
                viewer,
                &format!("Unknown OAuth client {client_id:?}: is the server still running?"),
            )
        })?;
    let redirect_uri = match query.redirect_uri {
        None => client.redirect_uri.clone(),
        Some(uri) if uri == client.redirect_uri => uri,
        Some(uri) => {
            return Err(bad_request(
                state,
                viewer,
                &format!("redirect_uri {uri:?} is not the one registered for {client_id}."),
            ))
        }
    };
    if query.response_type.as_deref() != Some("code") {
        return Err(bad_request(
            state,
            viewer,
            "Only response_type=code is supported.",
        ));
    }
    let challenge = match (query.code_challenge, query.code_challenge_method.as_deref()) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(bad_request(
                state,
                viewer,
                "code_challenge_method without code_challenge.",
            ))
        }
        (Some(challenge), method) => {
            let Some(method) = Method::parse(method) else {
                return Err(bad_request(
                    state,
                    viewer,
                    "code_challenge_method must be S256 or plain.",
                ));
            };
            if !pkce::well_formed(&challenge) {
                return Err(bad_request(state, viewer, "Malformed code_challenge."));
            }
            Some((challenge, method))
        }
    };
    let server = grant::server_of_client(state.base(), &client.redirect_uri).ok_or_else(|| {
        bad_request(
            state,
            viewer,
            &format!("{client_id} is not a notebook server of this hub."),
        )
    })?;
    Ok(Checked {
        client,
        server,
        redirect_uri,
        state: query.state,
        challenge,
    })
}

/// Issues the code and sends the browser to the callback, setting the session-id cookie
/// when the browser does not have the session's.
async fn issue(
    state: &WebState,
    headers: &HeaderMap,
    viewer: &Viewer,
    checked: Checked,
) -> Result<Response, Response> {
    let db = state.db();
    let fail = |e| WebError::db(state, Some(viewer), e).into_response();
    let Some(session_id) = db
        .ensure_session_id(&viewer.session_id)
        .await
        .map_err(fail)?
    else {
        // Logged out in between.
        return Err(redirect(&state.hub_url("/login")));
    };
    let now = state.now();
    let lifetime = chrono::Duration::from_std(grant::CODE_LIFETIME)
        .unwrap_or_else(|_| chrono::Duration::minutes(5));
    let (challenge, method) = match checked.challenge {
        Some((challenge, method)) => (Some(challenge), Some(method.name().to_string())),
        None => (None, None),
    };
    let new = NewOAuthCode {
        client_id: checked.client.client_id.clone(),
        user: viewer.name().to_string(),
        scopes: grant::token_scopes(viewer.name(), &checked.server),
        redirect_uri: checked.redirect_uri.clone(),
        code_challenge: challenge,
        code_challenge_method: method,
        expires_at: now + lifetime,
        session_id: Some(session_id.clone()),
    };
    let code = db.create_oauth_code(&new, now).await.map_err(fail)?;
    tracing::info!(user = %viewer.name(), client = %checked.client.client_id, "issued an OAuth code");
    let location = callback_url(&checked.redirect_uri, &code, checked.state.as_deref());
    let mut response = redirect(&location);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if session_cookie::read_cookie(headers, SESSION_ID_COOKIE) != Some(session_id.as_str()) {
        let cookie = session_id_cookie(state, &session_id);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

/// `{redirect_uri}?code=…&state=…` (`&` when the URI already has a query); `state` is
/// echoed exactly, escaped; absent when the request had none.
fn callback_url(redirect_uri: &str, code: &str, state: Option<&str>) -> String {
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{redirect_uri}{separator}code={}",
        utf8_percent_encode(code, STRICT)
    );
    if let Some(state) = state {
        url.push_str(&format!("&state={}", utf8_percent_encode(state, STRICT)));
    }
    url
}

/// The page an admin sees before signing in to another user's server as themselves.
fn confirmation_page(state: &WebState, viewer: &Viewer, checked: &Checked, uri: &Uri) -> Response {
    let prefix = &checked.server.prefix;
    let body = html! {
        h1 { "Authorize access" }
        p {
            "You are about to sign in to the server at " code { (prefix) }
            ", which belongs to " strong { (checked.server.user) } ", as yourself ("
            (viewer.name()) ")."
        }
        p { "It will be able to:" }
        ul {
            li { "let you use the server at " code { (prefix) } }
            li { "see your user name and groups" }
        }
        form method="post" action=(this_url(uri)) {
            input type="hidden" name="_xsrf" value=(viewer.xsrf);
            button type="submit" { "Authorize" }
            " "
            a href=(state.hub_url("/home")) { "Cancel" }
        }
    };
    let page = templates::layout(state.base(), Some(viewer.who()), "Authorize access", body);
    Html(page.into_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_carries_the_code_and_the_state_escaped() {
        assert_eq!(
            callback_url("/user/alice/oauth_callback", "c0de", Some("a b&c=d/é")),
            "/user/alice/oauth_callback?code=c0de&state=a%20b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(
            callback_url("/cb?x=1", "c", Some("Zq-_.~")),
            "/cb?x=1&code=c&state=Zq-_.~"
        );
        assert_eq!(callback_url("/cb", "c", None), "/cb?code=c");
    }
}
