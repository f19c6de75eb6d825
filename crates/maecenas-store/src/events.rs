//! The event outbox: every change integrations hear about is recorded here by the store method
//! that makes the change, inside that change's transaction, so an event exists exactly when its
//! change does. Webhook delivery and the real-time hub read from here and nowhere else.
//!
//! Readers need not poll fast: [`EventWaiter`] wakes them when this process commits an event
//! and, on PostgreSQL, when any process does (`NOTIFY` in the event's transaction, delivered at
//! commit), and on SQLite when any process does (a watch on the database's `-wal` file,
//! [`crate::wal_watch`]). Polling stays as the fallback.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sqlx::postgres::{PgListener, PgPoolOptions},
};
use tokio::sync::watch;

use crate::{Store, StoreError, entities::event};

/// A membership was created (Patreon trigger `members:create`).
pub const MEMBER_CREATE: &str = "members:create";
/// A membership with a pledge was created (Patreon trigger `members:pledge:create`).
pub const PLEDGE_CREATE: &str = "members:pledge:create";
/// A post was published (Patreon trigger `posts:publish`).
pub const POST_PUBLISH: &str = "posts:publish";
/// A membership changed (Patreon trigger `members:update`).
pub const MEMBER_UPDATE: &str = "members:update";
/// A membership was deleted (Patreon trigger `members:delete`).
pub const MEMBER_DELETE: &str = "members:delete";
/// A member changed their pledge (Patreon trigger `members:pledge:update`).
pub const PLEDGE_UPDATE: &str = "members:pledge:update";
/// A member deleted their pledge (Patreon trigger `members:pledge:delete`).
pub const PLEDGE_DELETE: &str = "members:pledge:delete";
/// A published post was edited (Patreon trigger `posts:update`).
pub const POST_UPDATE: &str = "posts:update";
/// A published post was deleted (Patreon trigger `posts:delete`).
pub const POST_DELETE: &str = "posts:delete";
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
    record_with(conn, change, "{}".to_owned(), at).await
}

/// Like [`record`], keeping `snapshot` (the subject as it was, JSON) in the event's payload
/// so it renders after the subject changes again or is gone.
pub(crate) async fn record_with(
    conn: &impl ConnectionTrait,
    change: Change,
    snapshot: String,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    event::ActiveModel {
        kind: Set(change.kind.to_owned()),
        user_id: Set(change.user_id),
        campaign_id: Set(change.campaign_id),
        subject_type: Set(change.subject_type.to_owned()),
        subject_id: Set(change.subject_id),
        payload: Set(snapshot),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_unprepared(crate::dialect::NOTIFY_EVENTS)
            .await?;
    }
    Ok(())
}

/// Writes the event rows for `changes` (each with its time) on `conn` in one multi-row
/// `INSERT`, and on PostgreSQL one `NOTIFY` for them all. Keep the number of changes under
/// 4,000 (7 bind parameters each).
pub(crate) async fn record_many(
    conn: &impl ConnectionTrait,
    changes: impl IntoIterator<Item = (Change, DateTime<Utc>)>,
) -> Result<(), DbErr> {
    let rows: Vec<event::ActiveModel> = changes
        .into_iter()
        .map(|(change, at)| event::ActiveModel {
            kind: Set(change.kind.to_owned()),
            user_id: Set(change.user_id),
            campaign_id: Set(change.campaign_id),
            subject_type: Set(change.subject_type.to_owned()),
            subject_id: Set(change.subject_id),
            payload: Set("{}".to_owned()),
            created_at: Set(at),
            ..Default::default()
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    event::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_unprepared(crate::dialect::NOTIFY_EVENTS)
            .await?;
    }
    Ok(())
}

/// Wakes an event-log reader. Get one from [`Store::event_waiter`].
pub struct EventWaiter {
    local: watch::Receiver<u64>,
    postgres: Option<PgListener>,
    sqlite: Option<crate::wal_watch::WalWatch>,
}

impl std::fmt::Debug for EventWaiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventWaiter")
            .field("postgres", &self.postgres.is_some())
            .field("sqlite", &self.sqlite.is_some())
            .finish_non_exhaustive()
    }
}

impl EventWaiter {
    /// Returns when an event may have been committed, or after `max` at the latest.
    pub async fn wait(&mut self, max: Duration) {
        let deadline = tokio::time::sleep(max);
        tokio::pin!(deadline);
        let notified = async {
            match (&mut self.postgres, &mut self.sqlite) {
                (Some(listener), _) => {
                    if let Err(err) = listener.recv().await {
                        tracing::debug!(error = %err, "event LISTEN connection lost; polling");
                        std::future::pending::<()>().await;
                    }
                }
                (None, Some(wal)) => wal.changed().await,
                (None, None) => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = self.local.changed() => if changed.is_err() { (&mut deadline).await },
            () = notified => {}
            () = &mut deadline => {}
        }
    }
}

impl Store {
    /// A waiter woken by events committed here and by other processes: through `LISTEN` on
    /// PostgreSQL, through a watch on the `-wal` file on SQLite (the local signal alone when
    /// neither can be set up).
    ///
    /// The `LISTEN` connection is the waiter's own, outside the store's pool: a pooled one would
    /// be held for the waiter's whole life, taking a slot and making [`Store::close`] wait for it.
    pub async fn event_waiter(&self) -> EventWaiter {
        let mut postgres = None;
        let mut sqlite = None;
        if self.backend() == crate::Backend::Sqlite {
            let options = self.db().get_sqlite_connection_pool().connect_options();
            sqlite = crate::wal_watch::WalWatch::new(options.get_filename());
        }
        if self.backend() == crate::Backend::Postgres {
            let options = self.db().get_postgres_connection_pool().connect_options();
            let own = PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with((*options).clone());
            match PgListener::connect_with(&own).await {
                Ok(mut listener) => match listener.listen(crate::dialect::EVENTS_CHANNEL).await {
                    Ok(()) => postgres = Some(listener),
                    Err(err) => tracing::warn!(error = %err, "cannot LISTEN for events; polling"),
                },
                Err(err) => tracing::warn!(error = %err, "cannot LISTEN for events; polling"),
            }
        }
        EventWaiter {
            local: self.signals().watch_events(),
            postgres,
            sqlite,
        }
    }

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
