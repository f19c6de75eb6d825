//! The alerts service on SQLite and PostgreSQL: the overlay secret is stored only as its hash,
//! a new one retires the old, malformed secrets are never looked up; test alerts are donations
//! with their event; marking shown is per recipient and keeps the first time.

use std::sync::Arc;

use chrono::{DateTime, Duration};
use maecenas_core::Alerts;
use maecenas_store::{accounts::NewUser, events};
use maecenas_testkit::both_backends;
use maecenas_types::{ManualClock, SecretToken};

both_backends! {
    async fn overlay_secret_test_alert_and_shown(db: TestDb) {
        let store = &db.store;
        let now = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let clock = Arc::new(ManualClock::new(now));
        let alerts = Alerts::new(store.clone(), clock.clone());
        let user = |email: &str| NewUser { email: email.into(), password_hash: None, full_name: "Nora".into(), vanity: None };
        let nora = store.create_user(user("nora@example.org"), now).await.unwrap();
        let other = store.create_user(user("other@example.org"), now).await.unwrap();

        assert!(alerts.widget_of(nora.id).await.unwrap().is_none());
        assert!(!alerts.set_sound(nora.id, true).await.unwrap(), "no overlay yet");
        let (first, row) = alerts.regenerate_widget_secret(nora.id).await.unwrap();
        assert_eq!(first.expose().len(), 64, "256 bits, hex");
        assert_eq!(row.secret_hash, first.hash().0);
        assert!(!row.sound);
        let (found, owner) = alerts.widget_by_secret(first.expose()).await.unwrap().unwrap();
        assert_eq!((found.id, owner.id), (row.id, nora.id));
        // Only the hash is in the row.
        let stored = alerts.widget_of(nora.id).await.unwrap().unwrap();
        assert_ne!(stored.secret_hash, first.expose());
        assert!(!stored.secret_hash.contains(first.expose()));

        clock.advance(Duration::minutes(5));
        assert!(alerts.set_sound(nora.id, true).await.unwrap());
        let (second, again) = alerts.regenerate_widget_secret(nora.id).await.unwrap();
        assert_eq!(again.id, row.id, "the same overlay, a new secret");
        assert!(again.sound, "the setting survives");
        assert_eq!(again.created_at, now + Duration::minutes(5));
        assert!(alerts.widget_by_secret(first.expose()).await.unwrap().is_none(), "the old URL is dead");
        assert!(alerts.widget_by_secret(second.expose()).await.unwrap().is_some());
        for junk in ["", "abc", &"z".repeat(64), &second.hash().0[..63], &format!("{}0", second.expose())] {
            assert!(alerts.widget_by_secret(junk).await.unwrap().is_none(), "{junk:?}");
        }
        assert!(alerts.widget_by_secret(SecretToken::generate().expose()).await.unwrap().is_none());

        // A test alert: a donation of 100 USD (no campaign), no payment system, with its event.
        let test = alerts.test_alert(&nora).await.unwrap();
        assert_eq!((test.amount_cents, test.currency.as_str(), test.payin_system.as_str()), (10_000, "USD", ""));
        assert_eq!(test.amount_in_user_currency_cents, 10_000);
        assert_eq!(test.created_at, now + Duration::minutes(5));
        let recorded = store.events_after(0, 10).await.unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!((recorded[0].kind.as_str(), recorded[0].subject_id.clone()), (events::DONATION_CREATE, test.id.to_string()));

        // Shown: only by its recipient, once.
        assert!(alerts.mark_shown(other.id, test.id).await.unwrap().is_none());
        assert!(!store.donation_by_id(test.id).await.unwrap().unwrap().is_shown);
        clock.advance(Duration::seconds(3));
        let shown = alerts.mark_shown(nora.id, test.id).await.unwrap().unwrap();
        assert!(shown.is_shown);
        assert_eq!(shown.shown_at, Some(now + Duration::minutes(5) + Duration::seconds(3)));
        clock.advance(Duration::seconds(30));
        let again = alerts.mark_shown(nora.id, test.id).await.unwrap().unwrap();
        assert_eq!(again.shown_at, shown.shown_at, "the first showing's time stays");
        assert!(alerts.mark_shown(nora.id, test.id + 1000).await.unwrap().is_none());
    }
}
