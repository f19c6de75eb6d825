//! The billing engine: pledges, their charges and their lifecycle, on the injected clock.
//!
//! Every change — checkout, upgrade, downgrade, cancellation, card update, a scheduled charge
//! or retry — is decided here and written by the store as one transaction: the member row, its
//! billing row (`member_billing`), entitled tiers, the charge, a pledge event and the outbox
//! events (`members:*`), so webhooks and sockets hear exactly what happened.
//!
//! # Schedules and cadence
//! - **Charge up front** (`campaigns.is_charged_immediately`): the first charge is at checkout;
//!   later ones every cadence from that instant, the *anchor* (see [`plan::next_charge`]).
//! - **First of the month** (the flag off): checkout charges nothing (`last_charge_status`
//!   `Pending`); the pledge is charged at 00:00 UTC on every first of a month.
//! - **Monthly** or **annual** cadence (`pledge_cadence` 1 or 12). An annual pledge pays twelve
//!   monthly amounts at once and is always charged up front.
//!
//! # Statuses
//! `patron_status` moves only along: never pledged (`null`, free members too) →
//! `active_patron` | `declined_patron`; `active_patron` ⇄ `declined_patron`;
//! `active_patron` | `declined_patron` → `former_patron` (cancelled, or retries exhausted);
//! `former_patron` → `active_patron` | `declined_patron` (pledging again).
//!
//! # Declines
//! A declined charge makes the member `declined_patron` (entitlements lapse:
//! `currently_entitled_amount_cents` 0, no entitled tiers) and schedules retries 1, 3 and 7
//! days after the first decline ([`plan::RETRY_AFTER_DAYS`]). A retry that succeeds restores
//! `active_patron` and re-anchors the billing date at the successful charge; when the last
//! retry declines, the pledge ends: `former_patron`, a `pledge_delete` event and
//! `members:pledge:delete`.
//!
//! # Upgrades, downgrades and proration
//! - An **upgrade** of an active, charged-up-front pledge is charged at once for the rest of the
//!   period already paid: `(new charge − old charge) × time left ÷ period length`, rounded down
//!   to the minor unit ([`plan::prorate`]; the period is the cadence before the next charge
//!   date). If that charge declines, the upgrade is refused and nothing else changes. The new
//!   amount is charged in full from the next charge date.
//! - A **downgrade** takes effect at once (tier and entitlement) and refunds nothing; the lower
//!   amount is charged from the next charge date.
//! - On first-of-the-month campaigns and for declined pledges nothing is prorated: the next
//!   charge simply uses the new amount.
//!
//! # Pledge caps
//! An optional cap is the most one charge may be: a checkout or change whose charge would pass
//! it is refused (never silently reduced).
//!
//! # Ledger invariant
//! A member's `campaign_lifetime_support_cents` (and `lifetime_support_cents`) is always the sum
//! of their succeeded charges; the property test `billing_props` checks it over random histories.
//!
//! # Several instances
//! A user action and the scheduler both take the member's lease (`member_billing.lease_*`)
//! before charging, and every write is conditional on the billing row's `version`. Charges
//! carry an idempotency key (the checkout form's, or `renew:<member>:<billing version>`), unique
//! in `charges`: a double-submitted checkout finds the first charge instead of making another.

pub mod audit;
mod change;
mod checkout;
pub mod gateway;
pub mod plan;
mod renew;

pub use checkout::{BatchJoin, Checkout};
pub use gateway::{ChargeOutcome, PaymentGateway, SandboxGateway};
pub use plan::{Cadence, Schedule};
pub use renew::RunReport;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use maecenas_store::{
    Store, StoreError,
    entities::{campaign, member, member_billing, tier},
};
use maecenas_types::SharedClock;
use uuid::Uuid;

/// Patreon's `patron_status` of a member who pays.
pub const ACTIVE: &str = "active_patron";
/// Patreon's `patron_status` of a member whose last charge declined.
pub const DECLINED: &str = "declined_patron";
/// Patreon's `patron_status` of a member whose pledge ended.
pub const FORMER: &str = "former_patron";
/// The largest monthly pledge, in minor units (a million major units).
pub const MAX_PLEDGE_CENTS: i64 = 100_000_000;
/// How long a user action or scheduler run holds a member.
pub const LEASE_SECONDS: i64 = 120;

