//! Money movements: donations, and a paid donation recorded with the charge that paid for it.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::NotSet,
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, Query},
};

use crate::{
    Store, StoreError,
    billing::CHARGE_SUCCEEDED,
    dialect,
    entities::{charge, donation, event},
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

/// Donations per multi-row `INSERT` (14 bind parameters each): 3,584 parameters, well under
/// SQLite's 32,766 and PostgreSQL's 65,535.
pub const DONATION_CHUNK: usize = 256;

/// The row `one` becomes (its id still 0), paid by `charge_id` when known: a text message,
/// reason `Donation`, times to the microsecond.
fn donation_model(one: NewDonation, charge_id: Option<i64>) -> donation::Model {
    donation::Model {
        id: 0,
        recipient_user_id: one.recipient_user_id,
        donor_user_id: one.donor_user_id,
        username: one.username,
        message_type: "text".to_owned(),
        message: one.message,
        amount_cents: one.amount_cents,
        currency: one.currency,
        amount_in_user_currency_cents: one.amount_in_user_currency_cents,
        payin_system: one.payin_system,
        reason: "Donation".to_owned(),
        charge_id,
        is_shown: one.shown_at.is_some(),
        shown_at: one.shown_at.map(|at| at.trunc_subsecs(6)),
        created_at: one.created_at.trunc_subsecs(6),
    }
}

/// The `INSERT` values of `row`: every column but the id.
fn donation_row(row: &donation::Model) -> donation::ActiveModel {
    let mut active = donation::ActiveModel::from(row.clone());
    active.id = NotSet;
    active
}

impl Store {
    /// Records donations in one transaction, each with its `donation:create` event (for the
    /// recipient, stamped with the donation's time), returned in the order given. Two multi-row
    /// `INSERT`s per [`DONATION_CHUNK`] donations (the donations, then their events) and on
    /// PostgreSQL one `NOTIFY`, whatever the number: the group commit of
    /// `maecenas_core::donations` hands its whole batch here. Times are kept to the
    /// microsecond (PostgreSQL's precision) on both backends, so the rows returned are the rows
    /// stored.
    pub async fn create_donations(
        &self,
        new: Vec<NewDonation>,
    ) -> Result<Vec<donation::Model>, StoreError> {
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let txn = self.begin_write().await?;
        let created = insert_donations(&txn, new.into_iter().map(|one| (one, None))).await?;
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
        let txn = self.begin_write().await?;
        charge::Entity::update_many()
            .col_expr(charge::Column::Status, Expr::value(CHARGE_SUCCEEDED))
            .col_expr(charge::Column::GatewayReference, Expr::value(reference))
            .filter(charge::Column::Id.eq(charge_id))
            .exec(&txn)
            .await?;
        let row = insert_donations(&txn, [(new, Some(charge_id))])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
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

    /// How many donations are stored, and how many `donation:create` events name one of them
    /// (a donation without its event, or an event without its donation, makes them differ).
    pub async fn count_donations_and_events(&self) -> Result<(u64, u64), StoreError> {
        let donations = donation::Entity::find().count(self.db()).await?;
        let events = event::Entity::find()
            .filter(event::Column::Kind.eq(events::DONATION_CREATE))
            .filter(event::Column::SubjectType.eq("donation"))
            .filter(
                Expr::col(event::Column::SubjectId).in_subquery(
                    Query::select()
                        .expr(Expr::col(donation::Column::Id).cast_as(Alias::new("TEXT")))
                        .from(donation::Entity)
                        .to_owned(),
                ),
            )
            .count(self.db())
            .await?;
        Ok((donations, events))
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

/// Inserts donations (each paid by its charge, when known) and their `donation:create` events
/// (for the recipient, stamped with the donation's time) on `txn`, in chunks of
/// [`DONATION_CHUNK`]: one multi-row `INSERT` for the donations and one for their events each.
async fn insert_donations(
    txn: &DatabaseTransaction,
    new: impl IntoIterator<Item = (NewDonation, Option<i64>)>,
) -> Result<Vec<donation::Model>, StoreError> {
    let mut created = Vec::new();
    let mut rest = new.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<donation::Model> = rest
            .by_ref()
            .take(DONATION_CHUNK)
            .map(|(one, charge_id)| donation_model(one, charge_id))
            .collect();
        let insert = donation::Entity::insert_many(chunk.iter().map(donation_row)).into_query();
        let ids = dialect::insert_ids(txn, insert, chunk.len()).await?;
        let start = created.len();
        created.extend(
            chunk
                .into_iter()
                .zip(ids)
                .map(|(row, id)| donation::Model { id, ..row }),
        );
        events::record_many(
            txn,
            created[start..].iter().map(|row| {
                let change = Change {
                    kind: events::DONATION_CREATE,
                    user_id: Some(row.recipient_user_id),
                    campaign_id: None,
                    subject_type: "donation",
                    subject_id: row.id.to_string(),
                };
                (change, row.created_at)
            }),
        )
        .await?;
    }
    Ok(created)
}
