//! A patron's changes to a pledge: upgrade or downgrade (tier or amount, prorated as the
//! module doc says), cancellation, and a new card (which retries a declined pledge at once).

use maecenas_store::{
    billing::{BillingWrite, CHARGE_PENDING, ChargeWrite, NewCharge, Reservation},
    entities::{member, member_billing, tier},
    events,
    members::NewPledgeEvent,
};
use uuid::Uuid;

use super::{
    ACTIVE, Billing, BillingError, Cadence, DECLINED, FORMER, Held, Schedule,
    checkout::{check_amount, settle},
    gateway::ChargeRequest,
    invalid, owner_name, plan, schedule_of,
};

/// What a member's change writes besides the member and billing rows.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub tier_ids: Option<Vec<i64>>,
    pub charges: Vec<ChargeWrite>,
    pub pledge_events: Vec<NewPledgeEvent>,
    pub events: Vec<&'static str>,
}

impl Billing {
    /// Moves a pledge to another tier and/or monthly amount. `user_id`, when given, must own
    /// the membership. An upgrade of an active charge-up-front pledge is charged its prorated
    /// difference at once; if that charge declines, nothing changes.
    pub async fn change_pledge(
        &self,
        member_id: Uuid,
        user_id: Option<i64>,
        tier_id: Option<i64>,
        amount_cents: Option<i64>,
    ) -> Result<member::Model, BillingError> {
        let owner = owner_name("change");
        let held = self.hold_owned(member_id, user_id, &owner).await?;
        let result = self.change_held(&held, tier_id, amount_cents).await;
        if result.is_err() {
            self.store.release_billing(&[member_id], &owner).await?;
        }
        result
    }

