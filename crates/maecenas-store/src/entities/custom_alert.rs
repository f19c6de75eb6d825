//! `custom_alerts`: an alert a streamer's own app posts for the overlay.

use sea_orm::entity::prelude::*;

/// One custom alert.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub external_id: Option<String>,
    pub header: String,
    pub message: String,
    pub image_url: Option<String>,
    pub sound_url: Option<String>,
    pub is_shown: bool,
    pub shown_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
