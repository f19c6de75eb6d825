//! A fresh, migrated database for one test: a temporary SQLite file, or a new PostgreSQL schema.

use std::io::Write;

use maecenas_store::{Backend, ConnectOptions, Store};

/// Where the PostgreSQL half of the suite connects.
pub const POSTGRES_URL_VAR: &str = "MAECENAS_TEST_POSTGRES_URL";

/// A migrated database that is removed when dropped.
#[derive(Debug)]
pub struct TestDb {
    /// The store over it.
    pub store: Store,
    /// The URL (SQLite file or PostgreSQL server) — for spawning the binary against it.
    pub url: String,
    /// PostgreSQL: the schema this test owns (pass as `options=-csearch_path=…`).
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new SQLite database in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = Store::connect(&url, &ConnectOptions::default())
            .await
            .expect("open SQLite");
        store.migrate().await.expect("migrate SQLite");
        Self {
            store,
            url,
            schema: None,
            _dir: Some(dir),
        }
    }

    /// A new schema on the PostgreSQL server named by `MAECENAS_TEST_POSTGRES_URL`, or `None`
    /// (after saying so on stderr) when it is unset outside CI.
    pub async fn postgres(test: &str) -> Option<Self> {
        let Some(url) = std::env::var(POSTGRES_URL_VAR)
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{POSTGRES_URL_VAR} must be set in CI: the PostgreSQL half may not be skipped"
            );
            // Written to the process's stderr directly, past the test harness's capture.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED postgres half of {test}: set {POSTGRES_URL_VAR} to run it"
            );
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let options = ConnectOptions {
            max_connections: 5,
            pg_schema: Some(schema.clone()),
            ..ConnectOptions::default()
        };
        let store = Store::connect(&url, &options)
            .await
            .expect("connect to PostgreSQL");
        store.migrate().await.expect("migrate PostgreSQL");
        Some(Self {
            store,
            url,
            schema: Some(schema),
            _dir: None,
        })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Everything this test's database holds, as the backend's own dump tool prints it
    /// (`sqlite3 .dump`, `pg_dump` of the test's schema): what a stolen backup would reveal.
    pub fn dump(&self) -> String {
        let output = match &self.schema {
            None => {
                let file = self.url.trim_start_matches("sqlite://");
                std::process::Command::new("sqlite3")
                    .args([file, ".dump"])
                    .output()
            }
            Some(schema) => std::process::Command::new("pg_dump")
                .args(["--data-only", "--schema", schema, &self.url])
                .output(),
        }
        .expect("run the database's dump tool");
        assert!(
            output.status.success(),
            "dump failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A database URL that reaches exactly this test's data (for a child process).
    pub fn isolated_url(&self) -> String {
        match &self.schema {
            None => self.url.clone(),
            Some(schema) => {
                let sep = if self.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}options=-c%20search_path%3D{schema}", self.url)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        // Drop is synchronous; a short-lived runtime on its own thread drops the schema.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let _ = rt.block_on(maecenas_store::dialect::drop_pg_schema(&url, &schema));
        })
        .join();
    }
}
