//! The spawn form, the pending page and the stop buttons. One's own servers only (an admin
//! stops others' servers from the admin page); every POST checks the session's `_xsrf`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::error::{redirect, WebError};
use super::session::Viewer;
use super::templates::{self, server_url, user_page, PendingPage, SpawnPage};
use super::WebState;
use crate::control::{ControlError, ServerView};
use crate::form::describe;
use crate::spawner::state::{EndCause, ServerState};

/// A form with only `_xsrf` (stop buttons).
#[derive(Debug, Deserialize)]
pub(super) struct XsrfForm {
    #[serde(rename = "_xsrf", default)]
    xsrf: String,
}

fn own(state: &WebState, viewer: &Viewer, user: &str) -> Result<(), WebError> {
    if user == viewer.name() {
        Ok(())
    } else {
        Err(WebError::forbidden(
            state,
            Some(viewer),
            &format!("You cannot start {user}'s servers."),
        ))
    }
}

/// `GET {base}hub/spawn`: one's own default server.
pub(super) async fn form_own(State(state): State<WebState>, viewer: Viewer) -> Response {
    let user = viewer.name().to_string();
    show_form(&state, &viewer, &user, "").await
}

/// `GET {base}hub/spawn/{user}`.
pub(super) async fn form_default(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(user): Path<String>,
) -> Response {
    show_form(&state, &viewer, &user, "").await
}

/// `GET {base}hub/spawn/{user}/{server}`.
pub(super) async fn form_named(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((user, server)): Path<(String, String)>,
) -> Response {
    show_form(&state, &viewer, &user, &server).await
}

/// Where an active server's spawn page goes instead: the server when ready, else its
/// pending page.
fn active_redirect(state: &WebState, view: &ServerView) -> Option<Response> {
    let (user, server) = (&view.key.user, &view.key.name);
    if view.ready() {
        let url = view
            .url
            .clone()
            .unwrap_or_else(|| server_url(state.base(), user, server));
        Some(redirect(&url))
    } else if view.state.is_active() {
        Some(redirect(&user_page(
            state.base(),
            "spawn-pending",
            user,
            server,
        )))
    } else {
        None
    }
}

async fn show_form(state: &WebState, viewer: &Viewer, user: &str, server: &str) -> Response {
    if let Err(error) = own(state, viewer, user) {
        return error.into_response();
    }
    let view = state.control().server(user, server).await;
    if let Some(response) = view.as_ref().and_then(|v| active_redirect(state, v)) {
        return response;
    }
    // The last options used are the default next time: this server's, else (a new named
    // server) those of the user's default server, else of any of theirs. Still validated
    // on submit, like anything typed.
    let mut values = view.map(|v| v.user_options).unwrap_or_default();
    if values.is_empty() {
        let mut others = state.control().servers(user).await;
        others.sort_by(|a, b| a.key.name.cmp(&b.key.name));
        if let Some(last) = others.into_iter().find(|v| !v.user_options.is_empty()) {
            values = last.user_options;
        }
    }
    render_form(
        state,
        viewer,
        server,
        &values,
        &BTreeMap::new(),
        StatusCode::OK,
    )
}

fn render_form(
    state: &WebState,
    viewer: &Viewer,
    server: &str,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    status: StatusCode,
) -> Response {
    let user = match drivers::UserName::new(viewer.name()) {
        Ok(user) => user,
        Err(error) => {
            return WebError::page(
                state,
                Some(viewer),
                StatusCode::BAD_REQUEST,
                "Cannot start a server",
                &format!("Your user name cannot run batch jobs: {error}"),
            )
            .into_response()
        }
    };
    let form = describe(&state.settings().form, &user);
    let action = user_page(state.base(), "spawn", viewer.name(), server);
    let page = SpawnPage {
        base: state.base(),
        who: viewer.who(),
        server,
        action: &action,
        xsrf: &viewer.xsrf,
        form: &form,
        values,
        errors,
    };
    (status, Html(templates::spawn_page(&page).into_string())).into_response()
}

/// `POST {base}hub/spawn`.
pub(super) async fn submit_own(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let user = viewer.name().to_string();
    submit(&state, &viewer, &user, "", form).await
}

