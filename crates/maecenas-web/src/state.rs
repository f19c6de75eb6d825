//! Application state shared by every handler.

use std::sync::Arc;

use maecenas_core::{
    Accounts, Alerts, Billing, RateLimits, Sessions, creator::Creator, sandbox::Sandbox,
};
use maecenas_oauth::OAuthService;
use maecenas_realtime::{Realtime, RealtimeConfig};
use maecenas_store::Store;
use maecenas_types::{OffsetClock, SharedClock};
use maecenas_webhooks::WebhookConfig;

use crate::{csrf::CsrfKey, settings::WebSettings};

/// Cheap to clone: everything inside is shared.
#[derive(Clone, Debug)]
pub struct AppState {
    store: Store,
    clock: SharedClock,
    accounts: Accounts,
    alerts: Alerts,
    billing: Billing,
    creator: Creator,
    sandbox: Sandbox,
    sessions: Sessions,
    oauth: OAuthService,
    realtime: Realtime,
    limits: RateLimits,
    settings: Arc<WebSettings>,
    csrf: CsrfKey,
    webhooks: Arc<WebhookConfig>,
    api_cache: Option<Arc<maecenas_patreon::ResponseCache>>,
}

impl AppState {
    /// State over `store`, reading time from `clock`.
    pub fn new(store: Store, clock: SharedClock, settings: WebSettings) -> Self {
        let limits = RateLimits::local(&settings.rate_limits, &clock);
        Self {
            accounts: Accounts::new(store.clone(), clock.clone(), limits.clone()),
            alerts: Alerts::new(store.clone(), clock.clone()),
            billing: Billing::sandbox(store.clone(), clock.clone()),
            creator: Creator::new(store.clone(), clock.clone()),
            // Until `with_sandbox_clock`: an offset over this clock, moved by the page only.
            sandbox: Sandbox::new(store.clone(), Arc::new(OffsetClock::new(clock.clone()))),
            limits,
            sessions: Sessions::new(store.clone(), clock.clone()),
            oauth: OAuthService::new(store.clone(), clock.clone()),
            realtime: realtime(&settings, &clock),
            csrf: CsrfKey::derive(&settings.secret_key),
            webhooks: Arc::new(WebhookConfig::default()),
            api_cache: maecenas_patreon::ResponseCache::new(
                &store,
                settings.limits.api_cache_bytes,
            ),
            settings: Arc::new(settings),
            store,
            clock,
        }
    }

    /// The same state with these webhook settings (production defaults otherwise).
    pub fn with_webhooks(mut self, config: WebhookConfig) -> Self {
        self.webhooks = Arc::new(config);
        self
    }

    /// The same state whose sandbox controls move `clock`, which must be the clock this state
    /// reads (`serve` builds the state over its [`OffsetClock`]), so an advance moves every
    /// service's time at once.
    pub fn with_sandbox_clock(mut self, clock: Arc<OffsetClock>) -> Self {
        self.sandbox = Sandbox::new(self.store.clone(), clock);
        self
    }

    /// The sandbox controls (fake patrons, time travel, test events) on the sandbox clock.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The Patreon API's response cache (`None`: off).
    pub fn api_cache(&self) -> Option<&Arc<maecenas_patreon::ResponseCache>> {
        self.api_cache.as_ref()
    }

    /// Webhook settings.
    pub fn webhooks(&self) -> &Arc<WebhookConfig> {
        &self.webhooks
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

    /// Stream alerts: sandbox and test donations, the overlay's secret, marking shown.
    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// The billing service (the sandbox gateway): checkout and pledge changes.
    pub fn billing(&self) -> &Billing {
        &self.billing
    }

    /// A creator's edits: campaign, tiers, benefits, goals, posts.
    pub fn creator(&self) -> &Creator {
        &self.creator
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

/// The real-time server the settings ask for. A Redis URL was checked with the configuration;
/// should it still be refused, this instance serves its own sockets only, and says so.
fn realtime(settings: &WebSettings, clock: &SharedClock) -> Realtime {
    let key = crate::csrf::derive_key(&settings.secret_key, b"maecenas centrifugo key v1");
    let config = RealtimeConfig::default();
    Realtime::with_settings(key, clock.clone(), config.clone(), settings.realtime.clone())
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "realtime: Redis broker refused; serving this instance's sockets only");
            Realtime::new(key, clock.clone(), config)
        })
}