/// Why a billing action was refused. Each message is fit to show the person.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// A field was refused; the message says which and why.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field at fault.
        field: &'static str,
        /// What to fix.
        message: String,
    },
    /// The campaign, tier or member does not exist (or is not the caller's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The user already pledges to this campaign.
    #[error("you are already a member of this campaign")]
    AlreadyMember,
    /// The charge an action needed was refused; nothing changed.
    #[error("the payment was refused: {0}")]
    PaymentRefused(String),
    /// Another action on this member is in progress; try again.
    #[error("another change to this membership is in progress; try again")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A refused field.
pub fn invalid(field: &'static str, message: impl Into<String>) -> BillingError {
    BillingError::Invalid {
        field,
        message: message.into(),
    }
}

/// The billing service: checkout, changes, and the scheduler's due charges.
#[derive(Debug, Clone)]
pub struct Billing {
    store: Store,
    clock: SharedClock,
    gateway: Arc<dyn PaymentGateway>,
}

/// A member with its billing row and campaign, held under this action's lease.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub member: member::Model,
    pub billing: member_billing::Model,
    pub campaign: campaign::Model,
    /// Whether the billing row is new (a member made before billing existed).
    pub billing_is_new: bool,
}

impl Billing {
    /// A service over `store` charging through `gateway`, reading time from `clock`.
    pub fn new(store: Store, clock: SharedClock, gateway: Arc<dyn PaymentGateway>) -> Self {
        Self {
            store,
            clock,
            gateway,
        }
    }

    /// The service with the sandbox gateway.
    pub fn sandbox(store: Store, clock: SharedClock) -> Self {
        Self::new(store, clock, Arc::new(SandboxGateway))
    }

    /// The clock this service reads.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The store this service writes.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Leases `member_id` for one action by `owner`; [`BillingError::Busy`] when another holds it.
    pub(crate) async fn hold(&self, member_id: Uuid, owner: &str) -> Result<Held, BillingError> {
        let now = self.now();
        let member = self
            .store
            .member_by_id(member_id)
            .await?
            .ok_or(BillingError::NotFound("membership"))?;
        let campaign = self
            .store
            .campaign_by_id(member.campaign_id)
            .await?
            .ok_or(BillingError::NotFound("campaign"))?;
        let lease = Duration::seconds(LEASE_SECONDS);
        if let Some(billing) = self
            .store
            .lease_billing(member_id, owner, now, lease)
            .await?
        {
            return Ok(Held {
                member,
                billing,
                campaign,
                billing_is_new: false,
            });
        }
        if !self.store.billing_of(&[member_id]).await?.is_empty() {
            return Err(BillingError::Busy);
        }
        // A member seeded before billing existed: its billing row is made from what it shows.
        let tiers = self.store.entitled_tiers(&[member_id]).await?;
        let tier = tiers.get(&member_id).and_then(|t| t.last()).cloned();
        Ok(Held {
            billing: member_billing::Model {
                member_id,
                campaign_id: member.campaign_id,
                pledge_amount_cents: member.currently_entitled_amount_cents,
                tier_id: tier.map(|t| t.id),
                payment_method: None,
                anchor_at: member.last_charge_date.or(member.pledge_relationship_start),
                due_at: None,
                declined_since: None,
                decline_count: 0,
                version: 0,
                lease_until: None,
                lease_owner: None,
                updated_at: now,
            },
            member,
            campaign,
            billing_is_new: true,
        })
    }

    /// A tier of `campaign_id` by id, published.
    pub(crate) async fn tier_of(
        &self,
        campaign_id: i64,
        tier_id: i64,
    ) -> Result<tier::Model, BillingError> {
        self.store
            .tier_by_id(tier_id)
            .await?
            .filter(|t| t.campaign_id == campaign_id && t.published)
            .ok_or(BillingError::NotFound("tier"))
    }
}

/// A fresh lease owner name for one action.
pub(crate) fn owner_name(what: &str) -> String {
    format!("{what}:{}", Uuid::new_v4())
}

/// The schedule a member's pledge follows.
pub(crate) fn schedule_of(campaign: &campaign::Model, member: &member::Model) -> Schedule {
    Schedule::of(
        campaign.is_charged_immediately,
        Cadence::from_months(member.pledge_cadence),
    )
}
