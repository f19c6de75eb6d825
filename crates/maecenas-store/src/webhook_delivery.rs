//! The webhook outbox's moving parts: fanning events out into deliveries (exactly once per
//! webhook, event and trigger, however many dispatchers try), claiming a webhook's queue with a
//! lease (one statement: `FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer
//! elsewhere; see [`crate::dialect::claim_lock`]), recording attempts and the webhook's state
//! after them in one transaction, and reading the delivery log.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Condition, Expr, OnConflict, Query},
};

use crate::{
    Store, StoreError,
    entities::{delivery_attempt, event, webhook, webhook_delivery},
};

/// A delivery status: waiting in its webhook's queue.
pub const PENDING: &str = "pending";
/// A delivery status: a receiver answered 2xx.
pub const DELIVERED: &str = "delivered";
/// The kind of the event rows behind "send test event" deliveries (no trigger listens to it).
pub const TEST_EVENT: &str = "webhooks:test";

/// One delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub webhook_id: i64,
    pub event_id: i64,
    pub trigger: String,
    pub body: String,
}

/// One HTTP attempt, as the log keeps it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: i64,
    pub attempted_at: DateTime<Utc>,
    /// The request headers as a JSON object.
    pub request_headers: String,
    pub response_status: Option<i64>,
    pub response_excerpt: String,
    pub error: Option<String>,
    pub latency_ms: i64,
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
}

/// The webhook's state after a run of attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookAfter {
    /// Every attempt succeeded: failures reset, the lease kept.
    Healthy,
    /// The head of the queue failed: try again at `at`; the lease is released.
    Retry { at: DateTime<Utc>, failures: i64 },
    /// The schedule is exhausted: paused until someone unpauses it.
    Paused { failures: i64 },
    /// The receiver answered 410 Gone.
    Disabled { failures: i64 },
}

