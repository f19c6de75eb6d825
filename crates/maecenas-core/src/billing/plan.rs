//! The billing calendar and arithmetic, pure: when the next charge falls, how a declined
//! pledge is retried, and how an upgrade is prorated. No I/O, no clock: every instant is given.

use chrono::{DateTime, Datelike, Duration, Months, TimeZone, Utc};

/// Days after the first decline at which a declined charge is tried again. When the last retry
/// declines too, the pledge ends (`former_patron`).
pub const RETRY_AFTER_DAYS: [i64; 3] = [1, 3, 7];

/// How often a pledge is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every month.
    Monthly,
    /// Every twelve months, twelve monthly amounts at once.
    Annual,
}

impl Cadence {
    /// Months between charges (Patreon's `pledge_cadence`).
    pub fn months(self) -> u32 {
        match self {
            Self::Monthly => 1,
            Self::Annual => 12,
        }
    }

    /// The cadence of `pledge_cadence` months (anything but 12 is monthly).
    pub fn from_months(months: i64) -> Self {
        if months == 12 {
            Self::Annual
        } else {
            Self::Monthly
        }
    }

    /// What one charge costs for a monthly pledge of `monthly_cents`.
    pub fn charge_of(self, monthly_cents: i64) -> i64 {
        monthly_cents.saturating_mul(i64::from(self.months()))
    }
}

/// When a campaign charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// At the pledge, then every cadence from that instant (the anchor).
    UpFront,
    /// On the first of each month at 00:00 UTC; a new pledge pays nothing until then.
    FirstOfMonth,
}

impl Schedule {
    /// The schedule of a pledge with `cadence` in a campaign that charges up front or not:
    /// annual pledges always charge up front.
    pub fn of(is_charged_immediately: bool, cadence: Cadence) -> Self {
        if is_charged_immediately || cadence == Cadence::Annual {
            Self::UpFront
        } else {
            Self::FirstOfMonth
        }
    }
}

/// `at` plus `months` calendar months, the day clamped to the month's last (Jan 31 + 1 month
/// is Feb 28 or 29); saturates far in the future.
pub fn add_months(at: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    at.checked_add_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at` minus `months` calendar months, clamped like [`add_months`].
pub fn sub_months(at: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    at.checked_sub_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// 00:00 UTC on the first day of the month after `at`'s.
pub fn first_of_next_month(at: DateTime<Utc>) -> DateTime<Utc> {
    let (year, month) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The first charge date strictly after `after` on the schedule: for [`Schedule::UpFront`]
/// the smallest `anchor + k × cadence` months (k ≥ 1) past `after` — counted from the anchor
/// each time, so a pledge started on the 31st is charged on the last day of short months and
/// on the 31st again after them; for [`Schedule::FirstOfMonth`] the next first of a month.
/// A charge missed while nothing ran is not charged twice: the next date is always in the
/// future of `after`.
pub fn next_charge(
    schedule: Schedule,
    cadence: Cadence,
    anchor: DateTime<Utc>,
    after: DateTime<Utc>,
) -> DateTime<Utc> {
    match schedule {
        Schedule::FirstOfMonth => first_of_next_month(after),
        Schedule::UpFront => {
            let step = cadence.months();
            // Start near the answer: whole months between anchor and `after`, rounded down to
            // the cadence, minus one step for the clamping.
            let months_between = (after.year() - anchor.year()) * 12
                + i32::try_from(after.month()).unwrap_or(0)
                - i32::try_from(anchor.month()).unwrap_or(0);
            let mut k = u32::try_from(months_between.max(0)).unwrap_or(0) / step;
            k = k.saturating_sub(1).max(1);
            loop {
                let candidate = add_months(anchor, k.saturating_mul(step));
                if candidate > after || candidate == DateTime::<Utc>::MAX_UTC {
                    return candidate;
                }
                k += 1;
            }
        }
    }
}

/// When to retry after the `declines`-th consecutive decline (1 = the first) that began at
/// `declined_since`; `None` when no retry is left and the pledge must end.
pub fn retry_at(declined_since: DateTime<Utc>, declines: i64) -> Option<DateTime<Utc>> {
    let index = usize::try_from(declines.checked_sub(1)?).ok()?;
    RETRY_AFTER_DAYS
        .get(index)
        .map(|days| declined_since + Duration::days(*days))
}

/// What an upgrade costs now: the difference between the new and old charge, for the share of
/// the paid period `[start, end)` still ahead at `now`, rounded down to the minor unit. Zero
/// when the period is over, not begun, or the new charge is not higher.
pub fn prorate(
    old_charge: i64,
    new_charge: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> i64 {
    let diff = i128::from(new_charge.saturating_sub(old_charge));
    let period = (end - start).num_seconds();
    let left = (end - now).num_seconds();
    if diff <= 0 || period <= 0 || left <= 0 {
        return 0;
    }
    let left = left.min(period);
    let owed = diff * i128::from(left) / i128::from(period);
    i64::try_from(owed).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn monthly_up_front_follows_the_anchor_through_short_months() {
        let anchor = at(2026, 1, 31);
        let feb = next_charge(Schedule::UpFront, Cadence::Monthly, anchor, anchor);
        assert_eq!(feb, at(2026, 2, 28));
        let mar = next_charge(Schedule::UpFront, Cadence::Monthly, anchor, feb);
        assert_eq!(
            mar,
            at(2026, 3, 31),
            "back on the 31st, not drifting to the 28th"
        );
        let far = next_charge(Schedule::UpFront, Cadence::Monthly, anchor, at(2030, 6, 1));
        assert_eq!(far, at(2030, 6, 30));
    }

    #[test]
    fn annual_and_first_of_month() {
        let anchor = at(2024, 2, 29);
        assert_eq!(
            next_charge(Schedule::UpFront, Cadence::Annual, anchor, anchor),
            at(2025, 2, 28)
        );
        assert_eq!(
            next_charge(Schedule::UpFront, Cadence::Annual, anchor, at(2027, 3, 1)),
            at(2028, 2, 29)
        );
        let first = next_charge(
            Schedule::FirstOfMonth,
            Cadence::Monthly,
            anchor,
            at(2026, 12, 15),
        );
        assert_eq!(first, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(Schedule::of(false, Cadence::Annual), Schedule::UpFront);
    }

    #[test]
    fn retries_then_gives_up() {
        let since = at(2026, 5, 1);
        assert_eq!(retry_at(since, 1), Some(at(2026, 5, 2)));
        assert_eq!(retry_at(since, 3), Some(at(2026, 5, 8)));
        assert_eq!(retry_at(since, 4), None);
        assert_eq!(retry_at(since, 0), None);
    }

    #[test]
    fn proration_is_the_remaining_share_rounded_down() {
        let start = at(2026, 4, 1);
        let end = at(2026, 5, 1);
        assert_eq!(prorate(500, 1500, start, end, start), 1000);
        assert_eq!(prorate(500, 1500, start, end, at(2026, 4, 16)), 500);
        assert_eq!(prorate(500, 1500, start, end, end), 0);
        assert_eq!(
            prorate(1500, 500, start, end, start),
            0,
            "downgrades refund nothing"
        );
        assert_eq!(prorate(0, 999, start, end, at(2026, 4, 11)), 666);
    }
}
