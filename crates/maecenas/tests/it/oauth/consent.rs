//! The consent page and what follows it, over HTTP on both backends: CSRF and the single-use
//! challenge (OA-09/11), framing and 303 (OA-11/12), deny, the code flow with PKCE to tokens,
//! the client owner's scopes, DonationAlerts' implicit grant, and revoking a connected app.

use maecenas_testkit::both_backends;
use maecenas_types::ScopeSet;

use super::{
    browser::{Browser, Consent, encode, error_page, patreon_url, redirect_params},
    fixture::{CHALLENGE, REDIRECT, VERIFIER, error, register, text, tokens},
};
use crate::support::{csrf_token, location, sign_up};

const ACTION: &str = "/oauth2/authorize";

both_backends! {
    async fn oa_09_consent_requires_csrf(db: TestDb) {
        let b = Browser::new(db).await;
        let consent = b.consent(&patreon_url(&b.f, &[("state", "s")])).await;
        let other = b.f.app.client();
        assert_eq!(sign_up(&b.f.app, &other, "bo@example.org", "correct horse battery").await.status(), 303);
        let other_html = other.get(b.f.app.url("/profile")).send().await.unwrap().text().await.unwrap();
        let other_token = csrf_token(&other_html);

        // No token, another session's token, a cross-site POST: 403 and no code.
        let refused = [
            b.post_form(ACTION, &[("consent", &consent.challenge), ("decision", "allow")]).await,
            b.post_form(ACTION, &[("csrf_token", &other_token), ("consent", &consent.challenge),
                ("decision", "allow")]).await,
            b.client.post(b.f.app.url(ACTION)).header("sec-fetch-site", "cross-site")
                .form(&[("csrf_token", consent.csrf.as_str()), ("consent", &consent.challenge),
                    ("decision", "allow")]).send().await.unwrap(),
        ];
        for response in refused {
            error_page(response, 403).await;
        }
        // Another user cannot answer this user's consent, even with a valid token of their own.
        let response = other.post(b.f.app.url(ACTION)).form(&[("csrf_token", other_token.as_str()),
            ("consent", &consent.challenge), ("decision", "allow")]).send().await.unwrap();
        error_page(response, 400).await;
        // None of that spent it: its owner still can.
        let response = b.answer(ACTION, &consent, "allow").await;
        assert_eq!(response.status(), 303);
        assert!(redirect_params(location(&response)).1.contains_key("code"));
    }

    async fn oa_11_consent_challenge_single_use(db: TestDb) {
        let b = Browser::new(db).await;
        let consent = b.consent(&patreon_url(&b.f, &[("state", "s")])).await;
        let first = b.answer(ACTION, &consent, "allow").await;
        assert_eq!(first.status(), 303);
        for decision in ["allow", "deny"] {
            let html = error_page(b.answer(ACTION, &consent, decision).await, 400).await;
            assert!(html.contains("already been answered"), "{html}");
        }
        // Two pages at once are two challenges; each works once.
        let a = b.consent(&patreon_url(&b.f, &[])).await;
        let c = b.consent(&patreon_url(&b.f, &[])).await;
        assert_ne!(a.challenge, c.challenge);
        assert_eq!(b.answer(ACTION, &c, "deny").await.status(), 303);
        assert_eq!(b.answer(ACTION, &a, "allow").await.status(), 303);
        // Ten minutes to answer, by the injected clock.
        let late = b.consent(&patreon_url(&b.f, &[])).await;
        b.f.app.clock.advance(chrono::Duration::seconds(601));
        error_page(b.answer(ACTION, &late, "allow").await, 400).await;
        // A made-up challenge.
        let forged = Consent { challenge: "x".repeat(43), ..late };
        error_page(b.answer(ACTION, &forged, "allow").await, 400).await;
    }

    async fn oa_12_post_consent_303(db: TestDb) {
        let b = Browser::new(db).await;
        let consent = b.consent(&patreon_url(&b.f, &[("state", "s")])).await;
        // OA-11: the consent page cannot be framed; its form may lead only here and to the client.
        let h = &consent.headers;
        assert_eq!(h["x-frame-options"], "DENY");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("form-action 'self' https://client.example.com;"), "{csp}");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["referrer-policy"], "no-referrer");
        for page in ["/login", "/oauth2/authorize?client_id=nope"] {
            let response = b.f.app.client().get(b.f.app.url(page)).send().await.unwrap();
            assert_eq!(response.headers()["x-frame-options"], "DENY", "{page}");
            assert!(response.headers()["content-security-policy"].to_str().unwrap()
                .contains("frame-ancestors 'none'"));
        }
        let response = b.answer(ACTION, &consent, "allow").await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let consent = b.consent(&patreon_url(&b.f, &[])).await;
        assert_eq!(b.answer(ACTION, &consent, "deny").await.status(), 303);
    }

    async fn deny_returns_access_denied_with_state(db: TestDb) {
        let b = Browser::new(db).await;
        let state = r#""><foo>&x=1 y+z%20"#;
        let consent = b.consent(&patreon_url(&b.f, &[("state", state)])).await;
        assert!(!consent.html.contains("<foo>"));
        let response = b.answer(ACTION, &consent, "deny").await;
        assert_eq!(response.status(), 303);
        let (base, params) = redirect_params(location(&response));
        assert_eq!(base, REDIRECT);
        assert_eq!(params["error"], "access_denied");
        assert_eq!(params["state"], state, "byte-identical");
        assert_eq!(params["iss"], b.f.app.url(""));
        let metadata: serde_json::Value = b.get("/.well-known/oauth-authorization-server").await
            .json().await.unwrap();
        assert_eq!(metadata["issuer"].as_str(), Some(params["iss"].as_str()), "RFC 9207");
        assert!(!params.contains_key("code"));
        assert!(b.f.app.state.oauth().connected_apps(b.user_id).await.unwrap().is_empty());
    }

    async fn code_flow_end_to_end_with_pkce(db: TestDb) {
        let b = Browser::new(db).await;
        // Scopes joined with %20 and +, as the official clients do.
        let url = format!(
            "/oauth2/authorize?response_type=code&client_id={}&{}&scope=identity%20identity%5Bemail%5D+campaigns&state=abc&code_challenge={CHALLENGE}&code_challenge_method=S256",
            b.f.client.client_id, encode(&[("redirect_uri", REDIRECT)]));
        let consent = b.consent(&url).await;
        assert!(consent.html.contains("Test app"));
        assert!(consent.html.contains("See your e-mail address."));
        assert!(consent.html.contains("https://client.example.com"));
        let response = b.answer(ACTION, &consent, "allow").await;
        let (base, params) = redirect_params(location(&response));
        assert_eq!((base.as_str(), params["state"].as_str()), (REDIRECT, "abc"));
        assert_eq!(params["iss"], b.f.app.url(""));
        let body = tokens(b.f.exchange(&params["code"], &[("code_verifier", VERIFIER)]).await).await;
        assert_eq!(body["scope"], "identity identity[email] campaigns");
        let grant = b.f.app.state.oauth().check_access_token(text(&body, "access_token")).await
            .unwrap().unwrap();
        assert_eq!((grant.user_id, grant.client_id), (b.user_id, b.f.client.id));
        // The challenge is bound to the code: no verifier, no tokens.
        let params = b.allow(ACTION, &url).await;
        error(b.f.exchange(&params["code"], &[]).await, 400, "invalid_grant").await;
        // No scope: Patreon's v1 default.
        let params = b.allow(ACTION, &patreon_url(&b.f, &[])).await;
        let body = tokens(b.f.exchange(&params["code"], &[]).await).await;
        assert_eq!(body["scope"], "users pledges-to-me my-campaign");
    }

    async fn client_owner_gets_every_v2_scope(db: TestDb) {
        let b = Browser::new(db).await;
        let (own, secret) = register(&b.f.app, b.user_id, "My own app").await;
        let url = format!("/oauth2/authorize?{}", encode(&[("response_type", "code"),
            ("client_id", &own.client_id), ("redirect_uri", REDIRECT), ("scope", "identity")]));
        let consent = b.consent(&url).await;
        assert!(consent.html.contains("You own this application"));
        let response = b.answer(ACTION, &consent, "allow").await;
        let code = redirect_params(location(&response)).1["code"].clone();
        let body = tokens(b.f.post("/api/oauth2/token").form(&[("grant_type", "authorization_code"),
            ("code", &code), ("redirect_uri", REDIRECT), ("client_id", &own.client_id),
            ("client_secret", &secret)]).send().await.unwrap()).await;
        assert_eq!(body["scope"], ScopeSet::patreon_all_v2().to_string());
    }

    async fn donationalerts_implicit_grant_fragment(db: TestDb) {
        let b = Browser::new(db).await;
        let id = b.f.client.id.to_string();
        let url = format!("/oauth/authorize?{}", encode(&[("client_id", &id), ("redirect_uri", REDIRECT),
            ("response_type", "token"), ("scope", "oauth-user-show oauth-donation-index"),
            ("state", "da-state")]));
        let consent = b.consent(&url).await;
        assert!(consent.html.contains(r#"action="/oauth/authorize""#));
        let response = b.answer("/oauth/authorize", &consent, "allow").await;
        assert_eq!(response.status(), 303);
        let to = location(&response).to_owned();
        assert!(to.starts_with(&format!("{REDIRECT}#access_token=")), "{to}");
        let (_, params) = redirect_params(&to);
        assert_eq!(params["token_type"], "Bearer");
        assert_eq!(params["expires_in"], "31536000");
        assert_eq!(params["state"], "da-state");
        assert!(!params.contains_key("refresh_token"));
        let grant = b.f.app.state.oauth().check_access_token(&params["access_token"]).await
            .unwrap().unwrap();
        assert_eq!(grant.scopes.to_string(), "oauth-user-show oauth-donation-index");
        // Deny: the error in the fragment too.
        let consent = b.consent(&url).await;
        let to = location(&b.answer("/oauth/authorize", &consent, "deny").await).to_owned();
        assert!(to.starts_with(&format!("{REDIRECT}#error=access_denied")), "{to}");
        // The code flow, with neither redirect_uri nor scope (kash-88, the UE plugin).
        let params = b.allow("/oauth/authorize",
            &format!("/oauth/authorize?client_id={id}&response_type=code&state=q")).await;
        let body = tokens(b.f.post("/oauth/token").form(&[("grant_type", "authorization_code"),
            ("client_id", &id), ("client_secret", &b.f.secret), ("code", &params["code"])])
            .send().await.unwrap()).await;
        let grant = b.f.app.state.oauth().check_access_token(text(&body, "access_token")).await
            .unwrap().unwrap();
        assert_eq!(grant.scopes.to_string(), "oauth-user-show");
    }

    async fn connected_apps_revoke_kills_the_token(db: TestDb) {
        let b = Browser::new(db).await;
        let params = b.allow(ACTION, &patreon_url(&b.f, &[("scope", "identity identity[email]")])).await;
        let body = tokens(b.f.exchange(&params["code"], &[]).await).await;
        let (access, refresh) = (text(&body, "access_token"), text(&body, "refresh_token"));
        let html = b.get("/settings/apps").await.text().await.unwrap();
        assert!(html.contains("Test app") && html.contains("See your e-mail address."), "{html}");
        let action = format!("/settings/apps/{}/revoke", b.f.client.id);
        // Without the CSRF token, or by someone else: nothing happens.
        error_page(b.post_form(&action, &[]).await, 403).await;
        let other = b.f.app.client();
        sign_up(&b.f.app, &other, "bo@example.org", "correct horse battery").await;
        let other_html = other.get(b.f.app.url("/settings/apps")).send().await.unwrap().text().await.unwrap();
        assert!(!other_html.contains("Test app"));
        let other_html = other.get(b.f.app.url("/profile")).send().await.unwrap().text().await.unwrap();
        let response = other.post(b.f.app.url(&action))
            .form(&[("csrf_token", csrf_token(&other_html))]).send().await.unwrap();
        error_page(response, 404).await;
        assert!(b.f.access_is_valid(access).await);

        let response = b.post_form(&action, &[("csrf_token", &csrf_token(&html))]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/settings/apps?revoked=1");
        assert!(!b.f.access_is_valid(access).await);
        error(b.f.refresh(refresh).await, 400, "invalid_grant").await;
        let html = b.get("/settings/apps?revoked=1").await.text().await.unwrap();
        assert!(html.contains("Access revoked.") && html.contains("No application has access"));
    }
}
