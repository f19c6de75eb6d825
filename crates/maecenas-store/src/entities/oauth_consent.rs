//! `oauth_consents`: a consent page shown and not yet answered (single use, short-lived).

use sea_orm::entity::prelude::*;

/// One pending consent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub challenge_hash: String,
    pub user_id: i64,
    /// The client's numeric id.
    pub client_id: i64,
    pub redirect_uri: String,
    /// `code` or `token`.
    pub response_type: String,
    pub scopes: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
