//! The token endpoint's batched store calls (group commit, `maecenas_core::batch`): concurrent
//! token lookups share one `WHERE token_hash IN (…)`, concurrent refresh rotations share one
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maecenas_core::batch::BatchOp;
use maecenas_store::{
    Store, StoreError,
    oauth_tokens::{Rotation, Spent, TokenContext},
};

/// Token lookups by hash: one `… WHERE token_hash IN (…)` for every request waiting.
pub(crate) struct Lookup;

impl BatchOp for Lookup {
    type In = String;
    type Out = Option<TokenContext>;
    const MAX_BATCH: usize = 256;
    const NAME: &'static str = "token lookup";

    async fn run(store: &Store, hashes: Vec<String>) -> Result<Vec<Self::Out>, StoreError> {
        let found: HashMap<String, TokenContext> = store
            .oauth_token_contexts(hashes.clone())
            .await?
            .into_iter()
            .map(|context| (context.token.token_hash.clone(), context))
            .collect();
        // Every caller gets its answer, those presenting the same token too: a racing reuse
        // must be seen as reuse (and revoke the grant), not as an unknown token.
        Ok(hashes.iter().map(|hash| found.get(hash).cloned()).collect())
    }
}

/// Refresh rotations: one transaction for every rotation waiting (group commit).
pub(crate) struct Rotate;

impl BatchOp for Rotate {
    type In = (Rotation, DateTime<Utc>);
    type Out = Spent;
    const MAX_BATCH: usize = 128;
    const NAME: &'static str = "refresh rotation";

    async fn run(store: &Store, items: Vec<Self::In>) -> Result<Vec<Spent>, StoreError> {
        let now = items.iter().map(|(_, now)| *now).max().unwrap_or_default();
        let rotations = items.into_iter().map(|(rotation, _)| rotation).collect();
        store.rotate_refresh_tokens(rotations, now).await
    }
}
