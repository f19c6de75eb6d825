//! Update and delete triggers through the store's write paths, delivered to a real receiver:
//! `members:update`, `members:pledge:update|delete`, `members:delete` and v1
//! `pledges:update|delete`; `posts:publish|update|delete`. Each event renders the snapshot it
//! was recorded with — two quick updates show their own values, and deleted members and posts
//! still have their payloads. Shapes locked against the golden fixtures (member payloads) and,
//! for posts (no capture exists), against the golden campaign and user and `patreon.md` §5.1.

use std::collections::BTreeSet;

use maecenas_store::{
    campaigns::NewPost,
    subject_changes::{MemberUpdate, PostUpdate},
};
use maecenas_testkit::both_backends;
use serde_json::Value;

use super::{
    receiver::{Received, Receiver},
    setup::{create_webhook, join, setup, token},
};

const SCOPES: &str =
    "identity campaigns w:campaigns.webhook campaigns.members campaigns.members[email]";

fn golden(name: &str) -> Value {
    let path = format!(
        "{}/../../../shared/fixtures/patreon/webhooks-v2/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn of<'a>(got: &'a [Received], trigger: &str) -> Vec<&'a Received> {
    got.iter().filter(|r| r.event == trigger).collect()
}

/// The member payload's shape matches a golden member payload.
fn member_shaped_like(ours: &Value, gold: &Value) {
    assert_eq!(keys(ours), keys(gold));
    assert_eq!(ours["data"]["type"], "member");
    let mut gold_member = keys(&gold["data"]["attributes"]);
    gold_member.insert("is_gifted".into()); // a v2 attribute the 2023 capture predates
    assert_eq!(keys(&ours["data"]["attributes"]), gold_member);
    assert_eq!(
        keys(&ours["data"]["relationships"]),
        keys(&gold["data"]["relationships"])
    );
    assert_eq!(ours["included"][0]["type"], "campaign");
    assert_eq!(ours["included"][1]["type"], "user");
    assert_eq!(
        keys(&ours["included"][0]["attributes"]),
        keys(&gold["included"][0]["attributes"])
    );
    assert_eq!(
        keys(&ours["included"][1]["attributes"]),
        keys(&gold["included"][1]["attributes"])
    );
}

both_backends! {
    async fn member_update_and_delete_triggers_render_their_snapshots(db: TestDb) {
        let (app, creds) = setup(db).await;
        let receiver = Receiver::start().await;
        let t = token(&app, &creds, &creds.creator.email, SCOPES).await;
        let w = create_webhook(&app, &t, creds.campaign.id, &receiver.url, &[
            "members:update", "members:delete", "members:pledge:update", "members:pledge:delete",
            "pledges:update", "pledges:delete",
        ]).await;
        receiver.set_secret(w["attributes"]["secret"].as_str().unwrap());
        let store = &app.db.store;
        let tier = store.tiers_of_campaign(creds.campaign.id).await.unwrap()[0].clone();
        let id: uuid::Uuid = join(&app, creds.campaign.id, 1, 500).await.parse().unwrap();
        let now = || app.state.clock().now();

        // Two quick pledge changes: each payload shows its own amount, whenever it is rendered.
        for cents in [1000, 1500] {
            store.update_member(id, MemberUpdate {
                will_pay_amount_cents: Some(cents), currently_entitled_amount_cents: Some(cents),
                tier_ids: Some(vec![tier.id]), ..MemberUpdate::default()
            }, now()).await.unwrap();
        }
        // A note is a membership change, not a pledge change.
        store.update_member(id, MemberUpdate { note: Some("vip".into()), ..MemberUpdate::default() }, now()).await.unwrap();
        // The pledge ends as Patreon's members:pledge:delete capture shows.
        store.update_member(id, MemberUpdate {
            patron_status: Some(Some("former_patron".into())), last_charge_status: Some(Some("Deleted".into())),
            will_pay_amount_cents: Some(0), currently_entitled_amount_cents: Some(0), tier_ids: Some(vec![]),
            ..MemberUpdate::default()
        }, now()).await.unwrap();
        store.delete_member(id, now()).await.unwrap();
        assert!(store.member_by_id(id).await.unwrap().is_none());

        // 4 × members:update, 2 × pledge:update (+ v1), 1 × pledge:delete (+ v1), 1 × members:delete.
        let got = receiver.wait_for(11).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let got = if receiver.count() > got.len() { receiver.got() } else { got };
        assert_eq!(got.len(), 11, "{:?}", got.iter().map(|r| &r.event).collect::<Vec<_>>());
        assert!(got.iter().all(|r| r.md5_ok && r.standard_ok));
        assert!(got.iter().all(|r| r.body["data"]["id"] == id.to_string() || r.body["data"]["type"] == "pledge"));

        let updates = of(&got, "members:update");
        let amounts: Vec<i64> = updates.iter().map(|r| r.body["data"]["attributes"]["will_pay_amount_cents"].as_i64().unwrap()).collect();
        assert_eq!(amounts, [1000, 1500, 1500, 0], "each update carries its own snapshot, in order");
        assert_eq!(updates[2].body["data"]["attributes"]["note"], "vip");
        member_shaped_like(&updates[0].body, &golden("members_update.json"));
        assert_eq!(updates[0].body["data"]["relationships"]["currently_entitled_tiers"]["data"][0]["id"], tier.id.to_string());
        assert_eq!(updates[0].body["included"][2]["type"], "tier");
        assert_eq!(updates[0].body["data"]["attributes"]["email"], "fan1@example.org");

        let pledge_updates = of(&got, "members:pledge:update");
        assert_eq!(pledge_updates.len(), 2);
        assert_eq!(pledge_updates[1].body["data"]["attributes"]["currently_entitled_amount_cents"], 1500);

        let deleted = of(&got, "members:pledge:delete");
        assert_eq!(deleted.len(), 1);
        let gold = golden("members_pledge_delete.json");
        member_shaped_like(&deleted[0].body, &gold);
        for field in ["patron_status", "last_charge_status", "will_pay_amount_cents", "currently_entitled_amount_cents"] {
            assert_eq!(deleted[0].body["data"]["attributes"][field], gold["data"]["attributes"][field], "{field}");
        }
        assert_eq!(deleted[0].body["data"]["relationships"]["currently_entitled_tiers"]["data"], serde_json::json!([]));

        // members:delete still renders after the row is gone: the member as it was.
        let gone = of(&got, "members:delete");
        assert_eq!(gone.len(), 1);
        member_shaped_like(&gone[0].body, &golden("members_update.json"));
        assert_eq!(gone[0].body["data"]["attributes"]["patron_status"], "former_patron");
        assert_eq!(gone[0].body["data"]["attributes"]["note"], "vip");
        assert_eq!(gone[0].body["links"]["self"], app.url(&format!("/api/oauth2/v2/members/{id}")));

        // The legacy v1 triggers: pledges with their reward from the snapshot.
        let v1: Vec<&Received> = got.iter().filter(|r| r.event.starts_with("pledges:")).collect();
        assert_eq!(v1.iter().map(|r| r.event.as_str()).collect::<Vec<_>>(), ["pledges:update", "pledges:update", "pledges:delete"]);
        assert!(v1.iter().all(|r| r.body["data"]["type"] == "pledge"));
        assert_eq!(v1[0].body["data"]["attributes"]["amount_cents"], 1000);
        assert_eq!(v1[0].body["data"]["relationships"]["reward"]["data"]["id"], tier.id.to_string());
        assert_eq!(keys(&v1[2].body["data"]["relationships"]), ["address", "card", "creator", "patron", "reward"].map(String::from).into());

        // A member that never pledged: no pledge triggers, just the membership ones.
        let free: uuid::Uuid = join(&app, creds.campaign.id, 2, 0).await.parse().unwrap();
        store.delete_member(free, now()).await.unwrap();
        let got = receiver.wait_for(12).await;
        assert_eq!(got[11].event, "members:delete");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(receiver.count(), 12);
        assert!(matches!(store.delete_member(free, now()).await, Err(maecenas_store::StoreError::NotFound)));
        app.stop().await;
    }

    async fn post_triggers_publish_update_delete(db: TestDb) {
        let (app, creds) = setup(db).await;
        let receiver = Receiver::start().await;
        let t = token(&app, &creds, &creds.creator.email, SCOPES).await;
        let w = create_webhook(&app, &t, creds.campaign.id, &receiver.url, &["posts:publish", "posts:update", "posts:delete"]).await;
        receiver.set_secret(w["attributes"]["secret"].as_str().unwrap());
        let store = &app.db.store;
        let now = || app.state.clock().now();
        let creator = store.user_by_email(&creds.creator.email).await.unwrap().unwrap();
        let tier = store.tiers_of_campaign(creds.campaign.id).await.unwrap()[0].clone();
        let new = |title: &str, published: bool| NewPost {
            campaign_id: creds.campaign.id, user_id: creator.id, title: title.into(),
            content: "<p>Hello</p>".into(), is_public: false,
            published_at: published.then(now), tier_ids: vec![tier.id],
        };
        let post = store.create_post(new("First", true), now()).await.unwrap();
        store.update_post(post.id, PostUpdate { title: Some("First, edited".into()), ..PostUpdate::default() }, now()).await.unwrap();
        // A draft is silent until published.
        let draft = store.create_post(new("Draft", false), now()).await.unwrap();
        store.update_post(draft.id, PostUpdate { content: Some("<p>Still a draft</p>".into()), ..PostUpdate::default() }, now()).await.unwrap();
        store.update_post(draft.id, PostUpdate { published_at: Some(Some(now())), ..PostUpdate::default() }, now()).await.unwrap();
        store.delete_post(post.id, now()).await.unwrap();
        assert!(store.post_by_id(post.id).await.unwrap().is_none());

        let got = receiver.wait_for(4).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(receiver.count(), 4);
        let events: Vec<&str> = got.iter().map(|r| r.event.as_str()).collect();
        assert_eq!(events, ["posts:publish", "posts:update", "posts:publish", "posts:delete"]);
        assert!(got.iter().all(|r| r.md5_ok && r.standard_ok));
        let titles: Vec<&str> = got.iter().map(|r| r.body["data"]["attributes"]["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["First", "First, edited", "Draft", "First, edited"], "the deleted post as it was");

        // Shape: patreon.md §5.1 post attributes, campaign then user included (shaped like the
        // golden capture's), links.self.
        let gold = golden("members_pledge_create.json");
        for r in &got {
            let doc = &r.body;
            assert_eq!(keys(doc), ["data", "included", "links"].map(String::from).into());
            assert_eq!(doc["data"]["type"], "post");
            assert_eq!(keys(&doc["data"]["attributes"]), [
                "app_id", "app_status", "content", "embed_data", "embed_url", "is_paid", "is_public",
                "published_at", "tiers", "title", "url",
            ].map(String::from).into());
            assert_eq!(doc["data"]["attributes"]["tiers"], serde_json::json!([tier.id.to_string()]));
            assert_eq!(keys(&doc["data"]["relationships"]), ["campaign", "user"].map(String::from).into());
            assert_eq!(doc["included"][0]["type"], "campaign");
            assert_eq!(keys(&doc["included"][0]["attributes"]), keys(&gold["included"][0]["attributes"]));
            assert_eq!(doc["included"][1]["type"], "user");
            assert_eq!(doc["included"][1]["id"], creator.id.to_string());
            assert!(doc["included"][1]["attributes"].get("email").is_none());
            let id = doc["data"]["id"].as_str().unwrap();
            assert_eq!(doc["links"]["self"], app.url(&format!("/api/oauth2/v2/posts/{id}")));
            assert_eq!(doc["data"]["attributes"]["url"], app.url(&format!("/posts/{id}")));
        }
        app.stop().await;
    }
}
