//! `[webhooks]` configuration: the retry schedule (Patreon's by default), the request timeout,
//! the claim lease, how many webhooks one instance drains at once, and the SSRF allow-list
//! (the sandbox's loopback receivers, extra networks).

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Patreon's documented schedule after a failure: +1 h, +3 h, +1 d, +3 d, then weekly three
/// times; after that the webhook is paused (`patreon.md` §7.4).
pub const PATREON_SCHEDULE_SECS: [u64; 7] = [
    3_600,
    3 * 3_600,
    86_400,
    3 * 86_400,
    7 * 86_400,
    7 * 86_400,
    7 * 86_400,
];

/// Webhook delivery settings. Every field has a safe default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Sandbox: webhook URIs may be `http://` on a loopback host and deliveries may reach
    /// loopback addresses (local receivers). Off in production.
    pub allow_loopback: bool,
    /// Networks (CIDR) deliveries may reach although private, link-local or loopback.
    pub allow_networks: Vec<IpNet>,
    /// Seconds to wait after the 1st, 2nd, … consecutive failure (±20 % jitter); when they
    /// run out the webhook is paused.
    pub retry_schedule_secs: Vec<u64>,
    /// A receiver must answer within this many seconds.
    pub timeout_secs: u64,
    /// How long a dispatcher owns a webhook's queue before another may take it over.
    pub lease_secs: u64,
    /// Webhooks one instance delivers to at the same time.
    pub max_concurrent_webhooks: usize,
    /// The name this instance's leases carry. On start an instance frees the leases its
    /// previous life held (a crash leaves them), so its queues resume at once instead of after
    /// `lease_secs`. Must differ between instances; `serve` defaults it to the host name and
    /// the listening address; unset, a random name per start.
    pub instance_id: Option<String>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            allow_networks: Vec::new(),
            retry_schedule_secs: PATREON_SCHEDULE_SECS.to_vec(),
            timeout_secs: 15,
            lease_secs: 60,
            max_concurrent_webhooks: 64,
            instance_id: None,
        }
    }
}

impl WebhookConfig {
    /// The sandbox's settings: loopback receivers allowed.
    pub fn sandbox() -> Self {
        Self {
            allow_loopback: true,
            ..Self::default()
        }
    }

    /// Checks the values make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.timeout_secs == 0 || self.timeout_secs > 300 {
            return Err("webhooks.timeout_secs must be between 1 and 300".into());
        }
        if self.lease_secs <= self.timeout_secs {
            return Err("webhooks.lease_secs must exceed webhooks.timeout_secs".into());
        }
        if self.max_concurrent_webhooks == 0 {
            return Err("webhooks.max_concurrent_webhooks must be at least 1".into());
        }
        if self.retry_schedule_secs.contains(&0) {
            return Err("webhooks.retry_schedule_secs: every delay must be at least 1 s".into());
        }
        Ok(())
    }
}
