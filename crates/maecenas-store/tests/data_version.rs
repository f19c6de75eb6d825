//! The data version changes with every commit, whoever makes it — this store's pool or another
//! pool on the same database (as the CLI or another server instance would be) — and holds still
//! while nothing is written; concurrent readers share reads and all get an answer.

use maecenas_store::{ConnectOptions, Store, accounts::NewUser};
use maecenas_testkit::both_backends;

fn user(n: u32) -> NewUser {
    NewUser {
        email: format!("u{n}@example.org"),
        password_hash: None,
        full_name: format!("User {n}"),
        vanity: None,
    }
}

both_backends! {
    async fn the_data_version_changes_with_every_commit_from_any_connection(db: TestDb) {
        let now = chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let probe = db.store.version_probe();
        let first = probe.current().await.unwrap();
        db.store.ping().await.unwrap();
        db.store.user_by_email("nobody@example.org").await.unwrap();
        assert_eq!(probe.current().await.unwrap(), first, "reads change nothing");

        db.store.create_user(user(1), now).await.unwrap();
        let after_own = probe.current().await.unwrap();
        assert_ne!(after_own, first, "a commit through the same pool");

        let options = ConnectOptions { pg_schema: db.schema.clone(), ..ConnectOptions::default() };
        let other = Store::connect(&db.url, &options).await.unwrap();
        other.create_user(user(2), now).await.unwrap();
        let after_other = probe.current().await.unwrap();
        assert_ne!(after_other, after_own, "a commit through another pool");
        assert_eq!(probe.current().await.unwrap(), after_other);

        // Many callers at once: every one gets the same answer, and one that starts after a
        // commit sees it.
        let readers: Vec<_> = (0..64)
            .map(|_| {
                let probe = probe.clone();
                tokio::spawn(async move { probe.current().await.unwrap() })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.await.unwrap(), after_other);
        }
        other.create_user(user(3), now).await.unwrap();
        assert_ne!(probe.current().await.unwrap(), after_other);
    }
}
