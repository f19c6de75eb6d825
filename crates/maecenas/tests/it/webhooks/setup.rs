//! What the webhook tests share: the demo-seeded app, tokens, JSON requests and new members
//! (each records `members:create` and, with a pledge, `members:pledge:create`).

use maecenas_store::{accounts::NewUser, members::NewMember};
use maecenas_testkit::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub use crate::patreon_demo::{setup, token};

/// Sends `body` (raw text) with `method` to `path`; the status and the JSON answer (`null` for
/// an empty one).
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut request = app
        .client()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `POST /webhooks` for `uri` and `triggers`; the created resource.
pub async fn create_webhook(
    app: &TestApp,
    token: &str,
    campaign_id: i64,
    uri: &str,
    triggers: &[&str],
) -> Value {
    let body = json!({"data": {"type": "webhook",
        "attributes": {"triggers": triggers, "uri": uri},
        "relationships": {"campaign": {"data": {"type": "campaign", "id": campaign_id.to_string()}}}}});
    let (status, doc) = send(
        app,
        Method::POST,
        "/api/oauth2/v2/webhooks",
        token,
        Some(body.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    doc["data"].clone()
}

/// A new user joins `campaign_id` paying `cents` (0: a free member); returns the member id.
pub async fn join(app: &TestApp, campaign_id: i64, n: usize, cents: i64) -> String {
    let store = &app.db.store;
    let now = app.state.clock().now();
    let user = store
        .create_user(
            NewUser {
                email: format!("fan{n}@example.org"),
                password_hash: None,
                full_name: format!("Fan {n}"),
                vanity: None,
            },
            now,
        )
        .await
        .unwrap();
    let member = store
        .create_members(
            vec![NewMember {
                campaign_id,
                user_id: user.id,
                patron_status: (cents > 0).then(|| "active_patron".to_owned()),
                is_follower: false,
                currency: "USD".into(),
                currently_entitled_amount_cents: cents,
                will_pay_amount_cents: cents,
                lifetime_support_cents: 0,
                pledge_relationship_start: (cents > 0).then_some(now),
                last_charge_date: None,
                last_charge_status: None,
                next_charge_date: None,
                tier_ids: Vec::new(),
                pledge_events: Vec::new(),
                address: None,
            }],
            now,
        )
        .await
        .unwrap();
    member[0].id.to_string()
}
