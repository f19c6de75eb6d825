//! `events`: the outbox — every change integrations hear about, written in the change's transaction.

use sea_orm::entity::prelude::*;

/// One event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub subject_type: String,
    pub subject_id: String,
    pub payload: String,
    pub created_at: DateTimeUtc,
    /// When the webhook dispatcher queued this event's deliveries (`None`: not yet).
    pub fanned_out_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
