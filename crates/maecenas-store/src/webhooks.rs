//! Webhooks as their owners manage them: create (starting after the newest event), list a
//! client's, read, change (unpausing makes the queue due at once), delete (its deliveries go
//! with it).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};

use crate::{
    Store, StoreError,
    entities::{campaign, member, oauth_client, post, webhook},
};

/// A webhook to create.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub client_id: i64,
    pub campaign_id: i64,
    pub uri: String,
    pub secret: String,
    pub triggers: Vec<String>,
    /// The creating token's scopes, space-separated.
    pub scopes: String,
}

/// Changes to a webhook; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub uri: Option<String>,
    pub triggers: Option<Vec<String>>,
    pub paused: Option<bool>,
}

/// A webhook's triggers, parsed from their JSON text.
pub fn triggers_of(w: &webhook::Model) -> Vec<String> {
    serde_json::from_str(&w.triggers).unwrap_or_default()
}

impl Store {
    /// Creates a webhook; it hears of events recorded from now on.
    pub async fn create_webhook(
        &self,
        new: NewWebhook,
        now: DateTime<Utc>,
    ) -> Result<webhook::Model, StoreError> {
        let after = self.last_event_id().await?;
        Ok(webhook::ActiveModel {
            client_id: Set(new.client_id),
            campaign_id: Set(new.campaign_id),
            uri: Set(new.uri),
            secret: Set(new.secret),
            triggers: Set(serde_json::to_string(&new.triggers).unwrap_or_else(|_| "[]".into())),
            paused: Set(false),
            num_consecutive_times_failed: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            scopes: Set(new.scopes),
            after_event_id: Set(after),
            ..Default::default()
        }
        .insert(self.db())
        .await?)
    }

    /// One webhook by id.
    pub async fn webhook(&self, id: i64) -> Result<Option<webhook::Model>, StoreError> {
        Ok(webhook::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// Every webhook, oldest first (the admin CLI and tests).
    pub async fn all_webhooks(&self) -> Result<Vec<webhook::Model>, StoreError> {
        Ok(webhook::Entity::find()
            .order_by_asc(webhook::Column::Id)
            .all(self.db())
            .await?)
    }

    /// The webhooks `client_id` created on campaigns `creator_id` owns, oldest first.
    pub async fn webhooks_of(
        &self,
        client_id: i64,
        creator_id: i64,
    ) -> Result<Vec<webhook::Model>, StoreError> {
        let campaigns: Vec<i64> = campaign::Entity::find()
            .filter(campaign::Column::CreatorId.eq(creator_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        Ok(webhook::Entity::find()
            .filter(webhook::Column::ClientId.eq(client_id))
            .filter(webhook::Column::CampaignId.is_in(campaigns))
            .order_by_asc(webhook::Column::Id)
            .all(self.db())
            .await?)
    }

    /// The webhooks of a campaign's creator, whichever client made them (the portal).
    pub async fn webhooks_of_creator(
        &self,
        creator_id: i64,
    ) -> Result<Vec<webhook::Model>, StoreError> {
        let campaigns: Vec<i64> = campaign::Entity::find()
            .filter(campaign::Column::CreatorId.eq(creator_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        Ok(webhook::Entity::find()
            .filter(webhook::Column::CampaignId.is_in(campaigns))
            .order_by_asc(webhook::Column::Id)
            .all(self.db())
            .await?)
    }

    /// The webhooks `user_id` manages in the portal: those on their campaigns and those their
    /// OAuth clients made on anyone's, oldest first.
    pub async fn webhooks_for_portal(
        &self,
        user_id: i64,
    ) -> Result<Vec<webhook::Model>, StoreError> {
        let campaigns: Vec<i64> = campaign::Entity::find()
            .filter(campaign::Column::CreatorId.eq(user_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let clients: Vec<i64> = oauth_client::Entity::find()
            .filter(oauth_client::Column::OwnerUserId.eq(user_id))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        Ok(webhook::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(webhook::Column::CampaignId.is_in(campaigns))
                    .add(webhook::Column::ClientId.is_in(clients)),
            )
            .order_by_asc(webhook::Column::Id)
            .all(self.db())
            .await?)
    }

    /// A campaign's newest membership (what a test event shows).
    pub async fn newest_member(
        &self,
        campaign_id: i64,
    ) -> Result<Option<member::Model>, StoreError> {
        Ok(member::Entity::find()
            .filter(member::Column::CampaignId.eq(campaign_id))
            .order_by_desc(member::Column::CreatedAt)
            .one(self.db())
            .await?)
    }

    /// A campaign's newest post, draft or published (what a test event shows).
    pub async fn newest_post(&self, campaign_id: i64) -> Result<Option<post::Model>, StoreError> {
        Ok(post::Entity::find()
            .filter(post::Column::CampaignId.eq(campaign_id))
            .order_by_desc(post::Column::Id)
            .one(self.db())
            .await?)
    }

    /// Applies `patch`. Unpausing also lifts a 410 disable and makes the queue due now; the
    /// failure count stays until a delivery succeeds.
    pub async fn update_webhook(
        &self,
        w: webhook::Model,
        patch: WebhookPatch,
        now: DateTime<Utc>,
    ) -> Result<webhook::Model, StoreError> {
        let mut row = w.into_active_model();
        if let Some(uri) = patch.uri {
            row.uri = Set(uri);
        }
        if let Some(triggers) = patch.triggers {
            row.triggers = Set(serde_json::to_string(&triggers).unwrap_or_else(|_| "[]".into()));
        }
        let unpaused = patch.paused == Some(false);
        if let Some(paused) = patch.paused {
            row.paused = Set(paused);
        }
        if unpaused {
            row.disabled_at = Set(None);
            row.next_attempt_at = Set(None);
        }
        row.updated_at = Set(now);
        let saved = row.update(self.db()).await?;
        if unpaused {
            self.signals().deliveries_due();
        }
        Ok(saved)
    }

    /// Deletes a webhook with its deliveries and their attempts.
    pub async fn delete_webhook(&self, id: i64) -> Result<(), StoreError> {
        webhook::Entity::delete_by_id(id).exec(self.db()).await?;
        Ok(())
    }

    /// A post, for a `posts:*` payload.
    pub async fn post_for_webhook(&self, id: i64) -> Result<Option<post::Model>, StoreError> {
        Ok(post::Entity::find_by_id(id).one(self.db()).await?)
    }
}
