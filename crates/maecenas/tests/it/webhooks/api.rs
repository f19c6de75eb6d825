//! `/api/oauth2/v2/webhooks`: create, list (sparse), change (string booleans), delete (204),
//! and bad input — each answered with a JSON:API error, nothing changed.

use maecenas_testkit::both_backends;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::setup::{create_webhook, send, setup, token};

const SCOPES: &str = "identity campaigns w:campaigns.webhook campaigns.members";

both_backends! {
    async fn create_list_patch_delete(db: TestDb) {
        let (app, creds) = setup(db).await;
        let t = token(&app, &creds, &creds.creator.email, SCOPES).await;
        let w = create_webhook(&app, &t, creds.campaign.id, "https://hooks.example.org/p", &["members:create", "posts:publish"]).await;
        assert_eq!(w["type"], "webhook");
        let a = &w["attributes"];
        assert_eq!(a["paused"], false);
        assert_eq!(a["num_consecutive_times_failed"], 0);
        assert!(a["last_attempted_at"].is_null());
        assert_eq!(a["triggers"], json!(["members:create", "posts:publish"]));
        assert_eq!(a["uri"], "https://hooks.example.org/p");
        let secret = a["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_") && secret.len() >= 48, "{secret}");
        let id = w["id"].as_str().unwrap().to_owned();

        let (status, list) = send(&app, Method::GET, "/api/oauth2/v2/webhooks?fields%5Bwebhook%5D=uri,paused", &t, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["data"][0]["id"], id.as_str());
        assert_eq!(list["data"][0]["attributes"], json!({"paused": false, "uri": "https://hooks.example.org/p"}));
        assert_eq!(list["meta"]["pagination"]["total"], 1);
        let (_, bare) = send(&app, Method::GET, "/api/oauth2/v2/webhooks?include=campaign", &t, None).await;
        assert_eq!(bare["data"][0]["attributes"], json!({}), "sparse without fields");
        assert_eq!(bare["data"][0]["relationships"]["campaign"]["data"]["id"], creds.campaign.id.to_string());
        assert_eq!(bare["included"][0]["type"], "campaign");

        let patch = json!({"data": {"id": id, "type": "webhook", "attributes": {"paused": "true", "triggers": ["members:pledge:create"]}}});
        let (status, doc) = send(&app, Method::PATCH, &format!("/api/oauth2/v2/webhooks/{id}"), &t, Some(patch.to_string())).await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        assert_eq!(doc["data"]["attributes"]["paused"], true);
        assert_eq!(doc["data"]["attributes"]["triggers"], json!(["members:pledge:create"]));
        assert_eq!(doc["data"]["attributes"]["uri"], "https://hooks.example.org/p");
        let unpause = json!({"data": {"type": "webhook", "attributes": {"paused": false}}});
        let (_, doc) = send(&app, Method::PATCH, &format!("/api/oauth2/v2/webhooks/{id}"), &t, Some(unpause.to_string())).await;
        assert_eq!(doc["data"]["attributes"]["paused"], false);

        let (status, body) = send(&app, Method::DELETE, &format!("/api/oauth2/v2/webhooks/{id}"), &t, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(body.is_null());
        let (_, list) = send(&app, Method::GET, "/api/oauth2/v2/webhooks", &t, None).await;
        assert_eq!(list["data"], json!([]));
        app.stop().await;
    }

    async fn bad_input_is_refused_and_nothing_is_lost(db: TestDb) {
        let (app, creds) = setup(db).await;
        let t = token(&app, &creds, &creds.creator.email, SCOPES).await;
        let good = create_webhook(&app, &t, creds.campaign.id, "https://hooks.example.org/ok", &["members:create"]).await;
        let id = good["id"].as_str().unwrap().to_owned();
        let post = |uri: &str, triggers: serde_json::Value| json!({"data": {"type": "webhook", "attributes": {"uri": uri, "triggers": triggers}}}).to_string();
        let cases = [
            (post("http://hooks.example.org/x", json!(["members:create"])), "/data/attributes/uri"),
            (post("not a uri", json!(["members:create"])), "/data/attributes/uri"),
            (post("https://169.254.169.254/latest", json!(["members:create"])), "/data/attributes/uri"),
            (post("https://10.0.0.8/x", json!(["members:create"])), "/data/attributes/uri"),
            (post("https://hooks.example.org/x", json!(["members:create", "members:explode"])), "/data/attributes/triggers/1"),
            (post("https://hooks.example.org/x", json!([])), "/data/attributes/triggers"),
            (post("https://hooks.example.org/x", json!("members:create")), "/data/attributes/triggers"),
            ("{\"data\": {\"type\": \"webhook\", ".to_owned(), ""),
            (json!({"data": {"type": "member", "attributes": {}}}).to_string(), "/data/type"),
            (json!({"data": []}).to_string(), "/data"),
        ];
        for (body, pointer) in cases {
            let (status, doc) = send(&app, Method::POST, "/api/oauth2/v2/webhooks", &t, Some(body.clone())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {doc}");
            assert_eq!(doc["errors"][0]["status"], "400");
            assert_eq!(doc["errors"][0]["code"], 3);
            assert_eq!(doc["errors"][0]["source"]["pointer"], pointer, "{body}");
        }
        // Another creator's campaign.
        let other = json!({"data": {"type": "webhook", "attributes": {"uri": "https://h.example.org/", "triggers": ["members:create"]},
            "relationships": {"campaign": {"data": {"type": "campaign", "id": "999999"}}}}});
        let (status, doc) = send(&app, Method::POST, "/api/oauth2/v2/webhooks", &t, Some(other.to_string())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{doc}");
        // Bad PATCH bodies.
        let path = format!("/api/oauth2/v2/webhooks/{id}");
        for (body, pointer) in [
            (json!({"data": {"type": "webhook", "attributes": {"paused": "maybe"}}}), "/data/attributes/paused"),
            (json!({"data": {"type": "webhook", "attributes": {"uri": "ftp://x.example.org/"}}}), "/data/attributes/uri"),
            (json!({"data": {"id": "12345", "type": "webhook", "attributes": {}}}), "/data/id"),
        ] {
            let (status, doc) = send(&app, Method::PATCH, &path, &t, Some(body.to_string())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{doc}");
            assert_eq!(doc["errors"][0]["source"]["pointer"], pointer);
        }
        // Another client's webhook id: not found, for PATCH and DELETE alike.
        let other_client = app.state.oauth().create_client(maecenas_oauth::NewClient {
            owner_user_id: app.db.store.user_by_email(&creds.creator.email).await.unwrap().unwrap().id,
            name: "Other".into(),
            redirect_uris: vec!["https://other.example.org/cb".into()],
            default_scopes: maecenas_types::ScopeSet::default(),
        }).await.unwrap();
        let client = app.db.store.oauth_client_by_client_id(&other_client.client_id).await.unwrap().unwrap();
        let user = app.db.store.user_by_email(&creds.creator.email).await.unwrap().unwrap();
        let other_token = app.state.oauth().issue_creator_token(&client, user.id, &maecenas_types::ScopeSet::parse(SCOPES).unwrap(), maecenas_oauth::Flavor::Patreon).await.unwrap();
        let other_token = other_token.access_token.expose();
        let pause = json!({"data": {"type": "webhook", "attributes": {"paused": true}}}).to_string();
        let (status, doc) = send(&app, Method::PATCH, &path, other_token, Some(pause)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{doc}");
        assert_eq!(doc["errors"][0]["status"], "404");
        let (status, _) = send(&app, Method::DELETE, &path, other_token, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = send(&app, Method::DELETE, "/api/oauth2/v2/webhooks/nope", &t, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, theirs) = send(&app, Method::GET, "/api/oauth2/v2/webhooks", other_token, None).await;
        assert_eq!(theirs["data"], json!([]), "a client sees only its own webhooks");
        // Without the scope.
        let weak = token(&app, &creds, &creds.creator.email, "identity campaigns").await;
        let (status, doc) = send(&app, Method::GET, "/api/oauth2/v2/webhooks", &weak, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(doc["errors"][0]["code"], 1);

        // Nothing lost, nothing changed.
        let (_, list) = send(&app, Method::GET, "/api/oauth2/v2/webhooks?fields%5Bwebhook%5D=uri,paused,triggers", &t, None).await;
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        assert_eq!(list["data"][0]["id"], id.as_str());
        assert_eq!(list["data"][0]["attributes"], json!({"paused": false, "triggers": ["members:create"], "uri": "https://hooks.example.org/ok"}));
        app.stop().await;
    }
}
