//! The sandbox's rows: its persisted clock offset, fake patrons (created in bulk, removed by a
//! reset), hand-fired member events; and the lookups the billing engine needs beside its own
//! rows (campaign, tier, how many members a tier holds).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{campaign, charge, member, member_billing, sandbox_clock, tier, user},
    events::{self, Change},
    memberships::ACTIVE_PATRON,
};

/// The e-mail domain of fake patrons (`.invalid` never resolves).
pub const FAKE_PATRON_DOMAIN: &str = "sandbox.invalid";

impl Store {
    /// Seconds the sandbox clock runs ahead of the wall clock (0 until someone advances it).
    pub async fn sandbox_clock_offset(&self) -> Result<i64, StoreError> {
        Ok(sandbox_clock::Entity::find()
            .order_by_asc(sandbox_clock::Column::Id)
            .one(self.db())
            .await?
            .map_or(0, |row| row.offset_seconds))
    }

    /// Stores the sandbox clock's offset.
    pub async fn set_sandbox_clock_offset(
        &self,
        offset_seconds: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let existing = sandbox_clock::Entity::find()
            .order_by_asc(sandbox_clock::Column::Id)
            .one(self.db())
            .await?;
        match existing {
            Some(row) => {
                let mut row: sandbox_clock::ActiveModel = row.into();
                row.offset_seconds = Set(offset_seconds);
                row.updated_at = Set(now);
                row.update(self.db()).await?;
            }
            None => {
                sandbox_clock::ActiveModel {
                    offset_seconds: Set(offset_seconds),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(self.db())
                .await?;
            }
        }
        Ok(())
    }

    /// The campaign with this id.
    pub async fn campaign_by_id(&self, id: i64) -> Result<Option<campaign::Model>, StoreError> {
        Ok(campaign::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// The campaign with this vanity.
    pub async fn campaign_by_vanity(
        &self,
        vanity: &str,
    ) -> Result<Option<campaign::Model>, StoreError> {
        Ok(campaign::Entity::find()
            .filter(campaign::Column::Vanity.eq(vanity))
            .one(self.db())
            .await?)
    }

    /// Switches a campaign between charging up front and on the first of the month.
    pub async fn set_charged_immediately(
        &self,
        campaign_id: i64,
        charged_immediately: bool,
    ) -> Result<campaign::Model, StoreError> {
        let row = campaign::Entity::find_by_id(campaign_id)
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut row: campaign::ActiveModel = row.into();
        row.is_charged_immediately = Set(charged_immediately);
        Ok(row.update(self.db()).await?)
    }

    /// The tier with this id.
    pub async fn tier_by_id(&self, id: i64) -> Result<Option<tier::Model>, StoreError> {
        Ok(tier::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// How many active patrons pledge to `tier_id` (what its `user_limit` counts).
    pub async fn tier_pledge_count(&self, tier_id: i64) -> Result<u64, StoreError> {
        let member_ids = member_billing::Entity::find()
            .filter(member_billing::Column::TierId.eq(tier_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|b| b.member_id)
            .collect::<Vec<_>>();
        if member_ids.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        for chunk in member_ids.chunks(500) {
            n += member::Entity::find()
                .filter(member::Column::Id.is_in(chunk.iter().copied()))
                .filter(member::Column::PatronStatus.eq(ACTIVE_PATRON))
                .count(self.db())
                .await?;
        }
        Ok(n)
    }
}

impl Store {
    /// Creates `count` fake patrons (`patron-<label>-<n>@sandbox.invalid`, no password) in one
    /// transaction with multi-row inserts; returns them.
    pub async fn create_fake_patrons(
        &self,
        label: &str,
        count: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<user::Model>, StoreError> {
        let txn = self.begin_write().await?;
        let emails: Vec<String> = (0..count)
            .map(|n| format!("patron-{label}-{n}@{FAKE_PATRON_DOMAIN}"))
            .collect();
        for (chunk_no, chunk) in emails.chunks(1000).enumerate() {
            user::Entity::insert_many(chunk.iter().enumerate().map(|(k, email)| {
                user::ActiveModel {
                    email: Set(email.clone()),
                    full_name: Set(format!("Sandbox Patron {}", chunk_no * 1000 + k)),
                    is_email_verified: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        let mut created = Vec::with_capacity(count);
        for chunk in emails.chunks(1000) {
            created.extend(
                user::Entity::find()
                    .filter(user::Column::Email.is_in(chunk.iter().cloned()))
                    .order_by_asc(user::Column::Id)
                    .all(&txn)
                    .await?,
            );
        }
        txn.commit().await?;
        Ok(created)
    }

    /// Deletes every fake patron (only those who are members of `campaign_id`, when given) with
    /// their memberships, billing rows, pledge history and charges; returns how many patrons
    /// went. Event rows stay: they are the log.
    pub async fn delete_fake_patrons(&self, campaign_id: Option<i64>) -> Result<u64, StoreError> {
        let txn = self.begin_write().await?;
        let mut ids: Vec<i64> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Email.like(format!("%@{FAKE_PATRON_DOMAIN}")))
            .into_tuple()
            .all(&txn)
            .await?;
        if let Some(campaign_id) = campaign_id {
            let mut theirs = Vec::new();
            for chunk in ids.chunks(1000) {
                theirs.extend(
                    member::Entity::find()
                        .select_only()
                        .column(member::Column::UserId)
                        .filter(member::Column::CampaignId.eq(campaign_id))
                        .filter(member::Column::UserId.is_in(chunk.iter().copied()))
                        .into_tuple::<i64>()
                        .all(&txn)
                        .await?,
                );
            }
            ids = theirs;
        }
        let mut gone = 0;
        for chunk in ids.chunks(1000) {
            let members: Vec<Uuid> = member::Entity::find()
                .select_only()
                .column(member::Column::Id)
                .filter(member::Column::UserId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&txn)
                .await?;
            for m in members.chunks(1000) {
                charge::Entity::delete_many()
                    .filter(charge::Column::MemberId.is_in(m.iter().copied()))
                    .exec(&txn)
                    .await?;
            }
            gone += user::Entity::delete_many()
                .filter(user::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        txn.commit().await?;
        Ok(gone)
    }

    /// Records a `kind` event about a member now, as a change to it would (the sandbox's "fire
    /// a webhook event"): webhooks render the member as it is.
    pub async fn record_member_event(
        &self,
        m: &member::Model,
        kind: &'static str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let change = Change {
            kind,
            user_id: Some(m.user_id),
            campaign_id: Some(m.campaign_id),
            subject_type: "member",
            subject_id: m.id.to_string(),
        };
        events::record(self.db(), change, now).await?;
        self.signals().events_written();
        Ok(())
    }
}
