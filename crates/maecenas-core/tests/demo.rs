//! The demo seed on SQLite and PostgreSQL: what it creates, and that the credentials it hands
//! back work against what it stored.

use std::{sync::Arc, time::Instant};

use chrono::DateTime;
use maecenas_core::{demo, password};
use maecenas_store::events;
use maecenas_testkit::both_backends;
use maecenas_types::{ManualClock, SecretToken, SharedClock};

both_backends! {
    async fn seeds_the_sandbox(db: TestDb) {
        let store = &db.store;
        let now = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let clock: SharedClock = Arc::new(ManualClock::new(now));

        let started = Instant::now();
        let creds = demo::seed(store, &clock).await.unwrap();
        eprintln!("{:?} seed took {:?}", db.backend(), started.elapsed());

        let creator = store.user_by_email(&creds.creator.email).await.unwrap().unwrap();
        assert!(password::verify(creds.creator.password.clone(), creator.password_hash.clone()).await);
        assert!(!password::verify("wrong password".to_owned(), creator.password_hash).await);
        let patron = store.user_by_email(&creds.patron.email).await.unwrap().unwrap();
        assert!(password::verify(creds.patron.password.clone(), patron.password_hash).await);
        assert!(creds.creator.password.len() >= 20 && creds.patron.password.len() >= 20);
        assert_ne!(creds.creator.password, creds.patron.password);
        let users = store.list_users().await.unwrap();
        assert_eq!(users.len(), 26, "the creator and 25 members");
        assert_eq!(users.iter().filter(|u| u.password_hash.is_some()).count(), 2);
        assert!(users.iter().all(|u| u.created_at == now), "every time comes from the clock");

        let campaign = store.campaign_by_creator(creator.id).await.unwrap().unwrap();
        assert_eq!(campaign.id, creds.campaign.id);
        assert_eq!(campaign.vanity, creds.campaign.vanity);
        assert!(campaign.published_at.is_some_and(|at| at < now));
        let tiers = store.tiers_of_campaign(campaign.id).await.unwrap();
        assert_eq!(tiers.len(), 3);
        assert!(tiers.iter().any(|t| t.user_limit.is_some()));
        assert!(tiers.iter().any(|t| t.requires_shipping));

        let counts = store.count_members_by_status(campaign.id).await.unwrap();
        let count = |status: Option<&str>| counts.get(&status.map(str::to_owned)).copied();
        assert_eq!(count(Some("active_patron")), Some(12), "{counts:?}");
        assert_eq!(count(Some("declined_patron")), Some(3), "{counts:?}");
        assert_eq!(count(Some("former_patron")), Some(4), "{counts:?}");
        assert_eq!(count(None), Some(6), "{counts:?}");
        assert_eq!(counts.values().sum::<u64>(), 25);

        let donations = store.donations_to(creator.id, 100).await.unwrap();
        assert_eq!(donations.len(), 10);
        assert!(donations.windows(2).all(|w| w[0].created_at >= w[1].created_at));
        let mut currencies: Vec<_> = donations.iter().map(|d| d.currency.as_str()).collect();
        currencies.sort_unstable();
        currencies.dedup();
        assert!(currencies.len() >= 4, "{currencies:?}");
        assert!(donations.iter().all(|d| d.amount_in_user_currency_cents > 0));
        assert!(donations.iter().any(|d| d.donor_user_id == Some(patron.id)));

        let client = store
            .oauth_client_by_client_id(&creds.client.client_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(client.id, creds.client.id);
        assert_eq!(client.owner_user_id, creator.id);
        assert!(creds.client.client_id.len() >= 32);
        assert!(creds.client.client_id.chars().all(|c| c.is_ascii_alphanumeric()));
        let secret = SecretToken::from_presented(creds.client.client_secret.clone());
        assert_eq!(client.secret_hash, Some(secret.hash().0));
        assert_ne!(client.secret_hash.as_deref(), Some(creds.client.client_secret.as_str()));
        assert_eq!(client.redirect_uris, format!("[\"{}\"]", creds.client.redirect_uri));
        assert_eq!(store.oauth_clients_owned_by(creator.id).await.unwrap().len(), 1);

        let events = store.events_after(0, 1_000).await.unwrap();
        let of = |kind: &str| events.iter().filter(|e| e.kind == kind).count();
        assert_eq!(of(events::MEMBER_CREATE), 25);
        assert_eq!(of(events::PLEDGE_CREATE), 15, "active and declined patrons pledge");
        assert_eq!(of(events::POST_PUBLISH), 1);
        assert_eq!(of(events::DONATION_CREATE), 10);

        let json = serde_json::to_string(&creds).unwrap();
        let back: demo::DemoCredentials = serde_json::from_str(&json).unwrap();
        assert_eq!(back, creds);

        let again = demo::seed(store, &clock).await;
        assert!(again.is_err(), "a seeded database refuses a second seed");
    }
}
