//! `benefits`: something a campaign promises its patrons, linked to tiers by `tier_benefits`.

use sea_orm::entity::prelude::*;

/// One benefit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "benefits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub title: String,
    pub description: String,
    pub benefit_type: String,
    pub rule_type: String,
    pub is_published: bool,
    pub is_deleted: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
