//! The Patreon dialect of Maecenas: API v1 and v2 are views of the one domain, rendered through
//! a typed JSON:API engine that reproduces Patreon's conventions and the quirks its clients
//! depend on (`shared/specs/patreon.md` §2).

pub mod auth;
mod cache;
pub mod jsonapi;
mod state;
pub mod v1;
pub mod v2;
pub mod webhooks;

pub use cache::ResponseCache;
pub use state::{PatreonLimits, PatreonState};

use axum::Router;

/// Every Patreon API route, over its own state so any application state can merge it.
pub fn router<S: Clone + Send + Sync + 'static>(state: PatreonState) -> Router<S> {
    Router::new()
        .nest("/api/oauth2/v2", v2::router())
        .nest("/api/oauth2/api", v1::router())
        .nest("/oauth2/api", v1::router())
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(state.clone()),
            cache::serve,
        ))
        .with_state(state)
}
