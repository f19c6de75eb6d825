//! The store's campaign, member, money, OAuth and event queries, each on SQLite and PostgreSQL —
//! above all that every change integrations hear about writes its event in its own transaction.

use chrono::Duration;
use maecenas_store::{
    StoreError,
    campaigns::{NewBenefit, NewPost},
    events,
    members::{NewAddress, NewMember, NewPledgeEvent},
    money::NewDonation,
    oauth::NewOAuthClient,
    oauth_tokens::{NewOAuthToken, REFRESH, Rotation, Spent},
};
use maecenas_testkit::both_backends;

use fixtures::{campaign, free_member, kinds, t0, tier, user};

both_backends! {
    async fn campaign_tiers_and_posts(db: TestDb) {
        let store = &db.store;
        let creator = user(store, "Nora").await;
        let id = campaign(store, creator, "nora").await.unwrap();
        assert_eq!(store.campaign_by_creator(creator).await.unwrap().unwrap().id, id);
        assert!(store.campaign_by_creator(creator + 1).await.unwrap().is_none());
        assert!(
            matches!(campaign(store, creator, "other").await, Err(StoreError::Conflict(_))),
            "one campaign per creator"
        );

        let gold = tier(store, id, "Gold", 1_000, 2).await;
        let bronze = tier(store, id, "Bronze", 300, 0).await;
        let silver = tier(store, id, "Silver", 500, 1).await;
        let tiers = store.tiers_of_campaign(id).await.unwrap();
        assert_eq!(tiers.iter().map(|t| t.id).collect::<Vec<_>>(), [bronze, silver, gold]);
        assert!(tiers.iter().all(|t| t.published && t.published_at == Some(t0())));

        let benefit = NewBenefit {
            campaign_id: id,
            title: "Postcards".to_owned(),
            description: String::new(),
            tier_ids: vec![silver, gold],
        };
        assert_eq!(store.create_benefit(benefit, t0()).await.unwrap().campaign_id, id);

        let draft = NewPost {
            campaign_id: id,
            user_id: creator,
            title: "Draft".to_owned(),
            content: String::new(),
            is_public: true,
            published_at: None,
            tier_ids: vec![gold],
        };
        store.create_post(draft.clone(), t0()).await.unwrap();
        assert!(store.events_after(0, 10).await.unwrap().is_empty(), "drafts are silent");

        let published = NewPost { published_at: Some(t0()), title: "Out".to_owned(), ..draft };
        let post = store.create_post(published, t0()).await.unwrap();
        let events = store.events_after(0, 10).await.unwrap();
        assert_eq!(kinds(&events), [events::POST_PUBLISH]);
        assert_eq!(events[0].subject_type, "post");
        assert_eq!(events[0].subject_id, post.id.to_string());
        assert_eq!(events[0].campaign_id, Some(id));
        assert_eq!(events[0].created_at, t0());
    }

    async fn members_write_events_in_their_transaction(db: TestDb) {
        let store = &db.store;
        let creator = user(store, "Nora").await;
        let id = campaign(store, creator, "nora").await.unwrap();
        let gold = tier(store, id, "Gold", 1_000, 0).await;
        let (ana, ben, cy) = (user(store, "Ana").await, user(store, "Ben").await, user(store, "Cy").await);

        let start = t0() - Duration::days(31);
        let charge = |event_type: &str, date| NewPledgeEvent {
            event_type: event_type.to_owned(),
            amount_cents: 1_000,
            currency: "USD".to_owned(),
            payment_status: Some("Paid".to_owned()),
            pledge_payment_status: Some("valid".to_owned()),
            tier_id: Some(gold),
            tier_title: Some("Gold".to_owned()),
            date,
        };
        let patron = NewMember {
            patron_status: Some("active_patron".to_owned()),
            is_follower: false,
            currently_entitled_amount_cents: 1_000,
            will_pay_amount_cents: 1_000,
            lifetime_support_cents: 2_000,
            pledge_relationship_start: Some(start),
            last_charge_date: Some(t0() - Duration::days(1)),
            last_charge_status: Some("Paid".to_owned()),
            tier_ids: vec![gold],
            pledge_events: vec![
                charge("subscription", t0() - Duration::days(1)),
                charge("pledge_start", start),
            ],
            address: Some(NewAddress {
                addressee: "Ana".to_owned(),
                line_1: "1 Main St".to_owned(),
                line_2: String::new(),
                postal_code: "12345".to_owned(),
                city: "Springfield".to_owned(),
                state: String::new(),
                country: "US".to_owned(),
                phone_number: String::new(),
            }),
            ..free_member(id, ana)
        };
        let created = store
            .create_members(vec![patron, free_member(id, ben)], t0())
            .await
            .unwrap();
        assert_eq!(created.len(), 2);
        assert!(created[0].address_id.is_some());
        assert_eq!(created[0].campaign_lifetime_support_cents, 2_000);
        assert!(created[1].address_id.is_none());

        let events = store.events_after(0, 10).await.unwrap();
        assert_eq!(
            kinds(&events),
            [events::MEMBER_CREATE, events::PLEDGE_CREATE, events::MEMBER_CREATE]
        );
        assert_eq!(events[0].subject_id, created[0].id.to_string());
        assert_eq!(events[0].user_id, Some(ana));
        assert_eq!(events[2].subject_id, created[1].id.to_string());
        assert_eq!(store.events_after(events[0].id, 10).await.unwrap().len(), 2);

        let history = store.pledge_history(created[0].id).await.unwrap();
        let types: Vec<_> = history.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["pledge_start", "subscription"], "oldest first");
        assert!(store.pledge_history(created[1].id).await.unwrap().is_empty());

        // Cy is new but Ana is already a member: the whole batch rolls back, events included.
        let failed = store
            .create_members(vec![free_member(id, cy), free_member(id, ana)], t0())
            .await;
        assert!(matches!(failed, Err(StoreError::Conflict(_))), "{failed:?}");
        assert_eq!(store.events_after(0, 100).await.unwrap().len(), 3);
        let counts = store.count_members_by_status(id).await.unwrap();
        assert_eq!(counts.get(&Some("active_patron".to_owned())), Some(&1));
        assert_eq!(counts.get(&None), Some(&1));
        assert_eq!(counts.values().sum::<u64>(), 2, "Cy was not added: {counts:?}");
    }

    async fn donations_newest_first_with_events(db: TestDb) {
        let store = &db.store;
        let streamer = user(store, "Nora").await;
        let fan = user(store, "Ana").await;
        let donation = |username: &str, cents, currency: &str, hours| NewDonation {
            recipient_user_id: streamer,
            donor_user_id: (username == "Ana").then_some(fan),
            username: username.to_owned(),
            message: format!("from {username}"),
            amount_cents: cents,
            currency: currency.to_owned(),
            amount_in_user_currency_cents: cents,
            payin_system: "sandbox".to_owned(),
            created_at: t0() - Duration::hours(hours),
            shown_at: (hours > 1).then(|| t0() - Duration::hours(hours) + Duration::seconds(20)),
        };
        let created = store
            .create_donations(vec![
                donation("Ana", 500, "USD", 3),
                donation("Vasya", 50_000, "RUB", 2),
                donation("Joao", 2_500, "BRL", 1),
            ])
            .await
            .unwrap();
        assert_eq!(created.len(), 3);
        assert!(created[0].is_shown && !created[2].is_shown);
        assert_eq!(created[0].donor_user_id, Some(fan));

        let newest = store.donations_to(streamer, 2).await.unwrap();
        let names: Vec<_> = newest.iter().map(|d| d.username.as_str()).collect();
        assert_eq!(names, ["Joao", "Vasya"]);
        assert_eq!(newest[1].currency, "RUB");
        assert_eq!(newest[1].message_type, "text");
        assert!(store.donations_to(fan, 10).await.unwrap().is_empty());

        let events = store.events_after(0, 10).await.unwrap();
        assert_eq!(kinds(&events), [events::DONATION_CREATE; 3]);
        assert!(events.iter().all(|e| e.user_id == Some(streamer) && e.campaign_id.is_none()));
        assert_eq!(events[1].subject_id, created[1].id.to_string());
        assert_eq!(events[1].created_at, t0() - Duration::hours(2));
    }

    async fn oauth_clients_by_client_id(db: TestDb) {
        let store = &db.store;
        let owner = user(store, "Nora").await;
        let new = NewOAuthClient {
            client_id: "abcDEF0123456789abcDEF0123456789".to_owned(),
            secret_hash: Some("hash".to_owned()),
            owner_user_id: owner,
            name: "Bot".to_owned(),
            description: String::new(),
            author_name: "Nora".to_owned(),
            domain: "127.0.0.1".to_owned(),
            redirect_uris: vec!["http://127.0.0.1:8000/callback".to_owned()],
            default_scopes: "identity campaigns".to_owned(),
        };
        let created = store.create_oauth_client(new.clone(), t0()).await.unwrap();
        assert_eq!(created.redirect_uris, r#"["http://127.0.0.1:8000/callback"]"#);
        assert_eq!(created.api_version, 2);

        let found = store.oauth_client_by_client_id(&new.client_id).await.unwrap();
        assert_eq!(found.as_ref(), Some(&created));
        assert!(store.oauth_client_by_client_id("nope").await.unwrap().is_none());
        assert_eq!(store.oauth_clients_owned_by(owner).await.unwrap(), [created]);

        let again = store.create_oauth_client(new, t0()).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    }

    async fn refresh_rotations_in_one_batch(db: TestDb) {
        let store = &db.store;
        let owner = user(store, "Rita").await;
        let client = store.create_oauth_client(NewOAuthClient {
            client_id: "batch".to_owned(),
            secret_hash: None,
            owner_user_id: owner,
            name: "Batch".to_owned(),
            description: String::new(),
            author_name: String::new(),
            domain: String::new(),
            redirect_uris: vec!["https://a.example/cb".to_owned()],
            default_scopes: "identity".to_owned(),
        }, t0()).await.unwrap();
        let grant = store.create_oauth_grant(client.id, owner, "identity", t0()).await.unwrap();
        let token = |hash: &str| NewOAuthToken {
            token_hash: hash.to_owned(),
            kind: REFRESH,
            grant_id: grant.id,
            scopes: "identity".to_owned(),
            expires_at: t0() + Duration::days(1),
        };
        store.create_oauth_tokens(vec![token("a"), token("b"), token("c")], t0()).await.unwrap();
        let id = |hash: &'static str| async move {
            store.oauth_token_context(hash).await.unwrap().unwrap().token.id
        };
        let (a, b, c) = (id("a").await, id("b").await, id("c").await);
        store.revoke_oauth_token(c, t0()).await.unwrap();
        let later = t0() + Duration::seconds(5);
        let outcome = store.rotate_refresh_tokens(vec![
            Rotation { token_id: a, tokens: vec![token("a2")] },
            Rotation { token_id: b, tokens: vec![token("b2")] },
            // The same token twice in one batch: only the first wins.
            Rotation { token_id: a, tokens: vec![token("a3")] },
            // A revoked token loses.
            Rotation { token_id: c, tokens: vec![token("c2")] },
        ], later).await.unwrap();
        assert_eq!(outcome, [Spent::Won, Spent::Won, Spent::AlreadyUsed, Spent::AlreadyUsed]);
        for (hash, stored) in [("a2", true), ("b2", true), ("a3", false), ("c2", false)] {
            let found = store.oauth_token_context(hash).await.unwrap();
            assert_eq!(found.is_some(), stored, "{hash}");
            if let Some(found) = found {
                assert_eq!((found.token.created_at, found.token.used_at), (later, None));
                assert_eq!((found.grant.id, found.client.id), (grant.id, client.id));
            }
        }
        let spent = store.oauth_token_context("a").await.unwrap().unwrap().token;
        assert_eq!(spent.used_at, Some(later));
        // Spent tokens stay spent; a batch of one is the same path.
        assert_eq!(store.rotate_refresh_token(a, vec![token("a4")], later).await.unwrap(),
            Spent::AlreadyUsed);
        assert!(store.oauth_token_context("a4").await.unwrap().is_none());

        // A batch where every rotation wins (one UPDATE spends them all), three long: its
        // lists are padded to four, which must change nothing.
        store.create_oauth_tokens(vec![token("d"), token("e")], t0()).await.unwrap();
        let (a2, b2, d, e) = (id("a2").await, id("b2").await, id("d").await, id("e").await);
        let outcome = store.rotate_refresh_tokens(vec![
            Rotation { token_id: a2, tokens: vec![token("a5"), token("a6")] },
            Rotation { token_id: b2, tokens: vec![token("b5"), token("b6")] },
            Rotation { token_id: d, tokens: vec![token("d5"), token("d6")] },
        ], later).await.unwrap();
        assert_eq!(outcome, [Spent::Won; 3]);
        let hashes = ["a5", "a6", "b5", "b6", "d5", "d6", "e", "nope"].map(str::to_owned);
        let mut found: Vec<String> = store.oauth_token_contexts(hashes.to_vec()).await.unwrap()
            .into_iter().map(|c| c.token.token_hash).collect();
        found.sort();
        assert_eq!(found, ["a5", "a6", "b5", "b6", "d5", "d6", "e"]);
        for spent in [a2, b2, d] {
            assert_eq!(store.rotate_refresh_token(spent, vec![token("x")], later).await.unwrap(),
                Spent::AlreadyUsed);
        }
        assert!(store.oauth_token_context(hashes[6].as_str()).await.unwrap().unwrap()
            .token.used_at.is_none(), "e was never rotated");
        assert_eq!(id("e").await, e);

        // A hash already stored is refused, and nothing of its batch is kept.
        let taken = store.create_oauth_tokens(vec![token("f"), token("e")], t0()).await;
        assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
        assert!(store.oauth_token_context("f").await.unwrap().is_none());
    }
}

