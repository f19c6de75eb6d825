//! Reads for API v1: a campaign's pledges (its paying and declined members) paged by when the
//! pledge started, then id, and a campaign's goals.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{goal, member},
};

/// The member statuses v1 lists as pledges: paying now, or declined and not yet gone.
pub const PLEDGE_STATUSES: [&str; 2] = ["active_patron", "declined_patron"];

/// Where a v1 pledges page starts: after this start time, or at it after this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PledgeAfter {
    pub started: DateTime<Utc>,
    pub id: Option<Uuid>,
}

fn pledges_of(campaign_id: i64) -> sea_orm::Select<member::Entity> {
    member::Entity::find()
        .filter(member::Column::CampaignId.eq(campaign_id))
        .filter(member::Column::PatronStatus.is_in(PLEDGE_STATUSES))
        .filter(member::Column::PledgeRelationshipStart.is_not_null())
}

impl Store {
    /// One page of a campaign's pledges ordered by `(pledge_relationship_start, id)`, starting
    /// after `after`.
    pub async fn pledges_page(
        &self,
        campaign_id: i64,
        after: Option<PledgeAfter>,
        limit: u64,
    ) -> Result<Vec<member::Model>, StoreError> {
        let mut query = pledges_of(campaign_id);
        if let Some(after) = after {
            let start = member::Column::PledgeRelationshipStart;
            let mut cond = Condition::any().add(start.gt(after.started));
            if let Some(id) = after.id {
                cond = cond.add(
                    Condition::all()
                        .add(Expr::col(start).eq(after.started))
                        .add(member::Column::Id.gt(id)),
                );
            }
            query = query.filter(cond);
        }
        Ok(query
            .order_by_asc(member::Column::PledgeRelationshipStart)
            .order_by_asc(member::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// How many pledges a campaign has.
    pub async fn count_pledges(&self, campaign_id: i64) -> Result<u64, StoreError> {
        Ok(pledges_of(campaign_id).count(self.db()).await?)
    }

    /// A user's pledges to any campaign, oldest first.
    pub async fn pledges_of_user(&self, user_id: i64) -> Result<Vec<member::Model>, StoreError> {
        Ok(member::Entity::find()
            .filter(member::Column::UserId.eq(user_id))
            .filter(member::Column::PatronStatus.is_in(PLEDGE_STATUSES))
            .filter(member::Column::PledgeRelationshipStart.is_not_null())
            .order_by_asc(member::Column::PledgeRelationshipStart)
            .order_by_asc(member::Column::Id)
            .all(self.db())
            .await?)
    }

    /// A campaign's goals, cheapest first.
    pub async fn goals_of_campaign(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<goal::Model>, StoreError> {
        Ok(goal::Entity::find()
            .filter(goal::Column::CampaignId.eq(campaign_id))
            .order_by_asc(goal::Column::AmountCents)
            .order_by_asc(goal::Column::Id)
            .all(self.db())
            .await?)
    }
}
