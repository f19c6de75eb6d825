//! `posts`: what a creator publishes on a campaign; unpublished while `published_at` is `None`.

use sea_orm::entity::prelude::*;

/// One post.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub user_id: i64,
    pub title: String,
    pub content: String,
    pub embed_url: Option<String>,
    pub embed_data: Option<String>,
    pub image: Option<String>,
    pub is_public: bool,
    pub is_paid: bool,
    pub app_id: Option<i64>,
    pub app_status: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub edited_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
