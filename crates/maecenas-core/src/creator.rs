//! A creator's edits from the dashboard: their campaign (made on first save, published), tiers,
//! benefits, goals and posts. Each is validated here, then stored; posts through the store's
//! post writes, which record `posts:publish`, `posts:update` and `posts:delete` for webhooks in
//! the same transaction.

use maecenas_store::{
    Store, StoreError,
    campaigns::{NewBenefit, NewCampaign, NewGoal, NewPost, NewTier},
    entities::{campaign, post, tier, user},
    pages::{CampaignText, TierEdit},
    subject_changes::PostUpdate,
};
use maecenas_types::{Currency, SharedClock};

use crate::billing::MAX_PLEDGE_CENTS;

/// Longest title (campaign name, tier, benefit, goal, post), in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description or summary, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;
/// Longest post body, in characters.
pub const MAX_POST_CHARS: usize = 100_000;

/// Why an edit was refused. Each message is fit to show the person.
#[derive(Debug, thiserror::Error)]
pub enum CreatorError {
    /// A field was refused; the message says which and why.
    #[error("{field}: {message}")]
    Invalid {
        /// The form field at fault.
        field: &'static str,
        /// What to fix.
        message: String,
    },
    /// The tier or post is not this creator's.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CreatorError {
    CreatorError::Invalid {
        field,
        message: message.into(),
    }
}

fn text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, CreatorError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(invalid(field, "this cannot be empty"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    Ok(value.to_owned())
}

fn amount(field: &'static str, cents: i64) -> Result<i64, CreatorError> {
    if cents < 0 {
        return Err(invalid(field, "the amount cannot be negative"));
    }
    if cents > MAX_PLEDGE_CENTS {
        return Err(invalid(
            field,
            format!("at most {} a month", MAX_PLEDGE_CENTS / 100),
        ));
    }
    Ok(cents)
}

/// A campaign as the dashboard's form gives it.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    /// Used only when the campaign is made.
    pub vanity: String,
    /// Used only when the campaign is made.
    pub currency: String,
    pub creation_name: String,
    pub summary: String,
    pub one_liner: String,
}

/// A tier as the dashboard's form gives it.
#[derive(Debug, Clone)]
pub struct TierInput {
    pub title: String,
    pub description: String,
    pub amount_cents: i64,
    pub user_limit: Option<i64>,
    pub requires_shipping: bool,
    pub published: bool,
}

/// A post as the dashboard's form gives it.
#[derive(Debug, Clone)]
pub struct PostInput {
    pub title: String,
    pub content: String,
    /// Everyone may read it.
    pub is_public: bool,
    /// Only these tiers' patrons may read it (when not public); empty: any patron.
    pub tier_ids: Vec<i64>,
    /// Publish now (a draft otherwise; a published post stays published).
    pub publish: bool,
}

/// The creator edits service.
#[derive(Debug, Clone)]
pub struct Creator {
    store: Store,
    clock: SharedClock,
}

impl Creator {
    /// A service over `store`, reading time from `clock`.
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// Makes `user`'s campaign (published at once) or changes its words.
    pub async fn save_campaign(
        &self,
        user: &user::Model,
        input: CampaignInput,
    ) -> Result<campaign::Model, CreatorError> {
        let now = self.clock.now();
        let words = CampaignText {
            creation_name: text("creation_name", &input.creation_name, MAX_TITLE_CHARS, true)?,
            summary: text("summary", &input.summary, MAX_TEXT_CHARS, false)?,
            one_liner: text("one_liner", &input.one_liner, MAX_TITLE_CHARS, false)?,
        };
        if let Some(existing) = self.store.campaign_by_creator(user.id).await? {
            return Ok(self
                .store
                .update_campaign_text(existing, words, now)
                .await?);
        }
        let vanity = input.vanity.trim().to_ascii_lowercase();
        let good = (2..=64).contains(&vanity.len())
            && vanity
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !good {
            return Err(invalid(
                "vanity",
                "2 to 64 letters, digits, - or _ (it is the page's address)",
            ));
        }
        if self.store.campaign_by_vanity(&vanity).await?.is_some() {
            return Err(invalid("vanity", "this address is taken"));
        }
        let currency = Currency::parse(input.currency.trim())
            .map_err(|e| invalid("currency", e.to_string()))?;
        let created = self
            .store
            .create_campaign(
                NewCampaign {
                    creator_id: user.id,
                    vanity,
                    creation_name: words.creation_name,
                    summary: words.summary,
                    one_liner: words.one_liner,
                    currency: currency.code().to_owned(),
                    published_at: Some(now),
                },
                now,
            )
            .await;
        match created {
            Ok(c) => Ok(c),
            Err(StoreError::Conflict(_)) => Err(invalid("vanity", "this address is taken")),
            Err(err) => Err(err.into()),
        }
    }

