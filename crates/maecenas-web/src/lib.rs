//! The HTTP face of Maecenas: application state, the router, browser sessions, CSRF, HTML pages,
//! middleware (limits, security headers, request ids) and the accept loop that enforces a
//! header-read timeout.

pub mod billing;
mod csrf;
mod error;
mod extract;
mod health;
mod middleware;
pub mod outbox;
mod pages;
mod server;
mod session;
mod settings;
mod state;
pub mod webhooks;

pub use server::serve;
pub use settings::{Limits, WebSettings};
pub use state::AppState;

use axum::Router;

/// Every route, with the middleware stack applied.
pub fn router(state: AppState) -> Router {
    let token_limits = maecenas_oauth::TokenLimits {
        per_client: state.limits().oauth_token_client.clone(),
        per_address: state.limits().oauth_token_address.clone(),
    };
    let routes = Router::new()
        .merge(health::router())
        .merge(pages::router())
        .merge(maecenas_oauth::endpoints_router(
            state.oauth().clone(),
            token_limits.clone(),
            maecenas_oauth::Issuer::new(&state.settings().public_url),
        ))
        .merge(maecenas_oauth::router(state.oauth().clone(), token_limits))
        .merge(maecenas_realtime::router(state.realtime().clone()))
        .merge(maecenas_patreon::router(patreon_state(&state)))
        .merge(maecenas_donationalerts::router(donationalerts_state(
            &state,
        )));
    middleware::apply(routes, &state.settings().limits).with_state(state)
}

/// What the Patreon API routes need from the application state.
pub(crate) fn patreon_state(state: &AppState) -> maecenas_patreon::PatreonState {
    maecenas_patreon::PatreonState {
        store: state.store().clone(),
        oauth: state.oauth().clone(),
        limits: maecenas_patreon::PatreonLimits {
            per_client: state.limits().patreon_client.clone(),
            per_token: state.limits().patreon_token.clone(),
        },
        public_url: state.settings().public_url.clone(),
        clock: state.clock().clone(),
        webhooks: state.webhooks().clone(),
        cache: state.api_cache().cloned(),
    }
}

/// What the DonationAlerts API routes need from the application state.
fn donationalerts_state(state: &AppState) -> maecenas_donationalerts::DonationAlertsState {
    maecenas_donationalerts::DonationAlertsState {
        store: state.store().clone(),
        oauth: state.oauth().clone(),
        realtime: state.realtime().clone(),
        limit: state.limits().donationalerts_app.clone(),
        clock: state.clock().clone(),
        public_url: state.settings().public_url.clone(),
    }
}
