//! Turns a database URL into a connection pool: SQLite with WAL, a busy timeout, foreign keys
//! on, in-memory temporaries and a larger page cache; PostgreSQL with an optional
//! schema on the search path (how tests isolate themselves).

use std::{
    path::Path,
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{
    DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector,
    sqlx::{
        postgres::{PgConnectOptions, PgPoolOptions},
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    },
};

use crate::StoreError;

/// The database engine behind a [`crate::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (the default).
    Sqlite,
    /// PostgreSQL (for several instances sharing one database).
    Postgres,
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long to wait for a connection (and for the first one at start).
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the schema to create (if missing) and put first on the search path.
    pub pg_schema: Option<String>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            pg_schema: None,
        }
    }
}

/// When the schema last changed under this pool (set after migrating).
///
/// A SQLite connection caches the schema it first read and notices a change made by another
/// connection only when a statement runs, not when one is prepared; and some prepare-time
/// checks then fail for good instead of re-reading it (an `ON CONFLICT` target that names an
/// index created since: "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE
/// constraint"). So pooled SQLite connections opened before the last migration are closed
/// when next acquired, and replaced by ones that read the new schema.
#[derive(Debug, Default)]
pub(crate) struct SchemaEpoch(Mutex<Option<Instant>>);

impl SchemaEpoch {
    /// The schema has just changed.
    pub(crate) fn changed(&self) {
        if let Ok(mut at) = self.0.lock() {
            *at = Some(Instant::now());
        }
    }

    /// Whether a connection `age` old has seen the current schema.
    fn current(&self, age: Duration) -> bool {
        match self.0.lock().map(|at| *at) {
            Ok(Some(at)) => Instant::now()
                .checked_sub(age)
                .is_some_and(|born| born > at),
            _ => true,
        }
    }
}

/// `url` with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

