//! Starts the webhook dispatcher (`maecenas-webhooks`) with the Patreon payload renderer, as a
//! background task beside the real-time outbox; `serve` and the test app start it.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::state::AppState;

/// Starts the dispatcher; abort the handle to stop it. `Err` only when the HTTP client cannot
/// be built (no TLS roots).
pub fn spawn(state: &AppState) -> Result<JoinHandle<()>, reqwest::Error> {
    let renderer = maecenas_patreon::webhooks::PatreonRenderer::new(crate::patreon_state(state));
    let dispatcher = maecenas_webhooks::Dispatcher::new(
        state.store().clone(),
        state.clock().clone(),
        Arc::new(renderer),
        state.webhooks().clone(),
    )?;
    Ok(dispatcher.spawn())
}
