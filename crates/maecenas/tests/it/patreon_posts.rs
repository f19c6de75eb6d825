//! Patreon API v2 posts over HTTP on both backends: `/campaigns/{id}/posts` paged by keyset
//! cursor in both orders, `/posts/{id}`, the post attributes against the stored rows, the
//! `user` and `campaign` includes, and every refusal (scope, another creator, drafts, bad input).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use maecenas_core::demo::DemoCredentials;
use maecenas_store::{
    accounts::NewUser,
    campaigns::{NewCampaign, NewPost},
    entities::post,
};
use maecenas_testkit::{TestApp, both_backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::patreon_demo::{get, setup, token};

const ALL_POST_FIELDS: &str =
    "app_id,app_status,content,embed_data,embed_url,is_paid,is_public,published_at,tiers,title,url";

/// Seven more published posts (two published at the same instant), one draft, and one post
/// shown only to the first tier; returns the campaign's published posts oldest first.
async fn seed_posts(app: &TestApp, creds: &DemoCredentials) -> Vec<post::Model> {
    let store = &app.db.store;
    let now = maecenas_types::Clock::now(app.clock.as_ref());
    let creator = store
        .user_by_email(&creds.creator.email)
        .await
        .unwrap()
        .unwrap();
    let tiers = store.tiers_of_campaign(creds.campaign.id).await.unwrap();
    let post = |title: String, days_ago: Option<i64>, tier_ids: Vec<i64>| NewPost {
        campaign_id: creds.campaign.id,
        user_id: creator.id,
        title,
        content: "<p>news</p>".to_owned(),
        is_public: tier_ids.is_empty(),
        published_at: days_ago.map(|d| now - Duration::days(d)),
        tier_ids,
    };
    for (i, days) in [30, 20, 20, 10, 5, 3, 1].into_iter().enumerate() {
        store
            .create_post(post(format!("Post {i}"), Some(days), Vec::new()), now)
            .await
            .unwrap();
    }
    store
        .create_post(post("Draft".to_owned(), None, Vec::new()), now)
        .await
        .unwrap();
    store
        .create_post(
            post("Patrons only".to_owned(), Some(4), vec![tiers[0].id]),
            now,
        )
        .await
        .unwrap();
    let mut published = store
        .posts_page(creds.campaign.id, None, false, 1000)
        .await
        .unwrap();
    published.sort_by_key(|p| (p.published_at, p.id));
    published
}

fn ts(at: Option<DateTime<Utc>>) -> Value {
    json!(at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)))
}

