//! Campaigns and what hangs off them: tiers, benefits, goals and posts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use crate::{
    Store, StoreError,
    entities::{benefit, campaign, goal, post, post_tier, tier, tier_benefit},
    events,
};

/// What it takes to create a campaign. Everything else starts at the schema's defaults.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub creator_id: i64,
    /// Public handle, unique.
    pub vanity: String,
    /// What the creator is creating ("is creating <creation_name>").
    pub creation_name: String,
    pub summary: String,
    pub one_liner: String,
    /// ISO 4217 code tiers and goals are priced in.
    pub currency: String,
    /// `None` keeps the campaign a draft.
    pub published_at: Option<DateTime<Utc>>,
}

/// A tier to add to a campaign; published at once.
#[derive(Debug, Clone)]
pub struct NewTier {
    pub campaign_id: i64,
    pub title: String,
    pub description: String,
    /// Monthly price in minor units of `currency`.
    pub amount_cents: i64,
    pub currency: String,
    /// Most patrons the tier accepts, if limited.
    pub user_limit: Option<i64>,
    pub requires_shipping: bool,
    /// Position on the campaign page, lowest first.
    pub sort_order: i64,
}

/// A benefit and the tiers that include it.
#[derive(Debug, Clone)]
pub struct NewBenefit {
    pub campaign_id: i64,
    pub title: String,
    pub description: String,
    pub tier_ids: Vec<i64>,
}

/// A goal: a monthly amount, in minor units of the campaign's currency.
#[derive(Debug, Clone)]
pub struct NewGoal {
    pub campaign_id: i64,
    pub title: String,
    pub description: String,
    pub amount_cents: i64,
}

/// A post by `user_id` on a campaign.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub campaign_id: i64,
    pub user_id: i64,
    pub title: String,
    pub content: String,
    /// Visible to everyone, not only patrons.
    pub is_public: bool,
    /// `Some` publishes the post (and records `posts:publish`); `None` keeps it a draft.
    pub published_at: Option<DateTime<Utc>>,
    /// The tiers whose patrons may see it (Patreon's post `tiers`); empty for none in particular.
    pub tier_ids: Vec<i64>,
}

impl Store {
    /// Creates a campaign. A creator has at most one; a taken vanity or second campaign is
    /// [`StoreError::Conflict`].
    pub async fn create_campaign(
        &self,
        new: NewCampaign,
        now: DateTime<Utc>,
    ) -> Result<campaign::Model, StoreError> {
        let row = campaign::ActiveModel {
            creator_id: Set(new.creator_id),
            vanity: Set(new.vanity),
            creation_name: Set(new.creation_name),
            summary: Set(new.summary),
            one_liner: Set(new.one_liner),
            pay_per_name: Set("month".to_owned()),
            currency: Set(new.currency),
            is_monthly: Set(true),
            is_charged_immediately: Set(true),
            is_nsfw: Set(false),
            image_url: Set(String::new()),
            image_small_url: Set(String::new()),
            main_video_url: Set(String::new()),
            thanks_msg: Set(String::new()),
            thanks_video_url: Set(String::new()),
            discord_server_id: Set(None),
            google_analytics_id: Set(None),
            published_at: Set(new.published_at),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// The campaign of this creator, if they have one.
    pub async fn campaign_by_creator(
        &self,
        creator_id: i64,
    ) -> Result<Option<campaign::Model>, StoreError> {
        Ok(campaign::Entity::find()
            .filter(campaign::Column::CreatorId.eq(creator_id))
            .one(self.db())
            .await?)
    }

    /// Adds a published tier to a campaign.
    pub async fn create_tier(
        &self,
        new: NewTier,
        now: DateTime<Utc>,
    ) -> Result<tier::Model, StoreError> {
        let row = tier::ActiveModel {
            campaign_id: Set(new.campaign_id),
            title: Set(new.title),
            description: Set(new.description),
            amount_cents: Set(new.amount_cents),
            currency: Set(new.currency),
            user_limit: Set(new.user_limit),
            requires_shipping: Set(new.requires_shipping),
            published: Set(true),
            discord_role_ids: Set("[]".to_owned()),
            image_url: Set(String::new()),
            sort_order: Set(new.sort_order),
            published_at: Set(Some(now)),
            unpublished_at: Set(None),
            created_at: Set(now),
            edited_at: Set(now),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// A campaign's tiers in page order (then cheapest first).
    pub async fn tiers_of_campaign(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<tier::Model>, StoreError> {
        Ok(tier::Entity::find()
            .filter(tier::Column::CampaignId.eq(campaign_id))
            .order_by_asc(tier::Column::SortOrder)
            .order_by_asc(tier::Column::AmountCents)
            .order_by_asc(tier::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Adds a benefit and links it to its tiers, in one transaction.
    pub async fn create_benefit(
        &self,
        new: NewBenefit,
        now: DateTime<Utc>,
    ) -> Result<benefit::Model, StoreError> {
        let txn = self.begin_write().await?;
        let created = benefit::ActiveModel {
            campaign_id: Set(new.campaign_id),
            title: Set(new.title),
            description: Set(new.description),
            benefit_type: Set("custom".to_owned()),
            rule_type: Set("eachCharge".to_owned()),
            is_published: Set(true),
            is_deleted: Set(false),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if !new.tier_ids.is_empty() {
            tier_benefit::Entity::insert_many(new.tier_ids.into_iter().map(|tier_id| {
                tier_benefit::ActiveModel {
                    tier_id: Set(tier_id),
                    benefit_id: Set(created.id),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(created)
    }

    /// Adds a goal to a campaign.
    pub async fn create_goal(
        &self,
        new: NewGoal,
        now: DateTime<Utc>,
    ) -> Result<goal::Model, StoreError> {
        let row = goal::ActiveModel {
            campaign_id: Set(new.campaign_id),
            title: Set(new.title),
            description: Set(new.description),
            amount_cents: Set(new.amount_cents),
            reached_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// Creates a post; a published one records `posts:publish` in the same transaction.
    pub async fn create_post(
        &self,
        new: NewPost,
        now: DateTime<Utc>,
    ) -> Result<post::Model, StoreError> {
        let txn = self.begin_write().await?;
        let created = post::ActiveModel {
            campaign_id: Set(new.campaign_id),
            user_id: Set(new.user_id),
            title: Set(new.title),
            content: Set(new.content),
            embed_url: Set(None),
            embed_data: Set(None),
            image: Set(None),
            is_public: Set(new.is_public),
            is_paid: Set(false),
            app_id: Set(None),
            app_status: Set(None),
            published_at: Set(new.published_at),
            created_at: Set(now),
            edited_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if !new.tier_ids.is_empty() {
            post_tier::Entity::insert_many(new.tier_ids.into_iter().map(|tier_id| {
                post_tier::ActiveModel {
                    post_id: Set(created.id),
                    tier_id: Set(tier_id),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        if created.published_at.is_some() {
            crate::subject_changes::record_post(&txn, &created, events::POST_PUBLISH, now).await?;
        }
        txn.commit().await?;
        self.signals().events_written();
        Ok(created)
    }
}
