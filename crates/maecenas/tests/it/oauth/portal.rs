//! The developer portal's "Clients & API Keys" page over HTTP on both backends: registering a
//! client through the CSRF-protected form (secret shown once, stored hashed, working at the
//! token endpoint) and the creator's access token (every v2 scope; re-issue revokes the
//! previous one; refresh rotates).

use maecenas_oauth::CodeRequest;
use maecenas_testkit::{TestApp, both_backends};
use maecenas_types::{ScopeSet, TokenHash};
use reqwest::{Client, Response};
use serde_json::json;

use super::fixture::{REDIRECT, error, outcome, text, tokens};
use crate::support::{sign_up, submit};

const PASSWORD: &str = "correct horse battery";

/// The text of `<code id="ID">…</code>` in `html`.
fn code_by_id(html: &str, id: &str) -> Option<String> {
    let marker = format!(r#"<code id="{id}">"#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find("</code>")? + start;
    Some(html[start..end].to_owned())
}

/// A signed-up, logged-in browser and its user id.
async fn developer(app: &TestApp, email: &str) -> (Client, i64) {
    let browser = app.client();
    assert_eq!(sign_up(app, &browser, email, PASSWORD).await.status(), 303);
    let user = app.db.store.user_by_email(email).await.unwrap().unwrap();
    (browser, user.id)
}

async fn register(app: &TestApp, browser: &Client, name: &str, uris: &str) -> Response {
    submit(
        app,
        browser,
        "/portal/clients",
        "/portal/clients",
        &[
            ("name", name),
            ("description", "Syncs patrons"),
            ("redirect_uris", uris),
            ("icon_url", "https://client.example.com/icon.png"),
            ("privacy_policy_url", ""),
            ("tos_url", "https://client.example.com/tos"),
        ],
    )
    .await
}

/// Registers a client through the form; its client_id and secret from the page.
async fn registered(app: &TestApp, browser: &Client) -> (String, String) {
    let response = register(app, browser, "Patron Sync", REDIRECT).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    (
        code_by_id(&html, "new-client-id").unwrap(),
        code_by_id(&html, "new-client-secret").unwrap(),
    )
}

/// Presses the client's "Issue"/"Re-issue" (or "Refresh") button; the page shown.
async fn creator_token(
    app: &TestApp,
    browser: &Client,
    client_id: &str,
    refresh: bool,
) -> Response {
    let action = format!(
        "/portal/clients/{client_id}/creator-token{}",
        if refresh { "/refresh" } else { "" }
    );
    submit(app, browser, "/portal/clients", &action, &[]).await
}

/// The access and refresh tokens a creator-token page shows.
async fn shown_tokens(response: Response) -> (String, String) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    (
        code_by_id(&html, "creator-access-token").unwrap(),
        code_by_id(&html, "creator-refresh-token").unwrap(),
    )
}

async fn token_endpoint(app: &TestApp, form: &[(&str, &str)]) -> Response {
    app.client()
        .post(app.url("/api/oauth2/token"))
        .form(form)
        .send()
        .await
        .unwrap()
}

