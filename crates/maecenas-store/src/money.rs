//! Money movements: donations, and a paid donation recorded with the charge that paid for it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr,
};

use crate::{
    Store, StoreError,
    billing::CHARGE_SUCCEEDED,
    entities::{charge, donation},
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
            created.push(insert_donation(&txn, one, None).await?);
        }
        txn.commit().await?;
        self.signals().events_written();
        Ok(created)
    }

    /// Settles reserved charge `charge_id` as paid (`reference` from the gateway) and records
    /// its donation with the `donation:create` event, in one transaction.
    pub async fn record_paid_donation(
        &self,
        charge_id: i64,
        reference: String,
        new: NewDonation,
    ) -> Result<donation::Model, StoreError> {
        let txn = self.db().begin().await?;
        charge::Entity::update_many()
            .col_expr(charge::Column::Status, Expr::value(CHARGE_SUCCEEDED))
            .col_expr(charge::Column::GatewayReference, Expr::value(reference))
            .filter(charge::Column::Id.eq(charge_id))
            .exec(&txn)
            .await?;
        let row = insert_donation(&txn, new, Some(charge_id)).await?;
        txn.commit().await?;
        self.signals().events_written();
        Ok(row)
    }

    /// The donation charge `charge_id` paid for, if it was recorded.
    pub async fn donation_by_charge(
        &self,
        charge_id: i64,
    ) -> Result<Option<donation::Model>, StoreError> {
        Ok(donation::Entity::find()
            .filter(donation::Column::ChargeId.eq(charge_id))
            .one(self.db())
            .await?)
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

/// Inserts one donation (paid by `charge_id`, when known) and its `donation:create` event (for
/// the recipient, stamped with the donation's time).
async fn insert_donation(
    txn: &DatabaseTransaction,
    one: NewDonation,
    charge_id: Option<i64>,
) -> Result<donation::Model, StoreError> {
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
        charge_id: Set(charge_id),
        is_shown: Set(one.shown_at.is_some()),
        shown_at: Set(one.shown_at),
        created_at: Set(one.created_at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let change = Change {
        kind: events::DONATION_CREATE,
        user_id: Some(row.recipient_user_id),
        campaign_id: None,
        subject_type: "donation",
        subject_id: row.id.to_string(),
    };
    events::record(txn, change, row.created_at).await?;
    Ok(row)
}
