//! `alert_widgets`: a creator's alert overlay, found by the hash of the secret in its URL.

use sea_orm::entity::prelude::*;

/// One creator's overlay.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_widgets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// SHA-256 (hex) of the URL's secret.
    pub secret_hash: String,
    /// Whether the overlay beeps for each alert.
    pub sound: bool,
    /// When the current secret was made.
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
