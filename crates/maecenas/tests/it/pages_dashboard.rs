//! The creator dashboard through the real HTTP server: starting a campaign and editing tiers,
//! benefits and goals (bad input refused, markup escaped); members filtered by status and tier
//! and exported as CSV; the earnings chart and donations feed; posts written, published for one
//! tier, edited and deleted with their `posts:*` events. Each on SQLite and PostgreSQL.

use maecenas_store::events;
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::Clock;
use reqwest::{Client, StatusCode};

use crate::{
    pages_checkout::{EVIL, PASSWORD, join, patron, seed},
    support::{csrf_token, location, log_in},
};

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// POSTs `fields` (repeats allowed) with the CSRF token of `from`.
async fn post(
    app: &TestApp,
    client: &Client,
    from: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(app, client, from).await;
    let token = csrf_token(&html);
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Event kinds recorded after `after`, in order.
async fn kinds_after(app: &TestApp, after: i64) -> Vec<String> {
    app.db
        .store
        .events_after(after, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

both_backends! {
    async fn a_creator_starts_and_edits_a_campaign(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let client = patron(&app, "maker@example.org").await;
        let r = client.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/dashboard/edit");
        let edit = "/dashboard/edit";
        for (vanity, currency, message) in [
            ("My Page!", "USD", "vanity: 2 to 64 letters"),
            ("mine", "XXX", "currency:"),
        ] {
            let r = post(&app, &client, edit, "/dashboard/campaign", &[("vanity", vanity), ("currency", currency), ("creation_name", "art")]).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.text().await.unwrap().contains(message), "{message}");
        }
        let r = post(&app, &client, edit, "/dashboard/campaign", &[("vanity", "mine"), ("currency", "EUR"),
            ("creation_name", EVIL), ("summary", "Paintings."), ("one_liner", "")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = post(&app, &client, edit, "/dashboard/tiers", &[("title", EVIL), ("amount", "3.50"), ("published", "on")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        for (amount, message) in [("-1", "the amount cannot be negative"), ("", "monthly price"), ("9999999999", "at most")] {
            let r = post(&app, &client, edit, "/dashboard/tiers", &[("title", "Bad"), ("amount", amount), ("published", "on")]).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
            assert!(r.text().await.unwrap().contains(message), "{message}");
        }
        let c = app.db.store.campaign_by_vanity("mine").await.unwrap().unwrap();
        assert_eq!(c.currency, "EUR");
        let tier = app.db.store.tiers_of_campaign(c.id).await.unwrap().remove(0);
        assert_eq!(tier.amount_cents, 350);
        let tier_id = tier.id.to_string();
        let r = post(&app, &client, edit, &format!("/dashboard/tiers/{tier_id}"), &[("title", "Fan"), ("amount", "4"),
            ("user_limit", "10"), ("requires_shipping", "on"), ("published", "on")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = post(&app, &client, edit, "/dashboard/benefits", &[("title", "Sketches"), ("tier_ids", &tier_id)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = post(&app, &client, edit, "/dashboard/goals", &[("title", "Studio"), ("amount", "500")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = post(&app, &client, edit, "/dashboard/goals", &[("title", "Nothing"), ("amount", "0")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let (status, html) = page(&app, &app.client(), "/c/mine").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Fan") && html.contains("4.00 EUR") && html.contains("10 places left"), "{html}");
        assert!(html.contains("Sketches") && html.contains("Studio") && html.contains("500.00 EUR"));
        assert!(!html.contains(EVIL), "escaped");
        // A patron's memberships page shows the campaign's name escaped too.
        let fan = patron(&app, "fan@example.org").await;
        let (r, _) = join(&app, &fan, "mine", Some(tier.id), &[("card", "4242424242424242"),
            ("addressee", "Fan"), ("line_1", "1 Road"), ("city", "Delft"), ("country", "NL")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = page(&app, &fan, "/memberships").await;
        assert!(html.contains("active_patron") && html.contains("4.00 EUR / month"), "{html}");
        assert!(!html.contains(EVIL), "escaped on My memberships");
        // Deleting a benefit and a goal takes them off the page; not another creator's.
        let benefit = app.db.store.benefits_of_campaign(c.id).await.unwrap().remove(0);
        let goal = app.db.store.goals_of_campaign(c.id).await.unwrap().remove(0);
        for path in [format!("/dashboard/benefits/{}/delete", benefit.id), format!("/dashboard/goals/{}/delete", goal.id)] {
            let r = post(&app, &client, edit, &path, &[]).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
            let r = post(&app, &client, edit, &path, &[]).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} twice");
        }
        let (_, html) = page(&app, &app.client(), "/c/mine").await;
        assert!(!html.contains("Sketches") && !html.contains("Studio"), "{html}");
        // Another user cannot edit this campaign's tier.
        let other = patron(&app, "other@example.org").await;
        let r = post(&app, &other, "/profile", &format!("/dashboard/tiers/{tier_id}"), &[("title", "Mine now"), ("amount", "1")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }

    async fn members_earnings_and_donations_on_the_dashboard(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        let card = ("card", "4242424242424242");
        let bronze = patron(&app, "bronze@example.org").await;
        join(&app, &bronze, "comics", Some(s.bronze.id), &[card]).await;
        let gold = patron(&app, "gold@example.org").await;
        join(&app, &gold, "comics", Some(s.gold.id), &[card]).await;
        let declined = patron(&app, "declined@example.org").await;
        join(&app, &declined, "comics", Some(s.gold.id), &[("card", "4000000000000002")]).await;
        let donor = app.client();
        let r = post(&app, &donor, "/donate/comics", "/donate/comics", &[("username", EVIL), ("amount", "3"),
            ("currency", "EUR"), ("message", "Love it"), card]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        let creator = app.client();
        assert_eq!(log_in(&app, &creator, "creator-comics@example.org", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let (status, html) = page(&app, &creator, "/dashboard").await;
        assert_eq!(status, StatusCode::OK);
        for who in ["bronze@example.org", "gold@example.org", "declined@example.org"] {
            assert!(html.contains(who), "{who}");
        }
        assert!(html.contains(r#"<span id="active-patrons">2</span>"#), "{html}");
        assert!(html.contains("2026-11") && html.contains("20.00 USD"), "this month's earnings: {html}");
        assert!(html.contains("3.00 EUR") && html.contains("Love it"), "the donations feed");
        assert!(!html.contains(EVIL), "escaped");
        let (_, html) = page(&app, &creator, "/dashboard?status=declined_patron").await;
        assert!(html.contains("declined@example.org") && !html.contains("gold@example.org"));
        let (_, html) = page(&app, &creator, &format!("/dashboard?tier={}", s.gold.id)).await;
        assert!(html.contains("gold@example.org") && !html.contains("bronze@example.org"));

        let r = creator.get(app.url("/dashboard/members.csv?status=active_patron")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "name,email,patron_status,tier,pledge_amount_cents,currency,lifetime_support_cents,joined");
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines.iter().any(|l| l.contains("gold@example.org,active_patron,Gold,1500,USD,1500,")), "{csv}");
        // Someone without a campaign has no export.
        let r = bronze.get(app.url("/dashboard/members.csv")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }

    async fn posts_are_written_published_edited_and_deleted_with_events(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        let card = ("card", "4242424242424242");
        let bronze = patron(&app, "bronze@example.org").await;
        join(&app, &bronze, "comics", Some(s.bronze.id), &[card]).await;
        let gold = patron(&app, "gold@example.org").await;
        join(&app, &gold, "comics", Some(s.gold.id), &[card]).await;
        let creator = app.client();
        log_in(&app, &creator, "creator-comics@example.org", PASSWORD).await;
        let before = app.db.store.last_event_id().await.unwrap();
        let gold_id = s.gold.id.to_string();

        let r = post(&app, &creator, "/dashboard/posts", "/dashboard/posts", &[("title", ""), ("content", "x"), ("action", "publish")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = post(&app, &creator, "/dashboard/posts", "/dashboard/posts", &[("title", "Gold news"),
            ("content", "Only for gold <b>patrons</b>."), ("tier_ids", &gold_id), ("action", "publish")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/dashboard/posts?done=published");
        let r = post(&app, &creator, "/dashboard/posts", "/dashboard/posts", &[("title", "Draft"), ("content", "later"), ("action", "draft")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(kinds_after(&app, before).await, [events::POST_PUBLISH], "a draft sends nothing");
        let posts = app.db.store.posts_of_campaign(s.campaign.id, 10).await.unwrap();
        let news = posts.iter().find(|p| p.title == "Gold news").unwrap().id;
        let draft = posts.iter().find(|p| p.title == "Draft").unwrap().id;

        let path = format!("/c/comics/posts/{news}");
        let (status, html) = page(&app, &gold, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Only for gold &#60;b&#62;patrons&#60;/b&#62;.") || html.contains("&lt;b&gt;"), "{html}");
        assert_eq!(page(&app, &bronze, &path).await.0, StatusCode::FORBIDDEN);
        assert_eq!(page(&app, &app.client(), &path).await.0, StatusCode::FORBIDDEN);

        // Edit: now for Bronze too; then publish the draft; then delete the news.
        let bronze_id = s.bronze.id.to_string();
        let edit = format!("/dashboard/posts/{news}");
        let (status, html) = page(&app, &creator, &edit).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Gold news"));
        let r = post(&app, &creator, &edit, &edit, &[("title", "Gold news"), ("content", "Now bronze too."),
            ("tier_ids", &gold_id), ("tier_ids", &bronze_id), ("action", "save")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(page(&app, &bronze, &path).await.0, StatusCode::OK);
        let draft_edit = format!("/dashboard/posts/{draft}");
        let r = post(&app, &creator, &draft_edit, &draft_edit, &[("title", "Draft"), ("content", "now"), ("is_public", "on"), ("action", "publish")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = post(&app, &creator, "/dashboard/posts", &format!("/dashboard/posts/{news}/delete"), &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(page(&app, &gold, &path).await.0, StatusCode::NOT_FOUND);
        assert_eq!(kinds_after(&app, before).await,
            [events::POST_PUBLISH, events::POST_UPDATE, events::POST_PUBLISH, events::POST_DELETE]);
        // Not the patrons' to edit.
        let r = post(&app, &gold, "/profile", &format!("/dashboard/posts/{draft}/delete"), &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }

    async fn the_csv_export_has_every_member_past_the_page(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let s = seed(&app.db.store, app.clock.as_ref(), "comics").await;
        let now = app.clock.now();
        let fans = app.db.store.create_fake_patrons("csv", 1_205, now).await.unwrap();
        let joiners = fans.iter().map(|u| (u.id, "4242424242424242".to_owned())).collect();
        app.state.billing().join_batch(maecenas_core::billing::BatchJoin {
            campaign_id: s.campaign.id, tier_id: Some(s.bronze.id), amount_cents: None,
            cadence: maecenas_core::billing::Cadence::Monthly, joiners,
        }).await.unwrap();
        let creator = app.client();
        log_in(&app, &creator, "creator-comics@example.org", PASSWORD).await;
        let (_, html) = page(&app, &creator, &format!("/dashboard?tier={}", s.bronze.id)).await;
        assert!(html.contains("1205 match; the newest 1000 are shown, the export has them all."), "{}", &html[..2000.min(html.len())]);
        let csv = creator.get(app.url(&format!("/dashboard/members.csv?tier={}", s.bronze.id))).send().await.unwrap().text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 1_205);
        let emails: std::collections::HashSet<&str> = lines[1..].iter().map(|l| l.split(',').nth(1).unwrap()).collect();
        assert_eq!(emails.len(), 1_205, "each member once");
        assert!(lines[1..].iter().all(|l| l.contains(",active_patron,Bronze,500,USD,500,")));
        let csv = creator.get(app.url(&format!("/dashboard/members.csv?tier={}", s.gold.id))).send().await.unwrap().text().await.unwrap();
        assert_eq!(csv.lines().count(), 1, "nobody in Gold");
        app.stop().await;
    }
}
