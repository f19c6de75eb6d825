//! When to try a failing webhook again: the configured delay for its count of consecutive
//! failures, ±20 % jitter, and a receiver's `Retry-After` (seconds or an HTTP date) honoured as
//! a lower bound, clamped to twice the scheduled delay (as Svix does). `None`: the schedule is
//! exhausted and the webhook pauses.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

/// ±20 %.
pub const JITTER: f64 = 0.2;

/// A retry schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    delays: Vec<Duration>,
}

impl Schedule {
    /// From delays in seconds.
    pub fn from_secs(secs: &[u64]) -> Self {
        Self {
            delays: secs
                .iter()
                .map(|s| Duration::seconds(i64::try_from(*s).unwrap_or(i64::MAX / 1_000_000)))
                .collect(),
        }
    }

    /// The unjittered delay after `failures` consecutive failures (1 = the first).
    pub fn base_delay(&self, failures: i64) -> Option<Duration> {
        let index = usize::try_from(failures.checked_sub(1)?).ok()?;
        self.delays.get(index).copied()
    }

    /// The delay before the next attempt, jittered with `unit` in `[-1, 1]` (random in
    /// production) and raised to a `Retry-After`, at most twice the scheduled delay.
    pub fn next_delay(
        &self,
        failures: i64,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Option<Duration> {
        let base = self.base_delay(failures)?;
        let factor = 1.0 + JITTER * unit.clamp(-1.0, 1.0);
        let millis = (base.num_milliseconds() as f64 * factor).round() as i64;
        let jittered = Duration::milliseconds(millis);
        Some(match retry_after {
            Some(wait) => wait.clamp(jittered, base * 2),
            None => jittered,
        })
    }

    /// [`Self::next_delay`] with random jitter.
    pub fn next_delay_random(
        &self,
        failures: i64,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let unit = rand::thread_rng().gen_range(-1.0..=1.0);
        self.next_delay(failures, retry_after, unit)
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<i64>() {
        return (secs >= 0).then(|| Duration::seconds(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&Utc) - now).max(Duration::zero()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PATREON_SCHEDULE_SECS;

    #[test]
    fn patreon_schedule_with_jitter_then_exhausted() {
        let s = Schedule::from_secs(&PATREON_SCHEDULE_SECS);
        assert_eq!(s.next_delay(1, None, 0.0), Some(Duration::hours(1)));
        assert_eq!(s.next_delay(1, None, 1.0), Some(Duration::minutes(72)));
        assert_eq!(s.next_delay(1, None, -1.0), Some(Duration::minutes(48)));
        assert_eq!(s.next_delay(2, None, 0.0), Some(Duration::hours(3)));
        assert_eq!(s.next_delay(4, None, 0.0), Some(Duration::days(3)));
        assert_eq!(s.next_delay(7, None, 0.0), Some(Duration::weeks(1)));
        assert_eq!(s.next_delay(8, None, 0.0), None, "then paused");
        assert_eq!(s.next_delay(0, None, 0.0), None);
        for _ in 0..200 {
            let d = s.next_delay_random(1, None).unwrap();
            assert!(
                d >= Duration::minutes(48) && d <= Duration::minutes(72),
                "{d}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_lower_bound_clamped_to_twice_the_delay() {
        let s = Schedule::from_secs(&[60]);
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(
            s.next_delay(1, Some(Duration::seconds(90)), 0.0),
            Some(Duration::seconds(90))
        );
        assert_eq!(
            s.next_delay(1, Some(Duration::seconds(5)), 0.0),
            Some(Duration::seconds(60))
        );
        assert_eq!(
            s.next_delay(1, Some(Duration::hours(5)), 0.0),
            Some(Duration::seconds(120))
        );
        assert_eq!(parse_retry_after("120", now), Some(Duration::seconds(120)));
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 22:15:20 GMT", now),
            Some(Duration::seconds(120))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
