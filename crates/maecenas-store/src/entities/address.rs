//! `addresses`: a user's shipping address, for tiers that require shipping.

use sea_orm::entity::prelude::*;

/// One address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "addresses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub addressee: String,
    pub line_1: String,
    pub line_2: String,
    pub postal_code: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub phone_number: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
