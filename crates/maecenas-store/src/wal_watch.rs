//! SQLite's cross-process wake-up for event readers: a commit by another process on the same
//! file (the CLI, a second server) appends to the database's `-wal` file, and a file watch on
//! it (inotify on Linux) wakes the reader at once instead of at its next poll.

use std::path::Path;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::{
    sync::mpsc,
    time::{Duration, Instant},
};

/// Wake-ups come at most this often: every commit, ours included, touches the file, and a
/// reader woken by each of thousands of writes per second would spend itself on empty reads.
const MIN_SPACING: Duration = Duration::from_millis(2);

/// A watch on one database's write-ahead log.
pub(crate) struct WalWatch {
    _watcher: RecommendedWatcher,
    rx: mpsc::Receiver<()>,
    last: Option<Instant>,
}

impl WalWatch {
    /// Watches `<database>-wal`; `None` (the reader keeps polling) when it cannot.
    pub(crate) fn new(database: &Path) -> Option<Self> {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        let (tx, rx) = mpsc::channel(1);
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| e.kind.is_modify()) {
                // A full channel already holds a wake-up: this one adds nothing.
                let _ = tx.try_send(());
            }
        });
        let watched = watcher.and_then(|mut w| {
            w.watch(Path::new(&wal), RecursiveMode::NonRecursive)
                .map(|()| w)
        });
        match watched {
            Ok(watcher) => Some(Self {
                _watcher: watcher,
                rx,
                last: None,
            }),
            Err(err) => {
                tracing::debug!(error = %err, "cannot watch the SQLite WAL; polling");
                None
            }
        }
    }

    /// Returns after the log changed (never sooner than [`MIN_SPACING`] after the last return).
    pub(crate) async fn changed(&mut self) {
        if self.rx.recv().await.is_none() {
            return std::future::pending().await;
        }
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + MIN_SPACING).await;
        }
        while self.rx.try_recv().is_ok() {}
        self.last = Some(Instant::now());
    }
}
