//! Members (v1: pledges): a user's relationship to a campaign, with its entitled tiers, pledge
//! history and shipping address.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{address, member, member_tier, pledge_event},
    events::{self, Change},
};

/// A membership to create, with everything that comes with it.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub campaign_id: i64,
    pub user_id: i64,
    /// `active_patron`, `declined_patron`, `former_patron`, or `None` for a member who never
    /// pledged.
    pub patron_status: Option<String>,
    pub is_follower: bool,
    /// ISO 4217 code of the amounts below.
    pub currency: String,
    pub currently_entitled_amount_cents: i64,
    /// The pledge amount; above zero means the member comes with a pledge.
    pub will_pay_amount_cents: i64,
    pub lifetime_support_cents: i64,
    pub pledge_relationship_start: Option<DateTime<Utc>>,
    pub last_charge_date: Option<DateTime<Utc>>,
    /// `Paid`, `Declined`, … (Patreon's `last_charge_status`).
    pub last_charge_status: Option<String>,
    pub next_charge_date: Option<DateTime<Utc>>,
    /// The tiers the member is entitled to now.
    pub tier_ids: Vec<i64>,
    /// Pledge history, oldest first.
    pub pledge_events: Vec<NewPledgeEvent>,
    /// A shipping address, stored for the member's user and linked to the membership.
    pub address: Option<NewAddress>,
}

/// One entry of a member's pledge history.
#[derive(Debug, Clone)]
pub struct NewPledgeEvent {
    /// `pledge_start`, `pledge_upgrade`, `pledge_downgrade`, `pledge_delete` or `subscription`.
    pub event_type: String,
    pub amount_cents: i64,
    pub currency: String,
    /// The charge's outcome (`Paid`, `Declined`, …).
    pub payment_status: Option<String>,
    /// `valid`, `declined`, `pending`, …
    pub pledge_payment_status: Option<String>,
    pub tier_id: Option<i64>,
    pub tier_title: Option<String>,
    pub date: DateTime<Utc>,
}

/// A postal address.
#[derive(Debug, Clone)]
pub struct NewAddress {
    pub addressee: String,
    pub line_1: String,
    pub line_2: String,
    pub postal_code: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub phone_number: String,
}

impl Store {
    /// Creates memberships, all in one transaction: each with its address, entitled tiers and
    /// pledge history, and its `members:create` event — plus `members:pledge:create` when it
    /// comes with a pledge. A user already in the campaign is [`StoreError::Conflict`], and then
    /// nothing is written.
    pub async fn create_members(
        &self,
        new: Vec<NewMember>,
        now: DateTime<Utc>,
    ) -> Result<Vec<member::Model>, StoreError> {
        let txn = self.begin_write().await?;
        let mut created = Vec::with_capacity(new.len());
        for one in new {
            created.push(insert_member(&txn, one, now).await?);
        }
        txn.commit().await?;
        self.signals().events_written();
        Ok(created)
    }

    /// How many members a campaign has, by `patron_status` (`None`: never pledged).
    pub async fn count_members_by_status(
        &self,
        campaign_id: i64,
    ) -> Result<BTreeMap<Option<String>, u64>, StoreError> {
        let rows: Vec<(Option<String>, i64)> = member::Entity::find()
            .select_only()
            .column(member::Column::PatronStatus)
            .column_as(member::Column::Id.count(), "members")
            .filter(member::Column::CampaignId.eq(campaign_id))
            .group_by(member::Column::PatronStatus)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(status, n)| (status, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// A member's pledge history, oldest first.
    pub async fn pledge_history(
        &self,
        member_id: Uuid,
    ) -> Result<Vec<pledge_event::Model>, StoreError> {
        Ok(pledge_event::Entity::find()
            .filter(pledge_event::Column::MemberId.eq(member_id))
            .order_by_asc(pledge_event::Column::Date)
            .order_by_asc(pledge_event::Column::Id)
            .all(self.db())
            .await?)
    }
}

async fn insert_member(
    txn: &DatabaseTransaction,
    new: NewMember,
    now: DateTime<Utc>,
) -> Result<member::Model, StoreError> {
    let address_id = match new.address {
        Some(a) => Some(insert_address(txn, new.user_id, a, now).await?),
        None => None,
    };
    let has_pledge = new.will_pay_amount_cents > 0;
    let lifetime = new.lifetime_support_cents;
    let created = member::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(new.campaign_id),
        user_id: Set(new.user_id),
        patron_status: Set(new.patron_status),
        is_follower: Set(new.is_follower),
        is_free_trial: Set(false),
        is_gifted: Set(false),
        currency: Set(new.currency),
        currently_entitled_amount_cents: Set(new.currently_entitled_amount_cents),
        will_pay_amount_cents: Set(new.will_pay_amount_cents),
        pledge_cap_amount_cents: Set(None),
        pledge_cadence: Set(1),
        lifetime_support_cents: Set(lifetime),
        campaign_lifetime_support_cents: Set(lifetime),
        pledge_relationship_start: Set(new.pledge_relationship_start),
        last_charge_date: Set(new.last_charge_date),
        last_charge_status: Set(new.last_charge_status),
        next_charge_date: Set(new.next_charge_date),
        address_id: Set(address_id),
        note: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    if !new.tier_ids.is_empty() {
        member_tier::Entity::insert_many(new.tier_ids.into_iter().map(|tier_id| {
            member_tier::ActiveModel {
                member_id: Set(created.id),
                tier_id: Set(tier_id),
                ..Default::default()
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    if !new.pledge_events.is_empty() {
        pledge_event::Entity::insert_many(new.pledge_events.into_iter().map(|e| {
            pledge_event::ActiveModel {
                member_id: Set(created.id),
                event_type: Set(e.event_type),
                amount_cents: Set(e.amount_cents),
                currency: Set(e.currency),
                payment_status: Set(e.payment_status),
                pledge_payment_status: Set(e.pledge_payment_status),
                tier_id: Set(e.tier_id),
                tier_title: Set(e.tier_title),
                date: Set(e.date),
                ..Default::default()
            }
        }))
        .exec_without_returning(txn)
        .await?;
    }
    let kinds = [
        Some(events::MEMBER_CREATE),
        has_pledge.then_some(events::PLEDGE_CREATE),
    ];
    for kind in kinds.into_iter().flatten() {
        let change = Change {
            kind,
            user_id: Some(created.user_id),
            campaign_id: Some(created.campaign_id),
            subject_type: "member",
            subject_id: created.id.to_string(),
        };
        events::record(txn, change, now).await?;
    }
    Ok(created)
}

async fn insert_address(
    txn: &DatabaseTransaction,
    user_id: i64,
    new: NewAddress,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let created = address::ActiveModel {
        user_id: Set(user_id),
        addressee: Set(new.addressee),
        line_1: Set(new.line_1),
        line_2: Set(new.line_2),
        postal_code: Set(new.postal_code),
        city: Set(new.city),
        state: Set(new.state),
        country: Set(new.country),
        phone_number: Set(new.phone_number),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(created.id)
}
