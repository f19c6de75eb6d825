//! Rate limits: keyed GCRA limiters (governor) that read time from the injected [`Clock`], so
//! tests and the sandbox's time travel drive them. Every limiter sits behind [`KeyedLimiter`],
//! the seam a shared store (Redis, for several instances) can fill later; today's limits are
//! per instance.
//!
//! [`Clock`]: maecenas_types::Clock

use std::{fmt, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    Quota, RateLimiter,
    clock::Clock as GovernorClockTrait,
    middleware::{NoOpMiddleware, StateInformationMiddleware},
    state::keyed::DefaultKeyedStateStore,
};
use maecenas_types::SharedClock;
use serde::{Deserialize, Serialize};

/// Past this many tracked keys, keys back at full allowance are dropped (a flood of random keys
/// must not grow memory without bound: security-reliability RL-02).
const MAX_KEYS: usize = 100_000;

/// `requests` per `per_secs` seconds, in bursts of up to `requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Requests allowed in the window (and the largest burst).
    pub requests: u32,
    /// The window, in seconds.
    pub per_secs: u64,
}

impl Rate {
    /// `requests` per `per_secs` seconds.
    pub const fn new(requests: u32, per_secs: u64) -> Self {
        Self { requests, per_secs }
    }

    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.requests).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(Duration::from_secs(self.per_secs.max(1)) / burst.get())
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst)
    }

    /// Checks the rate is usable.
    pub fn validate(self, name: &str) -> Result<(), String> {
        if self.requests == 0 || self.per_secs == 0 {
            return Err(format!(
                "rate_limits.{name}: requests and per_secs must be at least 1"
            ));
        }
        Ok(())
    }
}

/// What a limiter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead; this many more requests fit in the burst now.
    Allowed {
        /// Requests left before the limit.
        remaining: u32,
    },
    /// Over the limit: wait this long.
    Limited {
        /// The exact GCRA wait.
        retry_after: Duration,
    },
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        matches!(self, Self::Allowed { .. })
    }

    /// The wait as whole seconds for `Retry-After` (at least 1, rounded up).
    pub fn retry_after_secs(self) -> Option<u64> {
        match self {
            Self::Allowed { .. } => None,
            Self::Limited { retry_after } => {
                Some(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0))
                    .map(|s| s.max(1))
            }
        }
    }

    /// Response headers describing the limit: the IETF `RateLimit-Policy` / `RateLimit` fields
    /// (draft-ietf-httpapi-ratelimit-headers), the `X-RateLimit-*` pair Laravel-style clients
    /// read, and `Retry-After` when limited.
    pub fn headers(self, rate: Rate) -> Vec<(&'static str, String)> {
        let remaining = match self {
            Self::Allowed { remaining } => remaining,
            Self::Limited { .. } => 0,
        };
        let mut headers = vec![
            (
                "ratelimit-policy",
                format!("\"default\";q={};w={}", rate.requests, rate.per_secs),
            ),
            ("x-ratelimit-limit", rate.requests.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
        ];
        match self.retry_after_secs() {
            Some(secs) => {
                headers.push(("ratelimit", format!("\"default\";r=0;t={secs}")));
                headers.push(("retry-after", secs.to_string()));
            }
            None => headers.push(("ratelimit", format!("\"default\";r={remaining}"))),
        }
        headers
    }
}

/// A limiter keyed by a string (a client id, a token, an address).
pub trait KeyedLimiter: Send + Sync + fmt::Debug {
    /// Takes one request from `key`'s allowance.
    fn check(&self, key: &str) -> Decision;
    /// The rate enforced.
    fn rate(&self) -> Rate;
}

/// governor's clock, reading the injected [`maecenas_types::Clock`] as time since the epoch.
#[derive(Debug, Clone)]
struct InjectedClock(SharedClock);

impl GovernorClockTrait for InjectedClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let nanos = self.0.now().timestamp_nanos_opt().unwrap_or_default();
        Duration::from_nanos(u64::try_from(nanos).unwrap_or_default())
    }
}

