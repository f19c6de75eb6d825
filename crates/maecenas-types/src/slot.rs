//! A connection's place under the server's connection cap, carried in each request's
//! extensions: whoever takes the connection over (a WebSocket upgrade) keeps a clone, so the
//! slot is freed when the last holder lets go, not when the HTTP exchange ends.

use std::sync::Arc;

/// Holds one slot of the connection cap while any clone lives.
#[derive(Clone)]
pub struct ConnectionSlot {
    _guard: Arc<dyn Send + Sync>,
}

impl ConnectionSlot {
    /// A slot released when `guard` (e.g. a semaphore permit) is dropped with the last clone.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self {
            _guard: Arc::new(guard),
        }
    }
}

impl std::fmt::Debug for ConnectionSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectionSlot")
    }
}
