//! Sandbox controls for integrators (`maecenas sandbox …`): fake patrons, pledges, upgrades,
//! declines and cancellations made to happen, time travel, hand-fired member events, reset.
//! Each goes through the same services as real users ([`Billing`]), so events, webhooks and
//! alerts follow exactly as in production.
//!
//! # The sandbox clock
//! Time travel is an offset added to the wall clock ([`OffsetClock`]), persisted in the one
//! `sandbox_clock` row. Every process reads it: `serve` re-reads it every second (and its
//! billing scheduler then charges what fell due), the CLI at start. [`Sandbox::advance`] moves
//! the offset forward a day at a time and runs the billing due at each step before the next,
//! so a year's charges, declines, retries and ends happen in order. Reset sets it back to 0.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use maecenas_store::{Store, StoreError, entities::member};
use maecenas_types::{OffsetClock, SharedClock};
use uuid::Uuid;

use crate::billing::{BatchJoin, Billing, BillingError, Cadence, RunReport};

/// Members charged per scheduler batch while advancing.
const ADVANCE_BATCH: u64 = 1000;
/// The largest step of an advance.
const STEP: Duration = Duration::days(1);
/// The longest advance accepted at once.
pub const MAX_ADVANCE_DAYS: i64 = 3660;

/// Where an advance has got to, for a progress line.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The sandbox time reached.
    pub now: DateTime<Utc>,
    /// Time advanced so far and in all.
    pub done: Duration,
    pub total: Duration,
    /// Billing run so far.
    pub report: RunReport,
}

/// The sandbox service.
#[derive(Debug, Clone)]
pub struct Sandbox {
    store: Store,
    clock: Arc<OffsetClock>,
    billing: Billing,
}

impl Sandbox {
    /// A sandbox over `store` whose time is `clock` (its offset is loaded by [`Self::load`]).
    pub fn new(store: Store, clock: Arc<OffsetClock>) -> Self {
        let shared: SharedClock = clock.clone();
        Self {
            billing: Billing::sandbox(store.clone(), shared),
            store,
            clock,
        }
    }

    /// Reads the persisted offset into the clock.
    pub async fn load(&self) -> Result<(), StoreError> {
        let seconds = self.store.sandbox_clock_offset().await?;
        self.clock.set_offset(Duration::seconds(seconds));
        Ok(())
    }

    /// The billing service on the sandbox clock.
    pub fn billing(&self) -> &Billing {
        &self.billing
    }

    /// The sandbox time now.
    pub fn now(&self) -> DateTime<Utc> {
        maecenas_types::Clock::now(self.clock.as_ref())
    }

    /// The current offset from the wall clock.
    pub fn offset(&self) -> Duration {
        self.clock.offset()
    }

    /// Moves time forward by `by`, a day at a time, persisting the offset and running the
    /// billing due at each step; `progress` hears after each step.
    pub async fn advance(
        &self,
        by: Duration,
        mut progress: impl FnMut(Progress),
    ) -> Result<RunReport, BillingError> {
        if by <= Duration::zero() || by > Duration::days(MAX_ADVANCE_DAYS) {
            return Err(crate::billing::invalid(
                "duration",
                format!("advance by more than nothing and at most {MAX_ADVANCE_DAYS} days"),
            ));
        }
        self.load().await?;
        let owner = format!("sandbox-advance:{}", Uuid::new_v4());
        let mut report = RunReport::default();
        let mut done = Duration::zero();
        while done < by {
            let step = STEP.min(by - done);
            done += step;
            let offset = self.clock.offset() + step;
            self.clock.set_offset(offset);
            self.store
                .set_sandbox_clock_offset(offset.num_seconds(), self.now())
                .await?;
            report.add(self.run_due(&owner).await?);
            progress(Progress {
                now: self.now(),
                done,
                total: by,
                report,
            });
        }
        Ok(report)
    }

    /// Runs everything due now, batch after batch, until nothing is.
    pub async fn run_due(&self, owner: &str) -> Result<RunReport, BillingError> {
        let mut report = RunReport::default();
        loop {
            let batch = self.billing.run_due(owner, ADVANCE_BATCH).await?;
            if batch.claimed == 0 {
                return Ok(report);
            }
            report.add(batch);
        }
    }

    /// Creates `count` fake patrons and joins each to the campaign (tier or amount as given,
    /// paying with `card`); returns the new members' ids.
    pub async fn fake_patrons(
        &self,
        campaign_id: i64,
        count: usize,
        tier_id: Option<i64>,
        amount_cents: Option<i64>,
        cadence: Cadence,
        card: &str,
    ) -> Result<Vec<Uuid>, BillingError> {
        let label = Uuid::new_v4().simple().to_string();
        let users = self
            .store
            .create_fake_patrons(&label[..12], count, self.now())
            .await?;
        let joiners = users.into_iter().map(|u| (u.id, card.to_owned())).collect();
        self.billing
            .join_batch(BatchJoin {
                campaign_id,
                tier_id,
                amount_cents,
                cadence,
                joiners,
            })
            .await
    }

    /// Makes a decline happen: the member's card becomes the always-declining test card and
    /// the pledge is charged now.
    pub async fn decline(&self, member_id: Uuid) -> Result<member::Model, BillingError> {
        self.billing
            .update_card(member_id, None, crate::billing::gateway::CARD_DECLINE)
            .await?;
        self.billing.charge_now(member_id).await
    }

    /// Records a member event by hand (`members:update`, …) for webhooks to deliver.
    pub async fn fire_member_event(&self, member_id: Uuid, kind: &str) -> Result<(), BillingError> {
        let kind = [
            maecenas_store::events::MEMBER_CREATE,
            maecenas_store::events::MEMBER_UPDATE,
            maecenas_store::events::PLEDGE_CREATE,
            maecenas_store::events::PLEDGE_UPDATE,
            maecenas_store::events::PLEDGE_DELETE,
        ]
        .into_iter()
        .find(|k| *k == kind)
        .ok_or_else(|| {
            crate::billing::invalid(
                "trigger",
                "one of members:create, members:update, members:pledge:create|update|delete",
            )
        })?;
        let m = self
            .store
            .member_by_id(member_id)
            .await?
            .ok_or(BillingError::NotFound("membership"))?;
        self.store.record_member_event(&m, kind, self.now()).await?;
        Ok(())
    }

    /// Removes every fake patron (with memberships, history and charges) and sets the clock
    /// back to the wall clock. Returns how many patrons went.
    pub async fn reset(&self) -> Result<u64, BillingError> {
        let gone = self.store.delete_fake_patrons().await?;
        self.clock.set_offset(Duration::zero());
        self.store.set_sandbox_clock_offset(0, self.now()).await?;
        Ok(gone)
    }
}

/// Parses a duration like `400d`, `31d`, `12h`, `90m`, `2w` or `30s`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().ok()?;
    let d = match unit {
        "w" => Duration::try_weeks(n)?,
        "d" => Duration::try_days(n)?,
        "h" => Duration::try_hours(n)?,
        "m" => Duration::try_minutes(n)?,
        "s" => Duration::try_seconds(n)?,
        _ => return None,
    };
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("400d"), Some(Duration::days(400)));
        assert_eq!(parse_duration("2w"), Some(Duration::days(14)));
        assert_eq!(parse_duration("90m"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("12"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("5y"), None);
    }
}
