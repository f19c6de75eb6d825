//! API v2 under `/api/oauth2/v2`. Unknown paths and methods answer with JSON:API errors, never
//! HTML.

mod identity;
pub mod resources;

use axum::{Router, routing::get};

use crate::{jsonapi::ApiError, state::PatreonState};

/// The v2 routes, relative to `/api/oauth2/v2`.
pub fn router() -> Router<PatreonState> {
    Router::new()
        .route(
            "/identity",
            get(identity::show).fallback(method_not_allowed),
        )
        .route("/me", get(identity::show).fallback(method_not_allowed))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
