//! Money movements: donations (charges and custom alerts join them here as they are built).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use crate::{
    Store, StoreError,
    entities::donation,
    events::{self, Change},
};

/// A donation to record.
#[derive(Debug, Clone)]
pub struct NewDonation {
    pub recipient_user_id: i64,
    /// The donor's account, when they were logged in.
    pub donor_user_id: Option<i64>,
    /// The name the donor typed.
    pub username: String,
    pub message: String,
    /// Minor units of `currency`.
    pub amount_cents: i64,
    /// ISO 4217 code the donor paid in.
    pub currency: String,
    /// The same amount in minor units of the recipient's main currency.
    pub amount_in_user_currency_cents: i64,
    /// How it was paid (`sandbox` for the built-in gateway).
    pub payin_system: String,
    /// When it arrived.
    pub created_at: DateTime<Utc>,
    /// When the alert was shown, if it was.
    pub shown_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Records donations in one transaction, each with its `donation:create` event (for the
    /// recipient, stamped with the donation's time).
    pub async fn create_donations(
        &self,
        new: Vec<NewDonation>,
    ) -> Result<Vec<donation::Model>, StoreError> {
        let txn = self.db().begin().await?;
        let mut created = Vec::with_capacity(new.len());
        for one in new {
            let row = donation::ActiveModel {
                recipient_user_id: Set(one.recipient_user_id),
                donor_user_id: Set(one.donor_user_id),
                username: Set(one.username),
                message_type: Set("text".to_owned()),
                message: Set(one.message),
                amount_cents: Set(one.amount_cents),
                currency: Set(one.currency),
                amount_in_user_currency_cents: Set(one.amount_in_user_currency_cents),
                payin_system: Set(one.payin_system),
                reason: Set("Donation".to_owned()),
                charge_id: Set(None),
                is_shown: Set(one.shown_at.is_some()),
                shown_at: Set(one.shown_at),
                created_at: Set(one.created_at),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let change = Change {
                kind: events::DONATION_CREATE,
                user_id: Some(row.recipient_user_id),
                campaign_id: None,
                subject_type: "donation",
                subject_id: row.id.to_string(),
            };
            events::record(&txn, change, row.created_at).await?;
            created.push(row);
        }
        txn.commit().await?;
        self.signals().events_written();
        Ok(created)
    }

    /// Up to `limit` donations to `recipient_user_id`, newest (highest id) first.
    pub async fn donations_to(
        &self,
        recipient_user_id: i64,
        limit: u64,
    ) -> Result<Vec<donation::Model>, StoreError> {
        Ok(donation::Entity::find()
            .filter(donation::Column::RecipientUserId.eq(recipient_user_id))
            .order_by_desc(donation::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }
}
