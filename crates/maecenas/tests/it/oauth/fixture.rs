//! The OAuth tests' fixture: a running app with a patron and a registered client, and helpers
//! that check every token response's no-store headers.

use maecenas_oauth::{CodeRequest, NewClient};
use maecenas_store::{accounts::NewUser, entities::oauth_client};
use maecenas_testkit::{TestApp, TestDb};
use maecenas_types::{Clock, ScopeSet};
use reqwest::{RequestBuilder, Response};
use serde_json::Value;

pub(crate) const REDIRECT: &str = "https://client.example.com/cb";
pub(crate) const SCOPES: &str = "identity identity[email] campaigns";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A running app with a patron and one registered client.
pub(crate) struct Fixture {
    pub app: TestApp,
    pub user_id: i64,
    pub client: oauth_client::Model,
    pub secret: String,
}

impl Fixture {
    pub async fn new(db: TestDb) -> Self {
        let app = TestApp::spawn(db).await;
        let now = app.clock.now();
        let user = app
            .db
            .store
            .create_user(
                NewUser {
                    email: "patron@example.org".into(),
                    password_hash: None,
                    full_name: "Pat Ron".into(),
                    vanity: None,
                },
                now,
            )
            .await
            .unwrap();
        let (client, secret) = register(&app, user.id, "Test app").await;
        Self {
            app,
            user_id: user.id,
            client,
            secret,
        }
    }

    /// A fresh code for this client, with an optional PKCE challenge.
    pub async fn code(&self, challenge: Option<&str>) -> String {
        self.code_for(&self.client, challenge).await
    }

    pub async fn code_for(&self, client: &oauth_client::Model, challenge: Option<&str>) -> String {
        let scopes = ScopeSet::parse(SCOPES).unwrap();
        let code = self
            .app
            .state
            .oauth()
            .issue_code(CodeRequest {
                client,
                user_id: self.user_id,
                redirect_uri: REDIRECT,
                scopes: &scopes,
                code_challenge: challenge,
            })
            .await
            .unwrap();
        code.expose().to_owned()
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.app.client().post(self.app.url(path))
    }

    /// Redeems `code` with form-encoded client_secret_post credentials plus `extra`.
    pub async fn exchange(&self, code: &str, extra: &[(&str, &str)]) -> Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", self.client.client_id.as_str()),
            ("client_secret", self.secret.as_str()),
        ];
        form.extend_from_slice(extra);
        self.post("/api/oauth2/token")
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post("/api/oauth2/token")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", self.client.client_id.as_str()),
                ("client_secret", self.secret.as_str()),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn access_is_valid(&self, access_token: &str) -> bool {
        self.app
            .state
            .oauth()
            .check_access_token(access_token)
            .await
            .unwrap()
            .is_some()
    }
}

pub(crate) async fn register(
    app: &TestApp,
    owner: i64,
    name: &str,
) -> (oauth_client::Model, String) {
    let created = app
        .state
        .oauth()
        .create_client(NewClient {
            owner_user_id: owner,
            name: name.into(),
            redirect_uris: vec![REDIRECT.into()],
            default_scopes: ScopeSet::default(),
        })
        .await
        .unwrap();
    let model = app
        .state
        .oauth()
        .find_client(&created.client_id)
        .await
        .unwrap()
        .unwrap();
    (model, created.client_secret.expose().to_owned())
}

/// Status, `error` and the body of an OAuth response, after checking its no-store headers.
pub(crate) async fn outcome(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store", "status {status}");
    assert_eq!(headers["pragma"], "no-cache");
    (status, response.json().await.unwrap())
}

pub(crate) async fn tokens(response: Response) -> Value {
    let (status, body) = outcome(response).await;
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn error(response: Response, status: u16, code: &str) {
    let (got, body) = outcome(response).await;
    assert_eq!(
        (got, body["error"].as_str().unwrap()),
        (status, code),
        "{body}"
    );
    assert!(body["error_description"].is_string(), "{body}");
}

pub(crate) fn text<'v>(body: &'v Value, key: &str) -> &'v str {
    body[key].as_str().unwrap()
}
