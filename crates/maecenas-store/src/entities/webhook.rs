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
    /// The scopes of the token that created it: they decide what its payloads show.
    pub scopes: String,
    /// Only events after this one reach it (the newest event when it was created).
    pub after_event_id: i64,
    /// When its queue may be tried next (`None`: now); set by the retry schedule.
    pub next_attempt_at: Option<DateTimeUtc>,
    /// Until when a dispatcher owns its queue.
    pub lease_until: Option<DateTimeUtc>,
    /// Which dispatcher owns its queue.
    pub lease_owner: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
