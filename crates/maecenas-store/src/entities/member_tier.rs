//! `member_tiers`: the tiers a member is currently entitled to.

use sea_orm::entity::prelude::*;

/// One member–tier link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_tiers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: Uuid,
    pub tier_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::member::Entity",
        from = "Column::MemberId",
        to = "super::member::Column::Id"
    )]
    Member,
}

impl Related<super::member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Member.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
