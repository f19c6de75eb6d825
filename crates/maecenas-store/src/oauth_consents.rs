//! Consent pages waiting for an answer, and the grants a user has given (the "connected apps"
//! page). A consent is spent with a conditional `UPDATE … WHERE used_at IS NULL`, so answering
//! the same page twice, even concurrently, succeeds once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use crate::{
    Store, StoreError,
    entities::{oauth_client, oauth_consent, oauth_grant, oauth_token},
    oauth_tokens::Spent,
};

/// A consent page about to be shown.
#[derive(Debug, Clone)]
pub struct NewOAuthConsent {
    /// SHA-256 of the random challenge the form carries.
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
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Stores a pending consent.
    pub async fn create_oauth_consent(
        &self,
        new: NewOAuthConsent,
        now: DateTime<Utc>,
    ) -> Result<oauth_consent::Model, StoreError> {
        let row = oauth_consent::ActiveModel {
            challenge_hash: Set(new.challenge_hash),
            user_id: Set(new.user_id),
            client_id: Set(new.client_id),
            redirect_uri: Set(new.redirect_uri),
            response_type: Set(new.response_type),
            scopes: Set(new.scopes),
            state: Set(new.state),
            code_challenge: Set(new.code_challenge),
            expires_at: Set(new.expires_at),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// The consent whose challenge hashes to `challenge_hash`.
    pub async fn oauth_consent_by_hash(
        &self,
        challenge_hash: &str,
    ) -> Result<Option<oauth_consent::Model>, StoreError> {
        Ok(oauth_consent::Entity::find()
            .filter(oauth_consent::Column::ChallengeHash.eq(challenge_hash))
            .one(self.db())
            .await?)
    }

    /// Spends consent `id` if it is unspent and unexpired at `now`.
    pub async fn spend_oauth_consent(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Spent, StoreError> {
        let spent = oauth_consent::Entity::update_many()
            .col_expr(oauth_consent::Column::UsedAt, Expr::value(now))
            .filter(oauth_consent::Column::Id.eq(id))
            .filter(oauth_consent::Column::UsedAt.is_null())
            .filter(oauth_consent::Column::ExpiresAt.gt(now))
            .exec(self.db())
            .await?;
        Ok(if spent.rows_affected == 1 {
            Spent::Won
        } else {
            Spent::AlreadyUsed
        })
    }

    /// Deletes consents that expired before `now` (answered or not).
    pub async fn delete_expired_oauth_consents(
        &self,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(oauth_consent::Entity::delete_many()
            .filter(oauth_consent::Column::ExpiresAt.lte(now))
            .exec(self.db())
            .await?
            .rows_affected)
    }

    /// The user's unrevoked grants, newest first, each with its client.
    pub async fn live_oauth_grants_of(
        &self,
        user_id: i64,
    ) -> Result<Vec<(oauth_grant::Model, oauth_client::Model)>, StoreError> {
        let rows = oauth_grant::Entity::find()
            .filter(oauth_grant::Column::UserId.eq(user_id))
            .filter(oauth_grant::Column::RevokedAt.is_null())
            .order_by_desc(oauth_grant::Column::CreatedAt)
            .order_by_desc(oauth_grant::Column::Id)
            .all(self.db())
            .await?;
        let ids: Vec<i64> = rows.iter().map(|g| g.client_id).collect();
        let clients = oauth_client::Entity::find()
            .filter(oauth_client::Column::Id.is_in(ids))
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|g| {
                let client = clients.iter().find(|c| c.id == g.client_id)?.clone();
                Some((g, client))
            })
            .collect())
    }

    /// Revokes every live grant `user_id` gave client `client_id`, and every token under them.
    /// Returns how many grants were revoked.
    pub async fn revoke_oauth_grants_of(
        &self,
        user_id: i64,
        client_id: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let txn = self.begin_write().await?;
        let grants: Vec<i64> = oauth_grant::Entity::find()
            .filter(oauth_grant::Column::UserId.eq(user_id))
            .filter(oauth_grant::Column::ClientId.eq(client_id))
            .filter(oauth_grant::Column::RevokedAt.is_null())
            .all(&txn)
            .await?
            .into_iter()
            .map(|g| g.id)
            .collect();
        if grants.is_empty() {
            txn.rollback().await?;
            return Ok(0);
        }
        let revoked = oauth_grant::Entity::update_many()
            .col_expr(oauth_grant::Column::RevokedAt, Expr::value(now))
            .filter(oauth_grant::Column::Id.is_in(grants.clone()))
            .filter(oauth_grant::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        oauth_token::Entity::update_many()
            .col_expr(oauth_token::Column::RevokedAt, Expr::value(now))
            .filter(oauth_token::Column::GrantId.is_in(grants))
            .filter(oauth_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(revoked)
    }
}
