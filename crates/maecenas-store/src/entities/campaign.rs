//! `campaigns`: a creator's membership page (one per creator).

use sea_orm::entity::prelude::*;

/// One campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub creator_id: i64,
    pub vanity: String,
    pub creation_name: String,
    pub summary: String,
    pub one_liner: String,
    pub pay_per_name: String,
    pub currency: String,
    pub is_monthly: bool,
    pub is_charged_immediately: bool,
    pub is_nsfw: bool,
    pub image_url: String,
    pub image_small_url: String,
    pub main_video_url: String,
    pub thanks_msg: String,
    pub thanks_video_url: String,
    pub discord_server_id: Option<String>,
    pub google_analytics_id: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
