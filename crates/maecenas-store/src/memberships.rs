//! Reading memberships for the API views: a user's memberships, the tiers members are entitled
//! to, and the patron counts shown on campaigns and tiers. Each read is one query whatever the
//! number of members, so a page of members costs a fixed number of round trips.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{campaign, member, member_tier, tier},
};

/// The status of a member who pays now.
pub const ACTIVE_PATRON: &str = "active_patron";

impl Store {
    /// Every membership of `user_id`, oldest first.
    pub async fn memberships_of_user(
        &self,
        user_id: i64,
    ) -> Result<Vec<member::Model>, StoreError> {
        Ok(member::Entity::find()
            .filter(member::Column::UserId.eq(user_id))
            .order_by_asc(member::Column::CreatedAt)
            .order_by_asc(member::Column::Id)
            .all(self.db())
            .await?)
    }

    /// The member with this id.
    pub async fn member_by_id(&self, id: Uuid) -> Result<Option<member::Model>, StoreError> {
        Ok(member::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// The tiers each of `members` is entitled to, cheapest first.
    pub async fn entitled_tiers(
        &self,
        members: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<tier::Model>>, StoreError> {
        if members.is_empty() {
            return Ok(HashMap::new());
        }
        let links: Vec<(Uuid, i64)> = member_tier::Entity::find()
            .select_only()
            .column(member_tier::Column::MemberId)
            .column(member_tier::Column::TierId)
            .filter(member_tier::Column::MemberId.is_in(members.iter().copied()))
            .into_tuple()
            .all(self.db())
            .await?;
        let tier_ids: Vec<i64> = links.iter().map(|(_, t)| *t).collect();
        let tiers: HashMap<i64, tier::Model> = tier::Entity::find()
            .filter(tier::Column::Id.is_in(tier_ids))
            .order_by_asc(tier::Column::AmountCents)
            .all(self.db())
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut by_member: HashMap<Uuid, Vec<tier::Model>> = HashMap::new();
        for (member_id, tier_id) in links {
            if let Some(tier) = tiers.get(&tier_id) {
                by_member.entry(member_id).or_default().push(tier.clone());
            }
        }
        for list in by_member.values_mut() {
            list.sort_by_key(|t| (t.amount_cents, t.id));
        }
        Ok(by_member)
    }

    /// The campaigns with these ids.
    pub async fn campaigns_by_ids(&self, ids: &[i64]) -> Result<Vec<campaign::Model>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(campaign::Entity::find()
            .filter(campaign::Column::Id.is_in(ids.iter().copied()))
            .order_by_asc(campaign::Column::Id)
            .all(self.db())
            .await?)
    }

    /// Active patrons per campaign, for `campaign_ids`.
    pub async fn patron_counts(
        &self,
        campaign_ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError> {
        if campaign_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, i64)> = member::Entity::find()
            .select_only()
            .column(member::Column::CampaignId)
            .column_as(member::Column::Id.count(), "patrons")
            .filter(member::Column::CampaignId.is_in(campaign_ids.iter().copied()))
            .filter(member::Column::PatronStatus.eq(ACTIVE_PATRON))
            .group_by(member::Column::CampaignId)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Active patrons entitled to each tier, for `tier_ids`.
    pub async fn tier_patron_counts(
        &self,
        tier_ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError> {
        if tier_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, i64)> = member_tier::Entity::find()
            .select_only()
            .column(member_tier::Column::TierId)
            .column_as(member_tier::Column::Id.count(), "patrons")
            .inner_join(member::Entity)
            .filter(member_tier::Column::TierId.is_in(tier_ids.iter().copied()))
            .filter(member::Column::PatronStatus.eq(ACTIVE_PATRON))
            .group_by(member_tier::Column::TierId)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows.into_iter().collect())
    }
}
