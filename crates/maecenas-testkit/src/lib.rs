//! The test harness: a fresh database per test on SQLite and PostgreSQL ([`TestDb`],
//! [`both_backends!`]) and the application on a real loopback port ([`TestApp`]).
//!
//! PostgreSQL comes from `MAECENAS_TEST_POSTGRES_URL`; each test gets its own schema, dropped
//! afterwards. Where the variable is unset the PostgreSQL half prints that it was skipped — and
//! fails instead when `CI=true`, so CI can never skip it silently.

#![expect(
    clippy::expect_used,
    reason = "a dev-only test harness: failing loudly is its job"
)]

mod app;
mod db;

pub use app::TestApp;
pub use db::TestDb;

/// Defines a test that runs once on SQLite and once on PostgreSQL:
///
/// ```ignore
/// both_backends! {
///     async fn creates_users(db: TestDb) { /* … */ }
/// }
/// ```
///
/// expands to a module `creates_users` with tests `sqlite` and `postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($db:ident : TestDb) $body:block)+) => {$(
        #[cfg(test)]
        mod $name {
            use super::*;

            async fn body($db: $crate::TestDb) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::TestDb::sqlite().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = module_path!();
                if let Some(db) = $crate::TestDb::postgres(test).await {
                    body(db).await;
                }
            }
        }
    )+};
}
