//! The group-committing donation writer on SQLite and PostgreSQL: many concurrent callers each
//! get their own stored row with its `donation:create` event, and a bad donation in a batch
//! fails only its own caller.

use std::collections::HashSet;

use chrono::DateTime;
use futures::future::join_all;
use maecenas_core::DonationWriter;
use maecenas_store::{accounts::NewUser, events, money::NewDonation};
use maecenas_testkit::both_backends;

both_backends! {
    async fn concurrent_callers_each_get_their_row(db: TestDb) {
        let store = &db.store;
        let now = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let nora = store
            .create_user(NewUser { email: "nora@example.org".into(), password_hash: None, full_name: "Nora".into(), vanity: None }, now)
            .await
            .unwrap();
        let writer = DonationWriter::new(store.clone());
        let donation = move |i: i64, recipient: i64| NewDonation {
            recipient_user_id: recipient,
            donor_user_id: None,
            username: format!("donor {i}"),
            message: format!("message {i}"),
            amount_cents: 100 + i,
            currency: "EUR".into(),
            amount_in_user_currency_cents: 108 + i,
            payin_system: "sandbox".into(),
            // Nanoseconds: stored, and returned, to the microsecond on both backends.
            created_at: now + chrono::Duration::seconds(i) + chrono::Duration::nanoseconds(123_456_789),
            shown_at: None,
        };
        // 600 callers at once (more than one batch); every tenth names a recipient that does
        // not exist, which the foreign key refuses.
        let calls = (0..600).map(|i| {
            let writer = writer.clone();
            let recipient = if i % 10 == 9 { nora.id + 1_000 } else { nora.id };
            let new = donation(i, recipient);
            tokio::spawn(async move { (i, writer.create(new).await) })
        });
        let mut ids = HashSet::new();
        for joined in join_all(calls).await {
            let (i, result) = joined.unwrap();
            if i % 10 == 9 {
                assert!(result.is_err(), "{i}: {result:?}");
                continue;
            }
            let row = result.unwrap();
            assert_eq!((row.recipient_user_id, row.amount_cents, row.username.as_str()), (nora.id, 100 + i, format!("donor {i}").as_str()));
            assert_eq!(row.created_at, now + chrono::Duration::seconds(i) + chrono::Duration::microseconds(123_456));
            assert!(ids.insert(row.id), "each caller its own row");
            if i % 50 == 0 {
                assert_eq!(store.donation_by_id(row.id).await.unwrap().as_ref(), Some(&row), "the row returned is the row stored");
            }
        }
        assert_eq!(ids.len(), 540);
        // Each stored donation has exactly one event naming it; the refused ones left nothing.
        let recorded = store.events_after(0, 1_000).await.unwrap();
        assert_eq!(recorded.len(), 540);
        let named: HashSet<i64> = recorded
            .iter()
            .map(|e| {
                assert_eq!((e.kind.as_str(), e.subject_type.as_str(), e.user_id), (events::DONATION_CREATE, "donation", Some(nora.id)));
                e.subject_id.parse().unwrap()
            })
            .collect();
        assert_eq!(named, ids);
        assert_eq!(store.donations_to(nora.id, 1_000).await.unwrap().len(), 540);
    }
}