type Inner =
    RateLimiter<String, DefaultKeyedStateStore<String>, InjectedClock, StateInformationMiddleware>;

/// An in-process keyed GCRA limiter.
pub struct LocalLimiter {
    rate: Rate,
    clock: InjectedClock,
    inner: Inner,
}

impl fmt::Debug for LocalLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalLimiter")
            .field("rate", &self.rate)
            .field("keys", &self.inner.len())
            .finish()
    }
}

impl LocalLimiter {
    /// A limiter enforcing `rate`, on `clock`.
    pub fn new(rate: Rate, clock: SharedClock) -> Self {
        let clock = InjectedClock(clock);
        let inner = RateLimiter::<_, _, _, NoOpMiddleware<Duration>>::new(
            rate.quota(),
            DefaultKeyedStateStore::default(),
            clock.clone(),
        )
        .with_middleware::<StateInformationMiddleware>();
        Self { rate, clock, inner }
    }

    /// How many keys are tracked.
    pub fn tracked_keys(&self) -> usize {
        self.inner.len()
    }
}

impl KeyedLimiter for LocalLimiter {
    fn check(&self, key: &str) -> Decision {
        if self.inner.len() > MAX_KEYS {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
        }
        match self.inner.check_key(&key.to_owned()) {
            Ok(snapshot) => Decision::Allowed {
                remaining: snapshot.remaining_burst_capacity(),
            },
            Err(not_until) => Decision::Limited {
                retry_after: not_until.wait_time_from(self.clock.now()),
            },
        }
    }

    fn rate(&self) -> Rate {
        self.rate
    }
}

/// Every limit, configurable under `[rate_limits]`. Defaults are the platforms' own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Patreon API, per OAuth client: 100 requests per 2 s.
    pub patreon_client: Rate,
    /// Patreon API, per access token: 100 requests per minute.
    pub patreon_token: Rate,
    /// DonationAlerts API, per application: 60 requests per minute.
    pub donationalerts_app: Rate,
    /// Token endpoints, per client (guessing client secrets and codes).
    pub oauth_token_client: Rate,
    /// Token endpoints, per client address.
    pub oauth_token_address: Rate,
    /// Log-in attempts per account.
    pub login_account: Rate,
    /// Log-in attempts per client address (several people may share one).
    pub login_address: Rate,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            patreon_client: Rate::new(100, 2),
            patreon_token: Rate::new(100, 60),
            donationalerts_app: Rate::new(60, 60),
            oauth_token_client: Rate::new(60, 60),
            oauth_token_address: Rate::new(120, 60),
            login_account: Rate::new(5, 300),
            login_address: Rate::new(20, 1200),
        }
    }
}

impl RateLimitConfig {
    /// Checks every rate is usable.
    pub fn validate(&self) -> Result<(), String> {
        [
            ("patreon_client", self.patreon_client),
            ("patreon_token", self.patreon_token),
            ("donationalerts_app", self.donationalerts_app),
            ("oauth_token_client", self.oauth_token_client),
            ("oauth_token_address", self.oauth_token_address),
            ("login_account", self.login_account),
            ("login_address", self.login_address),
        ]
        .into_iter()
        .try_for_each(|(name, rate)| rate.validate(name))
    }
}

/// The limiters of one instance, built from the configuration on one clock.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub patreon_client: Arc<dyn KeyedLimiter>,
    pub patreon_token: Arc<dyn KeyedLimiter>,
    pub donationalerts_app: Arc<dyn KeyedLimiter>,
    pub oauth_token_client: Arc<dyn KeyedLimiter>,
    pub oauth_token_address: Arc<dyn KeyedLimiter>,
    pub login_account: Arc<dyn KeyedLimiter>,
    pub login_address: Arc<dyn KeyedLimiter>,
}