pub(crate) async fn open(
    url: &str,
    options: &ConnectOptions,
    epoch: Arc<SchemaEpoch>,
) -> Result<(DatabaseConnection, Backend), StoreError> {
    let connect_err = |reason: String| StoreError::Connect {
        url: redact(url),
        reason,
    };
    if url.starts_with("sqlite:") {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| connect_err(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Statement journals and temporary b-trees in memory, not in temp files; a 16 MiB
            // page cache per connection. Neither changes durability. No memory map: a reader
            // unmaps all of it whenever another connection has committed since its last read
            // (SQLite's `pagerBeginReadTransaction`), and under a steady writer that `munmap`
            // and the page faults after it cost more than the `pread` copies they save
            // (bench/oauth: +16 % refreshes/s without it).
            .pragma("temp_store", "memory")
            .pragma("mmap_size", "0")
            .pragma("cache_size", "-16384");
        let file = opts.get_filename();
        let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir.filter(|_| file != Path::new(":memory:")) {
            std::fs::create_dir_all(dir)
                .map_err(|e| connect_err(format!("cannot create {}: {e}", dir.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .before_acquire(move |_, meta| {
                let current = epoch.current(meta.age);
                Box::pin(async move { Ok(current) })
            })
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(opts)
            .await
            .map_err(|e| connect_err(e.to_string()))?;
        Ok((
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
            Backend::Sqlite,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut opts = PgConnectOptions::from_str(url).map_err(|e| connect_err(e.to_string()))?;
        // One direct connection first: its error names the real cause (refused, unknown host,
        // bad password), where a pool would only report that it timed out.
        crate::dialect::probe_pg(
            opts.clone(),
            options.pg_schema.as_deref(),
            options.acquire_timeout,
        )
        .await
        .map_err(|e| connect_err(e.to_string()))?;
        if let Some(schema) = &options.pg_schema {
            opts = opts.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(opts)
            .await
            .map_err(|e| connect_err(e.to_string()))?;
        Ok((
            SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
            Backend::Postgres,
        ))
    } else {
        Err(StoreError::UnsupportedUrl(redact(url)))
    }
}

/// A pool of one connection to `db`'s database with `db`'s settings (SQLite connections opened
/// before the last migration replaced as in [`open`]); connects when first used.
///
/// SQLite: this connection checkpoints the WAL inside a commit only past 40,000 pages, not
/// SQLite's 1,000. A batch writer rewrites the same hot pages (table tails, each recipient's
/// index page) commit after commit, and a checkpoint copies each page once however often the WAL
/// holds it, so fewer, larger checkpoints copy and `fsync` much less per row (bench/donations:
/// about 1.5× the batched throughput at 10,000; the pool's connections keep 1,000, and commit
/// there checkpoints a WAL this one left large). The background checkpointer copies the pages
/// meanwhile ([`crate::checkpoint`]); under a steady writer, though, only this in-commit
/// checkpoint lets the log restart from its beginning, and its two `fsync`s stall every caller
/// of that commit. At 40,000 pages that happens a quarter as often as at 10,000 (bench/oauth:
/// p99 15.4-16.8 ms instead of 19-21 ms), for a `-wal` file that can reach about 160 MB under
/// sustained writes (it keeps its largest size; at rest the log restarts at the next write).
///
/// Its page cache is 2 MiB, not the pool's 16 MiB: enough for the pages a batch writer keeps
/// touching (table and index tails, one index leaf per grant or recipient). A larger cache costs
/// at commit: when a b-tree split reorders sibling pages, SQLite parks one of them under the
/// page number of the lock byte (1 GiB in), and the commit that follows drops every cached page
/// past the end of the file by walking the cache's whole hash table (`pcache1TruncateUnsafe`).
/// At 16 MiB that walk was ~10 % of the writer thread's time (bench/oauth, interleaved runs:
/// 111-113 µs of server CPU per refresh at 2 MiB, 131-136 µs at 16 MiB; the donation writer's
/// throughput was the same either way).
pub(crate) fn single(
    db: &DatabaseConnection,
    backend: Backend,
    epoch: Arc<SchemaEpoch>,
) -> DatabaseConnection {
    match backend {
        Backend::Sqlite => {
            let options = sqlite_options(db)
                .pragma("wal_autocheckpoint", "40000")
                .pragma("cache_size", "-2048");
            let pool = SqlitePoolOptions::new()
                .before_acquire(move |_, meta| {
                    let current = epoch.current(meta.age);
                    Box::pin(async move { Ok(current) })
                })
                .max_connections(1)
                .connect_lazy_with(options);
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
        }
        Backend::Postgres => {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with(pg_options(db));
            SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
        }
    }
}

/// The data-version probe's own connection ([`crate::data_version`]), which answers without
/// the pool's `ping` before every use (a second round trip on PostgreSQL).
///
/// SQLite: one connection that is never replaced while it works (no idle or age limit) and
/// counts in `generation` each time one is opened, since `PRAGMA data_version` is per
/// connection. PostgreSQL: two, so one read can start while another is on the wire; any
/// connection will do, as the snapshot is the server's.
pub(crate) fn probe(
    db: &DatabaseConnection,
    backend: Backend,
    generation: Arc<std::sync::atomic::AtomicU64>,
) -> DatabaseConnection {
    match backend {
        Backend::Sqlite => {
            let pool = dedicated_sqlite()
                .after_connect(move |_, _| {
                    generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Box::pin(async { Ok(()) })
                })
                .connect_lazy_with(sqlite_options(db));
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
        }
        Backend::Postgres => {
            let pool = PgPoolOptions::new()
                .max_connections(probe_connections(backend))
                .test_before_acquire(false)
                .connect_lazy_with(pg_options(db));
            SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
        }
    }
}

/// How many connections [`probe`] opens, and so how many reads may run at once.
pub(crate) fn probe_connections(backend: Backend) -> u32 {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    }
}

/// A pool of one SQLite connection for a task that owns it (the data-version probe, the
/// checkpointer): kept open for good, no idle or age limit, no ping before each use.
pub(crate) fn dedicated_sqlite() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
}

/// The settings of `db`'s SQLite pool when it has a database file (and so a write-ahead log),
/// unlike an in-memory database.
pub(crate) fn wal_file(db: &DatabaseConnection, backend: Backend) -> Option<SqliteConnectOptions> {
    let options = (backend == Backend::Sqlite).then(|| sqlite_options(db))?;
    options.get_filename().is_file().then_some(options)
}

/// The settings `db`'s SQLite pool opens connections with.
fn sqlite_options(db: &DatabaseConnection) -> SqliteConnectOptions {
    db.get_sqlite_connection_pool()
        .connect_options()
        .as_ref()
        .clone()
}

/// The settings `db`'s PostgreSQL pool opens connections with.
fn pg_options(db: &DatabaseConnection) -> PgConnectOptions {
    db.get_postgres_connection_pool()
        .connect_options()
        .as_ref()
        .clone()
}
