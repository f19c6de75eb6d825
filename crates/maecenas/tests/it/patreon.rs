//! Patreon API v2 over real HTTP on both backends, against the demo seed: `/identity` with
//! nested includes and sparse fields, scopes deciding what is seen, and every error a JSON:API
//! errors array.

use maecenas_core::demo::{self, DemoCredentials};
use maecenas_oauth::Flavor;
use maecenas_store::entities::oauth_client;
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::ScopeSet;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::Command;

struct Demo {
    app: TestApp,
    creds: DemoCredentials,
    client: oauth_client::Model,
}

impl Demo {
    async fn new(db: maecenas_testkit::TestDb) -> Self {
        let app = TestApp::spawn(db).await;
        let creds = demo::seed(&app.db.store, app.state.clock()).await.unwrap();
        let client = app
            .db
            .store
            .oauth_client_by_client_id(&creds.client.client_id)
            .await
            .unwrap()
            .unwrap();
        Self { app, creds, client }
    }

    /// An access token for `email` through the demo client, with `scopes`.
    async fn token(&self, email: &str, scopes: &str) -> String {
        let user = self
            .app
            .db
            .store
            .user_by_email(email)
            .await
            .unwrap()
            .unwrap();
        let scopes = ScopeSet::parse(scopes).unwrap();
        let issued = self
            .app
            .state
            .oauth()
            .issue_creator_token(&self.client, user.id, &scopes, Flavor::Patreon)
            .await
            .unwrap();
        issued.access_token.expose().to_owned()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.app.client().get(self.app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        (status, response.json().await.unwrap())
    }
}

/// The single error of a JSON:API errors array, checked for Patreon's envelope.
fn only_error(body: &Value, status: &str) -> Value {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("not an errors array: {body}"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["status"], status, "{body}");
    assert!(
        errors[0]["id"].is_string()
            && errors[0]["title"].is_string()
            && errors[0]["detail"].is_string()
    );
    errors[0].clone()
}

both_backends! {
    async fn identity_with_nested_includes_and_sparse_fields(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.patron.email, "identity identity[email] identity.memberships").await;
        let patron = d.app.db.store.user_by_email(&d.creds.patron.email).await.unwrap().unwrap();
        let (status, body) = d.get(
            "/api/oauth2/v2/identity?include=memberships.campaign,memberships.currently_entitled_tiers\
             &fields%5Buser%5D=email,full_name&fields[member]=patron_status%2Ccurrently_entitled_amount_cents\
             &fields[tier]=title,amount_cents",
            Some(&token),
        ).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        assert_eq!(data["type"], "user");
        assert_eq!(data["id"], patron.id.to_string());
        assert_eq!(data["attributes"], json!({"email": patron.email, "full_name": patron.full_name}));
        assert_eq!(body["links"]["self"], d.app.url(&format!("/api/oauth2/v2/user/{}", patron.id)));
        let memberships = data["relationships"]["memberships"]["data"].as_array().unwrap();
        assert_eq!(memberships.len(), 1);
        assert!(data["relationships"]["memberships"].get("links").is_none(), "to-many has no links");

        let included = body["included"].as_array().unwrap();
        let member = included.iter().find(|r| r["type"] == "member").unwrap();
        assert_eq!(member["id"], memberships[0]["id"]);
        assert_eq!(member["attributes"]["patron_status"], "active_patron");
        assert_eq!(member["attributes"].as_object().unwrap().len(), 2);
        let campaign = included.iter().find(|r| r["type"] == "campaign").unwrap();
        assert_eq!(campaign["id"], d.creds.campaign.id.to_string());
        assert_eq!(campaign["attributes"], json!({}), "no fields[campaign]: attributes present but empty");
        assert_eq!(member["relationships"]["campaign"]["links"]["related"],
            d.app.url(&format!("/api/oauth2/v2/campaigns/{}", d.creds.campaign.id)));
        let tier_ids: Vec<&Value> = member["relationships"]["currently_entitled_tiers"]["data"].as_array().unwrap().iter().map(|t| &t["id"]).collect();
        assert!(!tier_ids.is_empty());
        let tiers: Vec<&Value> = included.iter().filter(|r| r["type"] == "tier").collect();
        assert_eq!(tiers.len(), tier_ids.len());
        let entitled = member["attributes"]["currently_entitled_amount_cents"].as_i64().unwrap();
        assert!(tiers.iter().any(|t| t["attributes"]["amount_cents"].as_i64().unwrap() <= entitled));
        assert!(tiers.iter().all(|t| t["attributes"]["title"].is_string()));
    }

    async fn scopes_decide_what_identity_shows(db: TestDb) {
        let d = Demo::new(db).await;
        // Without identity[email], no e-mail even when asked for.
        let token = d.token(&d.creds.patron.email, "identity").await;
        let (status, body) = d.get("/api/oauth2/v2/identity?fields[user]=email,full_name&include=memberships&fields[member]=email", Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["data"]["attributes"].get("email").is_none(), "{body}");
        assert!(body["data"]["attributes"]["full_name"].is_string());
        // Without identity.memberships: only the membership to the client owner's campaign,
        // which is the demo campaign here.
        assert_eq!(body["data"]["relationships"]["memberships"]["data"].as_array().unwrap().len(), 1);
        assert!(body["included"][0]["attributes"].get("email").is_none());

        // The creator sees their campaign with the campaigns scope, and its live patron count.
        let creator = d.token(&d.creds.creator.email, "identity campaigns").await;
        let (_, body) = d.get("/me?include=campaign&fields[campaign]=patron_count,vanity".replace("/me", "/api/oauth2/v2/me").as_str(), Some(&creator)).await;
        let counts = d.app.db.store.count_members_by_status(d.creds.campaign.id).await.unwrap();
        let active = counts.get(&Some("active_patron".to_owned())).copied().unwrap_or(0);
        assert_eq!(body["included"][0]["attributes"], json!({"patron_count": active, "vanity": d.creds.campaign.vanity}));
        // …and without it, a null relationship and nothing included.
        let no_campaigns = d.token(&d.creds.creator.email, "identity").await;
        let (_, body) = d.get("/api/oauth2/v2/identity?include=campaign", Some(&no_campaigns)).await;
        assert_eq!(body["data"]["relationships"]["campaign"], json!({"data": null}));
        assert!(body.get("included").is_none());
    }

