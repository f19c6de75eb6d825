//! `tiers` (v1: rewards): a price level of a campaign, in minor units of its currency.

use sea_orm::entity::prelude::*;

/// One tier.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "tiers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub title: String,
    pub description: String,
    pub amount_cents: i64,
    pub currency: String,
    pub user_limit: Option<i64>,
    pub requires_shipping: bool,
    pub published: bool,
    pub discord_role_ids: String,
    pub image_url: String,
    pub sort_order: i64,
    pub published_at: Option<DateTimeUtc>,
    pub unpublished_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub edited_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