    fn tier_fields(input: &TierInput) -> Result<(String, String, i64), CreatorError> {
        if input.user_limit.is_some_and(|l| l < 0) {
            return Err(invalid("user_limit", "a limit cannot be negative"));
        }
        Ok((
            text("title", &input.title, MAX_TITLE_CHARS, true)?,
            text("description", &input.description, MAX_TEXT_CHARS, false)?,
            amount("amount", input.amount_cents)?,
        ))
    }

    /// Adds a tier to `campaign`.
    pub async fn add_tier(
        &self,
        campaign: &campaign::Model,
        input: TierInput,
    ) -> Result<tier::Model, CreatorError> {
        let (title, description, amount_cents) = Self::tier_fields(&input)?;
        let sort_order = amount_cents;
        let now = self.clock.now();
        let created = self
            .store
            .create_tier(
                NewTier {
                    campaign_id: campaign.id,
                    title,
                    description,
                    amount_cents,
                    currency: campaign.currency.clone(),
                    user_limit: input.user_limit,
                    requires_shipping: input.requires_shipping,
                    sort_order,
                },
                now,
            )
            .await?;
        if input.published {
            return Ok(created);
        }
        let edit = TierEdit {
            title: created.title.clone(),
            description: created.description.clone(),
            amount_cents,
            user_limit: input.user_limit,
            requires_shipping: input.requires_shipping,
            published: false,
        };
        Ok(self.store.update_tier(created, edit, now).await?)
    }

    /// Changes tier `tier_id` of `campaign`.
    pub async fn edit_tier(
        &self,
        campaign: &campaign::Model,
        tier_id: i64,
        input: TierInput,
    ) -> Result<tier::Model, CreatorError> {
        let (title, description, amount_cents) = Self::tier_fields(&input)?;
        let existing = self
            .store
            .tier_by_id(tier_id)
            .await?
            .filter(|t| t.campaign_id == campaign.id)
            .ok_or(CreatorError::NotFound("tier"))?;
        let edit = TierEdit {
            title,
            description,
            amount_cents,
            user_limit: input.user_limit,
            requires_shipping: input.requires_shipping,
            published: input.published,
        };
        Ok(self
            .store
            .update_tier(existing, edit, self.clock.now())
            .await?)
    }

    /// Checks that every tier is `campaign`'s.
    async fn own_tiers(&self, campaign: &campaign::Model, ids: &[i64]) -> Result<(), CreatorError> {
        let tiers = self.store.tiers_of_campaign(campaign.id).await?;
        if ids.iter().all(|id| tiers.iter().any(|t| t.id == *id)) {
            Ok(())
        } else {
            Err(CreatorError::NotFound("tier"))
        }
    }

    /// Adds a benefit included in `tier_ids`.
    pub async fn add_benefit(
        &self,
        campaign: &campaign::Model,
        title: &str,
        description: &str,
        tier_ids: Vec<i64>,
    ) -> Result<(), CreatorError> {
        let new = NewBenefit {
            campaign_id: campaign.id,
            title: text("title", title, MAX_TITLE_CHARS, true)?,
            description: text("description", description, MAX_TEXT_CHARS, false)?,
            tier_ids,
        };
        self.own_tiers(campaign, &new.tier_ids).await?;
        self.store.create_benefit(new, self.clock.now()).await?;
        Ok(())
    }

