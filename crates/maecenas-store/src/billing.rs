//! The billing engine's writes and reads (`maecenas_core::billing` decides, this stores): charge
//! reservations by idempotency key, a member's whole change — member row, billing row, entitled
//! tiers, charges, pledge history and outbox events — in one transaction, conditional on the
//! billing row's `version`; the scheduler's claim of due members under a lease (one
//! `UPDATE … WHERE member_id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`, like the webhook
//! dispatcher's); and the charge ledger.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, FromQueryResult,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Condition, Expr, Func, Query},
};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{charge, event, member, member_billing, member_tier, pledge_event, tier, user},
    members::{NewAddress, NewPledgeEvent},
    subject_changes::MemberSnapshot,
};

/// A charge status: reserved under its idempotency key, the gateway not answered yet.
pub const CHARGE_PENDING: &str = "pending";
/// A charge status: the money moved.
pub const CHARGE_SUCCEEDED: &str = "succeeded";
/// A charge status: the gateway refused (the reason says why).
pub const CHARGE_FAILED: &str = "failed";
/// A charge status: moved, then given back.
pub const CHARGE_REFUNDED: &str = "refunded";

/// A charge to write.
#[derive(Debug, Clone)]
pub struct NewCharge {
    /// `pledge` (memberships) or `donation`.
    pub kind: &'static str,
    pub payer_user_id: Option<i64>,
    pub recipient_user_id: i64,
    pub campaign_id: Option<i64>,
    pub member_id: Option<Uuid>,
    pub amount_cents: i64,
    pub currency: String,
    /// One of the `CHARGE_*` statuses.
    pub status: &'static str,
    pub gateway_reference: Option<String>,
    pub failure_reason: Option<String>,
    /// Unique: a second charge under the same key is refused.
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What reserving a charge found.
#[derive(Debug, Clone)]
pub enum Reservation {
    /// The key was free: a pending charge with this id now holds it.
    Reserved(i64),
    /// A charge already holds the key (a double submit): nothing was written.
    Existing(Box<charge::Model>),
}

/// How a charge ends up, as part of a [`BillingWrite`].
#[derive(Debug, Clone)]
pub enum ChargeWrite {
    /// Settles a reserved charge.
    Settle {
        id: i64,
        status: &'static str,
        gateway_reference: Option<String>,
        failure_reason: Option<String>,
    },
    /// Writes a charge in its final state.
    Insert(NewCharge),
}

/// One member's complete change, written atomically by [`Store::apply_billing`].
#[derive(Debug, Clone)]
pub struct BillingWrite {
    /// The member as it must be stored.
    pub member: member::Model,
    /// Insert the member row (a first membership) instead of updating it.
    pub member_is_new: bool,
    /// The billing row as it must be stored (its `version` already bumped).
    pub billing: member_billing::Model,
    /// `Some(v)`: update the billing row only if it still has version `v`; `None`: insert it.
    pub expected_version: Option<i64>,
    /// A shipping address to store for the member's user and link to the membership.
    pub address: Option<NewAddress>,
    /// `Some`: the member's entitled tiers are replaced by these.
    pub tier_ids: Option<Vec<i64>>,
    pub charges: Vec<ChargeWrite>,
    pub pledge_events: Vec<NewPledgeEvent>,
    /// Outbox event kinds (`members:update`, …) for this member, in order.
    pub events: Vec<&'static str>,
}

impl Store {
    /// Reserves a pending charge under its idempotency key, or finds the charge that holds it.
    pub async fn reserve_charge(&self, new: NewCharge) -> Result<Reservation, StoreError> {
        let key = new.idempotency_key.clone();
        match charge_row(new)
            .insert(self.db())
            .await
            .map_err(StoreError::from)
        {
            Ok(row) => Ok(Reservation::Reserved(row.id)),
            Err(StoreError::Conflict(what)) => {
                let Some(key) = key else {
                    return Err(StoreError::Conflict(what));
                };
                let existing = charge::Entity::find()
                    .filter(charge::Column::IdempotencyKey.eq(key))
                    .one(self.db())
                    .await?
                    .ok_or(StoreError::Conflict(what))?;
                Ok(Reservation::Existing(Box::new(existing)))
            }
            Err(other) => Err(other),
        }
    }

