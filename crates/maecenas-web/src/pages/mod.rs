//! Server-rendered pages, one module per area.

mod accounts;
mod apps;
mod authorize;
mod developer;
mod home;
mod profile;

use axum::{Router, routing::get};

use crate::{error::PageError, state::AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::show))
        .route("/signup", get(accounts::signup_form).post(accounts::signup))
        .route("/login", get(accounts::login_form).post(accounts::login))
        .route("/logout", axum::routing::post(accounts::logout))
        .route("/profile", get(profile::show).post(profile::update))
        .route(
            "/portal/clients",
            get(developer::show).post(developer::create),
        )
        .route(
            "/portal/clients/{client_id}/creator-token",
            axum::routing::post(developer::issue_token),
        )
        .route(
            "/portal/clients/{client_id}/creator-token/refresh",
            axum::routing::post(developer::refresh_token),
        )
        .route(
            "/oauth2/authorize",
            get(authorize::patreon).post(authorize::answer),
        )
        .route(
            "/oauth/authorize",
            get(authorize::donationalerts).post(authorize::answer),
        )
        .route("/settings/apps", get(apps::show))
        .route(
            "/settings/apps/{client_id}/revoke",
            axum::routing::post(apps::revoke),
        )
}

/// Any path no route claims.
pub(crate) async fn not_found() -> PageError {
    PageError::not_found()
}

/// Renders a template, turning a rendering failure into a logged 500.
pub(crate) fn render(
    template: &impl askama::Template,
) -> Result<axum::response::Html<String>, PageError> {
    template.render().map(axum::response::Html).map_err(|err| {
        tracing::error!(error = %err, "template failed to render");
        PageError::internal()
    })
}
