//! API v1 under `/api/oauth2/api` (and `/oauth2/api`, api.patreon.com's form): `/current_user`,
//! `/current_user/campaigns` and `/campaigns/{id}/pledges`, with v1's default attributes and
//! includes (`patreon.md` §5.2, §6).

mod campaigns;
mod current_user;
mod pledges;
pub(crate) mod render;
pub mod resources;

use axum::{Router, routing::get};

use crate::{jsonapi::ApiError, state::PatreonState};

/// The v1 routes, relative to the v1 prefix.
pub fn router() -> Router<PatreonState> {
    Router::new()
        .route(
            "/current_user",
            get(current_user::show).fallback(method_not_allowed),
        )
        .route(
            "/current_user/campaigns",
            get(campaigns::mine).fallback(method_not_allowed),
        )
        .route(
            "/campaigns/{id}/pledges",
            get(pledges::of_campaign).fallback(method_not_allowed),
        )
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
