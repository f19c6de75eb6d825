//! What the Patreon handlers share: the store, the authorization server, the API rate limits and
//! the public URL absolute links are built from.

use std::sync::Arc;

use maecenas_core::ratelimit::KeyedLimiter;
use maecenas_oauth::OAuthService;
use maecenas_store::Store;
use maecenas_types::SharedClock;
use maecenas_webhooks::WebhookConfig;
use url::Url;

use crate::cache::ResponseCache;

/// Patreon's two API limits (`patreon.md` §8).
#[derive(Debug, Clone)]
pub struct PatreonLimits {
    /// Per OAuth client (100 requests per 2 s).
    pub per_client: Arc<dyn KeyedLimiter>,
    /// Per token, i.e. client and user (100 per minute); refreshing does not reset it.
    pub per_token: Arc<dyn KeyedLimiter>,
}

/// State of the Patreon routes.
#[derive(Debug, Clone)]
pub struct PatreonState {
    pub store: Store,
    pub oauth: OAuthService,
    pub limits: PatreonLimits,
    /// The server's public URL, ending in `/`.
    pub public_url: Url,
    /// The injected clock.
    pub clock: SharedClock,
    /// Webhook settings (the URI rules of the SSRF guard).
    pub webhooks: Arc<WebhookConfig>,
    /// The response cache (`None`: off).
    pub cache: Option<Arc<ResponseCache>>,
}

impl PatreonState {
    /// The absolute URL of a v2 API path such as `campaigns/7`.
    pub fn v2_url(&self, path: &str) -> String {
        format!("{}api/oauth2/v2/{path}", self.public_url)
    }

    /// The absolute URL of a v1 API path such as `campaigns/7/pledges`.
    pub fn v1_url(&self, path: &str) -> String {
        format!("{}api/oauth2/api/{path}", self.public_url)
    }

    /// v1's link to a resource outside the API, such as `user/7` (`…/api/user/7`).
    pub fn v1_related(&self, path: &str) -> String {
        format!("{}api/{path}", self.public_url)
    }
}
