//! Application state shared by every handler.

use std::sync::Arc;

use maecenas_core::{Accounts, RateLimits, Sessions};
use maecenas_oauth::OAuthService;
use maecenas_realtime::{Realtime, RealtimeConfig};
use maecenas_store::Store;
use maecenas_types::SharedClock;

use crate::{csrf::CsrfKey, settings::WebSettings};

/// Cheap to clone: everything inside is shared.
#[derive(Clone, Debug)]
pub struct AppState {
    store: Store,
    clock: SharedClock,
    accounts: Accounts,
    sessions: Sessions,
    oauth: OAuthService,
    realtime: Realtime,
    limits: RateLimits,
    settings: Arc<WebSettings>,
    csrf: CsrfKey,
}

impl AppState {
    /// State over `store`, reading time from `clock`.
    pub fn new(store: Store, clock: SharedClock, settings: WebSettings) -> Self {
        let limits = RateLimits::local(&settings.rate_limits, &clock);
        Self {
            accounts: Accounts::new(store.clone(), clock.clone(), limits.clone()),
            limits,
            sessions: Sessions::new(store.clone(), clock.clone()),
            oauth: OAuthService::new(store.clone(), clock.clone()),
            realtime: Realtime::new(
                crate::csrf::derive_key(&settings.secret_key, b"maecenas centrifugo key v1"),
                clock.clone(),
                RealtimeConfig::default(),
            ),
            csrf: CsrfKey::derive(&settings.secret_key),
            settings: Arc::new(settings),
            store,
            clock,
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The injected clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The accounts service.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The sessions service.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// This instance's rate limiters.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// The OAuth authorization server.
    pub fn oauth(&self) -> &OAuthService {
        &self.oauth
    }

    /// The real-time server (Centrifugo v2 WebSocket): tokens and publishing.
    pub fn realtime(&self) -> &Realtime {
        &self.realtime
    }

    /// Web settings.
    pub fn settings(&self) -> &WebSettings {
        &self.settings
    }

    pub(crate) fn csrf(&self) -> &CsrfKey {
        &self.csrf
    }
}
