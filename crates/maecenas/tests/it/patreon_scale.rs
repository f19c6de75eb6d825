//! A campaign with 100,000 members, seeded by the store's bulk insert, pages completely over
//! real HTTP on both backends: at `page[count]=1000`, and at the 500 Patreon allows with
//! `include=pledge_history` (a larger ask is clamped), every member exactly once. And the CLI
//! that seeds such campaigns for benchmarks, `maecenas sandbox members`.

use std::{collections::HashSet, time::Instant};

use chrono::Duration;
use maecenas_store::{
    accounts::NewUser,
    bulk::BulkMembers,
    campaigns::{NewCampaign, NewTier},
};
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::Clock;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    cli::{maecenas, run, stderr},
    patreon_demo::{setup, token},
};

const MEMBERS: usize = 100_000;

/// Follows `links.next` from `first` to the end; returns every member id and every included
/// pledge event's member, page by page checked against `max` and the total.
async fn page_all(app: &TestApp, first: String, bearer: &str, max: usize) -> (Vec<String>, usize) {
    let client = app.client();
    let mut url = app.url(&first);
    let (mut ids, mut events, mut pages) = (Vec::with_capacity(MEMBERS), 0, 0);
    loop {
        // Patreon's per-token limit is 100 a minute; the manual clock moves a second a page.
        app.clock.advance(Duration::seconds(1));
        let response = client.get(&url).bearer_auth(bearer).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let body: Value = response.json().await.unwrap();
        pages += 1;
        let data = body["data"].as_array().unwrap();
        assert!(data.len() <= max, "page {pages}: {} > {max}", data.len());
        assert_eq!(body["meta"]["pagination"]["total"], MEMBERS);
        ids.extend(data.iter().map(|m| m["id"].as_str().unwrap().to_owned()));
        events += body["included"].as_array().map_or(0, |i| {
            i.iter().filter(|r| r["type"] == "pledge-event").count()
        });
        match body["links"].get("next").and_then(Value::as_str) {
            Some(next) => url = next.to_owned(),
            None => {
                assert!(body["meta"]["pagination"]["cursors"]["next"].is_null());
                break;
            }
        }
    }
    assert_eq!(pages, MEMBERS.div_ceil(max), "full pages until the last");
    (ids, events)
}

fn exactly_once(ids: &[String]) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), MEMBERS, "every member");
    assert_eq!(unique.len(), MEMBERS, "no member twice");
}

both_backends! {
    async fn a_hundred_thousand_members_page_completely(db: TestDb) {
        let (app, creds) = setup(db).await;
        let store = &app.db.store;
        let now = app.clock.now();
        let creator = store.create_user(NewUser { email: "big@example.org".into(), password_hash: None, full_name: "Big Creator".into(), vanity: None }, now).await.unwrap();
        let campaign = store.create_campaign(NewCampaign { creator_id: creator.id, vanity: "big".into(), creation_name: "everything".into(), summary: String::new(), one_liner: String::new(), currency: "USD".into(), published_at: Some(now) }, now).await.unwrap();
        let tier = store.create_tier(NewTier { campaign_id: campaign.id, title: "Supporter".into(), description: String::new(), amount_cents: 300, currency: "USD".into(), user_limit: None, requires_shipping: false, sort_order: 0 }, now).await.unwrap();

        let started = Instant::now();
        let spec = BulkMembers { campaign_id: campaign.id, count: MEMBERS, label: "big".into(), tier_id: Some(tier.id), amount_cents: 300, currency: "USD".into() };
        assert_eq!(store.bulk_insert_members(&spec, now).await.unwrap(), MEMBERS);
        eprintln!("seeded {MEMBERS} members in {:.1?}", started.elapsed());
        assert_eq!(store.count_members(campaign.id).await.unwrap(), u64::try_from(MEMBERS).unwrap());

        let bearer = token(&app, &creds, "big@example.org", "campaigns.members").await;
        let base = format!("/api/oauth2/v2/campaigns/{}/members", campaign.id);

        let started = Instant::now();
        let (ids, _) = page_all(&app, format!("{base}?page%5Bcount%5D=1000&fields%5Bmember%5D=patron_status"), &bearer, 1000).await;
        exactly_once(&ids);
        eprintln!("100 pages of 1000 in {:.1?}", started.elapsed());

        // With pledge_history the page is at most 500; asking for 1000 is clamped, not refused.
        let started = Instant::now();
        let (with_history, events) = page_all(&app, format!("{base}?include=pledge_history&page%5Bcount%5D=1000"), &bearer, 500).await;
        exactly_once(&with_history);
        assert_eq!(events, MEMBERS, "each member's one pledge_start, included once");
        eprintln!("200 pages of 500 with pledge_history in {:.1?}", started.elapsed());
        let first: HashSet<&String> = ids.iter().collect();
        assert!(with_history.iter().all(|id| first.contains(id)), "the same members both ways");
    }
}

both_backends! {
    async fn sandbox_members_adds_patrons_in_bulk(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let url = db.isolated_url();
        let out = run(maecenas(dir.path()).args(["migrate", "--database-url", &url])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let out = run(maecenas(dir.path()).args(["admin", "user", "create", "--email", "maker@example.org", "--password", "correct horse battery", "--database-url", &url])).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let mut totals = Vec::new();
        for _ in 0..2 {
            let out = run(maecenas(dir.path()).args(["sandbox", "members", "--creator", "maker@example.org", "--count", "2500", "--json", "--database-url", &url])).await;
            assert!(out.status.success(), "{}", stderr(&out));
            let added: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(added["added"], 2500);
            totals.push((added["campaign_id"].clone(), added["total"].as_u64().unwrap()));
            let first = db.store.user_by_email(added["first_member_email"].as_str().unwrap()).await.unwrap().unwrap();
            let memberships = db.store.memberships_of_user(first.id).await.unwrap();
            assert_eq!(memberships.len(), 1);
            let m = &memberships[0];
            assert_eq!(m.patron_status.as_deref(), Some("active_patron"));
            let tiers = db.store.entitled_tiers(&[m.id]).await.unwrap();
            assert_eq!(tiers[&m.id][0].id, added["tier_id"].as_i64().unwrap());
            assert_eq!(db.store.pledge_history(m.id).await.unwrap().len(), 1);
        }
        assert_eq!(totals[0], (totals[1].0.clone(), 2500), "the campaign made on the first run…");
        assert_eq!(totals[1].1, 5000, "…gets the second run's members too");
        let out = run(maecenas(dir.path()).args(["sandbox", "members", "--creator", "nobody@example.org", "--count", "1", "--database-url", &url])).await;
        assert!(!out.status.success());
        assert!(stderr(&out).contains("no account nobody@example.org"), "{}", stderr(&out));
    }
}
