//! The store's error type: what callers can act on (conflict, not found) apart from what they
//! can only report.

use sea_orm::{DbErr, SqlErr};

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or opened.
    #[error("cannot connect to the database at {url}: {reason}")]
    Connect {
        /// The URL, with any password removed.
        url: String,
        /// What the driver said.
        reason: String,
    },
    /// The database URL is not one Maecenas understands.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A unique constraint refused the write.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// Running migrations failed.
    #[error("migration failed: {0}")]
    Migrate(DbErr),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(DbErr),
}

impl StoreError {
    /// A store call made on the caller's behalf (by a batching task) that gave no answer: the
    /// task stopped before running it.
    pub fn no_answer(what: &str) -> Self {
        Self::Db(DbErr::Custom(format!("{what}: no answer")))
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(what)) => Self::Conflict(what),
            _ => Self::Db(err),
        }
    }
}
