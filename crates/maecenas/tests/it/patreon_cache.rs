//! The Patreon API's response cache over real HTTP, on both backends: a repeated GET is answered
//! from memory, yet every commit — through the server, or through another pool on the same
//! database as the CLI or another instance would write — is seen by the very next request; a
//! revoked or expired token is refused even though its answer is cached; cache hits count
//! against the rate limits.

use maecenas_store::{ConnectOptions, Store};
use maecenas_testkit::{TestApp, both_backends};
use reqwest::StatusCode;

use crate::patreon_demo::{get, setup, token};

const IDENTITY: &str = "/api/oauth2/v2/identity?fields%5Buser%5D=full_name";

fn hits(app: &TestApp) -> u64 {
    app.state.api_cache().map_or(0, |c| c.hits())
}

/// GETs `url` until an answer comes from the cache (the server's background tasks — outbox,
/// webhook dispatcher — commit now and then, and each commit rightly empties it), and returns
/// that answer.
async fn until_hit(app: &TestApp, url: &str, token: &str) -> serde_json::Value {
    for _ in 0..100 {
        let before = hits(app);
        let (status, body) = get(app, url, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if hits(app) > before {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no GET of {url} was answered from the cache");
}

fn name(body: &serde_json::Value) -> &str {
    body["data"]["attributes"]["full_name"]
        .as_str()
        .unwrap_or_default()
}

both_backends! {
    async fn repeated_gets_are_cached_and_any_commit_is_seen_at_once(db: TestDb) {
        let (app, creds) = setup(db).await;
        let token = token(&app, &creds, &creds.creator.email, "identity").await;
        let (status, first) = get(&app, IDENTITY, &token).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(until_hit(&app, IDENTITY, &token).await, first);
        let before = hits(&app);

        // Another pool on the same database renames the user: the next GET shows it.
        let options = ConnectOptions { pg_schema: app.db.schema.clone(), ..ConnectOptions::default() };
        let other = Store::connect(&app.db.url, &options).await.unwrap();
        let user = other.user_by_email(&creds.creator.email).await.unwrap().unwrap();
        other.update_profile(user.id, "Renamed Elsewhere".into(), String::new(), app.state.clock().now()).await.unwrap();
        let (_, body) = get(&app, IDENTITY, &token).await;
        assert_eq!(name(&body), "Renamed Elsewhere");
        assert_eq!(hits(&app), before, "served fresh after another pool's commit");

        // The server's own pool renames them again: seen at once too.
        app.db.store.update_profile(user.id, "Renamed Here".into(), String::new(), app.state.clock().now()).await.unwrap();
        let (_, body) = get(&app, IDENTITY, &token).await;
        assert_eq!(name(&body), "Renamed Here");

        assert_eq!(name(&until_hit(&app, IDENTITY, &token).await), "Renamed Here", "cached again");

        // A different query is its own entry.
        let (_, other_query) = get(&app, "/api/oauth2/v2/identity", &token).await;
        assert_eq!(other_query["data"]["attributes"], serde_json::json!({}));
    }

    async fn a_revoked_or_expired_token_is_refused_although_its_answer_is_cached(db: TestDb) {
        let (app, creds) = setup(db).await;
        let revoked = token(&app, &creds, &creds.patron.email, "identity").await;
        until_hit(&app, IDENTITY, &revoked).await;
        let patron = app.db.store.user_by_email(&creds.patron.email).await.unwrap().unwrap();
        let client = app.db.store.oauth_client_by_client_id(&creds.client.client_id).await.unwrap().unwrap();
        assert!(app.state.oauth().revoke_connected_app(patron.id, client.id).await.unwrap());
        let (status, body) = get(&app, IDENTITY, &revoked).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["errors"][0]["code"], 1);

        let expiring = token(&app, &creds, &creds.creator.email, "identity").await;
        until_hit(&app, IDENTITY, &expiring).await;
        let hits_before = hits(&app);
        app.clock.advance(chrono::Duration::days(32));
        let (status, body) = get(&app, IDENTITY, &expiring).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(hits(&app), hits_before, "an expired token is never a hit");
    }

    async fn cache_hits_count_against_the_rate_limits(db: TestDb) {
        let (app, creds) = setup(db).await;
        let token = token(&app, &creds, &creds.creator.email, "identity").await;
        let mut statuses = Vec::new();
        for _ in 0..101 {
            statuses.push(get(&app, IDENTITY, &token).await.0);
        }
        assert!(hits(&app) >= 50, "most were hits: {}", hits(&app));
        assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "the 101st within the limit window");
        assert!(statuses[..100].iter().all(|s| *s == StatusCode::OK));
    }
}
