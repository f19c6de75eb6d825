//! The DonationAlerts dialect of Maecenas: API v1 (`/api/v1/user/oauth`,
//! `/api/v1/alerts/donations`, `/api/v1/custom_alert`, `/api/v1/centrifuge/subscribe`) as the
//! real clients expect it (`shared/specs/donationalerts-centrifugo.md` §4): Laravel-shaped
//! errors and pagination, bearer tokens from `/oauth/token`, 60 requests a minute per
//! application, and CORS for browser clients.

pub mod alert;
pub mod auth;
mod cors;
mod custom_alert;
mod donations;
pub mod error;
mod params;
mod state;
mod subscribe;
mod user;
pub mod wire;

pub use state::DonationAlertsState;

use axum::{
    Router, middleware,
    routing::{get, post},
};

use crate::error::ApiError;

/// Every DonationAlerts API route, over its own state so any application state can merge it.
pub fn router<S: Clone + Send + Sync + 'static>(state: DonationAlertsState) -> Router<S> {
    let v1 = Router::new()
        .route("/user/oauth", get(user::show).fallback(method_not_allowed))
        .route(
            "/alerts/donations",
            get(donations::list).fallback(method_not_allowed),
        )
        .route(
            "/custom_alert",
            post(custom_alert::store).fallback(method_not_allowed),
        )
        .route(
            "/centrifuge/subscribe",
            post(subscribe::subscribe).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .layer(middleware::from_fn(cors::cors));
    Router::new().nest("/api/v1", v1).with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
