//! API v2 under `/api/oauth2/v2`. Unknown paths and methods answer with JSON:API errors, never
//! HTML.

mod campaigns;
mod identity;
mod members;
mod posts;
mod query;
pub(crate) mod render;
pub mod resources;

use axum::{
    Router,
    routing::{get, patch},
};

use crate::{jsonapi::ApiError, state::PatreonState};

/// The v2 routes, relative to `/api/oauth2/v2`.
pub fn router() -> Router<PatreonState> {
    Router::new()
        .route(
            "/identity",
            get(identity::show).fallback(method_not_allowed),
        )
        .route("/me", get(identity::show).fallback(method_not_allowed))
        .route(
            "/campaigns",
            get(campaigns::list).fallback(method_not_allowed),
        )
        .route(
            "/campaigns/{id}",
            get(campaigns::show).fallback(method_not_allowed),
        )
        .route(
            "/campaigns/{id}/members",
            get(members::of_campaign).fallback(method_not_allowed),
        )
        .route(
            "/members",
            get(members::of_my_campaign).fallback(method_not_allowed),
        )
        .route(
            "/members/{id}",
            get(members::show).fallback(method_not_allowed),
        )
        .route(
            "/campaigns/{id}/posts",
            get(posts::of_campaign).fallback(method_not_allowed),
        )
        .route("/posts/{id}", get(posts::show).fallback(method_not_allowed))
        .route(
            "/webhooks",
            get(crate::webhooks::api::list)
                .post(crate::webhooks::api::create)
                .fallback(method_not_allowed),
        )
        .route(
            "/webhooks/{id}",
            patch(crate::webhooks::api::update)
                .delete(crate::webhooks::api::delete)
                .fallback(method_not_allowed),
        )
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
