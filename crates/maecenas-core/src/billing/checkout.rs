//! Checkout: a user joins a campaign — free, or pledging to a tier or a custom amount — and,
//! on a charge-up-front campaign, pays the first charge at once. A double submit (the same
//! idempotency key) finds the first checkout's result instead of charging again.

use chrono::{DateTime, Utc};
use maecenas_store::{
    StoreError,
    billing::{BillingWrite, ChargeWrite, NewCharge, Reservation},
    billing::{CHARGE_FAILED, CHARGE_PENDING, CHARGE_REFUNDED, CHARGE_SUCCEEDED},
    entities::{campaign, member, member_billing, tier},
    events,
    members::{NewAddress, NewPledgeEvent},
};
use uuid::Uuid;

use super::{
    ACTIVE, Billing, BillingError, Cadence, ChargeOutcome, DECLINED, MAX_PLEDGE_CENTS, Schedule,
    gateway::ChargeRequest, invalid, owner_name, plan,
};

/// Longest idempotency key accepted.
const MAX_KEY_CHARS: usize = 100;

/// What a person chose at checkout.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub user_id: i64,
    pub campaign_id: i64,
    /// The tier joined; `None` for a custom amount (or a free membership) without one.
    pub tier_id: Option<i64>,
    /// The monthly amount in minor units of the campaign's currency; `None`: the tier's price.
    pub amount_cents: Option<i64>,
    pub cadence: Cadence,
    /// The most one charge may be.
    pub pledge_cap_cents: Option<i64>,
    /// The card number as typed (required unless the membership is free).
    pub card: Option<String>,
    /// Required when the tier ships something.
    pub address: Option<NewAddress>,
    /// The form's one-time key (a double submit sends it twice); empty: one is made.
    pub idempotency_key: String,
}

/// A validated checkout.
struct Plan {
    tier: Option<tier::Model>,
    amount: i64,
    payment_method: Option<String>,
}

