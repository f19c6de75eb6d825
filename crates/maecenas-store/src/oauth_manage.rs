//! Managing OAuth credentials after they were issued: registering a client with the details the
//! developer portal asks for, revoking one token (RFC 7009), finding a client owner's own
//! "creator" grants (grants minted without an authorization code) and a grant's live refresh
//! token.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use crate::{
    Store, StoreError,
    entities::{oauth_client, oauth_code, oauth_grant, oauth_token},
    oauth::NewOAuthClient,
    oauth_tokens::REFRESH,
};

/// The links a developer gives their client (shown on consent pages); empty when not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientLinks {
    pub icon_url: String,
    pub privacy_policy_url: String,
    pub tos_url: String,
}

impl Store {
    /// Registers an API v2 client with its links, in one insert. A taken `client_id` is
    /// [`StoreError::Conflict`].
    pub async fn create_oauth_client_with_links(
        &self,
        new: NewOAuthClient,
        links: ClientLinks,
        now: DateTime<Utc>,
    ) -> Result<oauth_client::Model, StoreError> {
        let redirect_uris = serde_json::to_string(&new.redirect_uris)
            .map_err(|e| StoreError::Db(sea_orm::DbErr::Json(e.to_string())))?;
        let row = oauth_client::ActiveModel {
            client_id: Set(new.client_id),
            secret_hash: Set(new.secret_hash),
            owner_user_id: Set(new.owner_user_id),
            name: Set(new.name),
            description: Set(new.description),
            author_name: Set(new.author_name),
            domain: Set(new.domain),
            redirect_uris: Set(redirect_uris),
            icon_url: Set(links.icon_url),
            privacy_policy_url: Set(links.privacy_policy_url),
            tos_url: Set(links.tos_url),
            api_version: Set(2),
            default_scopes: Set(new.default_scopes),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// Revokes one token (an access token named at the revocation endpoint). Idempotent.
    pub async fn revoke_oauth_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        oauth_token::Entity::update_many()
            .col_expr(oauth_token::Column::RevokedAt, Expr::value(now))
            .filter(oauth_token::Column::Id.eq(token_id))
            .filter(oauth_token::Column::RevokedAt.is_null())
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// The unrevoked grants `user_id` holds on `client_id` that were minted without an
    /// authorization code (the creator's own token, `admin token issue`), newest first.
    pub async fn live_codeless_grants(
        &self,
        client_id: i64,
        user_id: i64,
    ) -> Result<Vec<oauth_grant::Model>, StoreError> {
        let grants = oauth_grant::Entity::find()
            .filter(oauth_grant::Column::ClientId.eq(client_id))
            .filter(oauth_grant::Column::UserId.eq(user_id))
            .filter(oauth_grant::Column::RevokedAt.is_null())
            .order_by_desc(oauth_grant::Column::Id)
            .all(self.db())
            .await?;
        if grants.is_empty() {
            return Ok(grants);
        }
        let with_codes: Vec<i64> = oauth_code::Entity::find()
            .filter(oauth_code::Column::GrantId.is_in(grants.iter().map(|g| g.id)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| c.grant_id)
            .collect();
        Ok(grants
            .into_iter()
            .filter(|g| !with_codes.contains(&g.id))
            .collect())
    }

    /// The grant's refresh token that can still be spent at `now` (unused, unrevoked,
    /// unexpired), if any.
    pub async fn live_refresh_token(
        &self,
        grant_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<oauth_token::Model>, StoreError> {
        Ok(oauth_token::Entity::find()
            .filter(oauth_token::Column::GrantId.eq(grant_id))
            .filter(oauth_token::Column::Kind.eq(REFRESH))
            .filter(oauth_token::Column::UsedAt.is_null())
            .filter(oauth_token::Column::RevokedAt.is_null())
            .filter(oauth_token::Column::ExpiresAt.gt(now))
            .order_by_desc(oauth_token::Column::Id)
            .one(self.db())
            .await?)
    }
}
