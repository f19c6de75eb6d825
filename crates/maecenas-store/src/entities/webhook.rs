//! `webhooks`: a client's subscription to a campaign's events, with its signing secret.

use sea_orm::entity::prelude::*;

/// One webhook.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: i64,
    pub campaign_id: i64,
    pub uri: String,
    pub secret: String,
    pub triggers: String,
    pub paused: bool,
    pub num_consecutive_times_failed: i64,
    pub last_attempted_at: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
