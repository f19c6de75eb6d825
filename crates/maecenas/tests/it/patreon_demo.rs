//! The demo-seeded application the Patreon API tests share: a fresh seed, tokens through the
//! demo client, and authenticated GETs.

use maecenas_core::demo;
use maecenas_oauth::Flavor;
use maecenas_testkit::TestApp;
use maecenas_types::ScopeSet;
use reqwest::StatusCode;
use serde_json::Value;

pub async fn setup(db: maecenas_testkit::TestDb) -> (TestApp, demo::DemoCredentials) {
    let app = TestApp::spawn(db).await;
    let creds = demo::seed(&app.db.store, app.state.clock()).await.unwrap();
    (app, creds)
}

pub async fn token(
    app: &TestApp,
    creds: &demo::DemoCredentials,
    email: &str,
    scopes: &str,
) -> String {
    let client = app
        .db
        .store
        .oauth_client_by_client_id(&creds.client.client_id)
        .await
        .unwrap()
        .unwrap();
    let user = app.db.store.user_by_email(email).await.unwrap().unwrap();
    let issued = app
        .state
        .oauth()
        .issue_creator_token(
            &client,
            user.id,
            &ScopeSet::parse(scopes).unwrap(),
            Flavor::Patreon,
        )
        .await
        .unwrap();
    issued.access_token.expose().to_owned()
}

pub async fn get(app: &TestApp, url: &str, token: &str) -> (StatusCode, Value) {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        app.url(url)
    };
    let response = app
        .client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}