/// Rows the tests build on.
#[cfg(test)]
mod fixtures {
    use chrono::{DateTime, Utc};
    use maecenas_store::{
        Store, StoreError,
        accounts::NewUser,
        campaigns::{NewCampaign, NewTier},
        entities::event,
        members::NewMember,
    };

    pub fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).unwrap()
    }

    pub async fn user(store: &Store, name: &str) -> i64 {
        let new = NewUser {
            email: format!("{}@example.org", name.to_lowercase()),
            password_hash: None,
            full_name: name.to_owned(),
            vanity: None,
        };
        store.create_user(new, t0()).await.unwrap().id
    }

    pub async fn campaign(store: &Store, creator_id: i64, vanity: &str) -> Result<i64, StoreError> {
        let new = NewCampaign {
            creator_id,
            vanity: vanity.to_owned(),
            creation_name: "games".to_owned(),
            summary: String::new(),
            one_liner: String::new(),
            currency: "USD".to_owned(),
            published_at: Some(t0()),
        };
        Ok(store.create_campaign(new, t0()).await?.id)
    }

    pub async fn tier(store: &Store, campaign_id: i64, title: &str, cents: i64, order: i64) -> i64 {
        let new = NewTier {
            campaign_id,
            title: title.to_owned(),
            description: String::new(),
            amount_cents: cents,
            currency: "USD".to_owned(),
            user_limit: None,
            requires_shipping: false,
            sort_order: order,
        };
        store.create_tier(new, t0()).await.unwrap().id
    }

    pub fn free_member(campaign_id: i64, user_id: i64) -> NewMember {
        NewMember {
            campaign_id,
            user_id,
            patron_status: None,
            is_follower: true,
            currency: "USD".to_owned(),
            currently_entitled_amount_cents: 0,
            will_pay_amount_cents: 0,
            lifetime_support_cents: 0,
            pledge_relationship_start: None,
            last_charge_date: None,
            last_charge_status: None,
            next_charge_date: None,
            tier_ids: vec![],
            pledge_events: vec![],
            address: None,
        }
    }

    pub fn kinds(events: &[event::Model]) -> Vec<&str> {
        events.iter().map(|e| e.kind.as_str()).collect()
    }
}
