//! `oauth_clients`: a registered OAuth application; only the hash of its secret is kept.

use sea_orm::entity::prelude::*;

/// One OAuth client.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: String,
    pub secret_hash: Option<String>,
    pub owner_user_id: i64,
    pub name: String,
    pub description: String,
    pub author_name: String,
    pub domain: String,
    pub redirect_uris: String,
    pub icon_url: String,
    pub privacy_policy_url: String,
    pub tos_url: String,
    pub api_version: i64,
    pub default_scopes: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