    async fn change_held(
        &self,
        held: &Held,
        tier_id: Option<i64>,
        amount_cents: Option<i64>,
    ) -> Result<member::Model, BillingError> {
        let (m, b, campaign) = (&held.member, &held.billing, &held.campaign);
        let status = m.patron_status.as_deref();
        if !matches!(status, Some(ACTIVE | DECLINED)) {
            return Err(invalid("tier", "there is no pledge to change: join first"));
        }
        let tier = match tier_id {
            Some(id) => Some(self.tier_of(campaign.id, id).await?),
            None => None,
        };
        let amount = match (amount_cents, &tier) {
            (Some(a), _) => a,
            (None, Some(t)) => t.amount_cents,
            (None, None) => return Err(invalid("amount", "choose a tier or an amount")),
        };
        check_amount(amount, tier.as_ref(), &m.currency)?;
        if amount == 0 {
            return Err(invalid("amount", "to stop paying, cancel the pledge"));
        }
        let cadence = Cadence::from_months(m.pledge_cadence);
        let (old_charge, new_charge) = (
            cadence.charge_of(b.pledge_amount_cents),
            cadence.charge_of(amount),
        );
        if m.pledge_cap_amount_cents
            .is_some_and(|cap| new_charge > cap)
        {
            return Err(invalid("amount", "this is more than your pledge cap"));
        }
        let new_tier_id = tier.as_ref().map(|t| t.id);
        if amount == b.pledge_amount_cents && new_tier_id == b.tier_id {
            return Err(invalid("tier", "that is already your pledge"));
        }
        if let Some(t) = &tier {
            if t.requires_shipping && m.address_id.is_none() {
                return Err(invalid(
                    "address",
                    "this tier ships: join it again with an address",
                ));
            }
            if new_tier_id != b.tier_id
                && let Some(limit) = t.user_limit
            {
                let taken = self.store.tier_pledge_count(t.id).await?;
                if i64::try_from(taken).unwrap_or(i64::MAX) >= limit {
                    return Err(invalid("tier", "this tier has no places left"));
                }
            }
        }
        let now = self.now();
        let active = status == Some(ACTIVE);
        let prorated = match (active, schedule_of(campaign, m), b.due_at) {
            (true, Schedule::UpFront, Some(end)) => {
                let start = plan::sub_months(end, cadence.months());
                plan::prorate(old_charge, new_charge, start, end, now)
            }
            _ => 0,
        };
        let mut extras = Extras::default();
        let mut paid = None;
        if prorated > 0 {
            let key = format!("upgrade:{}:{}", m.id, b.version);
            let charge_id = match self
                .store
                .reserve_charge(NewCharge {
                    kind: "pledge",
                    payer_user_id: Some(m.user_id),
                    recipient_user_id: campaign.creator_id,
                    campaign_id: Some(campaign.id),
                    member_id: Some(m.id),
                    amount_cents: prorated,
                    currency: m.currency.clone(),
                    status: CHARGE_PENDING,
                    gateway_reference: None,
                    failure_reason: None,
                    idempotency_key: Some(key.clone()),
                    created_at: now,
                })
                .await?
            {
                Reservation::Reserved(id) => id,
                Reservation::Existing(_) => return Err(BillingError::Busy),
            };
            let outcome = self
                .gateway
                .charge(&ChargeRequest {
                    payment_method: b.payment_method.clone().unwrap_or_default(),
                    amount_cents: prorated,
                    currency: m.currency.clone(),
                    idempotency_key: key,
                    first: false,
                })
                .await;
            extras.charges.push(settle(charge_id, &outcome));
            if !outcome.is_paid() {
                // The failed charge is recorded; the pledge stays as it was.
                self.write(held, m.clone(), b.clone(), extras).await?;
                return Err(BillingError::PaymentRefused(
                    outcome.payment_status().to_lowercase(),
                ));
            }
            paid = Some(outcome);
        }
        let (mut m, mut b) = (m.clone(), b.clone());
        b.pledge_amount_cents = amount;
        b.tier_id = new_tier_id;
        m.will_pay_amount_cents = new_charge;
        m.lifetime_support_cents += prorated;
        m.campaign_lifetime_support_cents += prorated;
        if active {
            m.currently_entitled_amount_cents = amount;
            extras.tier_ids = Some(new_tier_id.into_iter().collect());
        }
        if let Some(outcome) = &paid {
            m.last_charge_date = Some(now);
            m.last_charge_status = Some(outcome.payment_status().to_owned());
        }
        let kind = if new_charge >= old_charge {
            "pledge_upgrade"
        } else {
            "pledge_downgrade"
        };
        extras.pledge_events.push(NewPledgeEvent {
            event_type: kind.to_owned(),
            amount_cents: amount,
            currency: m.currency.clone(),
            payment_status: paid.as_ref().map(|o| o.payment_status().to_owned()),
            pledge_payment_status: Some(if active { "valid" } else { "declined" }.to_owned()),
            tier_id: new_tier_id,
            tier_title: tier.map(|t: tier::Model| t.title),
            date: now,
        });
        extras.events = vec![events::PLEDGE_UPDATE, events::MEMBER_UPDATE];
        self.write(held, m, b, extras).await
    }

    /// Ends a pledge now: `former_patron`, nothing more is charged, nothing is refunded.
    pub async fn cancel(
        &self,
        member_id: Uuid,
        user_id: Option<i64>,
    ) -> Result<member::Model, BillingError> {
        let owner = owner_name("cancel");
        let held = self.hold_owned(member_id, user_id, &owner).await?;
        if !matches!(
            held.member.patron_status.as_deref(),
            Some(ACTIVE | DECLINED)
        ) {
            self.store.release_billing(&[member_id], &owner).await?;
            return Err(invalid("member", "there is no pledge to cancel"));
        }
        let now = self.now();
        let (m, b, extras) = end_pledge(
            &held,
            "Deleted",
            now,
            &self.tier_title(&held.billing).await?,
        );
        self.write(&held, m, b, extras).await
    }

