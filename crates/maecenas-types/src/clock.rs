//! The injected clock: library code never reads the system time directly (see clippy.toml).

use std::sync::{
    Arc, Mutex, PoisonError,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time. Production uses [`SystemClock`]; tests and the sandbox's time
/// travel use [`ManualClock`].
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The clock shared through application state.
pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place the wall clock is read"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward (or backward, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The sandbox clock: another clock (the wall clock in production) plus an offset that only
/// moves forward when the sandbox advances time. The offset is persisted by the store
/// (`sandbox_clock`) and re-read by every process, so `maecenas sandbox advance` moves a
/// running server's time too; this type only holds the current value.
#[derive(Debug)]
pub struct OffsetClock {
    base: SharedClock,
    offset_ms: AtomicI64,
}

impl OffsetClock {
    /// `base` with no offset.
    pub fn new(base: SharedClock) -> Self {
        Self {
            base,
            offset_ms: AtomicI64::new(0),
        }
    }

    /// Sets the offset.
    pub fn set_offset(&self, offset: Duration) {
        self.offset_ms
            .store(offset.num_milliseconds(), Ordering::SeqCst);
    }

    /// The current offset.
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::days(31));
        assert_eq!(clock.now(), start + Duration::days(31));
    }

    #[test]
    fn offset_clock_adds_its_offset() {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = OffsetClock::new(Arc::new(ManualClock::new(start)));
        assert_eq!(clock.now(), start);
        clock.set_offset(Duration::days(400));
        assert_eq!(clock.now(), start + Duration::days(400));
        assert_eq!(clock.offset(), Duration::days(400));
    }
}
