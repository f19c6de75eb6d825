//! The event outbox: every change integrations hear about is recorded here by the store method
//! that makes the change, inside that change's transaction, so an event exists exactly when its
//! change does. Webhook delivery and the real-time hub read from here and nowhere else.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::{Store, StoreError, entities::event};

/// A membership was created (Patreon trigger `members:create`).
pub const MEMBER_CREATE: &str = "members:create";
/// A membership with a pledge was created (Patreon trigger `members:pledge:create`).
pub const PLEDGE_CREATE: &str = "members:pledge:create";
/// A post was published (Patreon trigger `posts:publish`).
pub const POST_PUBLISH: &str = "posts:publish";
/// A donation arrived (DonationAlerts channel `$alerts:donation_<user id>`).
pub const DONATION_CREATE: &str = "donation:create";
/// An application posted a custom alert for a streamer's overlay (DonationAlerts).
pub const CUSTOM_ALERT_CREATE: &str = "custom_alert:create";

/// What changed, as an event row describes it. Renderers read the subject's current state by
/// `subject_type` and `subject_id`; the payload is left empty for now.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// One of the kind constants of this module.
    pub kind: &'static str,
    /// The user the change concerns (the patron of a membership, the recipient of a donation).
    pub user_id: Option<i64>,
    /// The campaign whose integrations hear about it.
    pub campaign_id: Option<i64>,
    /// `member`, `post`, `donation` or `custom_alert`.
    pub subject_type: &'static str,
    /// The subject's id as text (members have UUIDs).
    pub subject_id: String,
}

/// Writes the event row for `change` on `conn` — pass the transaction that makes the change.
pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    change: Change,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    event::ActiveModel {
        kind: Set(change.kind.to_owned()),
        user_id: Set(change.user_id),
        campaign_id: Set(change.campaign_id),
        subject_type: Set(change.subject_type.to_owned()),
        subject_id: Set(change.subject_id),
        payload: Set("{}".to_owned()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Up to `limit` events with an id above `after_id`, oldest first: how an outbox reader
    /// pages forward.
    pub async fn events_after(
        &self,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<event::Model>, StoreError> {
        Ok(event::Entity::find()
            .filter(event::Column::Id.gt(after_id))
            .order_by_asc(event::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// The newest event's id (0 when there is none): where a reader that only wants what
    /// happens from now on starts.
    pub async fn last_event_id(&self) -> Result<i64, StoreError> {
        let newest = event::Entity::find()
            .order_by_desc(event::Column::Id)
            .one(self.db())
            .await?;
        Ok(newest.map_or(0, |e| e.id))
    }
}
