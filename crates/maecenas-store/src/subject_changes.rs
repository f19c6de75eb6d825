//! Changing and deleting memberships and posts, each with its events in the same transaction:
//! `members:update` on every membership change, plus `members:pledge:create|update|delete` when
//! the pledge starts, changes or ends; `members:delete` (and `members:pledge:delete` when it had
//! a pledge); `posts:update` / `posts:delete` for published posts (`posts:publish` when a draft
//! is published). Each event keeps a snapshot of its subject ([`MemberSnapshot`],
//! [`PostSnapshot`]) so its payload renders after the rows change again or are gone; so does
//! `create_post`'s `posts:publish` (a `members:create` still reads the member when rendered).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{member, member_tier, pledge_event, post, post_tier, tier, user},
    events::{self, Change},
};

/// A membership as an event saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSnapshot {
    pub member: member::Model,
    /// The patron (without the password hash).
    pub user: Option<user::Model>,
    /// The tiers the member was entitled to.
    pub tiers: Vec<tier::Model>,
}

/// A post as an event saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostSnapshot {
    pub post: post::Model,
    /// The tiers whose patrons may see it.
    pub tier_ids: Vec<i64>,
}

/// Reads an event payload back as a snapshot (`None` for events recorded without one).
pub fn snapshot_of<T: for<'de> Deserialize<'de>>(payload: &str) -> Option<T> {
    serde_json::from_str(payload).ok()
}

/// Changes to a membership; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MemberUpdate {
    pub patron_status: Option<Option<String>>,
    pub is_follower: Option<bool>,
    pub currently_entitled_amount_cents: Option<i64>,
    pub will_pay_amount_cents: Option<i64>,
    pub lifetime_support_cents: Option<i64>,
    pub campaign_lifetime_support_cents: Option<i64>,
    pub pledge_relationship_start: Option<Option<DateTime<Utc>>>,
    pub last_charge_date: Option<Option<DateTime<Utc>>>,
    pub last_charge_status: Option<Option<String>>,
    pub next_charge_date: Option<Option<DateTime<Utc>>>,
    pub note: Option<String>,
    /// The tiers the member is entitled to from now on.
    pub tier_ids: Option<Vec<i64>>,
}

/// Changes to a post; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PostUpdate {
    pub title: Option<String>,
    pub content: Option<String>,
    pub is_public: Option<bool>,
    pub is_paid: Option<bool>,
    pub embed_url: Option<Option<String>>,
    /// Publish a draft (`Some(Some(at))`).
    pub published_at: Option<Option<DateTime<Utc>>>,
    /// The tiers whose patrons may see it from now on.
    pub tier_ids: Option<Vec<i64>>,
}

