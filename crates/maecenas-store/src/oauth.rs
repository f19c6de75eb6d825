//! The OAuth provider's registered clients (grants, codes and tokens are in `oauth_tokens.rs`).
//! Secrets are stored as hashes only.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{Store, StoreError, entities::oauth_client};

/// A client to register.
#[derive(Debug, Clone)]
pub struct NewOAuthClient {
    /// The public identifier, unique.
    pub client_id: String,
    /// Hash of the client secret; `None` for a public client.
    pub secret_hash: Option<String>,
    pub owner_user_id: i64,
    pub name: String,
    pub description: String,
    pub author_name: String,
    pub domain: String,
    /// Exact redirect URIs the client may use (stored as a JSON array).
    pub redirect_uris: Vec<String>,
    /// Space-separated scopes asked for when an authorize request names none.
    pub default_scopes: String,
}

impl Store {
    /// Registers an API v2 client without links. A taken `client_id` is
    /// [`StoreError::Conflict`].
    pub async fn create_oauth_client(
        &self,
        new: NewOAuthClient,
        now: DateTime<Utc>,
    ) -> Result<oauth_client::Model, StoreError> {
        self.create_oauth_client_with_links(new, crate::oauth_manage::ClientLinks::default(), now)
            .await
    }

    /// The client with this public `client_id`.
    pub async fn oauth_client_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<oauth_client::Model>, StoreError> {
        Ok(oauth_client::Entity::find()
            .filter(oauth_client::Column::ClientId.eq(client_id))
            .one(self.db())
            .await?)
    }

    /// The clients a user registered, oldest first.
    pub async fn oauth_clients_owned_by(
        &self,
        owner_user_id: i64,
    ) -> Result<Vec<oauth_client::Model>, StoreError> {
        Ok(oauth_client::Entity::find()
            .filter(oauth_client::Column::OwnerUserId.eq(owner_user_id))
            .order_by_asc(oauth_client::Column::Id)
            .all(self.db())
            .await?)
    }
}
