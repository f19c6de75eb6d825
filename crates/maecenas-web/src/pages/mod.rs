//! Server-rendered pages, one module per area.

mod accounts;
mod alert_settings;
mod apps;
mod authorize;
mod become_patron;
mod campaign;
mod checkout;
mod dashboard;
mod dashboard_edit;
mod dashboard_posts;
mod developer;
mod donate;
mod home;
mod memberships;
mod money;
mod overlay;
mod profile;
mod sandbox;
mod webhooks;

use axum::{
    Router,
    routing::{get, post},
};

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
            "/portal/webhooks",
            get(webhooks::show).post(webhooks::create),
        )
        .route("/portal/webhooks/{id}", get(webhooks::log))
        .route("/portal/webhooks/{id}/pause", post(webhooks::pause))
        .route("/portal/webhooks/{id}/resume", post(webhooks::resume))
        .route("/portal/webhooks/{id}/delete", post(webhooks::delete))
        .route("/portal/webhooks/{id}/test", post(webhooks::test))
        .route(
            "/portal/webhooks/{id}/deliveries/{delivery}/resend",
            post(webhooks::resend),
        )
        .route(
            "/oauth2/authorize",
            get(authorize::patreon).post(authorize::answer),
        )
        .route("/oauth2/become-patron", get(become_patron::start))
        .route(
            "/oauth/authorize",
            get(authorize::donationalerts).post(authorize::answer),
        )
        .route("/settings/apps", get(apps::show))
        .route(
            "/settings/apps/{client_id}/revoke",
            axum::routing::post(apps::revoke),
        )
        .route("/settings/alerts", get(alert_settings::show))
        .route("/settings/alerts/url", post(alert_settings::regenerate))
        .route("/settings/alerts/sound", post(alert_settings::sound))
        .route("/settings/alerts/test", post(alert_settings::test_alert))
        .route("/widget/alerts/{secret}", get(overlay::show))
        .route(
            "/widget/alerts/{secret}/connection-token",
            post(overlay::connection),
        )
        .route(
            "/widget/alerts/{secret}/subscription-token",
            post(overlay::subscription),
        )
        .route(
            "/widget/alerts/{secret}/shown/{donation_id}",
            post(overlay::shown),
        )
        .route("/static/overlay.js", get(overlay::script))
        .route("/memberships", get(memberships::show))
        .route("/memberships/{id}/change", post(memberships::change))
        .route("/memberships/{id}/cancel", post(memberships::cancel))
        .route("/memberships/{id}/card", post(memberships::card))
        .route("/donate/{code}", get(donate::form).post(donate::submit))
        .route("/sandbox", get(sandbox::show))
        .route("/sandbox/{action}", post(sandbox::act))
        .route("/dashboard", get(dashboard::show))
        .route("/dashboard/members.csv", get(dashboard::members_csv))
        .route("/dashboard/edit", get(dashboard_edit::show))
        .route("/dashboard/campaign", post(dashboard_edit::save_campaign))
        .route("/dashboard/tiers", post(dashboard_edit::add_tier))
        .route("/dashboard/tiers/{id}", post(dashboard_edit::edit_tier))
        .route("/dashboard/benefits", post(dashboard_edit::add_benefit))
        .route("/dashboard/goals", post(dashboard_edit::add_goal))
        .route(
            "/dashboard/benefits/{id}/delete",
            post(dashboard_edit::delete_benefit),
        )
        .route(
            "/dashboard/goals/{id}/delete",
            post(dashboard_edit::delete_goal),
        )
        .route(
            "/dashboard/posts",
            get(dashboard_posts::list).post(dashboard_posts::create),
        )
        .route(
            "/dashboard/posts/{id}",
            get(dashboard_posts::edit_form).post(dashboard_posts::update),
        )
        .route(
            "/dashboard/posts/{id}/delete",
            post(dashboard_posts::delete),
        )
        .route("/c/{vanity}", get(campaign::show))
        .route("/c/{vanity}/posts/{post_id}", get(campaign::show_post))
        .route(
            "/c/{vanity}/join",
            get(checkout::form).post(checkout::submit),
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
