//! The authorization server's moving parts: grants, authorization codes and access/refresh
//! tokens. Codes and refresh tokens are spent with a conditional `UPDATE … WHERE used_at IS NULL`
//! inside the transaction that mints their successors, so of two racing redemptions exactly one
//! wins on both backends. Refresh rotations come in batches (one transaction, one `UPDATE …
//! RETURNING`, one multi-row `INSERT` for many requests: group commit).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::Expr,
};

use crate::{
    Store, StoreError,
    entities::{oauth_client, oauth_code, oauth_grant, oauth_token},
};

/// `oauth_tokens.kind` of an access token.
pub const ACCESS: &str = "access";
/// `oauth_tokens.kind` of a refresh token.
pub const REFRESH: &str = "refresh";

/// An authorization code to store.
#[derive(Debug, Clone)]
pub struct NewOAuthCode {
    pub code_hash: String,
    pub grant_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    /// PKCE: the S256 challenge, when the authorization request carried one.
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewOAuthToken {
    pub token_hash: String,
    /// [`ACCESS`] or [`REFRESH`].
    pub kind: &'static str,
    pub grant_id: i64,
    pub scopes: String,
    pub expires_at: DateTime<Utc>,
}

/// One refresh-token rotation: spend `token_id`, store `tokens` in its place.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub token_id: i64,
    pub tokens: Vec<NewOAuthToken>,
}

/// A stored token with the grant it was issued under and that grant's client.
#[derive(Debug, Clone)]
pub struct TokenContext {
    pub token: oauth_token::Model,
    pub grant: oauth_grant::Model,
    pub client: oauth_client::Model,
}

/// What a spend-and-mint attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// This call spent the code or token and stored the new tokens.
    Won,
    /// It had already been spent (maybe by a racing call); nothing was stored.
    AlreadyUsed,
}