impl Billing {
    /// Joins `checkout.user_id` to the campaign, charging the first payment when the campaign
    /// charges up front. Returns the membership (`declined_patron` when the card declined).
    pub async fn checkout(&self, checkout: Checkout) -> Result<member::Model, BillingError> {
        let key = match checkout.idempotency_key.trim() {
            "" => format!("checkout:{}", Uuid::new_v4()),
            k if k.chars().count() > MAX_KEY_CHARS => {
                return Err(invalid("idempotency_key", "too long"));
            }
            k => format!("checkout:{k}"),
        };
        if let Some(done) = self.store.charge_by_key(&key).await? {
            return self.member_of_charge(done.member_id).await;
        }
        let campaign = self
            .store
            .campaign_by_id(checkout.campaign_id)
            .await?
            .ok_or(BillingError::NotFound("campaign"))?;
        let plan = self.validate(&campaign, &checkout).await?;
        let existing = self.store.member_of(campaign.id, checkout.user_id).await?;
        if existing
            .as_ref()
            .is_some_and(|m| matches!(m.patron_status.as_deref(), Some(ACTIVE | DECLINED)))
        {
            // The same form submitted twice may have finished meanwhile.
            if let Some(done) = self.store.charge_by_key(&key).await? {
                return self.member_of_charge(done.member_id).await;
            }
            return Err(BillingError::AlreadyMember);
        }
        let owner = owner_name("checkout");
        let (member, billing, expected_version, member_is_new) = match existing {
            Some(m) => {
                let held = self.hold(m.id, &owner).await?;
                let version = (!held.billing_is_new).then_some(held.billing.version);
                (held.member, Some(held.billing), version, false)
            }
            None => (
                self.blank_member(&campaign, checkout.user_id),
                None,
                None,
                true,
            ),
        };
        let now = self.now();
        let schedule = Schedule::of(campaign.is_charged_immediately, checkout.cadence);
        let charge_cents = checkout.cadence.charge_of(plan.amount);
        let paying = plan.amount > 0 && schedule == Schedule::UpFront;
        let mut charges = Vec::new();
        let mut outcome = None;
        if paying {
            let reservation = self
                .store
                .reserve_charge(NewCharge {
                    kind: "pledge",
                    payer_user_id: Some(checkout.user_id),
                    recipient_user_id: campaign.creator_id,
                    campaign_id: Some(campaign.id),
                    member_id: Some(member.id),
                    amount_cents: charge_cents,
                    currency: campaign.currency.clone(),
                    status: CHARGE_PENDING,
                    gateway_reference: None,
                    failure_reason: None,
                    idempotency_key: Some(key.clone()),
                    created_at: now,
                })
                .await?;
            let charge_id = match reservation {
                Reservation::Reserved(id) => id,
                Reservation::Existing(done) => {
                    self.store.release_billing(&[member.id], &owner).await?;
                    return self.member_of_charge(done.member_id).await;
                }
            };
            let result = self
                .gateway
                .charge(&ChargeRequest {
                    payment_method: plan.payment_method.clone().unwrap_or_default(),
                    amount_cents: charge_cents,
                    currency: campaign.currency.clone(),
                    idempotency_key: key.clone(),
                    first: true,
                })
                .await;
            charges.push(settle(charge_id, &result));
            outcome = Some(result);
        }
        let start = Start {
            schedule,
            cadence: checkout.cadence,
            amount: plan.amount,
            tier: plan.tier,
            cap: checkout.pledge_cap_cents,
            payment_method: plan.payment_method,
            outcome: outcome.as_ref(),
            charge_cents,
            now,
        };
        let (member, billing) = start.apply(member, billing, &campaign);
        let pledged = plan.amount > 0;
        let kinds = match (member_is_new, pledged) {
            (true, true) => vec![events::MEMBER_CREATE, events::PLEDGE_CREATE],
            (true, false) => vec![events::MEMBER_CREATE],
            (false, true) => vec![events::MEMBER_UPDATE, events::PLEDGE_CREATE],
            (false, false) => vec![events::MEMBER_UPDATE],
        };
        let pledge_events = if pledged {
            vec![start_event(&member, &billing, &start)]
        } else {
            Vec::new()
        };
        let tier_ids = if member.patron_status.as_deref() == Some(DECLINED) {
            Vec::new()
        } else {
            start.tier.iter().map(|t| t.id).collect()
        };
        let write = BillingWrite {
            member,
            member_is_new,
            billing,
            expected_version,
            address: checkout
                .address
                .filter(|_| start.tier.as_ref().is_some_and(|t| t.requires_shipping)),
            tier_ids: Some(tier_ids),
            charges,
            pledge_events,
            events: kinds,
        };
        let member_id = write.member.id;
        let charge_id = write.charges.first().and_then(|c| match c {
            ChargeWrite::Settle { id, .. } => Some(*id),
            ChargeWrite::Insert(_) => None,
        });
        match self.store.apply_billing(vec![write], now).await {
            Ok(applied) if applied.first() == Some(&true) => {}
            Ok(_) => {
                self.void(charge_id).await?;
                return Err(BillingError::Busy);
            }
            Err(StoreError::Conflict(_)) => {
                // A concurrent checkout of the same user won the row. Without a charge (a free
                // or first-of-the-month join) that is the same join: answer with it.
                self.void(charge_id).await?;
                if charge_id.is_none()
                    && let Some(m) = self.store.member_of(campaign.id, checkout.user_id).await?
                {
                    return Ok(m);
                }
                return Err(BillingError::AlreadyMember);
            }
            Err(other) => {
                self.void(charge_id).await?;
                return Err(other.into());
            }
        }
        self.store
            .member_by_id(member_id)
            .await?
            .ok_or(BillingError::NotFound("membership"))
    }

    /// Gives back a charge whose membership change could not be written.
    async fn void(&self, charge_id: Option<i64>) -> Result<(), BillingError> {
        if let Some(id) = charge_id {
            self.store
                .settle_charge(
                    id,
                    CHARGE_REFUNDED,
                    Some("membership not changed".to_owned()),
                )
                .await?;
        }
        Ok(())
    }

