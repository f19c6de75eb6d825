//! `member_billing`: the billing engine's state of one member (see `maecenas_core::billing`).

use sea_orm::entity::prelude::*;

/// One member's billing state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_billing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    pub campaign_id: i64,
    /// The monthly pledge, minor units of the member's currency (0 for a free member).
    pub pledge_amount_cents: i64,
    /// The tier pledged to, if any.
    pub tier_id: Option<i64>,
    /// The gateway's token for the card (`sandbox:<number>` for the sandbox gateway).
    pub payment_method: Option<String>,
    /// The instant charge dates count from (charge-up-front and annual pledges).
    pub anchor_at: Option<DateTimeUtc>,
    /// When the scheduler next charges (or retries) this member; `None` when nothing is due.
    pub due_at: Option<DateTimeUtc>,
    /// The first decline of the current run of declines.
    pub declined_since: Option<DateTimeUtc>,
    /// Declined attempts since `declined_since`.
    pub decline_count: i64,
    /// Bumped by every write: writes are conditional on the version they read.
    pub version: i64,
    /// A scheduler instance holds this member until then.
    pub lease_until: Option<DateTimeUtc>,
    pub lease_owner: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
