//! The only place SQL lives. One code path (SeaORM over sqlx) for SQLite and PostgreSQL, one set
//! of migrations, queries grouped by aggregate, and the few backend-specific statements fenced
//! into [`dialect`].

pub mod accounts;
pub mod alerts;
pub mod campaigns;
mod connect;
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
pub mod pledges_v1;

pub use connect::{Backend, ConnectOptions};
pub use error::StoreError;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

/// A handle on the database: cheap to clone, shared by every request and background task.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH`, `sqlite::memory:` or `postgres://…`), creating a
    /// SQLite file and its directory when missing. Does not migrate.
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self, StoreError> {
        let (db, backend) = connect::open(url, options).await?;
        Ok(Self { db, backend })
    }

    /// Brings the schema up to date. Idempotent; safe while another instance runs.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migration::Migrator::up(&self.db, None)
            .await
            .map_err(StoreError::Migrate)
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

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}