impl RateLimits {
    /// In-process limiters for `config`.
    pub fn local(config: &RateLimitConfig, clock: &SharedClock) -> Self {
        let make = |rate: Rate| -> Arc<dyn KeyedLimiter> {
            Arc::new(LocalLimiter::new(rate, clock.clone()))
        };
        Self {
            patreon_client: make(config.patreon_client),
            patreon_token: make(config.patreon_token),
            donationalerts_app: make(config.donationalerts_app),
            oauth_token_client: make(config.oauth_token_client),
            oauth_token_address: make(config.oauth_token_address),
            login_account: make(config.login_account),
            login_address: make(config.login_address),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use maecenas_types::ManualClock;

    use super::*;

    fn limiter(rate: Rate) -> (LocalLimiter, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        ));
        (LocalLimiter::new(rate, clock.clone()), clock)
    }

    #[test]
    fn rl_07_exact_burst_then_exact_wait() {
        let (limiter, clock) = limiter(Rate::new(100, 2));
        for i in 0..100 {
            assert_eq!(
                limiter.check("client"),
                Decision::Allowed { remaining: 99 - i },
                "request {i}"
            );
        }
        let limited = limiter.check("client");
        // GCRA: one request comes back every 2 s / 100 = 20 ms.
        assert_eq!(
            limited,
            Decision::Limited {
                retry_after: Duration::from_millis(20)
            }
        );
        assert_eq!(limited.retry_after_secs(), Some(1));
        clock.advance(chrono::Duration::milliseconds(20));
        assert!(
            limiter.check("client").is_allowed(),
            "allowed once the wait is over"
        );
        assert!(!limiter.check("client").is_allowed());
    }

    #[test]
    fn rl_03_reported_wait_is_accurate_for_many_rates() {
        for (requests, per_secs) in [(1, 1), (5, 300), (60, 60), (100, 2), (7, 13)] {
            let (limiter, clock) = limiter(Rate::new(requests, per_secs));
            for _ in 0..requests {
                assert!(limiter.check("k").is_allowed());
            }
            let Decision::Limited { retry_after } = limiter.check("k") else {
                panic!("not limited")
            };
            let wait = chrono::Duration::from_std(retry_after).unwrap();
            clock.advance(wait - chrono::Duration::milliseconds(1));
            assert!(
                !limiter.check("k").is_allowed(),
                "{requests}/{per_secs}: allowed before the wait"
            );
            clock.advance(chrono::Duration::milliseconds(1));
            assert!(
                limiter.check("k").is_allowed(),
                "{requests}/{per_secs}: refused after the wait"
            );
        }
    }

    #[test]
    fn rl_07_keys_are_isolated() {
        let (limiter, _) = limiter(Rate::new(2, 60));
        assert!(limiter.check("a").is_allowed());
        assert!(limiter.check("a").is_allowed());
        assert!(!limiter.check("a").is_allowed());
        assert_eq!(limiter.check("b"), Decision::Allowed { remaining: 1 });
    }

    #[test]
    fn rl_02_key_floods_do_not_grow_without_bound() {
        let (limiter, clock) = limiter(Rate::new(10, 1));
        for i in 0..=MAX_KEYS {
            let _ = limiter.check(&i.to_string());
        }
        assert!(limiter.tracked_keys() > MAX_KEYS);
        clock.advance(chrono::Duration::seconds(2));
        let _ = limiter.check("one more");
        assert!(
            limiter.tracked_keys() < 10,
            "{} keys kept",
            limiter.tracked_keys()
        );
    }

    #[test]
    fn rl_05_headers() {
        let rate = Rate::new(60, 60);
        let limited = Decision::Limited {
            retry_after: Duration::from_millis(1500),
        }
        .headers(rate);
        assert!(limited.contains(&("retry-after", "2".to_owned())));
        assert!(limited.contains(&("ratelimit", "\"default\";r=0;t=2".to_owned())));
        assert!(limited.contains(&("ratelimit-policy", "\"default\";q=60;w=60".to_owned())));
        let allowed = Decision::Allowed { remaining: 7 }.headers(rate);
        assert!(allowed.contains(&("x-ratelimit-remaining", "7".to_owned())));
        assert!(!allowed.iter().any(|(name, _)| *name == "retry-after"));
    }
}
