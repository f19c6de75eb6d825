//! What the server-rendered pages read and edit beside the API views: a streamer by donation
//! code, tiers' benefits, a campaign's members filtered by status and tier, its succeeded
//! charges for the earnings chart, and the creator's edits of the campaign and its tiers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, Func, Query},
};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    billing::CHARGE_SUCCEEDED,
    entities::{
        benefit, campaign, charge, goal, member, member_tier, post, tier, tier_benefit, user,
    },
    memberships::ACTIVE_PATRON,
};

/// A creator's edit of their campaign's words.
#[derive(Debug, Clone)]
pub struct CampaignText {
    pub creation_name: String,
    pub summary: String,
    pub one_liner: String,
}

/// A creator's edit of a tier.
#[derive(Debug, Clone)]
pub struct TierEdit {
    pub title: String,
    pub description: String,
    pub amount_cents: i64,
    pub user_limit: Option<i64>,
    pub requires_shipping: bool,
    pub published: bool,
}

impl Store {
    /// The user whose vanity is `vanity`.
    pub async fn user_by_vanity(&self, vanity: &str) -> Result<Option<user::Model>, StoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Vanity.eq(vanity))
            .one(self.db())
            .await?)
    }

    /// The benefits (published, not deleted) each of `tier_ids` includes, oldest first.
    pub async fn benefits_of_tiers(
        &self,
        tier_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<benefit::Model>>, StoreError> {
        if tier_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let links: Vec<(i64, i64)> = tier_benefit::Entity::find()
            .select_only()
            .column(tier_benefit::Column::TierId)
            .column(tier_benefit::Column::BenefitId)
            .filter(tier_benefit::Column::TierId.is_in(tier_ids.iter().copied()))
            .into_tuple()
            .all(self.db())
            .await?;
        let benefits: HashMap<i64, benefit::Model> = benefit::Entity::find()
            .filter(benefit::Column::Id.is_in(links.iter().map(|(_, b)| *b)))
            .filter(benefit::Column::IsPublished.eq(true))
            .filter(benefit::Column::IsDeleted.eq(false))
            .order_by_asc(benefit::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
        let mut by_tier: HashMap<i64, Vec<benefit::Model>> = HashMap::new();
        for (tier_id, benefit_id) in links {
            if let Some(b) = benefits.get(&benefit_id) {
                by_tier.entry(tier_id).or_default().push(b.clone());
            }
        }
        for list in by_tier.values_mut() {
            list.sort_by_key(|b| b.id);
        }
        Ok(by_tier)
    }

    /// Up to `limit` members of a campaign, newest first, with `patron_status` `status` (when
    /// given; `"none"` for members who never pledged) and entitled to `tier_id` (when given).
    pub async fn campaign_members(
        &self,
        campaign_id: i64,
        status: Option<&str>,
        tier_id: Option<i64>,
        limit: u64,
    ) -> Result<Vec<member::Model>, StoreError> {
        Ok(filtered_members(campaign_id, status, tier_id)
            .order_by_desc(member::Column::CreatedAt)
            .order_by_desc(member::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// The same filter as [`Store::campaign_members`], one keyset page in id order after
    /// `after`: how an export reads every member, however many.
    pub async fn campaign_members_after(
        &self,
        campaign_id: i64,
        status: Option<&str>,
        tier_id: Option<i64>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<member::Model>, StoreError> {
        let mut query = filtered_members(campaign_id, status, tier_id);
        if let Some(after) = after {
            query = query.filter(member::Column::Id.gt(after));
        }
        Ok(query
            .order_by_asc(member::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// How many members the filter matches.
    pub async fn count_campaign_members(
        &self,
        campaign_id: i64,
        status: Option<&str>,
        tier_id: Option<i64>,
    ) -> Result<u64, StoreError> {
        Ok(filtered_members(campaign_id, status, tier_id)
            .count(self.db())
            .await?)
    }

    /// Every succeeded pledge charge paid to `recipient_user_id` since `since`, as `(when,
    /// cents, currency)`, oldest first: the earnings chart groups them by month.
    pub async fn earnings_since(
        &self,
        recipient_user_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, i64, String)>, StoreError> {
        Ok(charge::Entity::find()
            .select_only()
            .column(charge::Column::CreatedAt)
            .column(charge::Column::AmountCents)
            .column(charge::Column::Currency)
            .filter(charge::Column::RecipientUserId.eq(recipient_user_id))
            .filter(charge::Column::Kind.eq("pledge"))
            .filter(charge::Column::Status.eq(CHARGE_SUCCEEDED))
            .filter(charge::Column::CreatedAt.gte(since))
            .order_by_asc(charge::Column::CreatedAt)
            .into_tuple()
            .all(self.db())
            .await?)
    }

    /// What a campaign's active patrons are entitled to per month, summed: goal progress.
    pub async fn monthly_pledge_sum(&self, campaign_id: i64) -> Result<i64, StoreError> {
        let total: Option<Option<i64>> = member::Entity::find()
            .select_only()
            .column_as(
                Expr::expr(Func::cast_as(
                    Func::sum(Expr::col(member::Column::CurrentlyEntitledAmountCents)),
                    Alias::new("BIGINT"),
                )),
                "total",
            )
            .filter(member::Column::CampaignId.eq(campaign_id))
            .filter(member::Column::PatronStatus.eq(ACTIVE_PATRON))
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(total.flatten().unwrap_or(0))
    }

    /// A campaign's posts, drafts too, newest first.
    pub async fn posts_of_campaign(
        &self,
        campaign_id: i64,
        limit: u64,
    ) -> Result<Vec<post::Model>, StoreError> {
        Ok(post::Entity::find()
            .filter(post::Column::CampaignId.eq(campaign_id))
            .order_by_desc(post::Column::CreatedAt)
            .order_by_desc(post::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// A campaign's benefits (not deleted), oldest first.
    pub async fn benefits_of_campaign(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<benefit::Model>, StoreError> {
        Ok(benefit::Entity::find()
            .filter(benefit::Column::CampaignId.eq(campaign_id))
            .filter(benefit::Column::IsDeleted.eq(false))
            .order_by_asc(benefit::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Marks benefit `id` of `campaign_id` deleted (Patreon keeps deleted benefits with
    /// `is_deleted`); false when there is no such benefit.
    pub async fn delete_benefit(&self, campaign_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = benefit::Entity::update_many()
            .col_expr(benefit::Column::IsDeleted, Expr::value(true))
            .filter(benefit::Column::Id.eq(id))
            .filter(benefit::Column::CampaignId.eq(campaign_id))
            .filter(benefit::Column::IsDeleted.eq(false))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Deletes goal `id` of `campaign_id`; false when there is no such goal.
    pub async fn delete_goal(&self, campaign_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = goal::Entity::delete_many()
            .filter(goal::Column::Id.eq(id))
            .filter(goal::Column::CampaignId.eq(campaign_id))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Changes a campaign's words.
    pub async fn update_campaign_text(
        &self,
        c: campaign::Model,
        text: CampaignText,
        now: DateTime<Utc>,
    ) -> Result<campaign::Model, StoreError> {
        let mut row: campaign::ActiveModel = c.into();
        row.creation_name = Set(text.creation_name);
        row.summary = Set(text.summary);
        row.one_liner = Set(text.one_liner);
        row.updated_at = Set(now);
        Ok(row.update(self.db()).await?)
    }

    /// Changes a tier (what members already pay stays as it is until they change it).
    pub async fn update_tier(
        &self,
        t: tier::Model,
        edit: TierEdit,
        now: DateTime<Utc>,
    ) -> Result<tier::Model, StoreError> {
        let was_published = t.published;
        let mut row: tier::ActiveModel = t.into();
        row.title = Set(edit.title);
        row.description = Set(edit.description);
        row.amount_cents = Set(edit.amount_cents);
        row.user_limit = Set(edit.user_limit);
        row.requires_shipping = Set(edit.requires_shipping);
        row.published = Set(edit.published);
        match (was_published, edit.published) {
            (false, true) => row.published_at = Set(Some(now)),
            (true, false) => row.unpublished_at = Set(Some(now)),
            _ => {}
        }
        row.edited_at = Set(now);
        Ok(row.update(self.db()).await?)
    }
}

/// A campaign's members with `status` (`"none"`: never pledged) and entitled to `tier_id`.
fn filtered_members(
    campaign_id: i64,
    status: Option<&str>,
    tier_id: Option<i64>,
) -> sea_orm::Select<member::Entity> {
    let mut query = member::Entity::find().filter(member::Column::CampaignId.eq(campaign_id));
    match status {
        Some("none") => query = query.filter(member::Column::PatronStatus.is_null()),
        Some(s) => query = query.filter(member::Column::PatronStatus.eq(s)),
        None => {}
    }
    if let Some(tier_id) = tier_id {
        query = query.filter(
            member::Column::Id.in_subquery(
                Query::select()
                    .column(member_tier::Column::MemberId)
                    .from(member_tier::Entity)
                    .and_where(member_tier::Column::TierId.eq(tier_id))
                    .to_owned(),
            ),
        );
    }
    query
}