/// Every post id of the list, following `links.next` to the end.
async fn page_all(app: &TestApp, first: &str, token: &str, count: usize) -> Vec<String> {
    let mut url = first.to_owned();
    let mut ids = Vec::new();
    loop {
        let (status, body) = get(app, &url, token).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        let data = body["data"].as_array().unwrap();
        assert!(data.len() <= count);
        ids.extend(data.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        let next = &body["meta"]["pagination"]["cursors"]["next"];
        match body["links"].get("next").and_then(Value::as_str) {
            Some(link) => {
                assert!(
                    link.ends_with(&format!("page%5Bcursor%5D={}", next.as_str().unwrap())),
                    "{link}"
                );
                assert!(
                    !link.contains("?page%5Bcursor%5D"),
                    "page[cursor] never first: {link}"
                );
                url = link.to_owned();
            }
            None => {
                assert!(next.is_null());
                return ids;
            }
        }
    }
}

both_backends! {
    async fn posts_page_by_cursor_in_both_orders(db: TestDb) {
        let (app, creds) = setup(db).await;
        let posts = seed_posts(&app, &creds).await;
        let creator = token(&app, &creds, &creds.creator.email, "campaigns.posts").await;
        let base = format!("/api/oauth2/v2/campaigns/{}/posts", creds.campaign.id);
        let expected: Vec<String> = posts.iter().map(|p| p.id.to_string()).collect();
        assert_eq!(expected.len(), 9, "the demo post, seven more and the patrons-only one; no draft");

        let (status, body) = get(&app, &base, &creator).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["meta"]["pagination"]["total"], 9);
        assert!(body["data"].as_array().unwrap().iter().all(|p| p["attributes"] == json!({})), "sparse: no fields, no attributes");

        let oldest_first = page_all(&app, &format!("{base}?page%5Bcount%5D=2"), &creator, 2).await;
        assert_eq!(oldest_first, expected, "every post once, oldest first, ties by id");
        let newest_first = page_all(&app, &format!("{base}?sort=-published_at&page[count]=3"), &creator, 3).await;
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(newest_first, reversed);

        // A cursor is bound to its order.
        let (_, body) = get(&app, &format!("{base}?page[count]=2"), &creator).await;
        let cursor = body["meta"]["pagination"]["cursors"]["next"].as_str().unwrap().to_owned();
        let (status, body) = get(&app, &format!("{base}?sort=-published_at&page[cursor]={cursor}"), &creator).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["errors"][0]["code"], 3);
        assert_eq!(body["errors"][0]["source"]["parameter"], "page[cursor]");
        // page[count] over the maximum is clamped, not refused.
        let (status, body) = get(&app, &format!("{base}?page[count]=100000"), &creator).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"].as_array().unwrap().len(), 9);
    }

    async fn post_attributes_and_includes_match_the_rows(db: TestDb) {
        let (app, creds) = setup(db).await;
        let posts = seed_posts(&app, &creds).await;
        let creator = token(&app, &creds, &creds.creator.email, "campaigns.posts campaigns identity[email]").await;
        let gated = posts.iter().find(|p| p.title == "Patrons only").unwrap();
        let tiers = app.db.store.tiers_of_campaign(creds.campaign.id).await.unwrap();
        let path = format!(
            "/api/oauth2/v2/posts/{}?include=user,campaign&fields[post]={ALL_POST_FIELDS}&fields[user]=full_name,email&fields[campaign]=vanity",
            gated.id
        );
        let (status, body) = get(&app, &path, &creator).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        assert_eq!((data["type"].as_str(), data["id"].as_str()), (Some("post"), Some(gated.id.to_string().as_str())));
        assert_eq!(data["attributes"], json!({
            "app_id": null, "app_status": null, "content": gated.content, "embed_data": null,
            "embed_url": null, "is_paid": false, "is_public": false,
            "published_at": ts(gated.published_at), "tiers": [tiers[0].id.to_string()],
            "title": "Patrons only", "url": app.url(&format!("/posts/{}", gated.id)),
        }));
        assert_eq!(body["links"]["self"], app.url(&format!("/api/oauth2/v2/posts/{}", gated.id)));
        let rel = &data["relationships"];
        assert_eq!(rel["campaign"], json!({"data": {"id": creds.campaign.id.to_string(), "type": "campaign"},
            "links": {"related": app.url(&format!("/api/oauth2/v2/campaigns/{}", creds.campaign.id))}}));
        let me = app.db.store.user_by_email(&creds.creator.email).await.unwrap().unwrap();
        assert_eq!(rel["user"]["data"], json!({"id": me.id.to_string(), "type": "user"}));
        assert_eq!(rel["user"]["links"]["related"], app.url(&format!("/api/oauth2/v2/user/{}", me.id)));
        let included = body["included"].as_array().unwrap();
        assert_eq!(included.len(), 2);
        let user = included.iter().find(|r| r["type"] == "user").unwrap();
        assert_eq!(user["attributes"], json!({"full_name": me.full_name}), "a post's author shows no e-mail");
        let campaign = included.iter().find(|r| r["type"] == "campaign").unwrap();
        assert_eq!(campaign["attributes"], json!({"vanity": creds.campaign.vanity}));

        // The list renders the same post the same way, and a public post has no tiers.
        let list = format!("/api/oauth2/v2/campaigns/{}/posts?fields%5Bpost%5D=title%2Ctiers%2Cis_public&page%5Bcount%5D=20", creds.campaign.id);
        let (_, body) = get(&app, &list, &creator).await;
        let listed: Vec<&Value> = body["data"].as_array().unwrap().iter().collect();
        assert_eq!(listed.len(), posts.len());
        for (p, row) in listed.iter().zip(&posts) {
            assert_eq!(p["attributes"]["title"], row.title.as_str());
            assert_eq!(p["attributes"]["is_public"], row.is_public);
            assert_eq!(p["attributes"]["tiers"].as_array().unwrap().is_empty(), row.id != gated.id);
        }
    }

    async fn posts_refuse_what_they_must(db: TestDb) {
        let (app, creds) = setup(db).await;
        let posts = seed_posts(&app, &creds).await;
        let store = &app.db.store;
        let creator = token(&app, &creds, &creds.creator.email, "campaigns.posts").await;
        let base = format!("/api/oauth2/v2/campaigns/{}/posts", creds.campaign.id);

        // Another creator's campaign and post: 403.
        let now = maecenas_types::Clock::now(app.clock.as_ref());
        let other = store.create_user(NewUser { email: "other@example.org".into(), password_hash: None, full_name: "Other".into(), vanity: None }, now).await.unwrap();
        let theirs = store.create_campaign(NewCampaign { creator_id: other.id, vanity: "other".into(), creation_name: "x".into(), summary: String::new(), one_liner: String::new(), currency: "USD".into(), published_at: Some(now) }, now).await.unwrap();
        let their_post = store.create_post(NewPost { campaign_id: theirs.id, user_id: other.id, title: "Theirs".into(), content: String::new(), is_public: true, published_at: Some(now), tier_ids: Vec::new() }, now).await.unwrap();
        for path in [format!("/api/oauth2/v2/campaigns/{}/posts", theirs.id), format!("/api/oauth2/v2/posts/{}", their_post.id)] {
            let (status, body) = get(&app, &path, &creator).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
            assert_eq!(body["errors"][0]["status"], "403");
        }
        // A patron (no campaign of their own) may not read the creator's posts either.
        let patron = token(&app, &creds, &creds.patron.email, "campaigns.posts").await;
        assert_eq!(get(&app, &base, &patron).await.0, StatusCode::FORBIDDEN);

        // The scope is required: 401, code 1, naming it.
        let no_scope = token(&app, &creds, &creds.creator.email, "campaigns campaigns.members").await;
        for path in [base.clone(), format!("/api/oauth2/v2/posts/{}", posts[0].id)] {
            let (status, body) = get(&app, &path, &no_scope).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(body["errors"][0]["code"], 1);
            assert!(body["errors"][0]["detail"].as_str().unwrap().contains("campaigns.posts"));
        }

        // Drafts, unknown and non-numeric ids: 404.
        let mut draft_id = None;
        for id in 1..50 {
            if store.post_by_id(id).await.unwrap().is_some_and(|p| p.title == "Draft") {
                draft_id = Some(id);
            }
        }
        let draft_id = draft_id.expect("the seeded draft");
        for id in [draft_id.to_string(), "999999".into(), "abc".into(), "1.5".into()] {
            let (status, body) = get(&app, &format!("/api/oauth2/v2/posts/{id}"), &creator).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
            assert_eq!(body["errors"][0]["status"], "404");
        }
        assert_eq!(get(&app, "/api/oauth2/v2/campaigns/abc/posts", &creator).await.0, StatusCode::NOT_FOUND);

        // Bad input: each a 400, code 3, naming the parameter.
        for (query, parameter, code_name) in [
            ("include=media", "include", "ParameterInvalidOnType"),
            ("include=user.campaign", "include", "ParameterInvalidOnType"),
            ("include=user..x", "include", "ParameterInvalid"),
            ("fields[post]=title,attachments", "fields[post]", "ParameterInvalidOnType"),
            ("fields[post=title", "fields[post", "ParameterInvalid"),
            ("sort=title", "sort", "ParameterInvalid"),
            ("sort=-", "sort", "ParameterInvalid"),
            ("page[cursor]=not-a-cursor", "page[cursor]", "ParameterInvalid"),
            ("page[count]=-3", "page[count]", "ParameterInvalid"),
        ] {
            let (status, body) = get(&app, &format!("{base}?{query}"), &creator).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            let e = &body["errors"][0];
            assert_eq!((e["code"].as_i64(), e["status"].as_str()), (Some(3), Some("400")), "{query}");
            assert_eq!(e["source"]["parameter"], parameter, "{query}");
            assert_eq!(e["code_name"], code_name, "{query}");
        }
        let ids: HashSet<i64> = posts.iter().map(|p| p.id).collect();
        assert!(!ids.contains(&their_post.id));
    }
}
