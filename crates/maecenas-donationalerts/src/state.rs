//! What the DonationAlerts handlers share: the store, the authorization server, the real-time
//! server that signs Centrifugo tokens, the per-application limit and the public URL.

use std::sync::Arc;

use maecenas_core::ratelimit::KeyedLimiter;
use maecenas_oauth::OAuthService;
use maecenas_realtime::Realtime;
use maecenas_store::Store;
use maecenas_types::SharedClock;
use url::Url;

/// State of the DonationAlerts routes.
#[derive(Debug, Clone)]
pub struct DonationAlertsState {
    pub store: Store,
    pub oauth: OAuthService,
    pub realtime: Realtime,
    /// 60 requests a minute per application (`[rate_limits] donationalerts_app`).
    pub limit: Arc<dyn KeyedLimiter>,
    pub clock: SharedClock,
    /// The server's public URL, ending in `/`.
    pub public_url: Url,
}

impl DonationAlertsState {
    /// The absolute URL of an API v1 path such as `alerts/donations`.
    pub fn v1_url(&self, path: &str) -> String {
        format!("{}api/v1/{path}", self.public_url)
    }
}