impl Store {
    /// The client with this numeric id (DonationAlerts clients name themselves by it).
    pub async fn oauth_client_by_id(
        &self,
        id: i64,
    ) -> Result<Option<oauth_client::Model>, StoreError> {
        Ok(oauth_client::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// Records a user's consent to a client for `scopes`.
    pub async fn create_oauth_grant(
        &self,
        client_id: i64,
        user_id: i64,
        scopes: &str,
        now: DateTime<Utc>,
    ) -> Result<oauth_grant::Model, StoreError> {
        let row = oauth_grant::ActiveModel {
            client_id: Set(client_id),
            user_id: Set(user_id),
            scopes: Set(scopes.to_owned()),
            created_at: Set(now),
            revoked_at: Set(None),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// A grant by id.
    pub async fn oauth_grant_by_id(
        &self,
        id: i64,
    ) -> Result<Option<oauth_grant::Model>, StoreError> {
        Ok(oauth_grant::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// Stores an authorization code.
    pub async fn create_oauth_code(
        &self,
        new: NewOAuthCode,
        now: DateTime<Utc>,
    ) -> Result<oauth_code::Model, StoreError> {
        let row = oauth_code::ActiveModel {
            code_hash: Set(new.code_hash),
            grant_id: Set(new.grant_id),
            redirect_uri: Set(new.redirect_uri),
            scopes: Set(new.scopes),
            code_challenge_method: Set(new.code_challenge.as_ref().map(|_| "S256".to_owned())),
            code_challenge: Set(new.code_challenge),
            expires_at: Set(new.expires_at),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        };
        Ok(row.insert(self.db()).await?)
    }

    /// The code whose hash is `code_hash`.
    pub async fn oauth_code_by_hash(
        &self,
        code_hash: &str,
    ) -> Result<Option<oauth_code::Model>, StoreError> {
        Ok(oauth_code::Entity::find()
            .filter(oauth_code::Column::CodeHash.eq(code_hash))
            .one(self.db())
            .await?)
    }

    /// The token whose hash is `token_hash` with its grant and the grant's client, in one
    /// query (a refresh, an API call, revocation and introspection all start here).
    pub async fn oauth_token_context(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenContext>, StoreError> {
        Ok(self
            .oauth_token_contexts(vec![token_hash.to_owned()])
            .await?
            .pop())
    }

    /// [`Self::oauth_token_context`] for many hashes at once (those found, in no order).
    pub async fn oauth_token_contexts(
        &self,
        token_hashes: Vec<String>,
    ) -> Result<Vec<TokenContext>, StoreError> {
        let found = oauth_token::Entity::find()
            .filter(oauth_token::Column::TokenHash.is_in(token_hashes))
            .find_also_related(oauth_grant::Entity)
            .and_also_related(oauth_client::Entity)
            .all(self.db())
            .await?;
        Ok(found
            .into_iter()
            .filter_map(|row| match row {
                (token, Some(grant), Some(client)) => Some(TokenContext {
                    token,
                    grant,
                    client,
                }),
                _ => None,
            })
            .collect())
    }

    /// Stores tokens outside any redemption (a creator's own token).
    pub async fn create_oauth_tokens(
        &self,
        tokens: Vec<NewOAuthToken>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        insert_tokens(&txn, tokens, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Spends code `code_id` and stores `tokens`, atomically: only if nobody spent it first.
    pub async fn redeem_oauth_code(
        &self,
        code_id: i64,
        tokens: Vec<NewOAuthToken>,
        now: DateTime<Utc>,
    ) -> Result<Spent, StoreError> {
        let txn = self.begin_write().await?;
        let spent = oauth_code::Entity::update_many()
            .col_expr(oauth_code::Column::UsedAt, Expr::value(now))
            .filter(oauth_code::Column::Id.eq(code_id))
            .filter(oauth_code::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        finish_spend(txn, spent.rows_affected, tokens, now).await
    }

    /// Spends refresh token `token_id` and stores its successors, atomically: only if it was
    /// unspent and unrevoked.
    pub async fn rotate_refresh_token(
        &self,
        token_id: i64,
        tokens: Vec<NewOAuthToken>,
        now: DateTime<Utc>,
    ) -> Result<Spent, StoreError> {
        let outcome = self
            .rotate_refresh_tokens(vec![Rotation { token_id, tokens }], now)
            .await?;
        Ok(outcome.first().copied().unwrap_or(Spent::AlreadyUsed))
    }

    /// Applies many rotations in one transaction and answers each in order: a rotation wins when
    /// its token was unspent and unrevoked and no earlier rotation of the batch named it.
    pub async fn rotate_refresh_tokens(
        &self,
        batch: Vec<Rotation>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Spent>, StoreError> {
        let ids: HashSet<i64> = batch.iter().map(|r| r.token_id).collect();
        let txn = self.begin_write().await?;
        let mut unspent: HashSet<i64> = oauth_token::Entity::update_many()
            .col_expr(oauth_token::Column::UsedAt, Expr::value(now))
            .filter(oauth_token::Column::Id.is_in(ids))
            .filter(oauth_token::Column::UsedAt.is_null())
            .filter(oauth_token::Column::RevokedAt.is_null())
            .exec_with_returning(&txn)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect();
        let mut outcome = Vec::with_capacity(batch.len());
        let mut rows = Vec::new();
        for rotation in batch {
            if unspent.remove(&rotation.token_id) {
                outcome.push(Spent::Won);
                rows.extend(rotation.tokens);
            } else {
                outcome.push(Spent::AlreadyUsed);
            }
        }
        insert_tokens(&txn, rows, now).await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Revokes a grant and every token issued under it (replayed code or refresh token).
    pub async fn revoke_oauth_grant(
        &self,
        grant_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        oauth_grant::Entity::update_many()
            .col_expr(oauth_grant::Column::RevokedAt, Expr::value(now))
            .filter(oauth_grant::Column::Id.eq(grant_id))
            .filter(oauth_grant::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        oauth_token::Entity::update_many()
            .col_expr(oauth_token::Column::RevokedAt, Expr::value(now))
            .filter(oauth_token::Column::GrantId.eq(grant_id))
            .filter(oauth_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Stores `tokens` with one multi-row INSERT.
async fn insert_tokens(
    conn: &impl ConnectionTrait,
    tokens: Vec<NewOAuthToken>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if tokens.is_empty() {
        return Ok(());
    }
    let rows = tokens.into_iter().map(|new| oauth_token::ActiveModel {
        token_hash: Set(new.token_hash),
        kind: Set(new.kind.to_owned()),
        grant_id: Set(new.grant_id),
        scopes: Set(new.scopes),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    });
    oauth_token::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// Ends a spend-then-issue transaction: stores `tokens` and commits when the conditional UPDATE
/// hit exactly one row; otherwise someone spent it first, so nothing is written.
async fn finish_spend(
    txn: sea_orm::DatabaseTransaction,
    rows_affected: u64,
    tokens: Vec<NewOAuthToken>,
    now: DateTime<Utc>,
) -> Result<Spent, StoreError> {
    if rows_affected != 1 {
        txn.rollback().await?;
        return Ok(Spent::AlreadyUsed);
    }
    insert_tokens(&txn, tokens, now).await?;
    txn.commit().await?;
    Ok(Spent::Won)
}
