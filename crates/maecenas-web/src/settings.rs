//! What the HTTP layer needs from the configuration: the public URL, the limits and the key that
//! signs CSRF tokens.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

/// Resource limits. Every field has a safe default; all are configurable under `[limits]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// A client must send a request's headers within this many seconds (slowloris guard).
    pub header_read_timeout_secs: u64,
    /// A request (body included) must be answered within this many seconds, else 408.
    pub request_timeout_secs: u64,
    /// Largest request body accepted, in bytes; larger gets 413.
    pub body_limit_bytes: usize,
    /// Most simultaneous connections; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// On shutdown, how long open requests get to finish.
    pub shutdown_grace_secs: u64,
    /// Most bytes of Patreon API answers kept in the response cache; 0 turns it off.
    pub api_cache_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            request_timeout_secs: 30,
            body_limit_bytes: 64 * 1024,
            max_connections: 10_000,
            shutdown_grace_secs: 10,
            api_cache_bytes: 64 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The header-read timeout.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// Checks the values make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.header_read_timeout_secs == 0 || self.request_timeout_secs == 0 {
            return Err("limits: timeouts must be at least 1 second".into());
        }
        if self.body_limit_bytes < 1024 {
            return Err("limits.body_limit_bytes must be at least 1024".into());
        }
        if self.max_connections == 0 {
            return Err("limits.max_connections must be at least 1".into());
        }
        Ok(())
    }
}

/// Settings for the web layer, resolved from the configuration at start.
#[derive(Clone)]
pub struct WebSettings {
    /// The URL people and clients reach this server at (absolute links, cookie `Secure`).
    pub public_url: Url,
    /// Resource limits.
    pub limits: Limits,
    /// Request rates.
    pub rate_limits: maecenas_core::RateLimitConfig,
    /// 32 secret bytes from which the CSRF key is derived.
    pub secret_key: [u8; 32],
    /// The real-time server: broker and allowed origins.
    pub realtime: maecenas_realtime::RealtimeSettings,
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("public_url", &self.public_url.as_str())
            .field("limits", &self.limits)
            .field("rate_limits", &self.rate_limits)
            .field("secret_key", &"<redacted>")
            .field("realtime.redis", &self.realtime.redis_url.is_some())
            .field("realtime.allowed_origins", &self.realtime.allowed_origins)
            .finish()
    }
}

impl WebSettings {
    /// Whether cookies must be `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}
