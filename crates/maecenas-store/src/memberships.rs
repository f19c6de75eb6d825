//! Reading memberships for the API views: a user's memberships, the tiers members are entitled
//! to, and the patron counts shown on campaigns and tiers. Each read is one query whatever the
//! number of members, so a page of members costs a fixed number of round trips.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{address, campaign, member, member_tier, pledge_event, tier, user},
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

    /// One page of a campaign's members in id order, starting after `after`: a keyset read on
    /// the `(campaign_id, id)` index, so page 1000 costs what page 1 does.
    pub async fn members_page(
        &self,
        campaign_id: i64,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<member::Model>, StoreError> {
        let mut query = member::Entity::find().filter(member::Column::CampaignId.eq(campaign_id));
        if let Some(after) = after {
            query = query.filter(member::Column::Id.gt(after));
        }
        Ok(query
            .order_by_asc(member::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// How many members a campaign has.
    pub async fn count_members(&self, campaign_id: i64) -> Result<u64, StoreError> {
        Ok(member::Entity::find()
            .filter(member::Column::CampaignId.eq(campaign_id))
            .count(self.db())
            .await?)
    }

    /// The users with these ids.
    pub async fn users_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, user::Model>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().copied()))
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }

    /// The addresses with these ids.
    pub async fn addresses_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, address::Model>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = address::Entity::find()
            .filter(address::Column::Id.is_in(ids.iter().copied()))
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }

    /// The pledge history of each of `members`, oldest first.
    pub async fn pledge_histories(
        &self,
        members: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<pledge_event::Model>>, StoreError> {
        if members.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = pledge_event::Entity::find()
            .filter(pledge_event::Column::MemberId.is_in(members.iter().copied()))
            .order_by_asc(pledge_event::Column::Date)
            .order_by_asc(pledge_event::Column::Id)
            .all(self.db())
            .await?;
        let mut by_member: HashMap<Uuid, Vec<pledge_event::Model>> = HashMap::new();
        for row in rows {
            by_member.entry(row.member_id).or_default().push(row);
        }
        Ok(by_member)
    }
}
