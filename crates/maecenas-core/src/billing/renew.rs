//! Scheduled charges: the scheduler claims due members under a lease in batches, charges each
//! (a renewal, or a retry of a declined pledge), and writes a whole batch in one transaction.
//! [`Billing::charge_now`] runs the same step for one member at once (the sandbox's "make a
//! charge happen").

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use maecenas_store::{
    billing::{BillingWrite, ChargeWrite, NewCharge},
    entities::member,
    events,
    members::NewPledgeEvent,
};
use uuid::Uuid;

use super::{
    ACTIVE, Billing, BillingError, Cadence, ChargeOutcome, DECLINED, Held, LEASE_SECONDS,
    change::{Extras, end_pledge},
    checkout::charge_fields,
    gateway::ChargeRequest,
    invalid, owner_name, plan, schedule_of,
};

/// What one scheduler run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Members claimed.
    pub claimed: usize,
    /// Charges that succeeded.
    pub paid: usize,
    /// Charges that declined.
    pub declined: usize,
    /// Pledges that ended because their retries ran out.
    pub ended: usize,
    /// Changes not written because another writer got there first.
    pub skipped: usize,
}

impl RunReport {
    /// Adds another run's counts.
    pub fn add(&mut self, other: Self) {
        self.claimed += other.claimed;
        self.paid += other.paid;
        self.declined += other.declined;
        self.ended += other.ended;
        self.skipped += other.skipped;
    }
}

