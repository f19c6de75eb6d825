//! `members` (v1: pledges): a user's relationship to a campaign, keyed by a UUID.

use sea_orm::entity::prelude::*;

/// One membership.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: i64,
    pub user_id: i64,
    pub patron_status: Option<String>,
    pub is_follower: bool,
    pub is_free_trial: bool,
    pub is_gifted: bool,
    pub currency: String,
    pub currently_entitled_amount_cents: i64,
    pub will_pay_amount_cents: i64,
    pub pledge_cap_amount_cents: Option<i64>,
    pub pledge_cadence: i64,
    pub lifetime_support_cents: i64,
    pub campaign_lifetime_support_cents: i64,
    pub pledge_relationship_start: Option<DateTimeUtc>,
    pub last_charge_date: Option<DateTimeUtc>,
    pub last_charge_status: Option<String>,
    pub next_charge_date: Option<DateTimeUtc>,
    pub address_id: Option<i64>,
    pub note: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
