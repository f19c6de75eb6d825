//! `pledge_events`: a member's pledge history (start, upgrade, downgrade, delete, monthly charge).

use sea_orm::entity::prelude::*;

/// One pledge event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pledge_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub member_id: Uuid,
    pub event_type: String,
    pub amount_cents: i64,
    pub currency: String,
    pub payment_status: Option<String>,
    pub pledge_payment_status: Option<String>,
    pub tier_id: Option<i64>,
    pub tier_title: Option<String>,
    pub date: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
