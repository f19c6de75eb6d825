//! Reading a campaign's published posts for the API views: keyset pages on
//! `(published_at, id)` (the `posts(campaign_id, published_at)` index), single posts, and the
//! tiers each post is shown to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::{
    Store, StoreError,
    entities::{post, post_tier},
};

/// Where a posts page starts: just past the post published at `published_at` with `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostAfter {
    pub published_at: DateTime<Utc>,
    pub id: i64,
}

fn published_of(campaign_id: i64) -> sea_orm::Select<post::Entity> {
    post::Entity::find()
        .filter(post::Column::CampaignId.eq(campaign_id))
        .filter(post::Column::PublishedAt.is_not_null())
}

impl Store {
    /// One page of a campaign's published posts ordered by `(published_at, id)` — newest first
    /// when `newest_first` — starting past `after`. Drafts are never listed.
    pub async fn posts_page(
        &self,
        campaign_id: i64,
        after: Option<PostAfter>,
        newest_first: bool,
        limit: u64,
    ) -> Result<Vec<post::Model>, StoreError> {
        let mut query = published_of(campaign_id);
        if let Some(after) = after {
            let at = post::Column::PublishedAt;
            let (past_time, past_id) = if newest_first {
                (at.lt(after.published_at), post::Column::Id.lt(after.id))
            } else {
                (at.gt(after.published_at), post::Column::Id.gt(after.id))
            };
            query = query.filter(
                Condition::any().add(past_time).add(
                    Condition::all()
                        .add(Expr::col(at).eq(after.published_at))
                        .add(past_id),
                ),
            );
        }
        query = if newest_first {
            query
                .order_by_desc(post::Column::PublishedAt)
                .order_by_desc(post::Column::Id)
        } else {
            query
                .order_by_asc(post::Column::PublishedAt)
                .order_by_asc(post::Column::Id)
        };
        Ok(query.limit(limit).all(self.db()).await?)
    }

    /// How many published posts a campaign has.
    pub async fn count_posts(&self, campaign_id: i64) -> Result<u64, StoreError> {
        Ok(published_of(campaign_id).count(self.db()).await?)
    }

    /// The post with this id, draft or published.
    pub async fn post_by_id(&self, id: i64) -> Result<Option<post::Model>, StoreError> {
        Ok(post::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// The tier ids each of `posts` is shown to, lowest id first.
    pub async fn post_tier_ids(&self, posts: &[i64]) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        if posts.is_empty() {
            return Ok(HashMap::new());
        }
        let links: Vec<(i64, i64)> = post_tier::Entity::find()
            .select_only()
            .column(post_tier::Column::PostId)
            .column(post_tier::Column::TierId)
            .filter(post_tier::Column::PostId.is_in(posts.iter().copied()))
            .order_by_asc(post_tier::Column::TierId)
            .into_tuple()
            .all(self.db())
            .await?;
        let mut by_post: HashMap<i64, Vec<i64>> = HashMap::new();
        for (post_id, tier_id) in links {
            by_post.entry(post_id).or_default().push(tier_id);
        }
        Ok(by_post)
    }
}
