//! SQLite's WAL checkpoints moved off the commit path: a task with a connection of its own
//! copies committed pages from the `-wal` file into the database while writers go on
//! appending.
//!
//! Left to itself, SQLite checkpoints inside the commit that takes the log past its threshold
//! (`wal_autocheckpoint`), and every caller waiting on that commit waits for the whole copy and
//! its `fsync`: in bench/oauth that one commit was the p99. With this task copying a little
//! every [`CADENCE`], the in-commit checkpoint finds almost every frame already copied, so it is
//! short, and it still does what only a writer can: restart the log from the beginning once it
//! is fully copied (which keeps the `-wal` file from growing). The thresholds stay as backstops.
//!
//! A passive checkpoint never waits for readers or writers: it copies what no reader still
//! needs and leaves the rest for the next round.

use std::time::Duration;

use sea_orm::sqlx::{self, SqlitePool};
use tokio::task::JoinHandle;

use crate::{connect, wal_watch::WalWatch};

/// How long commits accumulate between two checkpoints.
const CADENCE: Duration = Duration::from_millis(20);

/// Without a watch on the `-wal` file, how often the task looks.
const POLL: Duration = Duration::from_secs(1);

/// The running task; stops it when dropped (with the last clone of the store).
#[derive(Debug)]
pub(crate) struct Checkpointer(JoinHandle<()>);

impl Checkpointer {
    /// Starts checkpointing the database file `options` open, on a connection of its own
    /// (opened at the first checkpoint, then kept open).
    pub(crate) fn start(options: sqlx::sqlite::SqliteConnectOptions) -> Self {
        let watch = WalWatch::new(options.get_filename());
        // A checkpoint that would have to wait is left for the next round.
        let pool =
            connect::dedicated_sqlite().connect_lazy_with(options.busy_timeout(Duration::ZERO));
        Self(tokio::spawn(run(pool, watch)))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run(pool: SqlitePool, mut watch: Option<WalWatch>) {
    loop {
        match &mut watch {
            Some(watch) => watch.changed().await,
            None => tokio::time::sleep(POLL).await,
        }
        tokio::time::sleep(CADENCE).await;
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await
        {
            Ok((_, log, copied)) => tracing::trace!(log, copied, "checkpoint"),
            Err(err) => tracing::debug!(error = %err, "checkpoint skipped"),
        }
    }
}
