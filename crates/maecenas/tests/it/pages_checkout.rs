//! The campaign page, checkout and "My memberships" through the real HTTP server: tiers,
//! benefits, places and goals on the page; posts readable by their tiers' patrons only; a
//! checkout with each sandbox card; a double-submitted checkout charging once; every bad input
//! re-rendering the form with its message; HTML escaped; changing tier and cancelling. Each on
//! SQLite and PostgreSQL.

use maecenas_store::{
    Store,
    accounts::NewUser,
    campaigns::{NewBenefit, NewCampaign, NewGoal, NewPost, NewTier},
    entities::{campaign, tier},
};
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::Clock;
use reqwest::{Client, StatusCode};

use crate::support::{csrf_token, location, sign_up};

pub const PASSWORD: &str = "correct horse battery";
/// A tier title with markup in it, to check escaping.
pub const EVIL: &str = "<script>alert(1)</script>";

/// A published USD campaign `vanity` by a creator named with markup: tiers Bronze (5.00),
/// Gold (15.00, 2 places, benefit "Early access") and Poster (20.00, ships); a goal of 100.00;
/// a public post and a post for Gold only.
pub struct Seeded {
    pub campaign: campaign::Model,
    pub bronze: tier::Model,
    pub gold: tier::Model,
    pub poster: tier::Model,
    pub public_post: i64,
    pub gold_post: i64,
}

pub async fn seed(store: &Store, clock: &dyn Clock, vanity: &str) -> Seeded {
    let now = clock.now();
    let creator_email = format!("creator-{vanity}@example.org");
    let hash = maecenas_core::password::hash(PASSWORD.to_owned())
        .await
        .unwrap();
    let creator = store
        .create_user(
            NewUser {
                email: creator_email.clone(),
                password_hash: Some(hash),
                full_name: format!("Maker {EVIL}"),
                vanity: Some(vanity.to_owned()),
            },
            now,
        )
        .await
        .unwrap();
    let campaign = store
        .create_campaign(
            NewCampaign {
                creator_id: creator.id,
                vanity: vanity.to_owned(),
                creation_name: "comics".into(),
                summary: "Weekly comics.".into(),
                one_liner: String::new(),
                currency: "USD".into(),
                published_at: Some(now),
            },
            now,
        )
        .await
        .unwrap();
    let tier = |title: &str, cents: i64, limit: Option<i64>, ships: bool| NewTier {
        campaign_id: campaign.id,
        title: title.into(),
        description: String::new(),
        amount_cents: cents,
        currency: "USD".into(),
        user_limit: limit,
        requires_shipping: ships,
        sort_order: cents,
    };
    let bronze = store
        .create_tier(tier("Bronze", 500, None, false), now)
        .await
        .unwrap();
    let gold = store
        .create_tier(tier("Gold", 1500, Some(2), false), now)
        .await
        .unwrap();
    let poster = store
        .create_tier(tier("Poster", 2000, None, true), now)
        .await
        .unwrap();
    store
        .create_benefit(
            NewBenefit {
                campaign_id: campaign.id,
                title: format!("Early access {EVIL}"),
                description: String::new(),
                tier_ids: vec![gold.id],
            },
            now,
        )
        .await
        .unwrap();
    store
        .create_goal(
            NewGoal {
                campaign_id: campaign.id,
                title: "Full time".into(),
                description: String::new(),
                amount_cents: 10_000,
            },
            now,
        )
        .await
        .unwrap();
    let post = |title: &str, content: &str, public: bool, tiers: Vec<i64>| NewPost {
        campaign_id: campaign.id,
        user_id: creator.id,
        title: title.into(),
        content: content.into(),
        is_public: public,
        published_at: Some(now),
        tier_ids: tiers,
    };
    let public_post = store
        .create_post(post("Hello", "Everyone can read this.", true, vec![]), now)
        .await
        .unwrap()
        .id;
    let gold_post = store
        .create_post(
            post(
                "Gold only",
                "The secret gold content.",
                false,
                vec![gold.id],
            ),
            now,
        )
        .await
        .unwrap()
        .id;
    Seeded {
        campaign,
        bronze,
        gold,
        poster,
        public_post,
        gold_post,
    }
}