    /// Adds a monthly goal.
    pub async fn add_goal(
        &self,
        campaign: &campaign::Model,
        title: &str,
        description: &str,
        amount_cents: i64,
    ) -> Result<(), CreatorError> {
        let amount_cents = amount("amount", amount_cents)?;
        if amount_cents == 0 {
            return Err(invalid("amount", "a goal needs an amount above zero"));
        }
        let new = NewGoal {
            campaign_id: campaign.id,
            title: text("title", title, MAX_TITLE_CHARS, true)?,
            description: text("description", description, MAX_TEXT_CHARS, false)?,
            amount_cents,
        };
        self.store.create_goal(new, self.clock.now()).await?;
        Ok(())
    }

    /// Deletes benefit `id` of `campaign` (kept as deleted, as Patreon does).
    pub async fn delete_benefit(
        &self,
        campaign: &campaign::Model,
        id: i64,
    ) -> Result<(), CreatorError> {
        if self.store.delete_benefit(campaign.id, id).await? {
            Ok(())
        } else {
            Err(CreatorError::NotFound("benefit"))
        }
    }

    /// Deletes goal `id` of `campaign`.
    pub async fn delete_goal(
        &self,
        campaign: &campaign::Model,
        id: i64,
    ) -> Result<(), CreatorError> {
        if self.store.delete_goal(campaign.id, id).await? {
            Ok(())
        } else {
            Err(CreatorError::NotFound("goal"))
        }
    }

    /// Writes a post on `campaign` by `user`; published now when asked (`posts:publish`).
    pub async fn write_post(
        &self,
        campaign: &campaign::Model,
        user: &user::Model,
        input: PostInput,
    ) -> Result<post::Model, CreatorError> {
        let title = text("title", &input.title, MAX_TITLE_CHARS, true)?;
        let content = text("content", &input.content, MAX_POST_CHARS, false)?;
        self.own_tiers(campaign, &input.tier_ids).await?;
        let now = self.clock.now();
        Ok(self
            .store
            .create_post(
                NewPost {
                    campaign_id: campaign.id,
                    user_id: user.id,
                    title,
                    content,
                    is_public: input.is_public,
                    published_at: input.publish.then_some(now),
                    tier_ids: input.tier_ids,
                },
                now,
            )
            .await?)
    }

    /// Changes post `post_id` (`posts:update` when published, `posts:publish` when this
    /// publishes a draft).
    pub async fn edit_post(
        &self,
        campaign: &campaign::Model,
        post_id: i64,
        input: PostInput,
    ) -> Result<post::Model, CreatorError> {
        let existing = self.post_of(campaign, post_id).await?;
        let title = text("title", &input.title, MAX_TITLE_CHARS, true)?;
        let content = text("content", &input.content, MAX_POST_CHARS, false)?;
        self.own_tiers(campaign, &input.tier_ids).await?;
        let now = self.clock.now();
        let publish = input.publish && existing.published_at.is_none();
        let update = PostUpdate {
            title: Some(title),
            content: Some(content),
            is_public: Some(input.is_public),
            published_at: publish.then_some(Some(now)),
            tier_ids: Some(input.tier_ids),
            ..PostUpdate::default()
        };
        Ok(self.store.update_post(existing.id, update, now).await?)
    }

    /// Deletes post `post_id` (`posts:delete` when it was published).
    pub async fn delete_post(
        &self,
        campaign: &campaign::Model,
        post_id: i64,
    ) -> Result<(), CreatorError> {
        let existing = self.post_of(campaign, post_id).await?;
        Ok(self
            .store
            .delete_post(existing.id, self.clock.now())
            .await?)
    }

    /// Post `post_id` of `campaign`.
    pub async fn post_of(
        &self,
        campaign: &campaign::Model,
        post_id: i64,
    ) -> Result<post::Model, CreatorError> {
        self.store
            .post_by_id(post_id)
            .await?
            .filter(|p| p.campaign_id == campaign.id)
            .ok_or(CreatorError::NotFound("post"))
    }
}