impl Store {
    /// Up to `limit` events no dispatcher has fanned out yet, oldest first.
    pub async fn unfanned_events(&self, limit: u64) -> Result<Vec<event::Model>, StoreError> {
        Ok(event::Entity::find()
            .filter(event::Column::FannedOutAt.is_null())
            .order_by_asc(event::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// The enabled webhooks of these campaigns (paused ones still queue).
    pub async fn webhooks_listening(
        &self,
        campaign_ids: &[i64],
    ) -> Result<Vec<webhook::Model>, StoreError> {
        Ok(webhook::Entity::find()
            .filter(webhook::Column::CampaignId.is_in(campaign_ids.iter().copied()))
            .filter(webhook::Column::DisabledAt.is_null())
            .all(self.db())
            .await?)
    }

    /// Marks `event_ids` fanned out and queues the deliveries of those this call marked, in one
    /// transaction: an event another dispatcher marked first gets nothing from this one.
    /// Returns how many deliveries were queued.
    pub async fn fan_out(
        &self,
        event_ids: &[i64],
        deliveries: Vec<NewDelivery>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if event_ids.is_empty() {
            return Ok(0);
        }
        let txn = self.begin_write().await?;
        let backend = txn.get_database_backend();
        let mut mine = std::collections::HashSet::new();
        for chunk in event_ids.chunks(500) {
            let claim = Query::update()
                .table(event::Entity)
                .value(event::Column::FannedOutAt, now)
                .and_where(event::Column::Id.is_in(chunk.iter().copied()))
                .and_where(event::Column::FannedOutAt.is_null())
                .returning_col(event::Column::Id)
                .to_owned();
            for row in txn.query_all(backend.build(&claim)).await? {
                mine.insert(row.try_get::<i64>("", "id")?);
            }
        }
        let mut queued = 0;
        let rows: Vec<NewDelivery> = deliveries
            .into_iter()
            .filter(|d| mine.contains(&d.event_id))
            .collect();
        for chunk in rows.chunks(200) {
            let mut insert = Query::insert();
            insert.into_table(webhook_delivery::Entity).columns([
                webhook_delivery::Column::WebhookId,
                webhook_delivery::Column::EventId,
                webhook_delivery::Column::Trigger,
                webhook_delivery::Column::Status,
                webhook_delivery::Column::Attempts,
                webhook_delivery::Column::NextAttemptAt,
                webhook_delivery::Column::CreatedAt,
                webhook_delivery::Column::Body,
            ]);
            for d in chunk {
                insert
                    .values([
                        d.webhook_id.into(),
                        d.event_id.into(),
                        d.trigger.clone().into(),
                        PENDING.into(),
                        0_i64.into(),
                        now.into(),
                        now.into(),
                        d.body.clone().into(),
                    ])
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            insert.on_conflict(
                OnConflict::columns([
                    webhook_delivery::Column::WebhookId,
                    webhook_delivery::Column::EventId,
                    webhook_delivery::Column::Trigger,
                ])
                .do_nothing()
                .to_owned(),
            );
            queued += txn.execute(backend.build(&insert)).await?.rows_affected();
        }
        txn.commit().await?;
        if queued > 0 {
            self.signals().deliveries_due();
        }
        Ok(queued)
    }

    /// Claims up to `limit` webhooks whose queues are due — enabled, unpaused, past their retry
    /// time, not leased by anyone, with a pending delivery — for `owner` until `now + lease`.
    pub async fn claim_webhooks(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<webhook::Model>, StoreError> {
        let free = || {
            Condition::any()
                .add(Expr::col((webhook::Entity, webhook::Column::LeaseUntil)).is_null())
                .add(Expr::col((webhook::Entity, webhook::Column::LeaseUntil)).lt(now))
        };
        let has_pending = Query::select()
            .expr(Expr::val(1))
            .from(webhook_delivery::Entity)
            .and_where(
                Expr::col((
                    webhook_delivery::Entity,
                    webhook_delivery::Column::WebhookId,
                ))
                .equals((webhook::Entity, webhook::Column::Id)),
            )
            .and_where(
                Expr::col((webhook_delivery::Entity, webhook_delivery::Column::Status)).eq(PENDING),
            )
            .to_owned();
        let mut due = Query::select();
        due.column((webhook::Entity, webhook::Column::Id))
            .from(webhook::Entity)
            .and_where(Expr::col((webhook::Entity, webhook::Column::Paused)).eq(false))
            .and_where(Expr::col((webhook::Entity, webhook::Column::DisabledAt)).is_null())
            .cond_where(
                Condition::any()
                    .add(Expr::col((webhook::Entity, webhook::Column::NextAttemptAt)).is_null())
                    .add(Expr::col((webhook::Entity, webhook::Column::NextAttemptAt)).lte(now)),
            )
            .cond_where(free())
            .and_where(Expr::exists(has_pending))
            .order_by((webhook::Entity, webhook::Column::Id), sea_orm::Order::Asc)
            .limit(limit);
        let backend = self.db().get_database_backend();
        // Most wake-ups find nothing to claim (the due queues are leased already): find that
        // out with a read, since an UPDATE takes SQLite's one write lock even when it matches
        // nothing. A queue that becomes due just after is found by the next wake-up or poll.
        let probe = due.clone().limit(1).to_owned();
        if self.db().query_one(backend.build(&probe)).await?.is_none() {
            return Ok(Vec::new());
        }
        crate::dialect::claim_lock(&mut due);
        let claim = Query::update()
            .table(webhook::Entity)
            .value(webhook::Column::LeaseOwner, owner)
            .value(webhook::Column::LeaseUntil, now + lease)
            .and_where(Expr::col((webhook::Entity, webhook::Column::Id)).in_subquery(due))
            .cond_where(free())
            .returning_all()
            .to_owned();
        let rows = self.db().query_all(backend.build(&claim)).await?;
        let mut claimed = rows
            .iter()
            .map(|row| webhook::Model::from_query_result(row, ""))
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|w| w.id);
        Ok(claimed)
    }

    /// Extends `owner`'s lease on a webhook; false when it is no longer theirs.
    pub async fn renew_lease(
        &self,
        webhook_id: i64,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = webhook::Entity::update_many()
            .col_expr(webhook::Column::LeaseUntil, Expr::value(until))
            .filter(webhook::Column::Id.eq(webhook_id))
            .filter(webhook::Column::LeaseOwner.eq(owner))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Gives a claimed webhook back (its queue drained or the dispatcher stopping).
    pub async fn release_webhook(&self, webhook_id: i64, owner: &str) -> Result<(), StoreError> {
        webhook::Entity::update_many()
            .col_expr(
                webhook::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(webhook::Column::LeaseOwner, Expr::value(None::<String>))
            .filter(webhook::Column::Id.eq(webhook_id))
            .filter(webhook::Column::LeaseOwner.eq(owner))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Frees every lease `owner` holds (an instance starting again after a crash).
    pub async fn release_leases_of(&self, owner: &str) -> Result<u64, StoreError> {
        let done = webhook::Entity::update_many()
            .col_expr(
                webhook::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(webhook::Column::LeaseOwner, Expr::value(None::<String>))
            .filter(webhook::Column::LeaseOwner.eq(owner))
            .exec(self.db())
            .await?;
        Ok(done.rows_affected)
    }

    /// The next `limit` pending deliveries of a webhook, in queue (id) order.
    pub async fn pending_deliveries(
        &self,
        webhook_id: i64,
        limit: u64,
    ) -> Result<Vec<webhook_delivery::Model>, StoreError> {
        self.pending_deliveries_after(webhook_id, 0, limit).await
    }

    /// [`Self::pending_deliveries`] with an id above `after_id` (those up to it were sent and
    /// their attempts are not recorded yet).
    pub async fn pending_deliveries_after(
        &self,
        webhook_id: i64,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<webhook_delivery::Model>, StoreError> {
        Ok(webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .filter(webhook_delivery::Column::Id.gt(after_id))
            .order_by_asc(webhook_delivery::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Records a run of attempts on one webhook's queue and the webhook's state after it, in
    /// one transaction. The webhook's state changes only while `owner` holds its lease; when
    /// `after` is [`WebhookAfter::Healthy`] the lease is extended to `renew_until` in the same
    /// statement. Returns whether `owner` held the lease (and, healthy, still does).
    pub async fn record_attempts(
        &self,
        webhook_id: i64,
        owner: &str,
        attempts: Vec<Attempt>,
        after: WebhookAfter,
        now: DateTime<Utc>,
        renew_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        let delivered: Vec<i64> = attempts
            .iter()
            .filter(|a| a.delivered)
            .map(|a| a.delivery_id)
            .collect();
        let failed: Vec<i64> = attempts
            .iter()
            .filter(|a| !a.delivered)
            .map(|a| a.delivery_id)
            .collect();
        for chunk in attempts.chunks(200) {
            delivery_attempt::Entity::insert_many(chunk.iter().map(|a| {
                delivery_attempt::ActiveModel {
                    delivery_id: Set(a.delivery_id),
                    attempted_at: Set(a.attempted_at),
                    request_headers: Set(a.request_headers.clone()),
                    request_body: Set(String::new()),
                    response_status: Set(a.response_status),
                    response_excerpt: Set(a.response_excerpt.clone()),
                    error: Set(a.error.clone()),
                    latency_ms: Set(a.latency_ms),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        for (ids, status) in [(&delivered, DELIVERED), (&failed, PENDING)] {
            for chunk in ids.chunks(500) {
                let mut update = webhook_delivery::Entity::update_many()
                    .col_expr(webhook_delivery::Column::Status, Expr::value(status))
                    .col_expr(
                        webhook_delivery::Column::Attempts,
                        Expr::col(webhook_delivery::Column::Attempts).add(1),
                    )
                    .col_expr(webhook_delivery::Column::LastAttemptedAt, Expr::value(now));
                if status == DELIVERED {
                    update =
                        update.col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now));
                }
                update
                    .filter(webhook_delivery::Column::Id.is_in(chunk.iter().copied()))
                    .exec(&txn)
                    .await?;
            }
        }
        let none = Expr::value(None::<DateTime<Utc>>);
        let mut state = webhook::Entity::update_many()
            .col_expr(webhook::Column::LastAttemptedAt, Expr::value(now))
            .filter(webhook::Column::Id.eq(webhook_id))
            .filter(webhook::Column::LeaseOwner.eq(owner));
        let failures = match after {
            WebhookAfter::Healthy => 0,
            WebhookAfter::Retry { failures, at } => {
                state = state.col_expr(webhook::Column::NextAttemptAt, Expr::value(at));
                failures
            }
            WebhookAfter::Paused { failures } => {
                state = state.col_expr(webhook::Column::Paused, Expr::value(true));
                failures
            }
            WebhookAfter::Disabled { failures } => {
                state = state.col_expr(webhook::Column::DisabledAt, Expr::value(now));
                failures
            }
        };
        state = state.col_expr(
            webhook::Column::NumConsecutiveTimesFailed,
            Expr::value(failures),
        );
        if after == WebhookAfter::Healthy {
            state = state.col_expr(webhook::Column::LeaseUntil, Expr::value(renew_until));
        } else {
            state = state
                .col_expr(webhook::Column::LeaseUntil, none)
                .col_expr(webhook::Column::LeaseOwner, Expr::value(None::<String>));
        }
        let held = state.exec(&txn).await?.rows_affected == 1;
        txn.commit().await?;
        Ok(held)
    }

    /// The newest `limit` deliveries, of the given webhooks or of all.
    pub async fn recent_deliveries(
        &self,
        webhook_ids: Option<&[i64]>,
        limit: u64,
    ) -> Result<Vec<webhook_delivery::Model>, StoreError> {
        let mut q = webhook_delivery::Entity::find();
        if let Some(ids) = webhook_ids {
            q = q.filter(webhook_delivery::Column::WebhookId.is_in(ids.iter().copied()));
        }
        Ok(q.order_by_desc(webhook_delivery::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Every delivery of a webhook, in queue order (tests and the crash check).
    pub async fn deliveries_of(
        &self,
        webhook_id: i64,
    ) -> Result<Vec<webhook_delivery::Model>, StoreError> {
        Ok(webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
            .order_by_asc(webhook_delivery::Column::Id)
            .all(self.db())
            .await?)
    }

    /// The attempts at these deliveries, oldest first.
    pub async fn attempts_of(
        &self,
        delivery_ids: &[i64],
    ) -> Result<Vec<delivery_attempt::Model>, StoreError> {
        Ok(delivery_attempt::Entity::find()
            .filter(delivery_attempt::Column::DeliveryId.is_in(delivery_ids.iter().copied()))
            .order_by_asc(delivery_attempt::Column::Id)
            .all(self.db())
            .await?)
    }

    /// One delivery.
    pub async fn delivery(&self, id: i64) -> Result<Option<webhook_delivery::Model>, StoreError> {
        Ok(webhook_delivery::Entity::find_by_id(id)
            .one(self.db())
            .await?)
    }

    /// Queues a delivery again, same id and body (so the same `webhook-id`): as the oldest
    /// pending one of its webhook it goes out next.
    pub async fn resend_delivery(&self, id: i64) -> Result<(), StoreError> {
        let done = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Status, Expr::value(PENDING))
            .filter(webhook_delivery::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if done.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.signals().deliveries_due();
        Ok(())
    }

    /// Queues a test delivery with `body` for one webhook, behind a `webhooks:test` event row
    /// that is born fanned out (no other webhook hears of it).
    pub async fn queue_test_delivery(
        &self,
        w: &webhook::Model,
        trigger: &str,
        body: String,
        now: DateTime<Utc>,
    ) -> Result<webhook_delivery::Model, StoreError> {
        let txn = self.begin_write().await?;
        let e = event::ActiveModel {
            kind: Set(TEST_EVENT.to_owned()),
            user_id: Set(None),
            campaign_id: Set(Some(w.campaign_id)),
            subject_type: Set("webhook".to_owned()),
            subject_id: Set(w.id.to_string()),
            payload: Set("{}".to_owned()),
            created_at: Set(now),
            fanned_out_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let d = webhook_delivery::ActiveModel {
            webhook_id: Set(w.id),
            event_id: Set(e.id),
            trigger: Set(trigger.to_owned()),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            created_at: Set(now),
            body: Set(body),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.signals().deliveries_due();
        Ok(d)
    }
}