    async fn member_of_charge(
        &self,
        member_id: Option<Uuid>,
    ) -> Result<member::Model, BillingError> {
        let id = member_id.ok_or(BillingError::Busy)?;
        // The first submit may still be writing: its charge holds the key already.
        for _ in 0..50 {
            if let Some(m) = self.store.member_by_id(id).await? {
                return Ok(m);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(BillingError::Busy)
    }

    async fn validate(
        &self,
        campaign: &campaign::Model,
        c: &Checkout,
    ) -> Result<Plan, BillingError> {
        let tier = match c.tier_id {
            Some(id) => Some(self.tier_of(campaign.id, id).await?),
            None => None,
        };
        let amount = match (c.amount_cents, &tier) {
            (Some(a), _) => a,
            (None, Some(t)) => t.amount_cents,
            (None, None) => return Err(invalid("amount", "choose a tier or an amount")),
        };
        check_amount(amount, tier.as_ref(), &campaign.currency)?;
        if let Some(cap) = c.pledge_cap_cents
            && (cap <= 0 || cap < c.cadence.charge_of(amount))
        {
            return Err(invalid(
                "pledge_cap",
                "a pledge cap must be at least what one charge costs",
            ));
        }
        if let Some(t) = &tier {
            if let Some(limit) = t.user_limit {
                let taken = self.store.tier_pledge_count(t.id).await?;
                if i64::try_from(taken).unwrap_or(i64::MAX) >= limit {
                    return Err(invalid("tier", "this tier has no places left"));
                }
            }
            if t.requires_shipping {
                let complete = c.address.as_ref().is_some_and(|a| {
                    [&a.addressee, &a.line_1, &a.city, &a.country]
                        .iter()
                        .all(|f| !f.trim().is_empty())
                });
                if !complete {
                    return Err(invalid(
                        "address",
                        "this tier ships: give a name, street, city and country",
                    ));
                }
            }
        }
        let payment_method = if amount > 0 {
            let card = c.card.as_deref().unwrap_or_default();
            Some(
                self.gateway
                    .tokenize(card)
                    .map_err(|e| invalid("card", e.to_string()))?,
            )
        } else {
            None
        };
        Ok(Plan {
            tier,
            amount,
            payment_method,
        })
    }

    fn blank_member(&self, campaign: &campaign::Model, user_id: i64) -> member::Model {
        let now = self.now();
        member::Model {
            id: Uuid::new_v4(),
            campaign_id: campaign.id,
            user_id,
            patron_status: None,
            is_follower: false,
            is_free_trial: false,
            is_gifted: false,
            currency: campaign.currency.clone(),
            currently_entitled_amount_cents: 0,
            will_pay_amount_cents: 0,
            pledge_cap_amount_cents: None,
            pledge_cadence: 1,
            lifetime_support_cents: 0,
            campaign_lifetime_support_cents: 0,
            pledge_relationship_start: None,
            last_charge_date: None,
            last_charge_status: None,
            next_charge_date: None,
            address_id: None,
            note: String::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// Many new members at once (the sandbox's fake patrons).
#[derive(Debug, Clone)]
pub struct BatchJoin {
    pub campaign_id: i64,
    pub tier_id: Option<i64>,
    /// Monthly amount; `None`: the tier's price.
    pub amount_cents: Option<i64>,
    pub cadence: Cadence,
    /// Each new member's user and card number.
    pub joiners: Vec<(i64, String)>,
}

impl Billing {
    /// Joins users who are not members yet, in batches of 500 written one transaction each:
    /// the same validation, charges, history and events as [`Billing::checkout`], without the
    /// per-request idempotency (each charge still has its own key). A tier that ships gets a
    /// placeholder sandbox address. Returns the new members' ids.
    pub async fn join_batch(&self, batch: BatchJoin) -> Result<Vec<Uuid>, BillingError> {
        let campaign = self
            .store
            .campaign_by_id(batch.campaign_id)
            .await?
            .ok_or(BillingError::NotFound("campaign"))?;
        let tier = match batch.tier_id {
            Some(id) => Some(self.tier_of(campaign.id, id).await?),
            None => None,
        };
        let amount = match (batch.amount_cents, &tier) {
            (Some(a), _) => a,
            (None, Some(t)) => t.amount_cents,
            (None, None) => return Err(invalid("amount", "choose a tier or an amount")),
        };
        check_amount(amount, tier.as_ref(), &campaign.currency)?;
        if let Some(t) = &tier
            && let Some(limit) = t.user_limit
        {
            let taken =
                i64::try_from(self.store.tier_pledge_count(t.id).await?).unwrap_or(i64::MAX);
            let wanted = i64::try_from(batch.joiners.len()).unwrap_or(i64::MAX);
            if taken.saturating_add(wanted) > limit {
                return Err(invalid("tier", "this tier has not that many places left"));
            }
        }
        let schedule = Schedule::of(campaign.is_charged_immediately, batch.cadence);
        let charge_cents = batch.cadence.charge_of(amount);
        let mut ids = Vec::with_capacity(batch.joiners.len());
        for chunk in batch.joiners.chunks(500) {
            let now = self.now();
            let mut writes = Vec::with_capacity(chunk.len());
            for (user_id, card) in chunk {
                let payment_method = if amount > 0 {
                    Some(
                        self.gateway
                            .tokenize(card)
                            .map_err(|e| invalid("card", e.to_string()))?,
                    )
                } else {
                    None
                };
                let member = self.blank_member(&campaign, *user_id);
                let mut charges = Vec::new();
                let mut outcome = None;
                if amount > 0 && schedule == Schedule::UpFront {
                    let key = format!("join:{}", member.id);
                    let result = self
                        .gateway
                        .charge(&ChargeRequest {
                            payment_method: payment_method.clone().unwrap_or_default(),
                            amount_cents: charge_cents,
                            currency: campaign.currency.clone(),
                            idempotency_key: key.clone(),
                            first: true,
                        })
                        .await;
                    let (status, gateway_reference, failure_reason) = charge_fields(&result);
                    charges.push(ChargeWrite::Insert(NewCharge {
                        kind: "pledge",
                        payer_user_id: Some(*user_id),
                        recipient_user_id: campaign.creator_id,
                        campaign_id: Some(campaign.id),
                        member_id: Some(member.id),
                        amount_cents: charge_cents,
                        currency: campaign.currency.clone(),
                        status,
                        gateway_reference,
                        failure_reason,
                        idempotency_key: Some(key),
                        created_at: now,
                    }));
                    outcome = Some(result);
                }
                let start = Start {
                    schedule,
                    cadence: batch.cadence,
                    amount,
                    tier: tier.clone(),
                    cap: None,
                    payment_method,
                    outcome: outcome.as_ref(),
                    charge_cents,
                    now,
                };
                let (member, billing) = start.apply(member, None, &campaign);
                let pledged = amount > 0;
                let declined = member.patron_status.as_deref() == Some(DECLINED);
                writes.push(BillingWrite {
                    pledge_events: if pledged {
                        vec![start_event(&member, &billing, &start)]
                    } else {
                        Vec::new()
                    },
                    events: if pledged {
                        vec![events::MEMBER_CREATE, events::PLEDGE_CREATE]
                    } else {
                        vec![events::MEMBER_CREATE]
                    },
                    tier_ids: Some(if declined {
                        Vec::new()
                    } else {
                        tier.iter().map(|t| t.id).collect()
                    }),
                    address: tier
                        .as_ref()
                        .filter(|t| t.requires_shipping)
                        .map(|_| sandbox_address()),
                    member,
                    member_is_new: true,
                    billing,
                    expected_version: None,
                    charges,
                });
            }
            ids.extend(writes.iter().map(|w| w.member.id));
            self.store.apply_billing(writes, now).await?;
        }
        Ok(ids)
    }
}

fn sandbox_address() -> NewAddress {
    NewAddress {
        addressee: "Sandbox Patron".to_owned(),
        line_1: "1 Sandbox Street".to_owned(),
        line_2: String::new(),
        postal_code: "00000".to_owned(),
        city: "Sandbox".to_owned(),
        state: String::new(),
        country: "NL".to_owned(),
        phone_number: String::new(),
    }
}

/// Checks a monthly amount: not negative, not absurd, at least the tier's price.
pub(crate) fn check_amount(
    amount: i64,
    tier: Option<&tier::Model>,
    currency: &str,
) -> Result<(), BillingError> {
    if amount < 0 {
        return Err(invalid("amount", "the amount cannot be negative"));
    }
    if amount > MAX_PLEDGE_CENTS {
        return Err(invalid(
            "amount",
            format!("at most {} {currency} a month", MAX_PLEDGE_CENTS / 100),
        ));
    }
    if let Some(t) = tier
        && amount < t.amount_cents
    {
        return Err(invalid(
            "amount",
            format!(
                "{} needs at least {}.{:02} {currency} a month",
                t.title,
                t.amount_cents / 100,
                t.amount_cents % 100
            ),
        ));
    }
    Ok(())
}

/// A charge's settlement from the gateway's answer.
pub(crate) fn settle(id: i64, outcome: &ChargeOutcome) -> ChargeWrite {
    let (status, gateway_reference, failure_reason) = charge_fields(outcome);
    ChargeWrite::Settle {
        id,
        status,
        gateway_reference,
        failure_reason,
    }
}

/// The charge row's status, reference and failure reason for an outcome.
pub(crate) fn charge_fields(
    outcome: &ChargeOutcome,
) -> (&'static str, Option<String>, Option<String>) {
    match outcome {
        ChargeOutcome::Paid { reference } => (CHARGE_SUCCEEDED, Some(reference.clone()), None),
        ChargeOutcome::Declined { reason } | ChargeOutcome::Fraud { reason } => {
            (CHARGE_FAILED, None, Some(reason.clone()))
        }
    }
}

/// A pledge beginning (first or again).
struct Start<'a> {
    schedule: Schedule,
    cadence: Cadence,
    amount: i64,
    tier: Option<tier::Model>,
    cap: Option<i64>,
    payment_method: Option<String>,
    /// The first charge's answer; `None` when nothing was charged now.
    outcome: Option<&'a ChargeOutcome>,
    charge_cents: i64,
    now: DateTime<Utc>,
}

impl Start<'_> {
    fn apply(
        &self,
        mut m: member::Model,
        billing: Option<member_billing::Model>,
        campaign: &campaign::Model,
    ) -> (member::Model, member_billing::Model) {
        let now = self.now;
        let mut b = billing.unwrap_or(member_billing::Model {
            member_id: m.id,
            campaign_id: campaign.id,
            pledge_amount_cents: 0,
            tier_id: None,
            payment_method: None,
            anchor_at: None,
            due_at: None,
            declined_since: None,
            decline_count: 0,
            version: 0,
            lease_until: None,
            lease_owner: None,
            updated_at: now,
        });
        b.version += 1;
        b.updated_at = now;
        b.pledge_amount_cents = self.amount;
        b.tier_id = self.tier.as_ref().map(|t| t.id);
        b.payment_method = self.payment_method.clone();
        b.anchor_at = Some(now);
        b.declined_since = None;
        b.decline_count = 0;
        m.updated_at = now;
        m.currency = campaign.currency.clone();
        m.pledge_cadence = i64::from(self.cadence.months());
        m.pledge_cap_amount_cents = self.cap;
        if self.amount == 0 {
            // A free member: no pledge, nothing due.
            m.patron_status = m.patron_status.filter(|s| s != ACTIVE && s != DECLINED);
            m.currently_entitled_amount_cents = 0;
            m.will_pay_amount_cents = 0;
            m.next_charge_date = None;
            b.due_at = None;
            return (m, b);
        }
        m.pledge_relationship_start = Some(now);
        m.will_pay_amount_cents = self.charge_cents;
        match self.outcome {
            Some(outcome) if outcome.is_paid() => {
                m.patron_status = Some(ACTIVE.to_owned());
                m.currently_entitled_amount_cents = self.amount;
                m.lifetime_support_cents += self.charge_cents;
                m.campaign_lifetime_support_cents += self.charge_cents;
                m.last_charge_date = Some(now);
                m.last_charge_status = Some(outcome.payment_status().to_owned());
                b.due_at = Some(plan::next_charge(self.schedule, self.cadence, now, now));
            }
            Some(outcome) => {
                m.patron_status = Some(DECLINED.to_owned());
                m.currently_entitled_amount_cents = 0;
                m.last_charge_date = Some(now);
                m.last_charge_status = Some(outcome.payment_status().to_owned());
                b.declined_since = Some(now);
                b.decline_count = 1;
                b.due_at = plan::retry_at(now, 1);
            }
            None => {
                m.patron_status = Some(ACTIVE.to_owned());
                m.currently_entitled_amount_cents = self.amount;
                m.last_charge_status = Some("Pending".to_owned());
                b.due_at = Some(plan::next_charge(self.schedule, self.cadence, now, now));
            }
        }
        m.next_charge_date = b.due_at;
        (m, b)
    }
}

fn start_event(m: &member::Model, b: &member_billing::Model, s: &Start<'_>) -> NewPledgeEvent {
    NewPledgeEvent {
        event_type: "pledge_start".to_owned(),
        amount_cents: b.pledge_amount_cents,
        currency: m.currency.clone(),
        payment_status: Some(
            s.outcome
                .map_or("Pending", ChargeOutcome::payment_status)
                .to_owned(),
        ),
        pledge_payment_status: Some(
            s.outcome
                .map_or("pending", ChargeOutcome::pledge_payment_status)
                .to_owned(),
        ),
        tier_id: s.tier.as_ref().map(|t| t.id),
        tier_title: s.tier.as_ref().map(|t| t.title.clone()),
        date: s.now,
    }
}