    async fn api_errors_are_json_api_arrays(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.patron.email, "identity").await;

        let (status, body) = d.get("/api/oauth2/v2/identity", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let e = only_error(&body, "401");
        assert_eq!((e["code"].as_i64(), e["code_name"].as_str()), (Some(1), Some("Unauthorized")));
        let (status, _) = d.get("/api/oauth2/v2/identity", Some("not-a-token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Lower-case scheme (some clients send it) works.
        let response = d.app.client().get(d.app.url("/api/oauth2/v2/identity")).header("authorization", format!("bearer {token}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let no_identity = d.token(&d.creds.patron.email, "campaigns").await;
        let (status, body) = d.get("/api/oauth2/v2/identity", Some(&no_identity)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(only_error(&body, "401")["detail"].as_str().unwrap().contains("`identity`"));

        for (query, parameter) in [("include=pledges", "include"), ("include=memberships.address", "include"), ("page[count]=many", "page[count]")] {
            let (status, body) = d.get(&format!("/api/oauth2/v2/identity?{query}"), Some(&token)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            let e = only_error(&body, "400");
            assert_eq!(e["code"], 3);
            assert_eq!(e["source"]["parameter"], parameter);
        }

        let (status, body) = d.get("/api/oauth2/v2/no-such-thing", Some(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        only_error(&body, "404");
        let response = d.app.client().post(d.app.url("/api/oauth2/v2/identity")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        only_error(&response.json().await.unwrap(), "405");
    }

    async fn rate_limits_answer_429_per_client_and_per_token(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.patron.email, "identity").await;
        let get = || d.app.client().get(d.app.url("/api/oauth2/v2/identity")).bearer_auth(&token).send();
        // 100 requests at one instant use up the client's 100 per 2 s (and the token's 100/min).
        for _ in 0..100 {
            assert_eq!(get().await.unwrap().status(), StatusCode::OK);
        }
        let limited = get().await.unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()["retry-after"], "1");
        let e = only_error(&limited.json().await.unwrap(), "429");
        assert_eq!(e["code_name"], "RequestThrottled");
        assert_eq!(e["retry_after_seconds"], 1);

        // Two seconds on, the client is whole again but this token has only earned back 3 of its
        // 100 a minute; refreshing or not, the token limit holds.
        d.app.clock.advance(chrono::Duration::seconds(2));
        for _ in 0..3 {
            assert_eq!(get().await.unwrap().status(), StatusCode::OK);
        }
        assert_eq!(get().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
        // Another user's token through the same client is not affected.
        let creator = d.token(&d.creds.creator.email, "identity").await;
        assert_eq!(d.get("/api/oauth2/v2/identity", Some(&creator)).await.0, StatusCode::OK);
    }

    async fn patreon_v2_python_client_reads_identity(db: TestDb) {
        let d = Demo::new(db).await;
        let token = d.token(&d.creds.patron.email, "identity identity[email] identity.memberships").await;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
        let python = dir.join(".venv-v2/bin/python");
        assert!(python.exists(), "patreon-v2's virtualenv is missing: run scripts/test (it creates tests/clients/.venv-v2)");
        let output = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            Command::new(python).current_dir(&dir).kill_on_drop(true)
                .args(["patreon_v2_identity.py", &d.app.url(""), &token]).output(),
        ).await.unwrap().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "patreon-v2 failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        let parsed: Value = serde_json::from_str(stdout.trim()).unwrap();

        // Checked against the seeded rows, not only the shape.
        let store = &d.app.db.store;
        let patron = store.user_by_email(&d.creds.patron.email).await.unwrap().unwrap();
        assert_eq!(parsed["id"], patron.id.to_string());
        assert_eq!(parsed["type"], "user");
        assert_eq!(parsed["attributes"]["email"], patron.email);
        assert_eq!(parsed["attributes"]["full_name"], patron.full_name);
        assert_eq!(parsed["attributes"]["is_email_verified"], patron.is_email_verified);
        let memberships = store.memberships_of_user(patron.id).await.unwrap();
        assert_eq!(parsed["memberships"], json!(memberships.iter().map(|m| m.id.to_string()).collect::<Vec<_>>()));
        let member = &memberships[0];
        assert_eq!(parsed["member_attributes"][0], json!({
            "patron_status": member.patron_status,
            "currently_entitled_amount_cents": member.currently_entitled_amount_cents,
            "lifetime_support_cents": member.lifetime_support_cents,
        }));
        let tiers = store.entitled_tiers(&[member.id]).await.unwrap().remove(&member.id).unwrap();
        let expected: Vec<Value> = tiers.iter().map(|t| json!({"id": t.id.to_string(), "attributes": {"title": t.title, "amount_cents": t.amount_cents}})).collect();
        assert_eq!(parsed["tiers"], json!(expected));
    }
}
