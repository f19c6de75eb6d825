//! `tier_benefits`: which benefits a tier includes.

use sea_orm::entity::prelude::*;

/// One tier–benefit link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tier_benefits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tier_id: i64,
    pub benefit_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
