//! The only place SQL lives. One code path (SeaORM over sqlx) for SQLite and PostgreSQL, one set
//! of migrations, queries grouped by aggregate, and the few backend-specific statements fenced
//! into [`dialect`].

pub mod accounts;
pub mod alert_widgets;
pub mod alerts;
pub mod billing;
pub mod bulk;
pub mod campaigns;
mod checkpoint;
mod connect;
pub mod data_version;
pub mod dialect;
pub mod entities;
mod error;
pub mod events;
pub mod members;
pub mod memberships;
pub mod migration;
pub mod money;
pub mod oauth;
pub mod oauth_consents;
pub mod oauth_manage;
pub mod oauth_tokens;
pub mod pages;
pub mod pledges_v1;
pub mod posts;
pub mod sandbox;
pub mod subject_changes;
mod wal_watch;
pub mod webhook_delivery;
pub mod webhooks;

pub use connect::{Backend, ConnectOptions};
pub use data_version::{DataVersion, VersionProbe};
pub use error::StoreError;
pub use sea_orm::DbErr;

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, Statement,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::Notify;

/// A handle on the database: cheap to clone, shared by every request and background task.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    signals: Arc<Signals>,
    schema_epoch: Arc<connect::SchemaEpoch>,
    /// SQLite on a file: the background checkpoints ([`checkpoint`]), shared by every clone.
    checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

/// In-process wake-ups for background readers of the outbox: a writer signals after its commit;
/// readers also poll, so a signal from another process is never needed for correctness.
#[derive(Debug, Default)]
pub struct Signals {
    events: Notify,
    deliveries: Notify,
    /// Bumped with each [`Self::events_written`], for any number of readers
    /// ([`events::EventWaiter`]).
    event_count: tokio::sync::watch::Sender<u64>,
    /// Bumped with each [`Self::deliveries_due`], for any number of queue drainers.
    delivery_count: tokio::sync::watch::Sender<u64>,
}

impl Signals {
    /// A transaction that wrote event rows has committed.
    pub fn events_written(&self) {
        self.events.notify_one();
        self.event_count.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn watch_events(&self) -> tokio::sync::watch::Receiver<u64> {
        self.event_count.subscribe()
    }

    /// Completes after the next [`Self::events_written`] (or at once if one is pending).
    pub async fn wait_events(&self) {
        self.events.notified().await;
    }

    /// Deliveries became due (fanned out, unpaused, resent).
    pub fn deliveries_due(&self) {
        self.deliveries.notify_one();
        self.delivery_count.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every later [`Self::deliveries_due`] (each clone of it on its own).
    pub fn watch_deliveries(&self) -> tokio::sync::watch::Receiver<u64> {
        self.delivery_count.subscribe()
    }

    /// Completes after the next [`Self::deliveries_due`] (or at once if one is pending).
    pub async fn wait_deliveries(&self) {
        self.deliveries.notified().await;
    }
}

impl Store {
    /// Connects to `url` (`sqlite://PATH`, `sqlite::memory:` or `postgres://…`), creating a
    /// SQLite file and its directory when missing. Does not migrate.
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self, StoreError> {
        let schema_epoch = Arc::new(connect::SchemaEpoch::default());
        let (db, backend) = connect::open(url, options, schema_epoch.clone()).await?;
        let checkpointer = connect::wal_file(&db, backend)
            .map(|options| Arc::new(checkpoint::Checkpointer::start(options)));
        Ok(Self {
            db,
            backend,
            schema_epoch,
            signals: Arc::new(Signals::default()),
            checkpointer,
        })
    }

    /// A store over one connection of its own (same database and settings, same signals), for
    /// a single writer task: its connection is never handed to anyone else, so on SQLite its
    /// page cache stays valid from one of its transactions to the next instead of being
    /// re-read after every other connection's commit. Connects when first used.
    pub fn own_connection(&self) -> Self {
        Self {
            db: connect::single(&self.db, self.backend, Arc::clone(&self.schema_epoch)),
            backend: self.backend,
            signals: Arc::clone(&self.signals),
            schema_epoch: Arc::clone(&self.schema_epoch),
            checkpointer: self.checkpointer.clone(),
        }
    }

    /// Brings the schema up to date. Idempotent; safe while another instance runs.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let done = migration::Migrator::up(&self.db, None)
            .await
            .map_err(StoreError::Migrate);
        self.schema_epoch.changed();
        done
    }

    /// Names of the migrations applied so far, oldest first.
    pub async fn applied_migrations(&self) -> Result<Vec<String>, StoreError> {
        let applied = migration::Migrator::get_applied_migrations(&self.db)
            .await
            .map_err(StoreError::Migrate)?;
        Ok(applied.iter().map(|m| m.name().to_owned()).collect())
    }

    /// One round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Which database engine this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every pooled connection.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }

    /// Wake-ups shared by every clone of this store.
    pub fn signals(&self) -> &Signals {
        &self.signals
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Begins a transaction that writes. On SQLite its first statement takes the write lock,
    /// waiting out the busy timeout if another connection holds it: SQLite refuses at once,
    /// without waiting, to turn a read into a write when another connection committed since the
    /// read began, so a transaction that reads before it writes would fail under any concurrent
    /// writer. SeaORM cannot send `BEGIN IMMEDIATE`; a write that matches no row takes the same
    /// lock. (A prepared statement, kept in the connection's cache: `execute_unprepared` would
    /// parse it again for every transaction.)
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let txn = self.db.begin().await?;
        if self.backend == Backend::Sqlite {
            txn.execute(Statement::from_string(
                DatabaseBackend::Sqlite,
                "UPDATE users SET id = id WHERE 0",
            ))
            .await?;
        }
        Ok(txn)
    }
}
