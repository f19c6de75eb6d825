//! DonationAlerts API v1 over real HTTP on both backends, against the demo seed: the profile,
//! the donation list's pages, custom alerts, Centrifugo subscribe tokens, every error in
//! Laravel's shape, the per-application limit on the manual clock, CORS, and the real clients
//! (DonationAlertsAPI==2.0.2, donationalerts==1.0.1, and over Centrifugo npm centrifuge@2.8.5
//! and DonationAlertsAPI's `Centrifugo`).

mod api;
mod input;
mod real_clients;
mod realtime_clients;

use maecenas_core::demo::{self, DemoCredentials};
use maecenas_oauth::Flavor;
use maecenas_store::entities::{oauth_client, user};
use maecenas_testkit::TestApp;
use maecenas_types::ScopeSet;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// Every DonationAlerts scope.
pub const ALL_SCOPES: &str = "oauth-user-show oauth-donation-subscribe oauth-donation-index \
                              oauth-custom_alert-store oauth-goal-subscribe oauth-poll-subscribe";

/// The demo seed on a running server.
pub struct Demo {
    pub app: TestApp,
    pub creds: DemoCredentials,
    pub client: oauth_client::Model,
    pub creator: user::Model,
}

impl Demo {
    pub async fn new(db: maecenas_testkit::TestDb) -> Self {
        let app = TestApp::spawn(db).await;
        let creds = demo::seed(&app.db.store, app.state.clock()).await.unwrap();
        let store = &app.db.store;
        let client = store
            .oauth_client_by_client_id(&creds.client.client_id)
            .await
            .unwrap()
            .unwrap();
        let creator = store
            .user_by_email(&creds.creator.email)
            .await
            .unwrap()
            .unwrap();
        Self {
            app,
            creds,
            client,
            creator,
        }
    }

    /// A DonationAlerts access token for `email` with `scopes`.
    pub async fn token(&self, email: &str, scopes: &str) -> String {
        let user = self
            .app
            .db
            .store
            .user_by_email(email)
            .await
            .unwrap()
            .unwrap();
        let scopes = ScopeSet::parse(scopes).unwrap();
        self.app
            .state
            .oauth()
            .issue_creator_token(&self.client, user.id, &scopes, Flavor::DonationAlerts)
            .await
            .unwrap()
            .access_token
            .expose()
            .to_owned()
    }

    /// The creator's token with every scope.
    pub async fn creator_token(&self) -> String {
        self.token(&self.creds.creator.email, ALL_SCOPES).await
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.app.client().get(self.app.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.app.client().post(self.app.url(path))
    }
}

/// Sends `request`, checks the JSON content type, answers status and body.
pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json", "{status}");
    (status, response.json().await.unwrap())
}
