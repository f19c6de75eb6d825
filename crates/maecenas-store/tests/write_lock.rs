//! A store transaction that reads before it writes survives another connection's commit in
//! between. On SQLite a deferred transaction's read cannot become a write once another
//! connection has committed (busy at once, no wait); the store's write transactions take the
//! write lock first and wait for it instead. Deterministic: the other connection holds the
//! lock before the store's transaction starts and commits while it waits.

use std::time::Duration;

use maecenas_testkit::TestDb;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};

#[tokio::test]
async fn a_write_transaction_waits_for_another_connections_commit() {
    let db = TestDb::sqlite().await;
    let now = chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap();
    db.store.create_fake_patrons("a", 3, now).await.unwrap();

    let other = Database::connect(&db.url).await.unwrap();
    let holder = other.begin().await.unwrap();
    holder
        .execute_unprepared(
            "INSERT INTO users (email, full_name, is_email_verified, created_at, updated_at) \
             VALUES ('other@example.org', 'Other', 1, '2025-06-15T00:00:00Z', \
             '2025-06-15T00:00:00Z')",
        )
        .await
        .unwrap();

    // Reads the fake patrons, then deletes them: the read comes before the other's commit.
    let store = db.store.clone();
    let deleting = tokio::spawn(async move { store.delete_fake_patrons(None).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !deleting.is_finished(),
        "waits for the other connection's lock"
    );
    holder.commit().await.unwrap();

    assert_eq!(deleting.await.unwrap().unwrap(), 3);
    let left = other
        .query_one(sea_orm::Statement::from_string(
            other.get_database_backend(),
            "SELECT COUNT(*) AS n FROM users",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        left.try_get::<i64>("", "n").unwrap(),
        1,
        "only the other's user is left"
    );
}
