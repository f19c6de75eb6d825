//! Login throttling: GCRA limiters (governor) keyed by account and by client address. Every
//! attempt counts; a person logging in normally never comes near the limit, a guesser does.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

/// Attempts allowed in a burst, per account.
const ACCOUNT_BURST: u32 = 5;
/// Attempts allowed in a burst, per address (several people may share one).
const ADDRESS_BURST: u32 = 20;
/// One more attempt is allowed every this long.
const REFILL: Duration = Duration::from_secs(60);

/// Counts login attempts. Per instance for now; the seam a shared store can fill later.
#[derive(Clone)]
pub(crate) struct LoginThrottle {
    by_account: Arc<DefaultKeyedRateLimiter<String>>,
    by_address: Arc<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginThrottle")
    }
}

fn quota(burst: u32) -> Quota {
    Quota::with_period(REFILL)
        .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

impl LoginThrottle {
    pub(crate) fn new() -> Self {
        Self {
            by_account: Arc::new(RateLimiter::keyed(quota(ACCOUNT_BURST))),
            by_address: Arc::new(RateLimiter::keyed(quota(ADDRESS_BURST))),
        }
    }

    /// Takes one attempt from the account's and the address's allowance; `Err(seconds)` to wait
    /// when either is used up.
    pub(crate) fn attempt(&self, account: &str, address: &str) -> Result<(), u64> {
        let clock = DefaultClock::default();
        for (limiter, key) in [(&self.by_account, account), (&self.by_address, address)] {
            if let Err(not_until) = limiter.check_key(&key.to_owned()) {
                return Err(not_until.wait_time_from(clock.now()).as_secs().max(1));
            }
        }
        Ok(())
    }
}