/// `POST {base}hub/spawn/{user}`.
pub(super) async fn submit_default(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(user): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    submit(&state, &viewer, &user, "", form).await
}

/// `POST {base}hub/spawn/{user}/{server}`.
pub(super) async fn submit_named(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((user, server)): Path<(String, String)>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    submit(&state, &viewer, &user, &server, form).await
}

async fn submit(
    state: &WebState,
    viewer: &Viewer,
    user: &str,
    server: &str,
    mut options: BTreeMap<String, String>,
) -> Response {
    let sent = options.remove("_xsrf");
    if let Err(error) = viewer.check_xsrf(state, sent.as_deref()) {
        return error.into_response();
    }
    if let Err(error) = own(state, viewer, user) {
        return error.into_response();
    }
    submit_checked(state, viewer, user, server, options).await
}

/// Starts the server with `options` (the XSRF token and ownership already checked): to the
/// pending page, or the form again with each error by its field.
async fn submit_checked(
    state: &WebState,
    viewer: &Viewer,
    user: &str,
    server: &str,
    options: BTreeMap<String, String>,
) -> Response {
    let pending = user_page(state.base(), "spawn-pending", user, server);
    match state.control().start(user, server, options.clone()).await {
        Ok(_) | Err(ControlError::AlreadyActive(_)) => redirect(&pending),
        Err(ControlError::InvalidOptions(errors)) => {
            let mut by_field = BTreeMap::new();
            for error in errors {
                by_field.entry(error.field).or_insert(error.message);
            }
            render_form(
                state,
                viewer,
                server,
                &options,
                &by_field,
                StatusCode::BAD_REQUEST,
            )
        }
        Err(error) => control_error(state, viewer, error).into_response(),
    }
}

/// `POST {base}hub/relaunch`: starts one's stopped or failed default server again with the
/// options of its last run.
pub(super) async fn relaunch_default(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<XsrfForm>,
) -> Response {
    relaunch(&state, &viewer, "", &form).await
}

/// `POST {base}hub/relaunch/{server}`.
pub(super) async fn relaunch_named(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(server): Path<String>,
    Form(form): Form<XsrfForm>,
) -> Response {
    relaunch(&state, &viewer, &server, &form).await
}

async fn relaunch(state: &WebState, viewer: &Viewer, server: &str, form: &XsrfForm) -> Response {
    if let Err(error) = viewer.check_xsrf(state, Some(&form.xsrf)) {
        return error.into_response();
    }
    let user = viewer.name().to_string();
    let Some(view) = state.control().server(&user, server).await else {
        return WebError::not_found(state, Some(viewer), "You have no such server.")
            .into_response();
    };
    if view.state.is_active() {
        return redirect(&user_page(state.base(), "spawn-pending", &user, server));
    }
    if view.user_options.is_empty() {
        // Never ran: nothing to relaunch with; the form asks.
        return redirect(&user_page(state.base(), "spawn", &user, server));
    }
    tracing::info!(%user, %server, "relaunch with the last options");
    submit_checked(state, viewer, &user, server, view.user_options).await
}

/// The page for a refusal of the spawner.
fn control_error(state: &WebState, viewer: &Viewer, error: ControlError) -> WebError {
    match &error {
        ControlError::NoSuchServer { .. } => {
            WebError::not_found(state, Some(viewer), &error.to_string())
        }
        ControlError::Unavailable(_) => {
            tracing::error!(%error, "the spawner is unavailable");
            WebError::unavailable(
                state,
                Some(viewer),
                "The hub cannot reach the batch system right now. Try again in a few minutes.",
            )
        }
        _ => WebError::page(
            state,
            Some(viewer),
            StatusCode::BAD_REQUEST,
            "Cannot do that",
            &error.to_string(),
        ),
    }
}

/// `GET {base}hub/spawn-pending/{user}`.
pub(super) async fn pending_default(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(user): Path<String>,
) -> Response {
    pending(&state, &viewer, &user, "").await
}

/// `GET {base}hub/spawn-pending/{user}/{server}`.
pub(super) async fn pending_named(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((user, server)): Path<(String, String)>,
) -> Response {
    pending(&state, &viewer, &user, &server).await
}

