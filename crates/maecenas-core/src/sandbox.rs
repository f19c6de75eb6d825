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
use maecenas_store::{
    Store, StoreError,
    entities::{campaign, member, tier},
};
use maecenas_types::{OffsetClock, SharedClock};
use uuid::Uuid;

use crate::billing::{BatchJoin, Billing, BillingError, Cadence, Checkout, RunReport, invalid};

/// Members charged per scheduler batch while advancing.
const ADVANCE_BATCH: u64 = 1000;
/// The largest step of an advance.
const STEP: Duration = Duration::days(1);
/// The longest advance accepted at once.
pub const MAX_ADVANCE_DAYS: i64 = 3660;
/// The member events a test webhook may carry.
pub const MEMBER_TRIGGERS: [&str; 5] = [
    maecenas_store::events::MEMBER_CREATE,
    maecenas_store::events::MEMBER_UPDATE,
    maecenas_store::events::PLEDGE_CREATE,
    maecenas_store::events::PLEDGE_UPDATE,
    maecenas_store::events::PLEDGE_DELETE,
];

/// What a sandbox pledge is for: a tier (id or title) or an amount, a cadence and a test card.
#[derive(Debug, Clone)]
pub struct PledgeSpec {
    /// A tier by id or title; none: the cheapest paid tier, unless `amount_cents` is given.
    pub tier: Option<String>,
    /// The monthly amount in minor units.
    pub amount_cents: Option<i64>,
    pub cadence: Cadence,
    /// A sandbox test card.
    pub card: String,
}

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
            return Err(invalid(
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
        let kind = MEMBER_TRIGGERS
            .into_iter()
            .find(|k| *k == kind)
            .ok_or_else(|| {
                invalid(
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

    /// Creates `count` fake patrons pledging to `c` as `spec` says (the tier resolved as
    /// [`Self::pick_tier`] does); returns the new members' ids.
    pub async fn fake_patrons_for(
        &self,
        c: &campaign::Model,
        count: usize,
        spec: &PledgeSpec,
    ) -> Result<Vec<Uuid>, BillingError> {
        let tier = self
            .pick_tier(c, spec.tier.as_deref(), spec.amount_cents)
            .await?;
        self.fake_patrons(
            c.id,
            count,
            tier.map(|t| t.id),
            spec.amount_cents,
            spec.cadence,
            &spec.card,
        )
        .await
    }

    /// Makes a pledge happen: the account with e-mail `email` checks out to `c` as `spec` says.
    pub async fn pledge(
        &self,
        c: &campaign::Model,
        email: &str,
        spec: PledgeSpec,
    ) -> Result<member::Model, BillingError> {
        let user = self
            .store
            .user_by_email(&email.trim().to_lowercase())
            .await?
            .ok_or_else(|| {
                invalid(
                    "email",
                    format!("no account with e-mail {:?}", email.trim()),
                )
            })?;
        let tier = self
            .pick_tier(c, spec.tier.as_deref(), spec.amount_cents)
            .await?;
        self.billing
            .checkout(Checkout {
                user_id: user.id,
                campaign_id: c.id,
                tier_id: tier.map(|t| t.id),
                amount_cents: spec.amount_cents,
                cadence: spec.cadence,
                pledge_cap_cents: None,
                card: Some(spec.card),
                address: None,
                idempotency_key: String::new(),
            })
            .await
    }

    /// Makes an upgrade (or downgrade) happen: `member` moves to `tier` or `amount_cents`.
    pub async fn upgrade(
        &self,
        c: &campaign::Model,
        member: &member::Model,
        tier: Option<&str>,
        amount_cents: Option<i64>,
    ) -> Result<member::Model, BillingError> {
        let tier = match tier {
            Some(t) => Some(self.find_tier(c, t).await?),
            None => None,
        };
        self.billing
            .change_pledge(member.id, None, tier.map(|t| t.id), amount_cents)
            .await
    }

    /// The member of `c` that `who` names: a member id, or the e-mail of the patron's account.
    /// A member of another campaign is refused like an unknown one.
    pub async fn member_of(
        &self,
        c: &campaign::Model,
        who: &str,
    ) -> Result<member::Model, BillingError> {
        let who = who.trim();
        let found = match Uuid::parse_str(who) {
            Ok(id) => self.store.member_by_id(id).await?,
            Err(_) => match self.store.user_by_email(&who.to_lowercase()).await? {
                Some(u) => self.store.member_of(c.id, u.id).await?,
                None => None,
            },
        };
        found
            .filter(|m| m.campaign_id == c.id)
            .ok_or_else(|| invalid("member", format!("{who:?} is not a member of {}", c.vanity)))
    }

    /// A tier of `c` by id or title (any case).
    pub async fn find_tier(
        &self,
        c: &campaign::Model,
        which: &str,
    ) -> Result<tier::Model, BillingError> {
        let which = which.trim();
        self.store
            .tiers_of_campaign(c.id)
            .await?
            .into_iter()
            .find(|t| t.id.to_string() == which || t.title.eq_ignore_ascii_case(which))
            .ok_or_else(|| invalid("tier", format!("no tier {which:?} in {}", c.vanity)))
    }

    /// The tier asked for, or the cheapest published paid one when neither tier nor amount is
    /// given (none when only an amount is).
    pub async fn pick_tier(
        &self,
        c: &campaign::Model,
        which: Option<&str>,
        amount_cents: Option<i64>,
    ) -> Result<Option<tier::Model>, BillingError> {
        match (which, amount_cents) {
            (Some(t), _) => Ok(Some(self.find_tier(c, t).await?)),
            (None, Some(_)) => Ok(None),
            (None, None) => self
                .store
                .tiers_of_campaign(c.id)
                .await?
                .into_iter()
                .filter(|t| t.amount_cents > 0 && t.published)
                .min_by_key(|t| (t.amount_cents, t.id))
                .map(Some)
                .ok_or_else(|| {
                    invalid(
                        "tier",
                        format!("{} has no paid tier: give an amount", c.vanity),
                    )
                }),
        }
    }

    /// Removes every fake patron — only `campaign_id`'s, when given (the page's reset, which
    /// leaves other creators' alone) — with memberships, history and charges, and sets the
    /// clock back to the wall clock. Returns how many patrons went.
    pub async fn reset(&self, campaign_id: Option<i64>) -> Result<u64, BillingError> {
        let gone = self.store.delete_fake_patrons(campaign_id).await?;
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
