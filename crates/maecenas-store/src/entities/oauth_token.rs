//! `oauth_tokens`: an access or refresh token (hashed) issued under a grant.

use sea_orm::entity::prelude::*;

/// One token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub token_hash: String,
    pub kind: String,
    pub grant_id: i64,
    pub scopes: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The grant the token was issued under.
    #[sea_orm(
        belongs_to = "super::oauth_grant::Entity",
        from = "Column::GrantId",
        to = "super::oauth_grant::Column::Id"
    )]
    Grant,
}

impl Related<super::oauth_grant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Grant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
