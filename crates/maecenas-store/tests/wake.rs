//! Event readers are woken by commits made by another process on the same database: a second
//! `Store` (its own pool, as the CLI or another server instance would have) stores a donation,
//! and the first store's waiter returns long before its own deadline. On SQLite through the
//! `-wal` file watch, on PostgreSQL through `LISTEN`/`NOTIFY`.

use std::time::{Duration, Instant};

use maecenas_store::{ConnectOptions, Store, accounts::NewUser, money::NewDonation};
use maecenas_testkit::both_backends;

both_backends! {
    async fn another_process_commit_wakes_the_event_waiter(db: TestDb) {
        let now = chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let streamer = db.store.create_user(
            NewUser { email: "s@example.org".into(), password_hash: None, full_name: "S".into(), vanity: None },
            now,
        ).await.unwrap();
        let options = ConnectOptions { pg_schema: db.schema.clone(), ..ConnectOptions::default() };
        let other = Store::connect(&db.url, &options).await.unwrap();
        let mut waiter = db.store.event_waiter().await;

        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            other.create_donations(vec![NewDonation {
                recipient_user_id: streamer.id, donor_user_id: None, username: "Ann".into(),
                message: "hi".into(), amount_cents: 100, currency: "USD".into(),
                amount_in_user_currency_cents: 100, payin_system: "sandbox".into(),
                created_at: now, shown_at: None,
            }]).await.unwrap();
        });
        let started = Instant::now();
        waiter.wait(Duration::from_secs(30)).await;
        writer.await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "woken by the other store's commit, not by the 30 s deadline"
        );
        assert_eq!(db.store.events_after(0, 10).await.unwrap().len(), 1);
    }
}
