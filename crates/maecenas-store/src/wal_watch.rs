//! SQLite's cross-process wake-up for event readers: a commit by another process on the same
//! file (the CLI, a second server) appends to the database's `-wal` file, and an inotify watch on
//! it wakes the reader at once instead of at its next poll.
//!
//! inotify directly rather than the `notify` crate: `notify` reads every event on a thread of
//! its own the moment it arrives, so under thousands of commits a second that thread woke for
//! each write (10 % of the server's CPU in bench/oauth). Here the watch is read only when the
//! reader waits, at most once per [`MIN_SPACING`]; meanwhile the kernel folds repeated
//! modifications of the file into one pending event. Linux only; elsewhere readers poll.

#[cfg(target_os = "linux")]
mod linux {
    use std::path::Path;

    use futures::{FutureExt, StreamExt};
    use inotify::{EventStream, Inotify, WatchMask};
    use tokio::time::{Duration, Instant};

    /// Wake-ups come at most this often: every commit, ours included, touches the file, and a
    /// reader woken by each of thousands of writes per second would spend itself on empty
    /// reads.
    const MIN_SPACING: Duration = Duration::from_millis(2);

    /// A watch on one database's write-ahead log.
    pub(crate) struct WalWatch {
        events: EventStream<[u8; 1024]>,
        last: Option<Instant>,
    }

    impl WalWatch {
        /// Watches `<database>-wal`; `None` (the reader keeps polling) when it cannot.
        pub(crate) fn new(database: &Path) -> Option<Self> {
            let mut wal = database.as_os_str().to_owned();
            wal.push("-wal");
            let watched = Inotify::init().and_then(|inotify| {
                inotify.watches().add(&wal, WatchMask::MODIFY)?;
                inotify.into_event_stream([0; 1024])
            });
            match watched {
                Ok(events) => Some(Self { events, last: None }),
                Err(err) => {
                    tracing::debug!(error = %err, "cannot watch the SQLite WAL; polling");
                    None
                }
            }
        }

        /// Returns after the log changed (never sooner than [`MIN_SPACING`] after the last
        /// return).
        pub(crate) async fn changed(&mut self) {
            if !matches!(self.events.next().await, Some(Ok(_))) {
                return std::future::pending().await;
            }
            if let Some(last) = self.last {
                tokio::time::sleep_until(last + MIN_SPACING).await;
            }
            // What arrived while we slept is covered by this wake-up.
            while let Some(Some(Ok(_))) = self.events.next().now_or_never() {}
            self.last = Some(Instant::now());
        }
    }
}

#[cfg(target_os = "linux")]
pub(crate) use linux::WalWatch;

/// Without inotify there is no watch: readers poll.
#[cfg(not(target_os = "linux"))]
pub(crate) struct WalWatch;

#[cfg(not(target_os = "linux"))]
impl WalWatch {
    pub(crate) fn new(_database: &std::path::Path) -> Option<Self> {
        None
    }

    pub(crate) async fn changed(&mut self) {
        std::future::pending().await
    }
}
