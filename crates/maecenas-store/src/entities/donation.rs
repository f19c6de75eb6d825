//! `donations`: a one-off amount with a message, shown (or not yet) as a stream alert.

use sea_orm::entity::prelude::*;

/// One donation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "donations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub recipient_user_id: i64,
    pub donor_user_id: Option<i64>,
    pub username: String,
    pub message_type: String,
    pub message: String,
    pub amount_cents: i64,
    pub currency: String,
    pub amount_in_user_currency_cents: i64,
    pub payin_system: String,
    pub reason: String,
    pub charge_id: Option<i64>,
    pub is_shown: bool,
    pub shown_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
