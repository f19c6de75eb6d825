//! Seeding a campaign with many synthetic members fast, for load tests and benchmarks: batched
//! multi-row `INSERT`s (users, members, entitled tiers, one pledge event each) in one
//! transaction, naming only the columns whose schema default does not fit, so each statement
//! stays small. Unlike [`Store::create_members`] it records no events, so nothing downstream
//! (webhooks, sockets) hears of these members.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{
    Store, StoreError,
    entities::{member, member_tier, pledge_event, user},
    memberships::ACTIVE_PATRON,
};

/// Rows per `INSERT`: well under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters for
/// the widest statement here (members, 15 columns).
const BATCH: usize = 1000;

/// What [`Store::bulk_insert_members`] creates: `count` users, each an active patron of
/// `campaign_id` paying `amount_cents`, entitled to `tier_id` when given, with one
/// `pledge_start` event.
#[derive(Debug, Clone)]
pub struct BulkMembers {
    pub campaign_id: i64,
    pub count: usize,
    /// Makes the generated e-mails unique: `bulk-<label>-<n>@example.invalid`.
    pub label: String,
    pub tier_id: Option<i64>,
    pub amount_cents: i64,
    pub currency: String,
}

impl BulkMembers {
    /// The e-mail of the `i`-th generated member's account.
    pub fn email(&self, i: usize) -> String {
        format!("bulk-{}-{i}@example.invalid", self.label)
    }
}

impl Store {
    /// Creates the members `spec` describes, in one transaction; returns how many.
    pub async fn bulk_insert_members(
        &self,
        spec: &BulkMembers,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let txn = self.begin_write().await?;
        let mut done = 0;
        while done < spec.count {
            let n = BATCH.min(spec.count - done);
            let emails: Vec<String> = (done..done + n).map(|i| spec.email(i)).collect();
            user::Entity::insert_many(emails.iter().enumerate().map(|(k, email)| {
                let i = done + k;
                user::ActiveModel {
                    email: Set(email.clone()),
                    full_name: Set(format!("Patron {i}")),
                    is_email_verified: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&txn)
            .await?;
            let ids: HashMap<String, i64> = user::Entity::find()
                .select_only()
                .column(user::Column::Email)
                .column(user::Column::Id)
                .filter(user::Column::Email.is_in(emails.iter().cloned()))
                .into_tuple::<(String, i64)>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            let members: Vec<(Uuid, i64, DateTime<Utc>)> = emails
                .iter()
                .enumerate()
                .filter_map(|(k, email)| {
                    let started = now - Duration::minutes(i64::try_from(done + k).ok()?);
                    Some((Uuid::new_v4(), *ids.get(email)?, started))
                })
                .collect();
            member::Entity::insert_many(
                members
                    .iter()
                    .map(|&(id, user_id, started)| member_row(spec, id, user_id, started, now)),
            )
            .exec_without_returning(&txn)
            .await?;
            if let Some(tier_id) = spec.tier_id {
                member_tier::Entity::insert_many(members.iter().map(|&(member_id, _, _)| {
                    member_tier::ActiveModel {
                        member_id: Set(member_id),
                        tier_id: Set(tier_id),
                        ..Default::default()
                    }
                }))
                .exec_without_returning(&txn)
                .await?;
            }
            pledge_event::Entity::insert_many(members.iter().map(|&(member_id, _, started)| {
                pledge_event::ActiveModel {
                    member_id: Set(member_id),
                    event_type: Set("pledge_start".to_owned()),
                    amount_cents: Set(spec.amount_cents),
                    currency: Set(spec.currency.clone()),
                    payment_status: Set(Some("Paid".to_owned())),
                    pledge_payment_status: Set(Some("valid".to_owned())),
                    tier_id: Set(spec.tier_id),
                    date: Set(started),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&txn)
            .await?;
            done += n;
        }
        txn.commit().await?;
        Ok(done)
    }
}

fn member_row(
    spec: &BulkMembers,
    id: Uuid,
    user_id: i64,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> member::ActiveModel {
    member::ActiveModel {
        id: Set(id),
        campaign_id: Set(spec.campaign_id),
        user_id: Set(user_id),
        patron_status: Set(Some(ACTIVE_PATRON.to_owned())),
        currency: Set(spec.currency.clone()),
        currently_entitled_amount_cents: Set(spec.amount_cents),
        will_pay_amount_cents: Set(spec.amount_cents),
        lifetime_support_cents: Set(spec.amount_cents),
        campaign_lifetime_support_cents: Set(spec.amount_cents),
        pledge_relationship_start: Set(Some(started)),
        last_charge_date: Set(Some(started)),
        last_charge_status: Set(Some("Paid".to_owned())),
        next_charge_date: Set(Some(now + Duration::days(30))),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}
