//! `sandbox_clock`: the sandbox's persisted clock offset (one row), read by every process's
//! sandbox clock so a CLI `sandbox advance` moves a running server's time too.

use sea_orm::entity::prelude::*;

/// The offset row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_clock")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Seconds added to the wall clock.
    pub offset_seconds: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