/// Sets `col = now` on row `id` of `E`; [`StoreError::NotFound`] when there is no such row.
async fn touch<E, V>(
    txn: &DatabaseTransaction,
    col: E::Column,
    id_col: E::Column,
    id: V,
    now: DateTime<Utc>,
) -> Result<(), StoreError>
where
    E: EntityTrait,
    V: Into<sea_orm::Value>,
{
    let done = E::update_many()
        .col_expr(col, sea_orm::sea_query::Expr::value(now))
        .filter(id_col.eq(id))
        .exec(txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Whether a membership carries a pledge (as `create_members` decides).
fn has_pledge(m: &member::Model) -> bool {
    m.will_pay_amount_cents > 0
}

async fn member_snapshot(
    txn: &DatabaseTransaction,
    m: &member::Model,
) -> Result<String, StoreError> {
    let tier_ids: Vec<i64> = member_tier::Entity::find()
        .filter(member_tier::Column::MemberId.eq(m.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.tier_id)
        .collect();
    let mut tiers = tier::Entity::find()
        .filter(tier::Column::Id.is_in(tier_ids))
        .all(txn)
        .await?;
    tiers.sort_by_key(|t| t.id);
    let snapshot = MemberSnapshot {
        member: m.clone(),
        user: user::Entity::find_by_id(m.user_id).one(txn).await?,
        tiers,
    };
    serde_json::to_string(&snapshot)
        .map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))
}

async fn record_member(
    txn: &DatabaseTransaction,
    m: &member::Model,
    kinds: &[&'static str],
    snapshot: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for kind in kinds {
        let change = Change {
            kind,
            user_id: Some(m.user_id),
            campaign_id: Some(m.campaign_id),
            subject_type: "member",
            subject_id: m.id.to_string(),
        };
        events::record_with(txn, change, snapshot.to_owned(), now).await?;
    }
    Ok(())
}

/// Records `kind` for post `p` with its snapshot (also `create_post`'s `posts:publish`).
pub(crate) async fn record_post(
    txn: &DatabaseTransaction,
    p: &post::Model,
    kind: &'static str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tier_ids: Vec<i64> = post_tier::Entity::find()
        .filter(post_tier::Column::PostId.eq(p.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.tier_id)
        .collect();
    tier_ids.sort_unstable();
    let snapshot = serde_json::to_string(&PostSnapshot {
        post: p.clone(),
        tier_ids,
    })
    .map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
    let change = Change {
        kind,
        user_id: Some(p.user_id),
        campaign_id: Some(p.campaign_id),
        subject_type: "post",
        subject_id: p.id.to_string(),
    };
    events::record_with(txn, change, snapshot, now).await?;
    Ok(())
}

impl Store {
    /// Applies `update` to membership `id` with its events: `members:update`, and
    /// `members:pledge:create` (no pledge before), `…:update` (amount or tiers changed) or
    /// `…:delete` (no pledge after). [`StoreError::NotFound`] when there is no such member.
    pub async fn update_member(
        &self,
        id: Uuid,
        update: MemberUpdate,
        now: DateTime<Utc>,
    ) -> Result<member::Model, StoreError> {
        let txn = self.begin_write().await?;
        touch::<member::Entity, _>(&txn, member::Column::UpdatedAt, member::Column::Id, id, now)
            .await?;
        let before = member::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut row = before.clone().into_active_model();
        macro_rules! apply {
            ($($field:ident),*) => {$(
                if let Some(v) = update.$field { row.$field = Set(v); }
            )*};
        }
        apply!(
            patron_status,
            is_follower,
            currently_entitled_amount_cents,
            will_pay_amount_cents,
            lifetime_support_cents,
            campaign_lifetime_support_cents,
            pledge_relationship_start,
            last_charge_date,
            last_charge_status,
            next_charge_date,
            note
        );
        row.updated_at = Set(now);
        let after = row.update(&txn).await?;
        let mut tiers_changed = false;
        if let Some(tier_ids) = update.tier_ids {
            let old: Vec<i64> = member_tier::Entity::find()
                .filter(member_tier::Column::MemberId.eq(id))
                .all(&txn)
                .await?
                .into_iter()
                .map(|t| t.tier_id)
                .collect();
            let (mut a, mut b) = (old.clone(), tier_ids.clone());
            a.sort_unstable();
            b.sort_unstable();
            tiers_changed = a != b;
            if tiers_changed {
                member_tier::Entity::delete_many()
                    .filter(member_tier::Column::MemberId.eq(id))
                    .exec(&txn)
                    .await?;
                if !tier_ids.is_empty() {
                    member_tier::Entity::insert_many(tier_ids.into_iter().map(|tier_id| {
                        member_tier::ActiveModel {
                            member_id: Set(id),
                            tier_id: Set(tier_id),
                            ..Default::default()
                        }
                    }))
                    .exec_without_returning(&txn)
                    .await?;
                }
            }
        }
        let pledge = match (has_pledge(&before), has_pledge(&after)) {
            (false, true) => Some(events::PLEDGE_CREATE),
            (true, false) => Some(events::PLEDGE_DELETE),
            (true, true)
                if tiers_changed || before.will_pay_amount_cents != after.will_pay_amount_cents =>
            {
                Some(events::PLEDGE_UPDATE)
            }
            _ => None,
        };
        let kinds: Vec<&'static str> = std::iter::once(events::MEMBER_UPDATE)
            .chain(pledge)
            .collect();
        let snapshot = member_snapshot(&txn, &after).await?;
        record_member(&txn, &after, &kinds, &snapshot, now).await?;
        txn.commit().await?;
        self.signals().events_written();
        Ok(after)
    }

    /// Deletes membership `id` (its tiers and pledge history with it) and records
    /// `members:delete`, plus `members:pledge:delete` when it had a pledge, both carrying the
    /// membership as it was. [`StoreError::NotFound`] when there is no such member.
    pub async fn delete_member(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        touch::<member::Entity, _>(&txn, member::Column::UpdatedAt, member::Column::Id, id, now)
            .await?;
        let m = member::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let snapshot = member_snapshot(&txn, &m).await?;
        let mut kinds = vec![events::MEMBER_DELETE];
        if has_pledge(&m) {
            kinds.push(events::PLEDGE_DELETE);
        }
        record_member(&txn, &m, &kinds, &snapshot, now).await?;
        member_tier::Entity::delete_many()
            .filter(member_tier::Column::MemberId.eq(id))
            .exec(&txn)
            .await?;
        pledge_event::Entity::delete_many()
            .filter(pledge_event::Column::MemberId.eq(id))
            .exec(&txn)
            .await?;
        member::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        self.signals().events_written();
        Ok(())
    }

    /// Applies `update` to post `id`: `posts:update` when it is published (and was),
    /// `posts:publish` when this publishes a draft, nothing for a draft.
    /// [`StoreError::NotFound`] when there is no such post.
    pub async fn update_post(
        &self,
        id: i64,
        update: PostUpdate,
        now: DateTime<Utc>,
    ) -> Result<post::Model, StoreError> {
        let txn = self.begin_write().await?;
        touch::<post::Entity, _>(&txn, post::Column::EditedAt, post::Column::Id, id, now).await?;
        let before = post::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut row = before.clone().into_active_model();
        macro_rules! apply {
            ($($field:ident),*) => {$(
                if let Some(v) = update.$field { row.$field = Set(v); }
            )*};
        }
        apply!(title, content, is_public, is_paid, embed_url, published_at);
        row.edited_at = Set(now);
        let after = row.update(&txn).await?;
        if let Some(tier_ids) = update.tier_ids {
            post_tier::Entity::delete_many()
                .filter(post_tier::Column::PostId.eq(id))
                .exec(&txn)
                .await?;
            if !tier_ids.is_empty() {
                post_tier::Entity::insert_many(tier_ids.into_iter().map(|tier_id| {
                    post_tier::ActiveModel {
                        post_id: Set(id),
                        tier_id: Set(tier_id),
                        ..Default::default()
                    }
                }))
                .exec_without_returning(&txn)
                .await?;
            }
        }
        let kind = match (before.published_at.is_some(), after.published_at.is_some()) {
            (true, true) => Some(events::POST_UPDATE),
            (false, true) => Some(events::POST_PUBLISH),
            (_, false) => None,
        };
        if let Some(kind) = kind {
            record_post(&txn, &after, kind, now).await?;
        }
        txn.commit().await?;
        self.signals().events_written();
        Ok(after)
    }

    /// Deletes post `id` (and which tiers see it); a published one records `posts:delete`
    /// carrying the post as it was. [`StoreError::NotFound`] when there is no such post.
    pub async fn delete_post(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        touch::<post::Entity, _>(&txn, post::Column::EditedAt, post::Column::Id, id, now).await?;
        let p = post::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if p.published_at.is_some() {
            record_post(&txn, &p, events::POST_DELETE, now).await?;
        }
        post_tier::Entity::delete_many()
            .filter(post_tier::Column::PostId.eq(id))
            .exec(&txn)
            .await?;
        post::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        self.signals().events_written();
        Ok(())
    }
}
