//! The authorization server's moving parts: grants, authorization codes and access/refresh
//! tokens. Codes and refresh tokens are spent with a conditional `UPDATE … WHERE used_at IS NULL`
//! inside the transaction that mints their successors, so of two racing redemptions exactly one
//! wins on both backends. Refresh rotations come in batches (one transaction, one `UPDATE`, one
//! multi-row `INSERT` for many requests: group commit).
//!
//! The token endpoint's three hot statements (the lookup, the rotation's `UPDATE`, the `INSERT`)
//! are written as SQL text with lists padded to a power of two: a handful of texts, each
//! prepared once per connection and kept in its statement cache, where a query built per batch
//! would be built, then parsed and planned again for almost every batch size.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryResult, Statement, Value, sea_query::Expr,
};

use crate::{
    Store, StoreError, dialect,
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
    pub client: ClientKey,
}

/// What a token's lookup carries of its client: enough to authenticate it at the token
/// endpoint.
#[derive(Debug, Clone)]
pub struct ClientKey {
    pub id: i64,
    pub client_id: String,
    pub secret_hash: Option<String>,
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
        if token_hashes.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.db().get_database_backend();
        let values = padded(token_hashes.into_iter().map(Value::from).collect());
        let sql = format!(
            "SELECT t.id, t.token_hash, t.kind, t.grant_id, t.scopes, t.expires_at, t.used_at, \
             t.revoked_at, t.created_at, g.client_id, g.user_id, g.scopes, g.created_at, \
             g.revoked_at, c.client_id, c.secret_hash \
             FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id \
             JOIN oauth_clients c ON c.id = g.client_id WHERE t.token_hash IN ({})",
            dialect::placeholders(backend, 1, values.len())
        );
        let rows = self
            .db()
            .query_all(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(rows.iter().map(token_context).collect::<Result<_, _>>()?)
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
    ///
    /// One `UPDATE` spends every token named; when it spends them all (no token was spent
    /// before), every first rotation of a token won. Otherwise (a reuse, or a race) that is
    /// rolled back and the tokens are spent one `UPDATE` each, to learn which were unspent: on
    /// SQLite a `RETURNING` list would come back a row at a time from the connection's thread.
    pub async fn rotate_refresh_tokens(
        &self,
        batch: Vec<Rotation>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Spent>, StoreError> {
        let mut ids: Vec<i64> = Vec::with_capacity(batch.len());
        for rotation in &batch {
            if !ids.contains(&rotation.token_id) {
                ids.push(rotation.token_id);
            }
        }
        let mut txn = self.begin_write().await?;
        let mut unspent: HashSet<i64> = if spend_tokens(&txn, &ids, now).await? == ids.len() {
            ids.into_iter().collect()
        } else {
            txn.rollback().await?;
            txn = self.begin_write().await?;
            let mut unspent = HashSet::new();
            for id in ids {
                if spend_tokens(&txn, &[id], now).await? == 1 {
                    unspent.insert(id);
                }
            }
            unspent
        };
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

/// Stores `tokens` with one multi-row `INSERT` (its list padded with copies of the last row,
/// which the unique `token_hash` skips). A hash already stored is a [`StoreError::Conflict`],
/// as it would be without the `ON CONFLICT`.
async fn insert_tokens(
    conn: &impl ConnectionTrait,
    tokens: Vec<NewOAuthToken>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if tokens.is_empty() {
        return Ok(());
    }
    const COLUMNS: usize = 6;
    let count = tokens.len();
    let backend = conn.get_database_backend();
    let tokens = padded(tokens);
    let list = (0..tokens.len())
        .map(|row| {
            format!(
                "({})",
                dialect::placeholders(backend, row * COLUMNS + 1, COLUMNS)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let values: Vec<Value> = tokens
        .into_iter()
        .flat_map(|new| {
            [
                new.token_hash.into(),
                new.kind.into(),
                new.grant_id.into(),
                new.scopes.into(),
                new.expires_at.into(),
                now.into(),
            ]
        })
        .collect();
    let sql = format!(
        "INSERT INTO oauth_tokens (token_hash, kind, grant_id, scopes, expires_at, created_at) \
         VALUES {list} ON CONFLICT (token_hash) DO NOTHING"
    );
    let done = conn
        .execute(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    if done.rows_affected() != count as u64 {
        return Err(StoreError::Conflict(format!(
            "oauth_tokens.token_hash: {count} tokens to store, {} stored",
            done.rows_affected()
        )));
    }
    Ok(())
}

/// Spends the unspent, unrevoked tokens among `ids` (one `UPDATE`); how many it spent.
async fn spend_tokens(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let backend = conn.get_database_backend();
    let mut values = vec![Value::from(now)];
    values.extend(padded(ids.iter().copied().map(Value::from).collect()));
    let sql = format!(
        "UPDATE oauth_tokens SET used_at = {} WHERE id IN ({}) \
         AND used_at IS NULL AND revoked_at IS NULL",
        dialect::placeholders(backend, 1, 1),
        dialect::placeholders(backend, 2, values.len() - 1)
    );
    let done = conn
        .execute(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
}

/// `items` made a power of two long by repeating the last: a statement's list then has one of a
/// few lengths, and the same meaning (`IN` ignores repeats; see [`insert_tokens`]).
fn padded<T: Clone>(mut items: Vec<T>) -> Vec<T> {
    if let Some(last) = items.last().cloned() {
        items.resize(items.len().next_power_of_two(), last);
    }
    items
}

/// One row of [`Store::oauth_token_contexts`]'s `SELECT`.
fn token_context(row: &QueryResult) -> Result<TokenContext, DbErr> {
    let token = oauth_token::Model {
        id: row.try_get_by_index(0)?,
        token_hash: row.try_get_by_index(1)?,
        kind: row.try_get_by_index(2)?,
        grant_id: row.try_get_by_index(3)?,
        scopes: row.try_get_by_index(4)?,
        expires_at: row.try_get_by_index(5)?,
        used_at: row.try_get_by_index(6)?,
        revoked_at: row.try_get_by_index(7)?,
        created_at: row.try_get_by_index(8)?,
    };
    let grant = oauth_grant::Model {
        id: token.grant_id,
        client_id: row.try_get_by_index(9)?,
        user_id: row.try_get_by_index(10)?,
        scopes: row.try_get_by_index(11)?,
        created_at: row.try_get_by_index(12)?,
        revoked_at: row.try_get_by_index(13)?,
    };
    let client = ClientKey {
        id: grant.client_id,
        client_id: row.try_get_by_index(14)?,
        secret_hash: row.try_get_by_index(15)?,
    };
    Ok(TokenContext {
        token,
        grant,
        client,
    })
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