    /// Settles a charge outside a membership change (a charge given back because its change
    /// could not be written).
    pub async fn settle_charge(
        &self,
        id: i64,
        status: &'static str,
        failure_reason: Option<String>,
    ) -> Result<(), StoreError> {
        charge::Entity::update_many()
            .col_expr(charge::Column::Status, Expr::value(status))
            .col_expr(charge::Column::FailureReason, Expr::value(failure_reason))
            .filter(charge::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// The charge holding `key`, if any.
    pub async fn charge_by_key(&self, key: &str) -> Result<Option<charge::Model>, StoreError> {
        Ok(charge::Entity::find()
            .filter(charge::Column::IdempotencyKey.eq(key))
            .one(self.db())
            .await?)
    }

    /// Writes each change in one transaction; a change whose billing row moved on (another
    /// writer's version) is skipped whole. Returns, per write, whether it was applied.
    pub async fn apply_billing(
        &self,
        writes: Vec<BillingWrite>,
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let txn = self.begin_write().await?;
        let mut applied = Vec::with_capacity(writes.len());
        let mut pledge_rows = Vec::new();
        let mut snap_members = Vec::new();
        let mut charge_rows = Vec::new();
        for write in writes {
            let member_id = write.member.id;
            if !write_member(&txn, write.clone(), now).await? {
                applied.push(false);
                continue;
            }
            applied.push(true);
            for c in write.charges {
                match c {
                    ChargeWrite::Insert(new) => charge_rows.push(charge_row(new)),
                    ChargeWrite::Settle {
                        id,
                        status,
                        gateway_reference,
                        failure_reason,
                    } => {
                        charge::Entity::update_many()
                            .col_expr(charge::Column::Status, Expr::value(status))
                            .col_expr(
                                charge::Column::GatewayReference,
                                Expr::value(gateway_reference),
                            )
                            .col_expr(charge::Column::FailureReason, Expr::value(failure_reason))
                            .col_expr(charge::Column::MemberId, Expr::value(member_id))
                            .filter(charge::Column::Id.eq(id))
                            .exec(&txn)
                            .await?;
                    }
                }
            }
            pledge_rows.extend(
                write
                    .pledge_events
                    .into_iter()
                    .map(|e| pledge_row(member_id, e)),
            );
            if !write.events.is_empty() {
                snap_members.push((write.member, write.events));
            }
        }
        let event_rows = event_rows_with_snapshots(&txn, snap_members, now).await?;
        for chunk in charge_rows.chunks(500) {
            charge::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for chunk in pledge_rows.chunks(500) {
            pledge_event::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        let wrote_events = !event_rows.is_empty();
        for chunk in event_rows.chunks(500) {
            event::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        if wrote_events {
            self.signals().events_written();
        }
        Ok(applied)
    }

    /// The billing rows of these members.
    pub async fn billing_of(
        &self,
        members: &[Uuid],
    ) -> Result<Vec<member_billing::Model>, StoreError> {
        if members.is_empty() {
            return Ok(Vec::new());
        }
        Ok(member_billing::Entity::find()
            .filter(member_billing::Column::MemberId.is_in(members.iter().copied()))
            .all(self.db())
            .await?)
    }

    /// The members with these ids.
    pub async fn members_by_ids(&self, ids: &[Uuid]) -> Result<Vec<member::Model>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(member::Entity::find()
            .filter(member::Column::Id.is_in(ids.iter().copied()))
            .all(self.db())
            .await?)
    }

    /// `user_id`'s membership of `campaign_id`, if any.
    pub async fn member_of(
        &self,
        campaign_id: i64,
        user_id: i64,
    ) -> Result<Option<member::Model>, StoreError> {
        Ok(member::Entity::find()
            .filter(member::Column::CampaignId.eq(campaign_id))
            .filter(member::Column::UserId.eq(user_id))
            .one(self.db())
            .await?)
    }

    /// Takes `owner`'s lease on one member's billing row until `now + lease`, when nobody else
    /// holds it; returns the row, or `None` when it is held (or missing).
    pub async fn lease_billing(
        &self,
        member_id: Uuid,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<member_billing::Model>, StoreError> {
        let claim = Query::update()
            .table(member_billing::Entity)
            .value(member_billing::Column::LeaseOwner, owner)
            .value(member_billing::Column::LeaseUntil, now + lease)
            .and_where(Expr::col(member_billing::Column::MemberId).eq(member_id))
            .cond_where(lease_free(now))
            .returning_all()
            .to_owned();
        let backend = self.db().get_database_backend();
        let row = self.db().query_one(backend.build(&claim)).await?;
        Ok(row
            .map(|r| member_billing::Model::from_query_result(&r, ""))
            .transpose()?)
    }

    /// Claims up to `limit` members whose charge (or retry) is due at `now` and whose lease is
    /// free, for `owner` until `now + lease`, earliest due first. Several schedulers may call
    /// this at once: each due member goes to exactly one.
    pub async fn claim_due_billing(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<member_billing::Model>, StoreError> {
        let mut due = Query::select();
        due.column(member_billing::Column::MemberId)
            .from(member_billing::Entity)
            .and_where(Expr::col(member_billing::Column::DueAt).lte(now))
            .cond_where(lease_free(now))
            .order_by(member_billing::Column::DueAt, sea_orm::Order::Asc)
            .limit(limit);
        crate::dialect::claim_lock(&mut due);
        let claim = Query::update()
            .table(member_billing::Entity)
            .value(member_billing::Column::LeaseOwner, owner)
            .value(member_billing::Column::LeaseUntil, now + lease)
            .and_where(Expr::col(member_billing::Column::MemberId).in_subquery(due))
            .cond_where(lease_free(now))
            .returning_all()
            .to_owned();
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all(backend.build(&claim)).await?;
        let mut claimed = rows
            .iter()
            .map(|row| member_billing::Model::from_query_result(row, ""))
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|b| (b.due_at, b.member_id));
        Ok(claimed)
    }

    /// Gives back `owner`'s leases on these members (work it could not finish).
    pub async fn release_billing(&self, members: &[Uuid], owner: &str) -> Result<(), StoreError> {
        if members.is_empty() {
            return Ok(());
        }
        member_billing::Entity::update_many()
            .col_expr(
                member_billing::Column::LeaseOwner,
                Expr::value(None::<String>),
            )
            .col_expr(
                member_billing::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .filter(member_billing::Column::MemberId.is_in(members.iter().copied()))
            .filter(member_billing::Column::LeaseOwner.eq(owner))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// The earliest due charge of a campaign (or of every campaign), if any is scheduled.
    pub async fn next_due_at(
        &self,
        campaign_id: Option<i64>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut query = member_billing::Entity::find()
            .select_only()
            .column(member_billing::Column::DueAt)
            .filter(member_billing::Column::DueAt.is_not_null());
        if let Some(campaign_id) = campaign_id {
            query = query.filter(member_billing::Column::CampaignId.eq(campaign_id));
        }
        let first: Option<Option<DateTime<Utc>>> = query
            .order_by_asc(member_billing::Column::DueAt)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(first.flatten())
    }

    /// A member's charges, oldest first.
    pub async fn charges_of_member(
        &self,
        member_id: Uuid,
    ) -> Result<Vec<charge::Model>, StoreError> {
        Ok(charge::Entity::find()
            .filter(charge::Column::MemberId.eq(member_id))
            .order_by_asc(charge::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Succeeded pledge charges per member of a campaign, summed: `(member, cents, count)`.
    pub async fn charge_totals(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<(Uuid, i64, i64)>, StoreError> {
        let rows: Vec<(Option<Uuid>, Option<i64>, i64)> = charge::Entity::find()
            .select_only()
            .column(charge::Column::MemberId)
            .column_as(
                Expr::expr(Func::cast_as(
                    Func::sum(Expr::col(charge::Column::AmountCents)),
                    Alias::new("BIGINT"),
                )),
                "total",
            )
            .column_as(charge::Column::Id.count(), "n")
            .filter(charge::Column::CampaignId.eq(campaign_id))
            .filter(charge::Column::Kind.eq("pledge"))
            .filter(charge::Column::Status.eq(CHARGE_SUCCEEDED))
            .group_by(charge::Column::MemberId)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(m, total, n)| Some((m?, total.unwrap_or(0), n)))
            .collect())
    }
}

/// The event rows of each changed member, every one carrying the member's snapshot as written
/// (`subject_changes::MemberSnapshot`: member, user, entitled tiers), read in batches.
async fn event_rows_with_snapshots(
    txn: &DatabaseTransaction,
    changed: Vec<(member::Model, Vec<&'static str>)>,
    now: DateTime<Utc>,
) -> Result<Vec<event::ActiveModel>, StoreError> {
    let mut rows = Vec::new();
    for chunk in changed.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|(m, _)| m.id).collect();
        let links = member_tier::Entity::find()
            .filter(member_tier::Column::MemberId.is_in(ids))
            .all(txn)
            .await?;
        let tiers: HashMap<i64, tier::Model> = tier::Entity::find()
            .filter(tier::Column::Id.is_in(links.iter().map(|l| l.tier_id)))
            .all(txn)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let users: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.iter().map(|(m, _)| m.user_id)))
            .all(txn)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut tiers_of: HashMap<Uuid, Vec<tier::Model>> = HashMap::new();
        for link in links {
            if let Some(t) = tiers.get(&link.tier_id) {
                tiers_of.entry(link.member_id).or_default().push(t.clone());
            }
        }
        for (m, kinds) in chunk {
            let mut tiers = tiers_of.remove(&m.id).unwrap_or_default();
            tiers.sort_by_key(|t| t.id);
            let snapshot = MemberSnapshot {
                member: m.clone(),
                user: users.get(&m.user_id).cloned(),
                tiers,
            };
            let payload = serde_json::to_string(&snapshot)
                .map_err(|e| StoreError::Db(DbErr::Custom(e.to_string())))?;
            rows.extend(kinds.iter().map(|kind| event::ActiveModel {
                kind: Set((*kind).to_owned()),
                user_id: Set(Some(m.user_id)),
                campaign_id: Set(Some(m.campaign_id)),
                subject_type: Set("member".to_owned()),
                subject_id: Set(m.id.to_string()),
                payload: Set(payload.clone()),
                created_at: Set(now),
                ..Default::default()
            }));
        }
    }
    Ok(rows)
}

fn lease_free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(Expr::col(member_billing::Column::LeaseUntil).is_null())
        .add(Expr::col(member_billing::Column::LeaseUntil).lt(now))
}

fn charge_row(new: NewCharge) -> charge::ActiveModel {
    charge::ActiveModel {
        kind: Set(new.kind.to_owned()),
        payer_user_id: Set(new.payer_user_id),
        recipient_user_id: Set(new.recipient_user_id),
        campaign_id: Set(new.campaign_id),
        member_id: Set(new.member_id),
        amount_cents: Set(new.amount_cents),
        currency: Set(new.currency),
        status: Set(new.status.to_owned()),
        gateway: Set("sandbox".to_owned()),
        gateway_reference: Set(new.gateway_reference),
        failure_reason: Set(new.failure_reason),
        idempotency_key: Set(new.idempotency_key),
        created_at: Set(new.created_at),
        ..Default::default()
    }
}

fn pledge_row(member_id: Uuid, e: NewPledgeEvent) -> pledge_event::ActiveModel {
    pledge_event::ActiveModel {
        member_id: Set(member_id),
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
}

/// Writes the member and billing rows (and address and tiers) of `write`; false, with nothing
/// written, when the billing row's version moved on.
async fn write_member(
    txn: &DatabaseTransaction,
    write: BillingWrite,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut billing = write.billing;
    billing.lease_owner = None;
    billing.lease_until = None;
    if let Some(version) = write.expected_version {
        let mut active = billing.clone().into_active_model().reset_all();
        active.member_id = sea_orm::ActiveValue::Unchanged(billing.member_id);
        let done = member_billing::Entity::update_many()
            .set(active)
            .filter(member_billing::Column::MemberId.eq(billing.member_id))
            .filter(member_billing::Column::Version.eq(version))
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            return Ok(false);
        }
    }
    let mut member = write.member;
    if let Some(address) = write.address {
        member.address_id = Some(insert_address(txn, member.user_id, address, now).await?);
    }
    if write.member_is_new {
        member
            .clone()
            .into_active_model()
            .reset_all()
            .insert(txn)
            .await?;
    } else {
        member
            .clone()
            .into_active_model()
            .reset_all()
            .update(txn)
            .await?;
    }
    if write.expected_version.is_none() {
        billing.into_active_model().reset_all().insert(txn).await?;
    }
    if let Some(tier_ids) = write.tier_ids {
        member_tier::Entity::delete_many()
            .filter(member_tier::Column::MemberId.eq(member.id))
            .exec(txn)
            .await?;
        if !tier_ids.is_empty() {
            member_tier::Entity::insert_many(tier_ids.into_iter().map(|tier_id| {
                member_tier::ActiveModel {
                    member_id: Set(member.id),
                    tier_id: Set(tier_id),
                    ..Default::default()
                }
            }))
            .exec_without_returning(txn)
            .await?;
        }
    }
    Ok(true)
}

async fn insert_address(
    txn: &DatabaseTransaction,
    user_id: i64,
    new: NewAddress,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let created = crate::entities::address::ActiveModel {
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