    /// Replaces the card; a declined pledge is retried by the next scheduler run.
    pub async fn update_card(
        &self,
        member_id: Uuid,
        user_id: Option<i64>,
        card: &str,
    ) -> Result<member::Model, BillingError> {
        let owner = owner_name("card");
        let held = self.hold_owned(member_id, user_id, &owner).await?;
        let token = match self.gateway.tokenize(card) {
            Ok(token) => token,
            Err(e) => {
                self.store.release_billing(&[member_id], &owner).await?;
                return Err(invalid("card", e.to_string()));
            }
        };
        let (m, mut b) = (held.member.clone(), held.billing.clone());
        b.payment_method = Some(token);
        if m.patron_status.as_deref() == Some(DECLINED) {
            b.due_at = Some(self.now());
        }
        self.write(&held, m, b, Extras::default()).await
    }

    /// [`Billing::hold`], refusing a member `user_id` (when given) does not own.
    async fn hold_owned(
        &self,
        member_id: Uuid,
        user_id: Option<i64>,
        owner: &str,
    ) -> Result<Held, BillingError> {
        if let Some(user_id) = user_id {
            let m = self.store.member_by_id(member_id).await?;
            if m.is_none_or(|m| m.user_id != user_id) {
                return Err(BillingError::NotFound("membership"));
            }
        }
        self.hold(member_id, owner).await
    }

    /// The title of the tier a billing row pledges to.
    pub(crate) async fn tier_title(
        &self,
        b: &member_billing::Model,
    ) -> Result<Option<String>, BillingError> {
        Ok(match b.tier_id {
            Some(id) => self.store.tier_by_id(id).await?.map(|t| t.title),
            None => None,
        })
    }

    /// Writes one held member's change (bumping the billing version) and returns the member.
    pub(crate) async fn write(
        &self,
        held: &Held,
        mut m: member::Model,
        mut b: member_billing::Model,
        extras: Extras,
    ) -> Result<member::Model, BillingError> {
        let now = self.now();
        m.updated_at = now;
        m.next_charge_date = b
            .due_at
            .filter(|_| m.patron_status.as_deref() != Some(FORMER));
        b.version = held.billing.version + 1;
        b.updated_at = now;
        let write = BillingWrite {
            member: m,
            member_is_new: false,
            billing: b,
            expected_version: (!held.billing_is_new).then_some(held.billing.version),
            address: None,
            tier_ids: extras.tier_ids,
            charges: extras.charges,
            pledge_events: extras.pledge_events,
            events: extras.events,
        };
        let id = write.member.id;
        let applied = self.store.apply_billing(vec![write], now).await?;
        if applied.first() != Some(&true) {
            return Err(BillingError::Busy);
        }
        self.store
            .member_by_id(id)
            .await?
            .ok_or(BillingError::NotFound("membership"))
    }
}

/// The rows and history of a pledge ending now with `last_status` (`Deleted` when cancelled,
/// the last decline's status when retries ran out).
pub(crate) fn end_pledge(
    held: &Held,
    last_status: &str,
    now: chrono::DateTime<chrono::Utc>,
    tier_title: &Option<String>,
) -> (member::Model, member_billing::Model, Extras) {
    let (mut m, mut b) = (held.member.clone(), held.billing.clone());
    m.patron_status = Some(FORMER.to_owned());
    m.currently_entitled_amount_cents = 0;
    m.will_pay_amount_cents = 0;
    m.next_charge_date = None;
    m.last_charge_status = Some(last_status.to_owned());
    b.due_at = None;
    b.declined_since = None;
    b.decline_count = 0;
    let extras = Extras {
        tier_ids: Some(Vec::new()),
        charges: Vec::new(),
        pledge_events: vec![NewPledgeEvent {
            event_type: "pledge_delete".to_owned(),
            amount_cents: b.pledge_amount_cents,
            currency: m.currency.clone(),
            payment_status: Some(last_status.to_owned()),
            pledge_payment_status: Some("disabled".to_owned()),
            tier_id: b.tier_id,
            tier_title: tier_title.clone(),
            date: now,
        }],
        events: vec![events::PLEDGE_DELETE, events::MEMBER_UPDATE],
    };
    (m, b, extras)
}