impl Billing {
    /// Claims up to `limit` members due now for `owner`, charges them and writes the batch in
    /// one transaction. Returns what happened; `claimed == 0` means nothing is due.
    pub async fn run_due(&self, owner: &str, limit: u64) -> Result<RunReport, BillingError> {
        let now = self.now();
        let lease = Duration::seconds(LEASE_SECONDS);
        let claimed = self
            .store
            .claim_due_billing(owner, now, lease, limit)
            .await?;
        let mut report = RunReport {
            claimed: claimed.len(),
            ..RunReport::default()
        };
        if claimed.is_empty() {
            return Ok(report);
        }
        let ids: Vec<Uuid> = claimed.iter().map(|b| b.member_id).collect();
        let members: HashMap<Uuid, member::Model> = self
            .store
            .members_by_ids(&ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let mut campaign_ids: Vec<i64> = claimed.iter().map(|b| b.campaign_id).collect();
        campaign_ids.sort_unstable();
        campaign_ids.dedup();
        let campaigns: HashMap<i64, _> = self
            .store
            .campaigns_by_ids(&campaign_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut titles: HashMap<i64, Option<String>> = HashMap::new();
        let mut writes = Vec::with_capacity(claimed.len());
        let mut outcomes = Vec::with_capacity(claimed.len());
        for billing in claimed {
            let (Some(member), Some(campaign)) = (
                members.get(&billing.member_id),
                campaigns.get(&billing.campaign_id),
            ) else {
                continue;
            };
            let held = Held {
                member: member.clone(),
                billing,
                campaign: campaign.clone(),
                billing_is_new: false,
            };
            let title = match held.billing.tier_id {
                Some(id) => match titles.get(&id) {
                    Some(t) => t.clone(),
                    None => {
                        let t = self.tier_title(&held.billing).await?;
                        titles.insert(id, t.clone());
                        t
                    }
                },
                None => None,
            };
            let (write, outcome) = self.renewal(&held, now, title).await;
            writes.push(write);
            outcomes.push(outcome);
        }
        let applied = self.store.apply_billing(writes, now).await?;
        for (done, outcome) in applied.into_iter().zip(outcomes) {
            match (done, outcome) {
                (false, _) => report.skipped += 1,
                (true, Renewal::Paid) => report.paid += 1,
                (true, Renewal::Declined) => report.declined += 1,
                (true, Renewal::Ended) => {
                    report.declined += 1;
                    report.ended += 1;
                }
                (true, Renewal::Nothing) => {}
            }
        }
        Ok(report)
    }

    /// Charges one pledge now, as if its charge date had come (a retry for a declined one).
    pub async fn charge_now(&self, member_id: Uuid) -> Result<member::Model, BillingError> {
        let owner = owner_name("charge-now");
        let held = self.hold(member_id, &owner).await?;
        if !matches!(
            held.member.patron_status.as_deref(),
            Some(ACTIVE | DECLINED)
        ) || held.billing.pledge_amount_cents == 0
        {
            self.store.release_billing(&[member_id], &owner).await?;
            return Err(invalid("member", "there is no pledge to charge"));
        }
        let now = self.now();
        let title = self.tier_title(&held.billing).await?;
        let (mut write, _) = self.renewal(&held, now, title).await;
        if held.billing_is_new {
            write.expected_version = None;
        }
        let applied = self.store.apply_billing(vec![write], now).await?;
        if applied.first() != Some(&true) {
            return Err(BillingError::Busy);
        }
        self.store
            .member_by_id(member_id)
            .await?
            .ok_or(BillingError::NotFound("membership"))
    }

    /// Charges a held, due member and computes its change.
    async fn renewal(
        &self,
        held: &Held,
        now: DateTime<Utc>,
        title: Option<String>,
    ) -> (BillingWrite, Renewal) {
        let (m, b) = (&held.member, &held.billing);
        let pledging = matches!(m.patron_status.as_deref(), Some(ACTIVE | DECLINED))
            && b.pledge_amount_cents > 0;
        if !pledging {
            // Nothing to charge any more: just clear the schedule.
            let mut b2 = b.clone();
            b2.due_at = None;
            return (
                write_of(held, m.clone(), b2, Extras::default(), now),
                Renewal::Nothing,
            );
        }
        let cadence = Cadence::from_months(m.pledge_cadence);
        let amount = cadence.charge_of(b.pledge_amount_cents);
        let due = b.due_at.unwrap_or(now);
        // One charge per billing state: whoever charges this version, charges it once.
        let key = format!("renew:{}:{}", m.id, b.version);
        let outcome = self
            .gateway
            .charge(&ChargeRequest {
                payment_method: b.payment_method.clone().unwrap_or_default(),
                amount_cents: amount,
                currency: m.currency.clone(),
                idempotency_key: key.clone(),
                first: false,
            })
            .await;
        let (status, gateway_reference, failure_reason) = charge_fields(&outcome);
        let charge = ChargeWrite::Insert(NewCharge {
            kind: "pledge",
            payer_user_id: Some(m.user_id),
            recipient_user_id: held.campaign.creator_id,
            campaign_id: Some(held.campaign.id),
            member_id: Some(m.id),
            amount_cents: amount,
            currency: m.currency.clone(),
            status,
            gateway_reference,
            failure_reason,
            idempotency_key: Some(key),
            created_at: now,
        });
        let event = NewPledgeEvent {
            event_type: "subscription".to_owned(),
            amount_cents: b.pledge_amount_cents,
            currency: m.currency.clone(),
            payment_status: Some(outcome.payment_status().to_owned()),
            pledge_payment_status: Some(outcome.pledge_payment_status().to_owned()),
            tier_id: b.tier_id,
            tier_title: title.clone(),
            date: now,
        };
        let was_declined = m.patron_status.as_deref() == Some(DECLINED);
        let (mut m2, mut b2) = (m.clone(), b.clone());
        m2.last_charge_date = Some(now);
        m2.last_charge_status = Some(outcome.payment_status().to_owned());
        let mut extras = Extras {
            events: vec![events::PLEDGE_UPDATE, events::MEMBER_UPDATE],
            ..Extras::default()
        };
        let result = match &outcome {
            ChargeOutcome::Paid { .. } => {
                m2.patron_status = Some(ACTIVE.to_owned());
                m2.currently_entitled_amount_cents = b.pledge_amount_cents;
                m2.lifetime_support_cents += amount;
                m2.campaign_lifetime_support_cents += amount;
                if was_declined || due > now || b2.anchor_at.is_none() {
                    b2.anchor_at = Some(now);
                }
                let anchor = b2.anchor_at.unwrap_or(now);
                b2.due_at = Some(plan::next_charge(
                    schedule_of(&held.campaign, m),
                    cadence,
                    anchor,
                    now,
                ));
                b2.declined_since = None;
                b2.decline_count = 0;
                if was_declined {
                    extras.tier_ids = Some(b.tier_id.into_iter().collect());
                }
                Renewal::Paid
            }
            ChargeOutcome::Declined { .. } | ChargeOutcome::Fraud { .. } => {
                let (since, count) = match (was_declined, b.declined_since) {
                    (true, Some(since)) => (since, b.decline_count + 1),
                    _ => (now, 1),
                };
                match plan::retry_at(since, count) {
                    Some(retry) => {
                        m2.patron_status = Some(DECLINED.to_owned());
                        m2.currently_entitled_amount_cents = 0;
                        b2.declined_since = Some(since);
                        b2.decline_count = count;
                        b2.due_at = Some(retry.max(now));
                        extras.tier_ids = Some(Vec::new());
                        Renewal::Declined
                    }
                    None => {
                        let ending = Held {
                            member: m2.clone(),
                            billing: b2.clone(),
                            campaign: held.campaign.clone(),
                            billing_is_new: held.billing_is_new,
                        };
                        let (m3, b3, ended) =
                            end_pledge(&ending, outcome.payment_status(), now, &title);
                        m2 = m3;
                        b2 = b3;
                        extras.tier_ids = ended.tier_ids;
                        extras.pledge_events = ended.pledge_events;
                        extras.events = ended.events;
                        Renewal::Ended
                    }
                }
            }
        };
        extras.pledge_events.insert(0, event);
        extras.charges.push(charge);
        (write_of(held, m2, b2, extras, now), result)
    }
}

/// What a renewal did to one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Renewal {
    Paid,
    Declined,
    Ended,
    Nothing,
}

fn write_of(
    held: &Held,
    mut m: member::Model,
    mut b: maecenas_store::entities::member_billing::Model,
    extras: Extras,
    now: DateTime<Utc>,
) -> BillingWrite {
    m.updated_at = now;
    m.next_charge_date = b.due_at;
    b.version = held.billing.version + 1;
    b.updated_at = now;
    BillingWrite {
        member: m,
        member_is_new: false,
        billing: b,
        expected_version: Some(held.billing.version),
        address: None,
        tier_ids: extras.tier_ids,
        charges: extras.charges,
        pledge_events: extras.pledge_events,
        events: extras.events,
    }
}
