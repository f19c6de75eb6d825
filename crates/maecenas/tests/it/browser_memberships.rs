//! The membership acceptance test in headless Chromium (`tests/browser/memberships.mjs`) against
//! the demo seed, with a loopback webhook receiver: a new user joins a tier with the success card
//! and shows up as an active patron on the creator's dashboard and in the v2 API; the decline
//! card gives `declined_patron`; a post published for that tier is readable by its patron only
//! and reaches the webhook as `posts:publish`; advancing the manual clock 31 days and running
//! the billing scheduler's step charges again and sends `members:pledge:update` and
//! `members:update`. On SQLite and PostgreSQL.

use chrono::Duration;
use maecenas_core::Billing;
use maecenas_testkit::both_backends;
use reqwest::Method;

use crate::{
    browser::run_script,
    webhooks::{
        receiver::Receiver,
        setup::{create_webhook, send, setup, token},
    },
};

const SCOPES: &str = "identity identity[email] campaigns w:campaigns.webhook campaigns.members campaigns.members[email]";

/// Waits (polling the receiver, up to 20 s) for a delivery of `event` about `subject`.
async fn delivered(receiver: &Receiver, event: &str, subject: &str) -> serde_json::Value {
    for _ in 0..400 {
        if let Some(r) = receiver
            .got()
            .into_iter()
            .find(|r| r.event == event && r.body["data"]["id"] == subject)
        {
            assert!(r.md5_ok && r.standard_ok, "signed");
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let got: Vec<String> = receiver
        .got()
        .iter()
        .map(|r| format!("{} {}", r.event, r.body["data"]["id"]))
        .collect();
    panic!("no {event} for {subject}; got {got:?}");
}

both_backends! {
    async fn join_decline_renew_and_a_tier_post_in_chromium(db: TestDb) {
        let backend = db.backend();
        let (app, creds) = setup(db).await;
        let store = &app.db.store;
        let campaign = store.campaign_by_vanity(&creds.campaign.vanity).await.unwrap().unwrap();
        let tier = store.tiers_of_campaign(campaign.id).await.unwrap()
            .into_iter().find(|t| t.published && t.user_limit.is_none() && !t.requires_shipping && t.amount_cents > 0)
            .expect("a plain paid tier in the demo");
        let creator_token = token(&app, &creds, &creds.creator.email, SCOPES).await;
        let receiver = Receiver::start().await;
        let hook = create_webhook(&app, &creator_token, campaign.id, &receiver.url,
            &["members:pledge:update", "members:update", "posts:publish"]).await;
        receiver.set_secret(hook["attributes"]["secret"].as_str().unwrap());

        let args = [campaign.vanity.clone(), tier.id.to_string(), creds.creator.email.clone(), creds.creator.password.clone()];
        let run = run_script(&app, "memberships.mjs", &args).await;
        assert_eq!(run.code, Some(0), "the browser run failed on {backend:?}: {run}");
        println!("browser run on {backend:?}: {run}");
        let result: Vec<&str> = run.stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).expect("a RESULT line")
            .split(' ').collect();
        let (active_email, declined_email, post_path) = (result[0], result[1], result[2]);

        // The joined patron in the v2 API, as the creator's client sees them.
        let active = store.user_by_email(active_email).await.unwrap().unwrap();
        let member = store.member_of(campaign.id, active.id).await.unwrap().unwrap();
        let (status, doc) = send(&app, Method::GET,
            &format!("/api/oauth2/v2/members/{}?fields%5Bmember%5D=patron_status,email,currently_entitled_amount_cents", member.id),
            &creator_token, None).await;
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["data"]["attributes"]["patron_status"], "active_patron");
        assert_eq!(doc["data"]["attributes"]["email"], active_email);
        assert_eq!(doc["data"]["attributes"]["currently_entitled_amount_cents"], tier.amount_cents);
        let declined = store.user_by_email(declined_email).await.unwrap().unwrap();
        let declined_member = store.member_of(campaign.id, declined.id).await.unwrap().unwrap();
        assert_eq!(declined_member.patron_status.as_deref(), Some("declined_patron"));

        // The tier post reached the webhook.
        let post_id = post_path.rsplit('/').next().unwrap();
        let published = delivered(&receiver, "posts:publish", post_id).await;
        assert_eq!(published["data"]["type"], "post");

        // 31 days later the scheduler's step charges the pledge again.
        assert_eq!(store.charges_of_member(member.id).await.unwrap().len(), 1);
        app.clock.advance(Duration::days(31));
        let billing = Billing::sandbox(store.clone(), app.state.clock().clone());
        let report = maecenas_web::billing::step(&billing, None, "browser-test").await.unwrap();
        assert!(report.paid >= 1, "{report:?}");
        let charges = store.charges_of_member(member.id).await.unwrap();
        assert_eq!(charges.len(), 2, "charged again");
        assert_eq!(charges[1].amount_cents, tier.amount_cents);
        assert_eq!(charges[1].status, "succeeded");
        let renewed = store.member_by_id(member.id).await.unwrap().unwrap();
        assert_eq!(renewed.campaign_lifetime_support_cents, 2 * tier.amount_cents);
        let subject = member.id.to_string();
        let update = delivered(&receiver, "members:pledge:update", &subject).await;
        assert_eq!(update["data"]["attributes"]["patron_status"], "active_patron");
        delivered(&receiver, "members:update", &subject).await;
        app.stop().await;
    }
}
