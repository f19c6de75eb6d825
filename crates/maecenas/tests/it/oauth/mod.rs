//! The OAuth token endpoints over real HTTP on both backends: parameters wherever clients put
//! them, client authentication, single-use codes, PKCE, refresh rotation and races. Tests are
//! named after the requirement they check (`security-reliability.md` §1). `admin client` and
//! `admin token` are in [`cli`].

mod cli;

use maecenas_oauth::{CodeRequest, NewClient};
use maecenas_store::{accounts::NewUser, entities::oauth_client};
use maecenas_testkit::{TestApp, TestDb, both_backends};
use maecenas_types::{Clock, ScopeSet};
use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};

const REDIRECT: &str = "https://client.example.com/cb";
const SCOPES: &str = "identity identity[email] campaigns";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

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

    async fn code_for(&self, client: &oauth_client::Model, challenge: Option<&str>) -> String {
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

    fn post(&self, path: &str) -> RequestBuilder {
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

async fn register(app: &TestApp, owner: i64, name: &str) -> (oauth_client::Model, String) {
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
async fn outcome(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store", "status {status}");
    assert_eq!(headers["pragma"], "no-cache");
    (status, response.json().await.unwrap())
}

async fn tokens(response: Response) -> Value {
    let (status, body) = outcome(response).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn error(response: Response, status: u16, code: &str) {
    let (got, body) = outcome(response).await;
    assert_eq!(
        (got, body["error"].as_str().unwrap()),
        (status, code),
        "{body}"
    );
    assert!(body["error_description"].is_string(), "{body}");
}

fn text<'v>(body: &'v Value, key: &str) -> &'v str {
    body[key].as_str().unwrap()
}

both_backends! {
    async fn oa_26_params_in_query_form_or_json(db: TestDb) {
        let f = Fixture::new(db).await;
        // Form body (most clients), on the legacy path too.
        for path in ["/api/oauth2/token", "/oauth2/token"] {
            let code = f.code(None).await;
            let body = tokens(
                f.post(path)
                    .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                        ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                    .send().await.unwrap(),
            )
            .await;
            let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 6, "{body}");
            assert_eq!(body["expires_in"], 2_678_400);
            assert_eq!(body["token_type"], "Bearer");
            assert_eq!(body["version"], "0.0.1");
            assert_eq!(body["scope"], "identity identity[email] campaigns");
            assert!(f.access_is_valid(text(&body, "access_token")).await);
            assert_ne!(body["access_token"], body["refresh_token"]);
        }
        // patreon==0.5.0: everything in the query string of a POST with an empty body.
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token")
                .query(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // A JSON body (the Laravel example).
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token")
                .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                    "client_id": f.client.client_id, "client_secret": f.secret}))
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // Split between query and body.
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token?grant_type=authorization_code")
                .form(&[("code", code.as_str()), ("redirect_uri", REDIRECT),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
    }

    async fn oa_28_invalid_client(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let form = |id: &str, secret: &str| {
            vec![("grant_type", "authorization_code".to_owned()), ("code", code.clone()),
                ("redirect_uri", REDIRECT.to_owned()), ("client_id", id.to_owned()), ("client_secret", secret.to_owned())]
        };
        for (id, secret) in [("no-such-client", f.secret.as_str()), (f.client.client_id.as_str(), "wrong"),
            (f.client.client_id.as_str(), "")] {
            let response = f.post("/api/oauth2/token").form(&form(id, secret)).send().await.unwrap();
            assert!(response.headers().get("www-authenticate").is_none());
            error(response, 401, "invalid_client").await;
        }
        // Failed Basic authentication gets the challenge.
        let response = f.post("/api/oauth2/token")
            .basic_auth(&f.client.client_id, Some("wrong"))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
            .send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"maecenas\"");
        error(response, 401, "invalid_client").await;
        // The code survived all of that.
        tokens(f.exchange(&code, &[]).await).await;
    }

    async fn oa_29_basic_auth(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let body = tokens(
            f.post("/api/oauth2/token")
                .basic_auth(&f.client.client_id, Some(&f.secret))
                .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // Basic and client_secret_post at once.
        let code = f.code(None).await;
        let response = f.post("/api/oauth2/token")
            .basic_auth(&f.client.client_id, Some(&f.secret))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
    }

    async fn oa_23_reused_code_revokes_tokens(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let first = tokens(f.exchange(&code, &[]).await).await;
        assert!(f.access_is_valid(text(&first, "access_token")).await);
        error(f.exchange(&code, &[]).await, 400, "invalid_grant").await;
        assert!(!f.access_is_valid(text(&first, "access_token")).await, "access token from the code revoked");
        error(f.refresh(text(&first, "refresh_token")).await, 400, "invalid_grant").await;
        // Other grants are untouched.
        let other = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        assert!(f.access_is_valid(text(&other, "access_token")).await);
    }

    async fn oa_22_expired_code(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        f.app.clock.advance(chrono::Duration::seconds(59));
        let fresh = f.code(None).await;
        f.app.clock.advance(chrono::Duration::seconds(2));
        error(f.exchange(&code, &[]).await, 400, "invalid_grant").await;
        tokens(f.exchange(&fresh, &[]).await).await;
    }

    async fn oa_24_code_bound_to_redirect_uri_and_client(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        for wrong in ["https://client.example.com/cb/", "https://CLIENT.example.com/cb", "https://client.example.com/cb?x=1",
            "https://client.example.com:443/cb"] {
            let response = f.post("/api/oauth2/token")
                .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", wrong),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap();
            error(response, 400, "invalid_grant").await;
        }
        let (other, other_secret) = register(&f.app, f.user_id, "Another app").await;
        let response = f.post("/api/oauth2/token")
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                ("client_id", &other.client_id), ("client_secret", &other_secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_grant").await;
        // Neither attempt burned the code or revoked anything.
        tokens(f.exchange(&code, &[]).await).await;
    }

    async fn oa_19_pkce_verifier_required_iff_challenge(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(Some(CHALLENGE)).await;
        error(f.exchange(&code, &[]).await, 400, "invalid_grant").await;
        let wrong = "x".repeat(43);
        error(f.exchange(&code, &[("code_verifier", &wrong)]).await, 400, "invalid_grant").await;
        error(f.exchange(&code, &[("code_verifier", "short")]).await, 400, "invalid_request").await;
        tokens(f.exchange(&code, &[("code_verifier", VERIFIER)]).await).await;
        // Downgrade: a verifier for a code issued without a challenge.
        let plain = f.code(None).await;
        error(f.exchange(&plain, &[("code_verifier", VERIFIER)]).await, 400, "invalid_grant").await;
        // Replaying the PKCE code with a wrong verifier is refused without revoking (OA-23).
        error(f.exchange(&code, &[("code_verifier", &wrong)]).await, 400, "invalid_grant").await;
    }

    async fn oa_28_duplicated_parameter(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        let response = f.post(&format!("/api/oauth2/token?code={code}"))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT),
                ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
        let response = f.post("/api/oauth2/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("grant_type=authorization_code&grant_type=refresh_token&code={code}&client_id={}&client_secret={}",
                f.client.client_id, f.secret))
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
        tokens(f.exchange(&code, &[]).await).await;
    }

    async fn oa_42_unsupported_grant_type(db: TestDb) {
        let f = Fixture::new(db).await;
        for grant in ["password", "client_credentials", "implicit"] {
            let response = f.post("/api/oauth2/token")
                .form(&[("grant_type", grant), ("username", "a"), ("password", "b"),
                    ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap();
            error(response, 400, "unsupported_grant_type").await;
        }
        let response = f.post("/api/oauth2/token")
            .form(&[("client_id", &f.client.client_id), ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_request").await;
    }

    async fn ab_oversized_token_body_is_413(db: TestDb) {
        let f = Fixture::new(db).await;
        let padding = "a".repeat(17 * 1024);
        for path in ["/api/oauth2/token", "/oauth/token"] {
            let response = f.post(path)
                .form(&[("grant_type", "authorization_code"), ("padding", &padding)])
                .send().await.unwrap();
            error(response, 413, "invalid_request").await;
        }
    }

    async fn da_integer_client_id_on_oauth_token(db: TestDb) {
        let f = Fixture::new(db).await;
        let code = f.code(None).await;
        // alerts-api / kash-88 style: JSON, integer client id, no redirect_uri, a scope to ignore.
        let response = f.post("/oauth/token")
            .json(&json!({"grant_type": "authorization_code", "client_id": f.client.id,
                "client_secret": f.secret, "code": code, "scope": "oauth-user-show"}))
            .send().await.unwrap();
        let body = tokens(response).await;
        let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["access_token", "expires_in", "refresh_token", "token_type"]);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 31_536_000);
        assert!(f.access_is_valid(text(&body, "access_token")).await);
        // Form-encoded refresh with the integer id.
        let id = f.client.id.to_string();
        let refreshed = tokens(
            f.post("/oauth/token")
                .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&body, "refresh_token")),
                    ("client_id", &id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert!(f.access_is_valid(text(&refreshed, "access_token")).await);
    }

    async fn oa_33_refresh_rotation_reuse_revokes_grant(db: TestDb) {
        let f = Fixture::new(db).await;
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let second = tokens(f.refresh(text(&first, "refresh_token")).await).await;
        assert_ne!(first["refresh_token"], second["refresh_token"], "rotated");
        assert_eq!(second["scope"], first["scope"]);
        assert!(f.access_is_valid(text(&second, "access_token")).await);
        // The spent refresh token again: refused, and the whole grant dies.
        error(f.refresh(text(&first, "refresh_token")).await, 400, "invalid_grant").await;
        assert!(!f.access_is_valid(text(&second, "access_token")).await);
        assert!(!f.access_is_valid(text(&first, "access_token")).await);
        error(f.refresh(text(&second, "refresh_token")).await, 400, "invalid_grant").await;
    }

    async fn oa_32_refresh_bound_to_client(db: TestDb) {
        let f = Fixture::new(db).await;
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let (other, other_secret) = register(&f.app, f.user_id, "Another app").await;
        let response = f.post("/api/oauth2/token")
            .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&first, "refresh_token")),
                ("client_id", &other.client_id), ("client_secret", &other_secret)])
            .send().await.unwrap();
        error(response, 400, "invalid_grant").await;
        tokens(f.refresh(text(&first, "refresh_token")).await).await;
    }

    async fn oa_35_refresh_may_narrow_never_widen(db: TestDb) {
        let f = Fixture::new(db).await;
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let wider = f.post("/api/oauth2/token")
            .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&first, "refresh_token")),
                ("scope", "identity campaigns.members"),
                ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
            .send().await.unwrap();
        error(wider, 400, "invalid_scope").await;
        let narrow = tokens(
            f.post("/api/oauth2/token")
                .form(&[("grant_type", "refresh_token"), ("refresh_token", text(&first, "refresh_token")),
                    ("scope", "identity"), ("client_id", &f.client.client_id), ("client_secret", &f.secret)])
                .send().await.unwrap(),
        )
        .await;
        assert_eq!(narrow["scope"], "identity");
        // The new refresh token keeps the original scope.
        let again = tokens(f.refresh(text(&narrow, "refresh_token")).await).await;
        assert_eq!(again["scope"], "identity identity[email] campaigns");
    }

    async fn oa_25_concurrent_code_redemption_one_wins(db: TestDb) {
        let f = std::sync::Arc::new(Fixture::new(db).await);
        let code = f.code(None).await;
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (f, code) = (f.clone(), code.clone());
            set.spawn(async move { outcome(f.exchange(&code, &[]).await).await });
        }
        let mut wins = 0;
        while let Some(result) = set.join_next().await {
            let (status, body) = result.unwrap();
            match status {
                200 => wins += 1,
                400 => assert_eq!(body["error"], "invalid_grant"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(wins, 1);
    }

    async fn oa_38_concurrent_refresh_race(db: TestDb) {
        let f = std::sync::Arc::new(Fixture::new(db).await);
        let first = tokens(f.exchange(&f.code(None).await, &[]).await).await;
        let refresh = text(&first, "refresh_token").to_owned();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (f, refresh) = (f.clone(), refresh.clone());
            set.spawn(async move { outcome(f.refresh(&refresh).await).await });
        }
        let mut winners = Vec::new();
        while let Some(result) = set.join_next().await {
            let (status, body) = result.unwrap();
            match status {
                200 => winners.push(body),
                400 => assert_eq!(body["error"], "invalid_grant"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert!(winners.len() <= 1, "{} refreshes succeeded", winners.len());
        // The losers were reuse: the grant, the winner's new tokens included, is revoked.
        for won in &winners {
            assert!(!f.access_is_valid(text(won, "access_token")).await);
            error(f.refresh(text(won, "refresh_token")).await, 400, "invalid_grant").await;
        }
    }
}
