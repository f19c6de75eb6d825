//! The database's data version: a value that changes whenever any connection, in this process
//! or another, commits a write. A cache that tags what it read with the version read *before*
//! reading can serve it for as long as the version is unchanged (the Patreon API's response
//! cache does).
//!
//! - SQLite: `PRAGMA data_version` on a connection of its own that never writes. It changes when
//!   any other connection or process commits, at the moment the commit becomes visible to
//!   readers (it is read from the WAL index a new read transaction opens). The value is per
//!   connection, so it is tagged with that connection's generation: a replaced connection never
//!   repeats an old tag.
//! - PostgreSQL: the current snapshot (`xmin:xmax:xip`), which changes when a transaction that
//!   wrote anything commits (its id leaves the in-progress list or `xmax` moves past it), and
//!   only then becomes visible.
//!
//! Concurrent callers share reads: a caller waits for the first read that *started after it
//! asked* (so a commit it has seen is always reflected), and one read answers everyone waiting.
//! Hand-written rather than the core `Batcher`: that lives above the store and hands its task a
//! [`Store`], while this needs the probe's own connection and generation.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio::sync::{Semaphore, watch};

use crate::{Backend, Store, StoreError, connect};

/// An opaque version of the whole database's data; equal versions mean no commit in between.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataVersion(String);

/// Reads the [`DataVersion`]. Cheap to clone; clones share the connection and the reads.
#[derive(Debug, Clone)]
pub struct VersionProbe {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    backend: Backend,
    /// SQLite: bumped each time the probe's connection is (re)opened.
    generation: Arc<AtomicU64>,
    /// Sequence number of the next read to start.
    next_read: AtomicU64,
    /// A permit for each read that may run at once (one per connection of the probe).
    reading: Semaphore,
    /// The last finished read: its sequence number and what it found (`None`: it failed).
    done: watch::Sender<(u64, Option<DataVersion>)>,
}

impl Store {
    /// A probe of this database's [`DataVersion`] (on SQLite with a connection of its own,
    /// opened when first used).
    pub fn version_probe(&self) -> VersionProbe {
        let generation = Arc::new(AtomicU64::new(0));
        let db = connect::probe(self.db(), self.backend(), Arc::clone(&generation));
        VersionProbe {
            inner: Arc::new(Inner {
                db,
                backend: self.backend(),
                generation,
                next_read: AtomicU64::new(0),
                reading: Semaphore::new(connect::probe_connections(self.backend()) as usize),
                done: watch::Sender::new((0, None)),
            }),
        }
    }
}

impl VersionProbe {
    /// The data version as of a read that started after this call did.
    pub async fn current(&self) -> Result<DataVersion, StoreError> {
        let inner = &*self.inner;
        let mut done = inner.done.subscribe();
        // Reads are numbered from 1 as they start; the next number is the first read that
        // starts after this call.
        let wanted = inner.next_read.load(Ordering::SeqCst) + 1;
        loop {
            {
                let (seq, found) = &*done.borrow_and_update();
                if *seq >= wanted {
                    return found
                        .clone()
                        .ok_or_else(|| StoreError::no_answer("data version"));
                }
            }
            // A read numbered `wanted` or later already under way answers us: wait for it.
            let under_way = inner.next_read.load(Ordering::SeqCst) >= wanted;
            let permit = if under_way {
                None
            } else {
                inner.reading.try_acquire().ok()
            };
            if let Some(_running) = permit {
                // Let the tasks that are ready to ask (typically those the last read just
                // answered) join this read before it is numbered, for as long as more arrive:
                // fewer reads under load, one yield when alone.
                for _ in 0..4 {
                    let waiting = inner.done.receiver_count();
                    tokio::task::yield_now().await;
                    if inner.done.receiver_count() == waiting {
                        break;
                    }
                }
                let seq = inner.next_read.fetch_add(1, Ordering::SeqCst) + 1;
                let found = inner.read().await;
                // Reads may finish out of order: only a later-started one replaces an answer.
                inner.done.send_if_modified(|last| {
                    let newer = seq > last.0;
                    if newer {
                        *last = (seq, found.as_ref().ok().cloned());
                    }
                    newer
                });
                return found;
            }
            if done.changed().await.is_err() {
                return Err(StoreError::no_answer("data version"));
            }
        }
    }
}

impl Inner {
    async fn read(&self) -> Result<DataVersion, StoreError> {
        match self.backend {
            Backend::Sqlite => {
                // A connection opened during the read would pair its count with the wrong
                // generation: read again until the generation holds still.
                for _ in 0..3 {
                    let before = self.generation.load(Ordering::SeqCst);
                    let count = self.scalar("PRAGMA data_version").await?;
                    let after = self.generation.load(Ordering::SeqCst);
                    if before == after && after > 0 {
                        return Ok(DataVersion(format!("{after}:{count}")));
                    }
                }
                Err(StoreError::no_answer("data version"))
            }
            Backend::Postgres => Ok(DataVersion(
                self.scalar("SELECT pg_current_snapshot()::text").await?,
            )),
        }
    }

    async fn scalar(&self, sql: &str) -> Result<String, StoreError> {
        let row = self
            .db
            .query_one(Statement::from_string(self.db.get_database_backend(), sql))
            .await?
            .ok_or_else(|| StoreError::no_answer("data version"))?;
        Ok(match self.backend {
            Backend::Sqlite => row.try_get_by_index::<i64>(0)?.to_string(),
            Backend::Postgres => row.try_get_by_index::<String>(0)?,
        })
    }
}
