//! The sandbox's membership controls through the CLI binary: a pledge, an upgrade, a decline,
//! a cancellation, a hand-fired webhook event, the persisted clock and its reset; and
//! `sandbox advance 400d` over a campaign of 10,000 fake patrons finishing with a progress line
//! and consistent histories (`sandbox audit`). On SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use maecenas_store::{
    Store,
    accounts::NewUser,
    campaigns::{NewCampaign, NewTier},
    entities::campaign,
    events,
};
use maecenas_testkit::both_backends;
use maecenas_types::Clock;
use serde_json::Value;
use tokio::process::Command;

use crate::cli::{maecenas, stderr};

async fn run_long(command: &mut Command) -> std::process::Output {
    tokio::time::timeout(Duration::from_secs(900), command.output())
        .await
        .expect("command finished in time")
        .expect("command ran")
}

async fn json_of(dir: &std::path::Path, url: &str, args: &[&str]) -> Value {
    let out = run_long(
        maecenas(dir)
            .args(args)
            .args(["--json", "--database-url", url]),
    )
    .await;
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn campaign_with_tiers(store: &Store) -> campaign::Model {
    let now = maecenas_types::SystemClock.now();
    let creator = store
        .create_user(
            NewUser {
                email: "creator@example.org".into(),
                password_hash: None,
                full_name: "Creator".into(),
                vanity: None,
            },
            now,
        )
        .await
        .unwrap();
    let c = store
        .create_campaign(
            NewCampaign {
                creator_id: creator.id,
                vanity: "sandboxed".into(),
                creation_name: "tests".into(),
                summary: String::new(),
                one_liner: String::new(),
                currency: "USD".into(),
                published_at: Some(now),
            },
            now,
        )
        .await
        .unwrap();
    for (title, cents) in [("Bronze", 500), ("Gold", 1500)] {
        store
            .create_tier(
                NewTier {
                    campaign_id: c.id,
                    title: title.into(),
                    description: String::new(),
                    amount_cents: cents,
                    currency: "USD".into(),
                    user_limit: None,
                    requires_shipping: false,
                    sort_order: cents,
                },
                now,
            )
            .await
            .unwrap();
    }
    c
}

both_backends! {
    async fn sandbox_controls_go_through_the_billing_services(db: TestDb) {
        let c = campaign_with_tiers(&db.store).await;
        let now = maecenas_types::SystemClock.now();
        db.store
            .create_user(NewUser { email: "pat@example.org".into(), password_hash: None, full_name: "Pat".into(), vanity: None }, now)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = db.isolated_url();
        let d = dir.path();
        let who = ["--campaign", "sandboxed", "--email", "pat@example.org"];

        let m = json_of(d, &url, &[&["sandbox", "pledge"][..], &who, &["--tier", "bronze"]].concat()).await;
        assert_eq!(m["patron_status"], "active_patron");
        assert_eq!(m["campaign_lifetime_support_cents"], 500);
        let m = json_of(d, &url, &[&["sandbox", "upgrade"][..], &who, &["--tier", "Gold"]].concat()).await;
        assert_eq!(m["will_pay_amount_cents"], 1500);
        assert!(m["campaign_lifetime_support_cents"].as_i64().unwrap() > 1400, "prorated almost all of the month: {m}");
        let m = json_of(d, &url, &[&["sandbox", "decline"][..], &who].concat()).await;
        assert_eq!(m["patron_status"], "declined_patron");
        assert_eq!(m["last_charge_status"], "Declined");
        let out = run_long(maecenas(d).args(["sandbox", "webhook", "--trigger", "members:update", "--database-url", &url]).args(who)).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let m = json_of(d, &url, &[&["sandbox", "cancel"][..], &who].concat()).await;
        assert_eq!(m["patron_status"], "former_patron");
        assert_eq!(m["will_pay_amount_cents"], 0);
        let out = run_long(maecenas(d).args(["sandbox", "webhook", "--trigger", "posts:publish", "--database-url", &url]).args(who)).await;
        assert!(!out.status.success(), "only member triggers");

        let member_id = m["member"].as_str().unwrap().to_owned();
        let kinds = crate::support::event_kinds(&db.store, 0, &member_id).await;
        assert_eq!(kinds, [
            events::MEMBER_CREATE, events::PLEDGE_CREATE,          // pledge
            events::PLEDGE_UPDATE, events::MEMBER_UPDATE,          // upgrade
            events::PLEDGE_UPDATE, events::MEMBER_UPDATE,          // decline
            events::MEMBER_UPDATE,                                 // fired by hand
            events::PLEDGE_DELETE, events::MEMBER_UPDATE,          // cancel
        ]);

        // Fake patrons, then a month later their second charge.
        let made = json_of(d, &url, &["sandbox", "patrons", "--campaign", "sandboxed", "--count", "25", "--tier", "Bronze"]).await;
        assert_eq!(made["created"], 25);
        let clock = json_of(d, &url, &["sandbox", "clock"]).await;
        assert_eq!(clock["offset_seconds"], 0);
        let out = run_long(maecenas(d).args(["sandbox", "advance", "31d", "--json", "--database-url", &url])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("advance: 31/31 days"), "{}", stderr(&out));
        let advanced: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(advanced["paid"], 25);
        assert_eq!(advanced["offset_seconds"], 31 * 86_400);
        assert_eq!(db.store.sandbox_clock_offset().await.unwrap(), 31 * 86_400, "persisted for a running server");
        let audit = json_of(d, &url, &["sandbox", "audit", "--campaign", "sandboxed"]).await;
        assert_eq!(audit["members"], 26);
        assert_eq!(audit["charges"], 25 * 2 + 2);
        assert_eq!(audit["problems"], serde_json::json!([]));

        let reset = json_of(d, &url, &["sandbox", "reset"]).await;
        assert_eq!(reset["deleted_patrons"], 25);
        assert_eq!(db.store.sandbox_clock_offset().await.unwrap(), 0);
        assert_eq!(db.store.count_members(c.id).await.unwrap(), 1, "Pat stays");
    }

    async fn advancing_400_days_over_10000_members_keeps_every_history_consistent(db: TestDb) {
        let c = campaign_with_tiers(&db.store).await;
        let dir = tempfile::tempdir().unwrap();
        let url = db.isolated_url();
        let d = dir.path();
        let started = Instant::now();
        let made = json_of(d, &url, &["sandbox", "patrons", "--campaign", "sandboxed", "--count", "9000", "--tier", "Bronze"]).await;
        assert_eq!(made["created"], 9000);
        // A thousand whose card stops working after checkout: declined, retried, then former.
        let made = json_of(d, &url, &[
            "sandbox", "patrons", "--campaign", "sandboxed", "--count", "1000", "--amount", "2000", "--card", "4000 0000 0000 0341",
        ]).await;
        assert_eq!(made["created"], 1000);
        let seeded = started.elapsed();

        let out = run_long(maecenas(d).args(["sandbox", "advance", "400d", "--json", "--database-url", &url])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let progress = stderr(&out);
        assert!(progress.contains("advance: 1/400 days") && progress.contains("advance: 400/400 days"), "{progress}");
        let advanced: Value = serde_json::from_slice(&out.stdout).unwrap();
        let took = started.elapsed() - seeded;
        eprintln!("{:?}: 10,000 members seeded in {seeded:?}, advanced 400 days in {took:?}: {advanced}", db.backend());
        // 9,000 monthly pledges renew 13 times in 400 days; the 1,000 decline 4 times each.
        assert_eq!(advanced["paid"], 9000 * 13);
        assert_eq!(advanced["declined"], 1000 * 4);
        assert_eq!(advanced["ended"], 1000);

        let audit = json_of(d, &url, &["sandbox", "audit", "--campaign", "sandboxed"]).await;
        assert_eq!(audit["members"], 10_000);
        assert_eq!(audit["charges"], 9000 * 14 + 1000);
        assert_eq!(audit["problems"], serde_json::json!([]));
        let counts = db.store.count_members_by_status(c.id).await.unwrap();
        assert_eq!(counts.get(&Some("active_patron".to_owned())), Some(&9000));
        assert_eq!(counts.get(&Some("former_patron".to_owned())), Some(&1000));
    }
}
