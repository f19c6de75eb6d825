//! Group commit for hot write and read paths: callers hand one item each to a task that takes
//! everything waiting (up to a cap) and runs it as one store call — one lookup `WHERE … IN (…)`
//! for many requests, one transaction with multi-row `INSERT`s for many writes. A lone caller
//! is a batch of one and waits for nothing. On SQLite every statement is a hand-off to a
//! connection's own thread and writers serialise on one lock, so N callers cost one hand-off and
//! one commit instead of N (and no sleeping in the busy handler); on PostgreSQL it saves round
//! trips and commits.
//!
//! Each caller gets its own answer, and its own error: a batch of several that fails is run
//! again one item at a time, so a bad item fails only its caller. A write's answer comes after
//! its transaction committed.
//!
//! Hand-written: a loader this small (an mpsc queue, `recv_many`, a oneshot reply each) is
//! clearer than adapting a general DataLoader crate to a store call that answers in order.

use std::{
    future::Future,
    sync::{Arc, OnceLock},
};

use maecenas_store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Items waiting for the task before callers wait for room.
const QUEUE: usize = 4096;

/// One kind of batched store call.
pub trait BatchOp: Send + Sync + 'static {
    /// What one caller hands in (cloned only to run a failed batch again item by item).
    type In: Clone + Send + 'static;
    /// What that caller gets back.
    type Out: Send + 'static;
    /// Most items in one call (keeps bind parameters well under both backends' limits).
    const MAX_BATCH: usize;
    /// For logs and errors.
    const NAME: &'static str;

    /// Runs `items` as one store call, answering each in order (one answer per item).
    fn run(
        store: &Store,
        items: Vec<Self::In>,
    ) -> impl Future<Output = Result<Vec<Self::Out>, StoreError>> + Send;
}

/// Why a batched call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The store refused or failed this caller's item.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The batching task stopped, or answered fewer items than it was given.
    #[error("the {0} batch task gave no answer")]
    NoAnswer(&'static str),
}

impl From<BatchError> for StoreError {
    fn from(err: BatchError) -> Self {
        match err {
            BatchError::Store(err) => err,
            BatchError::NoAnswer(what) => StoreError::no_answer(what),
        }
    }
}

type Reply<Op> = oneshot::Sender<Result<<Op as BatchOp>::Out, BatchError>>;
type Job<Op> = (<Op as BatchOp>::In, Reply<Op>);

/// The queue in front of one batching task, started by the first call (it needs a runtime)
/// and ended when the last handle is dropped. Clones share the queue and the task.
pub struct Batcher<Op: BatchOp> {
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
    /// Runs `item` in a batch with whatever else is waiting; resolves once that batch is done
    /// (for a write: committed).
    pub async fn call(&self, store: &Store, item: Op::In) -> Result<Op::Out, BatchError> {
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(run_batches::<Op>(store.clone(), receiver));
            sender
        });
        let (reply, answer) = oneshot::channel();
        sender
            .send((item, reply))
            .await
            .map_err(|_| BatchError::NoAnswer(Op::NAME))?;
        answer.await.unwrap_or(Err(BatchError::NoAnswer(Op::NAME)))
    }
}

/// The task: waits for one item, takes every other one already queued and runs them together.
async fn run_batches<Op: BatchOp>(store: Store, mut receiver: mpsc::Receiver<Job<Op>>) {
    let mut jobs = Vec::with_capacity(Op::MAX_BATCH);
    while receiver.recv_many(&mut jobs, Op::MAX_BATCH).await > 0 {
        gather(&mut receiver, &mut jobs, Op::MAX_BATCH).await;
        let (items, replies): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
        // A batch of one is its own retry; only a larger one keeps its items for a second try.
        let kept = (items.len() > 1).then(|| items.clone());
        match Op::run(&store, items).await {
            Ok(answers) => answer_all::<Op>(replies, answers.into_iter().map(Ok)),
            Err(err) => match kept {
                None => answer_all::<Op>(replies, [Err(err.into())]),
                Some(items) => {
                    tracing::warn!(error = %err, op = Op::NAME, size = items.len(),
                        "batched store call failed; running its items one by one");
                    for (item, reply) in items.into_iter().zip(replies) {
                        let answer = match Op::run(&store, vec![item]).await {
                            Ok(mut one) => one.pop().ok_or(BatchError::NoAnswer(Op::NAME)),
                            Err(err) => Err(err.into()),
                        };
                        let _ = reply.send(answer);
                    }
                }
            },
        }
    }
}

/// Lets callers that are ready to run (typically those the last batch just answered) join
/// this batch: yields to them, and takes what they queued, for as long as the queue grows. A
/// lone caller costs one yield.
async fn gather<T>(receiver: &mut mpsc::Receiver<T>, jobs: &mut Vec<T>, max: usize) {
    while jobs.len() < max {
        let before = jobs.len();
        tokio::task::yield_now().await;
        while jobs.len() < max {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if jobs.len() == before {
            break;
        }
    }
}

/// Sends each caller its answer; a caller left without one hears [`BatchError::NoAnswer`] when
/// its reply is dropped.
fn answer_all<Op: BatchOp>(
    replies: Vec<Reply<Op>>,
    answers: impl IntoIterator<Item = Result<Op::Out, BatchError>>,
) {
    for (reply, answer) in replies.into_iter().zip(answers) {
        let _ = reply.send(answer);
    }
}