both_backends! {
    async fn portal_register_client_requires_login_and_csrf(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let anonymous = app.client().get(app.url("/portal/clients")).send().await.unwrap();
        assert_eq!(anonymous.status(), 303);
        let (browser, user_id) = developer(&app, "dev@example.org").await;
        let page = browser.get(app.url("/portal/clients")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Clients &amp; API Keys"));
        // No token, or a made-up one: 403 and nothing registered.
        for form in [vec![], vec![("csrf_token", "forged")]] {
            let mut form = form;
            form.extend([("name", "App"), ("redirect_uris", REDIRECT)]);
            let response = browser.post(app.url("/portal/clients")).form(&form).send().await.unwrap();
            assert_eq!(response.status(), 403);
        }
        assert!(app.db.store.oauth_clients_owned_by(user_id).await.unwrap().is_empty());

        // Bad redirect URIs are named, the form keeps what was typed, all of it escaped.
        let response = register(&app, &browser, "<script>alert(1)</script>",
            "http://evil.example/cb\n<img src=x onerror=alert(1)>").await;
        assert_eq!(response.status(), 422);
        let html = response.text().await.unwrap();
        assert!(html.contains("plain http is only for loopback hosts"), "{html}");
        assert!(html.contains("is not an absolute URI"), "{html}");
        assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "{html}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
        assert!(app.db.store.oauth_clients_owned_by(user_id).await.unwrap().is_empty());

        let (client_id, _) = registered(&app, &browser).await;
        let clients = app.db.store.oauth_clients_owned_by(user_id).await.unwrap();
        assert_eq!(clients.len(), 1);
        assert_eq!(clients[0].client_id, client_id);
        assert_eq!(clients[0].icon_url, "https://client.example.com/icon.png");
        assert_eq!(clients[0].tos_url, "https://client.example.com/tos");
        assert_eq!(clients[0].description, "Syncs patrons");
    }

    async fn portal_secret_shown_once_and_works_at_token_endpoint(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let (browser, user_id) = developer(&app, "dev@example.org").await;
        let (client_id, secret) = registered(&app, &browser).await;
        // Stored hashed; not on the page again.
        let model = app.state.oauth().find_client(&client_id).await.unwrap().unwrap();
        assert_eq!(model.secret_hash.as_deref(), Some(TokenHash::of(&secret).0.as_str()));
        let html = browser.get(app.url("/portal/clients")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&client_id));
        assert!(!html.contains(&secret));
        // The secret redeems a code at the token endpoint.
        let scopes = ScopeSet::parse("identity").unwrap();
        let code = app.state.oauth().issue_code(CodeRequest {
            client: &model, user_id, redirect_uri: REDIRECT, scopes: &scopes, code_challenge: None,
        }).await.unwrap();
        let body = tokens(token_endpoint(&app, &[("grant_type", "authorization_code"),
            ("code", code.expose()), ("redirect_uri", REDIRECT), ("client_id", &client_id),
            ("client_secret", &secret)]).await).await;
        assert_eq!(body["scope"], "identity");
    }

    async fn portal_creator_token_has_every_v2_scope_and_works(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let (browser, user_id) = developer(&app, "dev@example.org").await;
        let (client_id, secret) = registered(&app, &browser).await;
        let (access, refresh) = shown_tokens(creator_token(&app, &browser, &client_id, false).await).await;
        let grant = app.state.oauth().check_access_token(&access).await.unwrap().unwrap();
        assert_eq!(grant.user_id, user_id);
        assert_eq!(grant.scopes, ScopeSet::patreon_all_v2());
        // The client sees it as its own live token.
        let body = tokens(app.client().post(app.url("/oauth2/introspect"))
            .form(&[("token", access.as_str()), ("client_id", &client_id), ("client_secret", &secret)])
            .send().await.unwrap()).await;
        assert_eq!(body["active"], true);
        assert_eq!(body["scope"], ScopeSet::patreon_all_v2().to_string());
        // The page lists it; the secrets are not shown again.
        let html = browser.get(app.url("/portal/clients")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Refresh token") && !html.contains(&access) && !html.contains(&refresh));

        // "Refresh" rotates: new pair, same grant; the old refresh token is spent.
        let (access2, refresh2) = shown_tokens(creator_token(&app, &browser, &client_id, true).await).await;
        assert_ne!((&access2, &refresh2), (&access, &refresh));
        let grant2 = app.state.oauth().check_access_token(&access2).await.unwrap().unwrap();
        assert_eq!((grant2.grant_id, grant2.scopes), (grant.grant_id, ScopeSet::patreon_all_v2()));
        // The client refreshes the creator token at the token endpoint like any other.
        let body = tokens(token_endpoint(&app, &[("grant_type", "refresh_token"),
            ("refresh_token", &refresh2), ("client_id", &client_id), ("client_secret", &secret)]).await).await;
        assert!(app.state.oauth().check_access_token(text(&body, "access_token")).await.unwrap().is_some());
        // Another user's client is not found.
        let (stranger, _) = developer(&app, "other@example.org").await;
        assert_eq!(creator_token(&app, &stranger, &client_id, false).await.status(), 404);
    }

    async fn portal_reissue_revokes_previous_creator_token(db: TestDb) {
        let app = TestApp::spawn(db).await;
        let (browser, _) = developer(&app, "dev@example.org").await;
        let (client_id, secret) = registered(&app, &browser).await;
        // Refreshing before any token was issued says so.
        let none = creator_token(&app, &browser, &client_id, true).await;
        assert_eq!(none.status(), 409);
        assert!(none.text().await.unwrap().contains("no creator token to refresh"));
        let (access1, refresh1) = shown_tokens(creator_token(&app, &browser, &client_id, false).await).await;
        let (access2, _) = shown_tokens(creator_token(&app, &browser, &client_id, false).await).await;
        let oauth = app.state.oauth();
        assert!(oauth.check_access_token(&access1).await.unwrap().is_none());
        assert!(oauth.check_access_token(&access2).await.unwrap().is_some());
        error(token_endpoint(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh1),
            ("client_id", &client_id), ("client_secret", &secret)]).await, 400, "invalid_grant").await;
        assert!(oauth.check_access_token(&access2).await.unwrap().is_some());
        let (_, body) = outcome(app.client().post(app.url("/oauth2/introspect"))
            .form(&[("token", access1.as_str()), ("client_id", &client_id), ("client_secret", &secret)])
            .send().await.unwrap()).await;
        assert_eq!(body, json!({"active": false}));
    }
}