/// The API's progress stream of a server (what the pending page's script follows).
fn progress_url(base: &str, user: &str, server: &str) -> String {
    if server.is_empty() {
        format!("{base}hub/api/users/{user}/server/progress")
    } else {
        format!("{base}hub/api/users/{user}/servers/{server}/progress")
    }
}

async fn pending(state: &WebState, viewer: &Viewer, user: &str, server: &str) -> Response {
    let own = user == viewer.name();
    if !own && !viewer.admin {
        return WebError::forbidden(
            state,
            Some(viewer),
            &format!("You cannot see {user}'s servers."),
        )
        .into_response();
    }
    let Some(view) = state.control().server(user, server).await else {
        if own {
            return redirect(&user_page(state.base(), "spawn", user, server));
        }
        return WebError::not_found(state, Some(viewer), &format!("{user} has no such server."))
            .into_response();
    };
    if view.ready() && own {
        let url = view
            .url
            .clone()
            .unwrap_or_else(|| server_url(state.base(), user, server));
        return redirect(&url);
    }
    // Stopped (not failed: a failure is shown here, with why): start it again — unless its
    // job ended by itself (a `qdel` from outside, walltime): home, where its card says how.
    if own {
        if let ServerState::Stopped { last } = &view.state {
            let ended_by_itself = last
                .as_ref()
                .is_some_and(|e| matches!(e.cause, EndCause::JobEnded { .. }));
            if ended_by_itself {
                return redirect(&state.hub_url("/home"));
            }
            return redirect(&user_page(state.base(), "spawn", user, server));
        }
    }
    let progress = progress_url(state.base(), user, server);
    let page = PendingPage {
        base: state.base(),
        who: viewer.who(),
        user,
        xsrf: &viewer.xsrf,
        view: &view,
        progress_url: &progress,
        own,
        terms: &state.settings().terms,
    };
    Html(templates::pending_page(&page).into_string()).into_response()
}

/// `POST {base}hub/stop`.
pub(super) async fn stop_default(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<XsrfForm>,
) -> Response {
    let user = viewer.name().to_string();
    stop(&state, &viewer, &user, "", &form, "/home").await
}

/// `POST {base}hub/stop/{server}`.
pub(super) async fn stop_named(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(server): Path<String>,
    Form(form): Form<XsrfForm>,
) -> Response {
    let user = viewer.name().to_string();
    stop(&state, &viewer, &user, &server, &form, "/home").await
}

/// `POST {base}hub/admin/stop/{user}`.
pub(super) async fn admin_stop_default(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(user): Path<String>,
    Form(form): Form<XsrfForm>,
) -> Response {
    admin_stop(&state, &viewer, &user, "", &form).await
}

/// `POST {base}hub/admin/stop/{user}/{server}`.
pub(super) async fn admin_stop_named(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((user, server)): Path<(String, String)>,
    Form(form): Form<XsrfForm>,
) -> Response {
    admin_stop(&state, &viewer, &user, &server, &form).await
}

async fn admin_stop(
    state: &WebState,
    viewer: &Viewer,
    user: &str,
    server: &str,
    form: &XsrfForm,
) -> Response {
    if let Err(error) = viewer.check_xsrf(state, Some(&form.xsrf)) {
        return error.into_response();
    }
    if !viewer.admin {
        return WebError::forbidden(state, Some(viewer), "Only admins stop others' servers.")
            .into_response();
    }
    stop(state, viewer, user, server, form, "/admin").await
}

async fn stop(
    state: &WebState,
    viewer: &Viewer,
    user: &str,
    server: &str,
    form: &XsrfForm,
    back: &str,
) -> Response {
    if let Err(error) = viewer.check_xsrf(state, Some(&form.xsrf)) {
        return error.into_response();
    }
    match state.control().stop(user, server).await {
        Ok(_) => {
            tracing::info!(by = %viewer.name(), %user, %server, "server stop requested");
            redirect(&state.hub_url(back))
        }
        Err(error) => control_error(state, viewer, error).into_response(),
    }
}
