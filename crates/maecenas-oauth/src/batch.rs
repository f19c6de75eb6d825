//! Batching for the token endpoint's hot path: callers hand one item each to a task that takes
//! everything waiting (up to a cap) and runs it as one store call — one lookup `WHERE token_hash
//! IN (…)` for many requests, one transaction for many refresh rotations (group commit). A lone
//! request is a batch of one and waits for nothing. On SQLite every statement is a hand-off to
//! a connection's own thread and writers serialise on one lock, so N requests cost one hand-off
//! and one commit instead of N; on PostgreSQL it saves round trips.
//!
//! Hand-written: a loader this small (an mpsc queue, `recv_many`, a oneshot reply each) is
//! clearer than adapting a general DataLoader crate to a store call that answers in order.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, OnceLock},
};

use chrono::{DateTime, Utc};
use maecenas_store::{
    Store, StoreError,
    oauth_tokens::{Rotation, Spent, TokenContext},
};
use tokio::sync::{mpsc, oneshot};

use crate::error::OAuthError;

/// Items waiting for the task before callers wait for room.
const QUEUE: usize = 4096;

/// One kind of batched store call.
pub(crate) trait BatchOp: Send + Sync + 'static {
    /// What one caller hands in.
    type In: Send + 'static;
    /// What that caller gets back.
    type Out: Send + 'static;
    /// Most items in one call (keeps bind parameters well under both backends' limits).
    const MAX_BATCH: usize;
    /// For the log when a batch fails.
    const NAME: &'static str;

    /// Runs `items` as one store call, answering each in order.
    fn run(
        store: &Store,
        items: Vec<Self::In>,
    ) -> impl Future<Output = Result<Vec<Self::Out>, StoreError>> + Send;
}

type Job<Op> = (
    <Op as BatchOp>::In,
    // `None` when the batch failed (logged by the task).
    oneshot::Sender<Option<<Op as BatchOp>::Out>>,
);

/// The queue in front of one batching task, started by the first call (it needs a runtime)
/// and ended when the last handle is dropped.
pub(crate) struct Batcher<Op: BatchOp> {
    sender: Arc<OnceLock<mpsc::Sender<Job<Op>>>>,
}

impl<Op: BatchOp> Clone for Batcher<Op> {
    fn clone(&self) -> Self {
        Self {
            sender: Arc::clone(&self.sender),
        }
    }
}

impl<Op: BatchOp> Default for Batcher<Op> {
    fn default() -> Self {
        Self {
            sender: Arc::default(),
        }
    }
}

impl<Op: BatchOp> std::fmt::Debug for Batcher<Op> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("op", &Op::NAME).finish()
    }
}

impl<Op: BatchOp> Batcher<Op> {
    /// Runs `item` in a batch with whatever else is waiting.
    pub(crate) async fn call(&self, store: &Store, item: Op::In) -> Result<Op::Out, OAuthError> {
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(run_batches::<Op>(store.clone(), receiver));
            sender
        });
        let failed = || OAuthError::server(&std::io::Error::other(Op::NAME));
        let (reply, answer) = oneshot::channel();
        sender.send((item, reply)).await.map_err(|_| failed())?;
        answer.await.ok().flatten().ok_or_else(failed)
    }
}

/// The task: waits for one item, takes every other one already queued and runs them together.
async fn run_batches<Op: BatchOp>(store: Store, mut receiver: mpsc::Receiver<Job<Op>>) {
    let mut jobs = Vec::with_capacity(Op::MAX_BATCH);
    while receiver.recv_many(&mut jobs, Op::MAX_BATCH).await > 0 {
        let (items, replies): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
        match Op::run(&store, items).await {
            Ok(answers) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(Some(answer));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, op = Op::NAME, "batched store call failed");
                for reply in replies {
                    let _ = reply.send(None);
                }
            }
        }
    }
}

/// Token lookups by hash: one `… WHERE token_hash IN (…)` for every request waiting.
pub(crate) struct Lookup;

impl BatchOp for Lookup {
    type In = String;
    type Out = Option<TokenContext>;
    const MAX_BATCH: usize = 256;
    const NAME: &'static str = "token lookup";

    async fn run(store: &Store, hashes: Vec<String>) -> Result<Vec<Self::Out>, StoreError> {
        let mut found: HashMap<String, TokenContext> = store
            .oauth_token_contexts(hashes.clone())
            .await?
            .into_iter()
            .map(|context| (context.token.token_hash.clone(), context))
            .collect();
        Ok(hashes.iter().map(|hash| found.remove(hash)).collect())
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