/// Signs `email` up in a fresh client.
pub async fn patron(app: &TestApp, email: &str) -> Client {
    let client = app.client();
    let r = sign_up(app, &client, email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    client
}

/// The value of hidden field `name` in `html`.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// Opens the checkout for `tier` and submits it with `fields`; returns the answer and the key.
pub async fn join(
    app: &TestApp,
    client: &Client,
    vanity: &str,
    tier: Option<i64>,
    fields: &[(&str, &str)],
) -> (reqwest::Response, Vec<(String, String)>) {
    let query = tier.map(|t| format!("?tier={t}")).unwrap_or_default();
    let page = client
        .get(app.url(&format!("/c/{vanity}/join{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let mut form: Vec<(String, String)> = vec![
        ("csrf_token".into(), csrf_token(&html)),
        ("idempotency_key".into(), hidden(&html, "idempotency_key")),
        (
            "tier".into(),
            tier.map(|t| t.to_string()).unwrap_or_default(),
        ),
        ("cadence".into(), "monthly".into()),
    ];
    for (k, v) in fields {
        form.retain(|(key, _)| key != k);
        form.push(((*k).into(), (*v).into()));
    }
    let r = client
        .post(app.url(&format!("/c/{vanity}/join")))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r, form)
}

/// A checkout case: tier, fields, the message expected.
type Case<'a> = (Option<i64>, Vec<(&'a str, &'a str)>, &'a str);

async fn text(client: &Client, url: String) -> (StatusCode, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

both_backends! {
    async fn campaign_page_shows_tiers_goals_and_locks_tier_posts(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        let anon = app.client();
        let (status, html) = text(&anon, app.url("/c/comics")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Bronze") && html.contains("5.00 USD") && html.contains("15.00 USD"));
        assert!(html.contains("2 places left"), "{html}");
        assert!(html.contains("Ships to your address"));
        assert!(html.contains("Full time") && html.contains("100.00 USD"));
        assert!(html.contains(&format!("/c/comics/join?tier={}", s.bronze.id)));
        assert!(html.contains("Everyone can read this."));
        assert!(!html.contains("The secret gold content."), "a Gold post is locked to visitors");
        assert!(html.contains("For patrons of Gold"));
        assert!(!html.contains(EVIL), "markup in names is escaped");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"), "{html}");
        let (status, _) = text(&anon, app.url(&format!("/c/comics/posts/{}", s.public_post))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, html) = text(&anon, app.url(&format!("/c/comics/posts/{}", s.gold_post))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!html.contains("The secret gold content."));
        let (status, _) = text(&anon, app.url("/c/nobody")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Checkout needs an account: the visitor is sent to log in and brought back.
        let r = anon.get(app.url(&format!("/c/comics/join?tier={}", s.gold.id))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(location(&r).starts_with("/login?next=%2Fc%2Fcomics%2Fjoin"), "{}", location(&r));

        // A Bronze patron still cannot read the Gold post; a Gold patron can.
        let bronze = patron(&app, "bronze@example.org").await;
        let (r, _) = join(&app, &bronze, "comics", Some(s.bronze.id), &[("card", "4242 4242 4242 4242")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (status, _) = text(&bronze, app.url(&format!("/c/comics/posts/{}", s.gold_post))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let gold = patron(&app, "gold@example.org").await;
        let (r, _) = join(&app, &gold, "comics", Some(s.gold.id), &[("card", "4242424242424242")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (status, html) = text(&gold, app.url(&format!("/c/comics/posts/{}", s.gold_post))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("The secret gold content."));
        let (_, html) = text(&gold, app.url("/c/comics")).await;
        assert!(html.contains("The secret gold content."));
        assert!(html.contains("1 places left"), "one Gold place taken");
        assert!(html.contains("active_patron"));
        app.stop().await;
    }

    async fn checkout_charges_once_and_shows_the_membership(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        let client = patron(&app, "pat@example.org").await;
        let (r, form) = join(&app, &client, "comics", Some(s.bronze.id), &[("card", "4242 4242 4242 4242")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/memberships?done=joined");
        // The same form submitted again (a double click): the same membership, one charge.
        let again = client.post(app.url("/c/comics/join")).form(&form).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::SEE_OTHER, "{}", again.text().await.unwrap());
        let user = app.db.store.user_by_email("pat@example.org").await.unwrap().unwrap();
        let member = app.db.store.member_of(s.campaign.id, user.id).await.unwrap().unwrap();
        let charges = app.db.store.charges_of_member(member.id).await.unwrap();
        assert_eq!(charges.len(), 1, "a double-submitted checkout charges once");
        assert_eq!(charges[0].amount_cents, 500);
        assert_eq!(member.patron_status.as_deref(), Some("active_patron"));
        let (_, html) = text(&client, app.url("/memberships?done=joined")).await;
        assert!(html.contains("active_patron") && html.contains("Bronze") && html.contains("5.00 USD / month"), "{html}");

        // A second, fresh form is refused: already a member.
        let (r, _) = join(&app, &client, "comics", Some(s.gold.id), &[("card", "4242424242424242")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("already a member"));

        // Upgrade to Gold, then cancel, from "My memberships".
        let html = text(&client, app.url("/memberships")).await.1;
        let token = csrf_token(&html);
        let r = client
            .post(app.url(&format!("/memberships/{}/change", member.id)))
            .form(&[("csrf_token", token.as_str()), ("tier", &s.gold.id.to_string()), ("amount", "")])
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
        let (_, html) = text(&client, app.url("/memberships")).await;
        assert!(html.contains("Gold") && html.contains("15.00 USD / month"), "{html}");
        // An amount under the tier's price is refused with the billing service's words.
        let r = client
            .post(app.url(&format!("/memberships/{}/change", member.id)))
            .form(&[("csrf_token", token.as_str()), ("tier", &s.gold.id.to_string()), ("amount", "1")])
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Gold needs at least 15.00 USD a month"));
        // Someone else's membership is not found.
        let other = patron(&app, "other@example.org").await;
        let html = text(&other, app.url("/profile")).await.1;
        let r = other
            .post(app.url(&format!("/memberships/{}/cancel", member.id)))
            .form(&[("csrf_token", csrf_token(&html))])
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = client
            .post(app.url(&format!("/memberships/{}/cancel", member.id)))
            .form(&[("csrf_token", token.as_str())])
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = text(&client, app.url("/memberships")).await;
        assert!(html.contains("former_patron"), "{html}");
        // Without the CSRF token nothing happens.
        let r = client
            .post(app.url(&format!("/memberships/{}/cancel", member.id)))
            .form(&[("csrf_token", "nope")])
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        app.stop().await;
    }

    async fn declining_cards_make_a_declined_patron_or_refuse(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        for (email, card, status) in [
            ("decline@example.org", "4000 0000 0000 0002", "Declined"),
            ("funds@example.org", "4000000000009995", "Declined"),
            ("fraud@example.org", "4100000000000019", "Fraud"),
        ] {
            let client = patron(&app, email).await;
            let (r, _) = join(&app, &client, "comics", Some(s.bronze.id), &[("card", card)]).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email}");
            let (_, html) = text(&client, app.url("/memberships")).await;
            assert!(html.contains("declined_patron"), "{email}: {html}");
            assert!(html.contains(status), "{email}: {html}");
            assert!(html.contains("Save card and retry"));
        }
        let client = patron(&app, "real@example.org").await;
        let (r, _) = join(&app, &client, "comics", Some(s.bronze.id), &[("card", "4111 1111 1111 1111")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("not a sandbox test card"));
        app.stop().await;
    }

    async fn checkout_bad_input_rerenders_the_form(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        let client = patron(&app, "pat@example.org").await;
        let card = ("card", "4242424242424242");
        let cases: Vec<Case<'_>> = vec![
            (Some(s.gold.id), vec![("amount", "1.00"), card], "Gold needs at least 15.00 USD a month"),
            (None, vec![("amount", "-5"), card], "the amount cannot be negative"),
            (None, vec![("amount", "99999999999999999999"), card], "at most 1000000 USD a month"),
            (None, vec![("amount", "5e9"), card], "type a number like 5 or 5.00"),
            (Some(s.poster.id), vec![card], "this tier ships: give a name, street, city and country"),
            (Some(s.bronze.id), vec![("pledge_cap", "1.00"), card], "a pledge cap must be at least what one charge costs"),
            (Some(s.bronze.id), vec![("card", "")], "not a sandbox test card"),
        ];
        for (tier, fields, message) in cases {
            let (r, _) = join(&app, &client, "comics", tier, &fields).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
            let html = r.text().await.unwrap();
            assert!(html.contains(message), "{message}: {html}");
            assert!(html.contains(r#"id="checkout""#), "the form again");
        }
        // What was typed comes back escaped.
        let (r, _) = join(&app, &client, "comics", Some(s.poster.id), &[card, ("addressee", EVIL), ("city", "x")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(!html.contains(EVIL) && html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"), "{html}");
        let user = app.db.store.user_by_email("pat@example.org").await.unwrap().unwrap();
        assert!(app.db.store.member_of(s.campaign.id, user.id).await.unwrap().is_none(), "nothing joined");

        // With an address, the shipping tier works; custom amounts without a tier too.
        let (r, _) = join(&app, &client, "comics", Some(s.poster.id), &[card,
            ("addressee", "Pat"), ("line_1", "1 Main St"), ("city", "Utrecht"), ("country", "NL")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let other = patron(&app, "custom@example.org").await;
        let (r, _) = join(&app, &other, "comics", None, &[card, ("amount", "7.25")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = text(&other, app.url("/memberships")).await;
        assert!(html.contains("7.25 USD / month") && html.contains("no tier"), "{html}");
        // Annual: twelve months charged at once.
        let yearly = patron(&app, "yearly@example.org").await;
        let (r, _) = join(&app, &yearly, "comics", Some(s.bronze.id), &[card, ("cadence", "annual")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let user = app.db.store.user_by_email("yearly@example.org").await.unwrap().unwrap();
        let member = app.db.store.member_of(s.campaign.id, user.id).await.unwrap().unwrap();
        assert_eq!(member.pledge_cadence, 12);
        let charges = app.db.store.charges_of_member(member.id).await.unwrap();
        assert_eq!(charges.iter().map(|c| c.amount_cents).collect::<Vec<_>>(), [6_000]);
        let (r, _) = join(&app, &patron(&app, "weekly@example.org").await, "comics", Some(s.bronze.id), &[card, ("cadence", "weekly")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        app.stop().await;
    }
}
